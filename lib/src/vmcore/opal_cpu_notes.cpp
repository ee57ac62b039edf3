// The CPU notes of a PowerNV vmcore from the architected register data
// (fadump/vmcore/cpu_notes.hpp opal_cpu_regs).
#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "fadump/opal/mpipl_tables.hpp"
#include "fadump/vmcore/cpu_notes.hpp"
#include "kernel_order.hpp"

namespace fadump::vmcore {
namespace {

using detail::hex;

Error bad_data(size_t off, const std::string& what)
{
    return fail(Errc::ParamError, "CPU state data +" + hex(off) + ": " + what);
}

// The architected register data is big-endian whatever the kernel's order.
template <typename T>
T be(std::span<const std::byte> b, size_t off)
{
    return detail::load<T>(b, off, true);
}

// pt_regs word index of the registers opal_fadump_set_regval_regnum knows.
constexpr uint32_t NIP = 32, MSR = 33, CTR = 35, LINK = 36, XER = 37, CCR = 38, DAR = 41, DSISR = 42;
// SPR numbers (Linux asm/reg.h).
constexpr uint32_t SPRN_XER = 1, SPRN_LR = 8, SPRN_CTR = 9, SPRN_DSISR = 18, SPRN_DAR = 19;

// The pt_regs word an entry fills, or -1. As the kernel: a GPR entry
// above 31 is ignored, and any other type is matched by number alone.
int word_of(uint32_t type, uint32_t num)
{
    if (type == opal::REG_TYPE_GPR) {
        return num < 32 ? static_cast<int>(num) : -1;
    }
    switch (num) {
        case SPRN_CTR:
            return CTR;
        case SPRN_LR:
            return LINK;
        case SPRN_XER:
            return XER;
        case SPRN_DAR:
            return DAR;
        case SPRN_DSISR:
            return DSISR;
        case opal::REG_ID_NIP:
            return NIP;
        case opal::REG_ID_MSR:
            return MSR;
        case opal::REG_ID_CR:
            return CCR;
        default:
            return -1;
    }
}

// Where a thread's entries are: their offset in the block, size and count.
struct EntryLayout {
    uint64_t offset = 0;
    uint32_t size = 0;
    uint32_t count = 0;
};

Result<EntryLayout> entry_layout(std::span<const std::byte> data, uint32_t thread_size)
{
    if (thread_size < sizeof(opal::ThreadHeader)) {
        return bad_data(0, "thread size " + std::to_string(thread_size) + " is smaller than a thread header");
    }
    const EntryLayout e{.offset = offsetof(opal::ThreadHeader, offset) + uint64_t{be<uint32_t>(data, 8)},
                        .size = be<uint32_t>(data, 16),
                        .count = be<uint32_t>(data, 12)};
    // Entries may not overlap (a size of 0 would read one entry 2^32
    // times), and the last one's 16 bytes must lie in the thread's block.
    if (e.count != 0 && e.size < sizeof(opal::ThreadRegEntry)) {
        return bad_data(16, "register entries of " + std::to_string(e.size) + " bytes overlap (16 at least)");
    }
    const uint64_t end = e.count == 0 ? 0 : e.offset + uint64_t{e.count - 1} * e.size + sizeof(opal::ThreadRegEntry);
    if (end > thread_size) {
        return bad_data(8, std::to_string(e.count) + " entries of " + std::to_string(e.size) + " bytes at +" +
                               hex(e.offset) + " run past the thread's " + std::to_string(thread_size) + " bytes");
    }
    return e;
}

void read_thread(std::span<const std::byte> block, const EntryLayout& e, std::array<uint64_t, 48>& regs)
{
    regs = {};
    for (uint32_t i = 0; i < e.count; ++i) {
        const size_t at = e.offset + size_t{i} * e.size;
        if (const int w = word_of(be<uint32_t>(block, at), be<uint32_t>(block, at + 4)); w >= 0) {
            regs[static_cast<size_t>(w)] = be<uint64_t>(block, at + 8);
        }
    }
}

// Each thread of `data` in order: fn(pir, core_state, regs). The caller
// checked thread_size != 0 and thread_size <= data.size().
template <class Fn>
Result<void> for_each_thread(std::span<const std::byte> data, uint32_t thread_size, Fn&& fn)
{
    auto layout = entry_layout(data, thread_size);
    if (!layout) {
        return layout.error();
    }
    const size_t threads = data.size() / thread_size;
    std::array<uint64_t, 48> regs{};
    for (size_t t = 0; t < threads; ++t) {
        const auto block = data.subspan(t * thread_size, thread_size);
        read_thread(block, layout.value(), regs);
        fn(be<uint32_t>(block, 0), static_cast<uint8_t>(block[4]), regs);
    }
    return {};
}

}  // namespace

Result<size_t> opal_cpu_regs(std::span<const std::byte> data, uint32_t thread_size, const CrashInfo& info,
                             std::span<CpuRegs> out)
{
    size_t n = 0;
    // CPU state data the kernel calls invalid: the crashing CPU alone.
    const bool valid = thread_size != 0 && thread_size <= data.size();
    if (auto layout = valid ? entry_layout(data, thread_size) : Result<EntryLayout>{EntryLayout{}}; !layout) {
        return layout.error();
    }
    if (valid && data.size() / thread_size > out.size()) {
        return bad_data(
            0, std::to_string(data.size() / thread_size) + " threads, the machine has " + std::to_string(out.size()));
    }
    if (valid) {
        auto walked = for_each_thread(data, thread_size, [&](uint32_t pir, uint8_t core_state, const auto& regs) {
            if (pir == info.crashing_cpu) {
                out[n++] = CpuRegs{.cpu = pir, .regs = info.regs};
            } else if (core_state != OPAL_CORE_INACTIVE) {
                out[n++] = CpuRegs{.cpu = pir, .regs = regs};
            }
        });
        if (!walked) {
            return walked.error();
        }
    }
    if (n == 0) {
        if (info.crashing_cpu == CRASH_INFO_CPU_UNKNOWN || out.empty()) {
            return bad_data(0, "no thread's registers and no crashing CPU: the capture kernel refuses the dump");
        }
        out[n++] = CpuRegs{.cpu = info.crashing_cpu, .regs = info.regs};
    }
    return n;
}

}  // namespace fadump::vmcore

