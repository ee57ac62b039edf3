// The notes of the vmcore the capture kernel exports, built on the host:
// one NT_PRSTATUS per CPU that was online at the crash, then the crashed
// kernel's VMCOREINFO note (issue 23: the platform's own vmcore).
//
// Follows Linux arch/powerpc/platforms/pseries/rtas-fadump.c
// (rtas_fadump_build_cpu_notes, rtas_fadump_set_regval), kernel/fadump.c
// (fadump_regs_to_elf_notes), fs/proc/vmcore.c (merge_note_headers_elf64:
// each PT_NOTE trimmed at its first empty note) and include/linux/elfcore.h
// (struct elf_prstatus). All integers in the notes are in the crashed
// kernel's byte order (CrashInfo::big_endian).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fadump/result.hpp"
#include "fadump/vmcore/crash_info.hpp"
#include "fadump/vmcore/vmcore_layout.hpp"

namespace fadump::vmcore {

/// One CPU's registers as its NT_PRSTATUS note carries them: the 48 u64
/// words of ppc64's elf_gregset_t (= struct pt_regs: gpr0-31, nip, msr,
/// orig_gpr3, ctr, link, xer, ccr, softe, trap, dar, dsisr, result, ...).
struct CpuRegs {
    uint32_t cpu = 0;  ///< the logical CPU number (CPUSTRT's low 32 bits)
    std::array<uint64_t, 48> regs{};
};

/// Bytes of ppc64's struct elf_prstatus (pr_reg at 112, 48 words, then
/// pr_fpvalid and padding): 504.
inline constexpr size_t PRSTATUS_BYTES = 504;
inline constexpr size_t PRSTATUS_REG_OFFSET = 112;
/// Bytes of one NT_PRSTATUS note: head (12), "CORE\0" padded (8), prstatus.
inline constexpr size_t PRSTATUS_NOTE_BYTES = 12 + 8 + PRSTATUS_BYTES;

/// The registers of every CPU the capture kernel would put in the vmcore,
/// read from the register save area `rsa` (the CPU state data section's
/// bytes as preserved at its destination, big-endian, register_save_area.hpp)
/// the way rtas_fadump_build_cpu_notes reads it: CPUs in save-area order,
/// those not online in `info`'s mask left out, the crashing CPU's registers
/// taken whole from `info`, the others' from the entries the kernel knows
/// (GPR00-GPR31, NIA, MSR, CTR, LR, XER, CR, DAR, DSISR; every other word 0).
/// Writes at most out.size() CPUs (the VMM's thread count) and returns how
/// many. Errors (ParamError, naming the byte offset): no REGSAVE magic, a
/// NumCpusOffset or an entry outside `rsa`, more CPUs than `out` holds, a
/// CPU not opened by CPUSTRT or not closed by CPUEND. Allocates nothing.
[[nodiscard]] Result<size_t> pseries_cpu_regs(std::span<const std::byte> rsa, const CrashInfo& info,
                                              std::span<CpuRegs> out);

/// The HDAT thread header's core_state for a core that is not active
/// (Linux opal-fadump.h HDAT_FADUMP_CORE_INACTIVE): its threads get no note.
inline constexpr uint8_t OPAL_CORE_INACTIVE = 0x0F;

/// The registers of every CPU the capture kernel would put in the vmcore on
/// PowerNV, read from the CPU state data `data` (the architected register
/// data the SBE/hostboot wrote, `thread_size` bytes per thread, big-endian:
/// opal/mpipl_tables.hpp ThreadHeader, ThreadRegEntry) the way
/// arch/powerpc/platforms/powernv/opal-fadump.c opal_fadump_build_cpu_notes
/// reads it: threads in data order, each named by its PIR (`cpu`); the
/// thread whose PIR is `info`'s crashing_cpu gets `info`'s registers whole;
/// threads of inactive cores are left out (offline threads of active cores
/// are not: the kernel keeps them); the others get GPR0-31 and the SPRs the
/// kernel knows (CTR, LR, XER, DAR, DSISR, NIP 0x7D0, MSR 0x7D1, CR 0x7D2;
/// every other word 0). The entries' offset, size and count come from the
/// first thread's header, as the kernel takes them. CPU state data the
/// kernel would call invalid (thread_size 0 or larger than `data`) gives
/// the crashing CPU's registers alone, as does data that yields no note.
/// Writes at most out.size() CPUs and returns how many. Errors (ParamError,
/// naming the field): more threads than `out` holds; entries smaller than
/// 16 bytes (overlapping) or running past a thread's bytes; no note at all
/// and crashing_cpu unknown (the kernel then refuses the dump). Allocates
/// nothing.
[[nodiscard]] Result<size_t> opal_cpu_regs(std::span<const std::byte> data, uint32_t thread_size, const CrashInfo& info,
                                           std::span<CpuRegs> out);

/// Bytes of the OPAL core's NT_AUXV note: head, "CORE\0" padded, and
/// AT_ENTRY, its value, AT_NULL (three u64).
inline constexpr size_t OPAL_CORE_AUXV_NOTE_BYTES = 12 + 8 + 24;

/// Who the OPAL core's notes name: skiboot's crashing PIR (its metadata at
/// S0), whether a kernel asked for the MPIPL (its crash info header names a
/// crashing CPU: the thread's pr_cursig is SIGUSR1, else SIGTERM), and
/// skiboot's boot entry (opal-boot-address, NT_AUXV's AT_ENTRY).
struct OpalCoreCpus {
    uint32_t crashing_pir = 0;
    bool kernel_initiated = false;
    uint64_t boot_entry = 0;
};

/// The OPAL core's notes as Linux arch/powerpc/platforms/powernv/opal-core.c
/// (opalcore_append_cpu_notes, auxv_to_elf64_notes) builds them, big-endian:
/// the PT_NOTE holds room for one NT_PRSTATUS per thread of the CPU state
/// data and the NT_AUXV note; the first note is the crashing PIR's thread,
/// then every other thread of an active core in data order, then NT_AUXV,
/// then zeros. Each prstatus: pr_pid 100 + PIR, pr_ppid 1, pr_reg the
/// registers as opal_cpu_regs reads them (no fall-backs), pr_cursig on the
/// crashing thread alone.
struct OpalCoreNotes {
    /// What goes to the file at the PT_NOTE's offset: pt_note_bytes, or
    /// one note more when no active thread has the crashing PIR (Linux then
    /// leaves the first note empty and writes the rest past the PT_NOTE).
    std::vector<std::byte> bytes;
    uint64_t pt_note_bytes = 0;   ///< the PT_NOTE's p_filesz
    uint32_t prstatus = 0;        ///< NT_PRSTATUS notes written
    bool crashing_found = false;  ///< the first note is filled
};

/// Errors (ParamError, naming the field): CPU state data Linux calls
/// invalid (thread_size 0 or larger than `data`: no OPAL core), and those
/// of opal_cpu_regs' entry checks. Host memory: bounded by data.size().
[[nodiscard]] Result<OpalCoreNotes> opal_core_notes(std::span<const std::byte> data, uint32_t thread_size,
                                                    const OpalCoreCpus& who);

/// The vmcore's notes: one NT_PRSTATUS ("CORE", type 1, pr_reg = regs,
/// every other field 0) per CPU in `cpus`' order, then the notes of
/// `vmcoreinfo` (the bytes at the header's vmcoreinfo address, as preserved)
/// up to its first empty note, as /proc/vmcore trims them. Errors
/// (ParamError): a VMCOREINFO note that runs past its bytes or holds no
/// note at all. The result's size is bounded by the inputs':
/// PRSTATUS_NOTE_BYTES per CPU plus at most vmcoreinfo.size().
[[nodiscard]] Result<std::vector<std::byte>> vmcore_notes(std::span<const CpuRegs> cpus,
                                                          std::span<const std::byte> vmcoreinfo, bool big_endian);

/// The plan both platforms end with, once they read what the crashed
/// kernel left: the notes (vmcore_notes: `cpus`, then `vmcoreinfo`), the
/// PT_LOADs (vmcore_loads: `boot`, the guest's memory `ram` merged as
/// memblock would, NUMA or not as VMCOREINFO says, less `reserved`), the
/// page size VMCOREINFO names, and the header's byte order and crashing
/// CPU. Errors: those of vmcore_notes, memblock_ranges and vmcore_loads.
[[nodiscard]] Result<VmcorePlan> make_plan(const CrashInfo& ci, std::span<const CpuRegs> cpus,
                                           std::span<const std::byte> vmcoreinfo, std::span<const BootRegion> boot,
                                           std::span<const NodeRange> ram, const GuestRange& reserved);

}  // namespace fadump::vmcore
