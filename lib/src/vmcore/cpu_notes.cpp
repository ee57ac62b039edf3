#include "fadump/vmcore/cpu_notes.hpp"

#include <string>

#include "fadump/papr/register_ids.hpp"
#include "fadump/papr/register_save_area.hpp"
#include "kernel_order.hpp"

namespace fadump::vmcore {
namespace {

using detail::hex;

Error bad_rsa(size_t off, const std::string& what)
{
    return fail(Errc::ParamError, "register save area +" + hex(off) + ": " + what);
}

// The save area is big-endian whatever the kernel's byte order.
uint64_t be64(std::span<const std::byte> b, size_t off)
{
    return detail::load<uint64_t>(b, off, true);
}

// Packs up to 8 ASCII characters left-aligned, as the kernel's
// fadump_str_to_u64 does.
constexpr uint64_t id(const char* s)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v <<= 8;
        if (*s != '\0') {
            v |= static_cast<unsigned char>(*s++);
        }
    }
    return v;
}

// pt_regs word index of the registers rtas_fadump_set_regval knows.
constexpr uint32_t NIP = 32, MSR = 33, CTR = 35, LINK = 36, XER = 37, CCR = 38, DAR = 41, DSISR = 42;

// The pt_regs word a save-area id fills, or -1 for one the kernel ignores.
int word_of(uint64_t reg_id)
{
    constexpr uint64_t GPR_MASK = 0xffffff0000000000ULL;
    if ((reg_id & GPR_MASK) == id("GPR")) {
        const auto tens = static_cast<int>((reg_id >> 32) & 0xff) - '0';
        const auto ones = static_cast<int>((reg_id >> 24) & 0xff) - '0';
        const bool digits = tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9;
        return digits && tens * 10 + ones <= 31 ? tens * 10 + ones : -1;
    }
    struct Named {
        uint64_t id;
        uint32_t word;
    };
    static constexpr Named NAMED[] = {{id("NIA"), NIP}, {id("MSR"), MSR}, {id("CTR"), CTR}, {id("LR"), LINK},
                                      {id("XER"), XER}, {id("CR"), CCR},  {id("DAR"), DAR}, {id("DSISR"), DSISR}};
    for (const auto& n : NAMED) {
        if (n.id == reg_id) {
            return static_cast<int>(n.word);
        }
    }
    return -1;
}

// Reads one CPU's entries from `pos` (just past its CPUSTRT) through its
// CPUEND into `regs` (when not null); returns the offset past CPUEND.
Result<size_t> read_cpu(std::span<const std::byte> rsa, size_t pos, std::array<uint64_t, 48>* regs)
{
    for (;; pos += sizeof(papr::RegEntry)) {
        if (pos + sizeof(papr::RegEntry) > rsa.size()) {
            return bad_rsa(
                pos, "a CPU's entries run past the area's " + std::to_string(rsa.size()) + " bytes without CPUEND");
        }
        const uint64_t reg_id = be64(rsa, pos);
        if (reg_id == papr::ID_CPUEND) {
            return pos + sizeof(papr::RegEntry);
        }
        if (const int w = word_of(reg_id); regs != nullptr && w >= 0) {
            (*regs)[static_cast<size_t>(w)] = be64(rsa, pos + 8);
        }
    }
}

// Where the first CPU's entries start and how many CPUs there are.
Result<std::pair<size_t, uint32_t>> rsa_header(std::span<const std::byte> rsa)
{
    if (rsa.size() < sizeof(papr::RegSaveHeader) || be64(rsa, 0) != papr::REGSAVE_MAGIC) {
        return bad_rsa(0, "no REGSAVE magic");
    }
    const auto off = detail::load<uint32_t>(rsa, 0x0C, true);
    if (uint64_t{off} + 4 > rsa.size()) {
        return bad_rsa(0x0C, "NumCpusOffset " + hex(off) + " is past the area");
    }
    return std::pair<size_t, uint32_t>{off + 4, detail::load<uint32_t>(rsa, off, true)};
}

}  // namespace

