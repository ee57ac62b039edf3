// Fuzzer bytes are what the crashed kernel and the dump left in guest memory
// for the vmcore: a register save area (pseries) or the architected register
// data (PowerNV, the same bytes read as such with a thread size of bytes 1-2)
// and a VMCOREINFO note (byte 0: the kernel's byte order, bit 0 set for
// big-endian; bytes 1-2: the save area's length, big-endian; then the save
// area, then VMCOREINFO). The
// readers must never crash, read past the bytes or return more than they
// promise: at most as many CPUs as the caller has room for, each online,
// notes no longer than the NT_PRSTATUS notes plus the VMCOREINFO bytes; the
// same data read as the OPAL core's notes (crashing PIR byte 0).
#include <array>
#include <cstdint>
#include <cstdlib>

#include "fadump/vmcore/cpu_notes.hpp"
#include "fadump/vmcore/vmcore_layout.hpp"

using namespace fadump;
using namespace fadump::vmcore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    const bool big_endian = (data[0] & 1) != 0;
    const size_t rsa_len = std::min<size_t>(size - 3, (size_t{data[1]} << 8) | data[2]);
    std::span<const std::byte> rest(reinterpret_cast<const std::byte*>(data) + 3, size - 3);
    const auto rsa = rest.first(rsa_len);
    const auto note = rest.subspan(rsa_len);

    CrashInfo ci;  // CPUs 0-3 online of 8, CPU 1 crashing
    ci.cpu_mask_bytes = 8;
    ci.cpu_mask[0] = 0xF;
    ci.crashing_cpu = 1;
    std::array<CpuRegs, 4> out{};
    const auto n = pseries_cpu_regs(rsa, ci, out);
    if (n.ok() && (n.value() > out.size() || !ci.online(out[0].cpu))) {
        std::abort();
    }
    // PowerNV: every thread in at most `out`, the crashing one named.
    const auto thread_size = static_cast<uint32_t>((size_t{data[1]} << 8) | data[2]);
    std::array<CpuRegs, 4> threads{};
    const auto t = opal_cpu_regs(rest, thread_size, ci, threads);
    if (t.ok() && (t.value() == 0 || t.value() > threads.size())) {
        std::abort();
    }
    // The OPAL core's notes: room for every thread and NT_AUXV, one note
    // more at most, no more notes than threads.
    const auto core = opal_core_notes(rest, thread_size, {.crashing_pir = data[0], .kernel_initiated = big_endian});
    if (core.ok()) {
        const size_t all = rest.size() / thread_size;
        if (core->pt_note_bytes != all * PRSTATUS_NOTE_BYTES + OPAL_CORE_AUXV_NOTE_BYTES || core->prstatus > all ||
            core->bytes.size() > core->pt_note_bytes + PRSTATUS_NOTE_BYTES) {
            std::abort();
        }
    }
    const size_t cpus = n.ok() ? n.value() : 0;
    const auto notes = vmcore_notes({out.data(), cpus}, note, big_endian);
    if (notes.ok() && notes->size() > cpus * PRSTATUS_NOTE_BYTES + note.size()) {
        std::abort();
    }
    const uint64_t page = vmcoreinfo_page_size(note);
    if (page < 4096 || page > 65536 || (page & (page - 1)) != 0) {
        std::abort();
    }
    return 0;
}