namespace fadump::vmcore {
namespace {

constexpr uint32_t NT_PRSTATUS = 1;
constexpr uint32_t NT_AUXV = 6;
constexpr uint64_t AT_NULL = 0, AT_ENTRY = 9;
constexpr uint16_t SIGUSR1 = 10, SIGTERM = 15;
// struct elf_prstatus_common (ppc64): pr_cursig at 12, pr_pid at 32, pr_ppid at 36.
constexpr size_t PR_CURSIG = 12, PR_PID = 32, PR_PPID = 36;

// One big-endian note at `at` of `out`: "CORE" and `desc_bytes` of
// descriptor; returns where the descriptor starts.
size_t put_note_head(std::span<std::byte> out, size_t at, uint32_t type, uint32_t desc_bytes)
{
    detail::store<uint32_t>(out, at, 5, true);  // n_namesz: "CORE\0"
    detail::store<uint32_t>(out, at + 4, desc_bytes, true);
    detail::store<uint32_t>(out, at + 8, type, true);
    std::memcpy(out.data() + at + 12, "CORE", 5);
    return at + 20;
}

}  // namespace

Result<OpalCoreNotes> opal_core_notes(std::span<const std::byte> data, uint32_t thread_size, const OpalCoreCpus& who)
{
    if (thread_size == 0 || thread_size > data.size()) {
        return bad_data(0, "CPU state data is invalid (" + std::to_string(thread_size) + "-byte threads in " +
                               std::to_string(data.size()) + " bytes): the capture kernel makes no OPAL core");
    }
    if (auto layout = entry_layout(data, thread_size); !layout) {
        return layout.error();  // before the notes are sized by the data
    }
    const size_t threads = data.size() / thread_size;
    OpalCoreNotes notes;
    notes.pt_note_bytes = threads * PRSTATUS_NOTE_BYTES + OPAL_CORE_AUXV_NOTE_BYTES;
    // Room for one note more than the PT_NOTE counts: with no active thread
    // of the crashing PIR, Linux leaves the first note empty and writes
    // every thread's after it, the last ones past the PT_NOTE.
    notes.bytes.assign(notes.pt_note_bytes + PRSTATUS_NOTE_BYTES, std::byte{0});
    std::span<std::byte> out{notes.bytes};
    size_t pos = PRSTATUS_NOTE_BYTES;  // the first note is the crashing thread's
    auto walked = for_each_thread(data, thread_size, [&](uint32_t pir, uint8_t core_state, const auto& regs) {
        if (core_state == OPAL_CORE_INACTIVE) {
            return;
        }
        const bool crashing = pir == who.crashing_pir;
        const size_t desc = put_note_head(out, crashing ? 0 : pos, NT_PRSTATUS, PRSTATUS_BYTES);
        if (crashing) {
            detail::store<uint16_t>(out, desc + PR_CURSIG, who.kernel_initiated ? SIGUSR1 : SIGTERM, true);
            notes.crashing_found = true;
        } else {
            pos += PRSTATUS_NOTE_BYTES;
        }
        detail::store<uint32_t>(out, desc + PR_PID, 100 + pir, true);
        detail::store<uint32_t>(out, desc + PR_PPID, 1, true);
        for (size_t i = 0; i < regs.size(); ++i) {
            detail::store<uint64_t>(out, desc + PRSTATUS_REG_OFFSET + i * 8, regs[i], true);
        }
        ++notes.prstatus;
    });
    if (!walked) {
        return walked.error();
    }
    const size_t auxv = put_note_head(out, pos, NT_AUXV, 24);
    detail::store<uint64_t>(out, auxv, AT_ENTRY, true);
    detail::store<uint64_t>(out, auxv + 8, who.boot_entry, true);
    detail::store<uint64_t>(out, auxv + 16, AT_NULL, true);
    notes.bytes.resize(std::max<size_t>(notes.pt_note_bytes, auxv + 24));
    return notes;
}

}  // namespace fadump::vmcore