Result<size_t> pseries_cpu_regs(std::span<const std::byte> rsa, const CrashInfo& info, std::span<CpuRegs> out)
{
    auto head = rsa_header(rsa);
    if (!head) {
        return head.error();
    }
    auto [pos, num_cpus] = head.value();
    if (num_cpus > out.size()) {
        return bad_rsa(pos - 4, std::to_string(num_cpus) + " CPUs, the machine has " + std::to_string(out.size()));
    }
    size_t n = 0;
    for (uint32_t i = 0; i < num_cpus; ++i) {
        if (pos + sizeof(papr::RegEntry) > rsa.size() || be64(rsa, pos) != papr::ID_CPUSTRT) {
            return bad_rsa(pos, "CPU " + std::to_string(i) + " does not start with CPUSTRT");
        }
        const auto cpu = static_cast<uint32_t>(be64(rsa, pos + 8) & 0xffffffffU);
        const bool online = info.online(cpu);
        CpuRegs* slot = online ? &out[n] : nullptr;
        if (slot != nullptr) {
            *slot = CpuRegs{.cpu = cpu, .regs = {}};
            if (cpu == info.crashing_cpu) {
                slot->regs = info.regs;
            }
        }
        const bool from_area = slot != nullptr && cpu != info.crashing_cpu;
        auto next = read_cpu(rsa, pos + sizeof(papr::RegEntry), from_area ? &slot->regs : nullptr);
        if (!next) {
            return next.error();
        }
        pos = next.value();
        n += online ? 1 : 0;
    }
    return n;
}

namespace {

constexpr uint32_t NT_PRSTATUS = 1;

// Appends one NT_PRSTATUS note for `c`.
void append_prstatus(std::vector<std::byte>& out, const CpuRegs& c, bool be)
{
    const size_t at = out.size();
    out.resize(at + PRSTATUS_NOTE_BYTES);
    std::span<std::byte> note{out.data() + at, PRSTATUS_NOTE_BYTES};
    detail::store<uint32_t>(note, 0, 5, be);  // n_namesz: "CORE\0"
    detail::store<uint32_t>(note, 4, PRSTATUS_BYTES, be);
    detail::store<uint32_t>(note, 8, NT_PRSTATUS, be);
    std::memcpy(note.data() + 12, "CORE", 5);
    for (size_t i = 0; i < c.regs.size(); ++i) {
        detail::store<uint64_t>(note, 20 + PRSTATUS_REG_OFFSET + i * 8, c.regs[i], be);
    }
}

// Bytes of the notes at the start of `b` up to the first empty one (or
// the end), as vmcore.c's update_note_header_size_elf64 counts them.
Result<size_t> real_notes_size(std::span<const std::byte> b, bool be)
{
    size_t pos = 0;
    while (pos + 12 <= b.size()) {
        const auto namesz = detail::load<uint32_t>(b, pos, be);
        const auto descsz = detail::load<uint32_t>(b, pos + 4, be);
        if (namesz == 0) {
            break;
        }
        const uint64_t sz = 12 + ((uint64_t{namesz} + 3) & ~uint64_t{3}) + ((uint64_t{descsz} + 3) & ~uint64_t{3});
        if (sz > b.size() - pos) {
            return fail(Errc::ParamError,
                        "VMCOREINFO note at +" + hex(pos) + " runs past its " + std::to_string(b.size()) + " bytes");
        }
        pos += sz;
    }
    if (pos == 0) {
        return fail(Errc::ParamError, "VMCOREINFO holds no note");
    }
    return pos;
}

}  // namespace

Result<std::vector<std::byte>> vmcore_notes(std::span<const CpuRegs> cpus, std::span<const std::byte> vmcoreinfo,
                                            bool big_endian)
{
    auto info_bytes = real_notes_size(vmcoreinfo, big_endian);
    if (!info_bytes) {
        return info_bytes.error();
    }
    std::vector<std::byte> out;
    out.reserve(cpus.size() * PRSTATUS_NOTE_BYTES + info_bytes.value());
    for (const auto& c : cpus) {
        append_prstatus(out, c, big_endian);
    }
    out.insert(out.end(), vmcoreinfo.begin(), vmcoreinfo.begin() + static_cast<ptrdiff_t>(info_bytes.value()));
    return out;
}

Result<VmcorePlan> make_plan(const CrashInfo& ci, std::span<const CpuRegs> cpus, std::span<const std::byte> vmcoreinfo,
                             std::span<const BootRegion> boot, std::span<const NodeRange> ram,
                             const GuestRange& reserved)
{
    auto notes = vmcore_notes(cpus, vmcoreinfo, ci.big_endian);
    if (!notes) {
        return notes.error();
    }
    auto memblock = memblock_ranges(ram, vmcoreinfo_numa(vmcoreinfo));
    if (!memblock) {
        return memblock.error();
    }
    auto loads = vmcore_loads({.boot = boot, .ram = memblock.value(), .reserved = reserved});
    if (!loads) {
        return loads.error();
    }
    VmcorePlan plan;
    plan.big_endian = ci.big_endian;
    plan.elf_flags = ci.big_endian ? 1 : 2;
    plan.notes = std::move(notes.value());
    plan.loads = std::move(loads.value());
    plan.cpus = static_cast<uint32_t>(cpus.size());
    plan.crashing_cpu = ci.crashing_cpu;
    plan.page_size = vmcoreinfo_page_size(vmcoreinfo);
    return plan;
}

}  // namespace fadump::vmcore
