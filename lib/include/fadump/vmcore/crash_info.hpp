// The crashed kernel's crash info header, read on the host (issue 23: the
// platform's own vmcore, built from what it preserved).
//
// Layout: Linux arch/powerpc/include/asm/fadump-internal.h
// `struct fadump_crash_info_header`, version 1 (Linux 6.x), in the crashed
// kernel's own byte order (unlike the firmware tables, which are
// big-endian):
//   0x000 u64 magic_number     "FADMPSIG" (0x4641444D50534947)
//   0x008 u32 version          1
//   0x00C u32 crashing_cpu     logical CPU (pseries) or PIR (OPAL);
//                              0xFFFFFFFF: not known
//   0x010 u64 vmcoreinfo_raddr guest physical address of the VMCOREINFO ELF
//                              note (paddr_vmcoreinfo_note())
//   0x018 u64 vmcoreinfo_size  its bytes: VMCOREINFO_NOTE_SIZE, the note's
//                              head and name (36 bytes) and one page of text
//   0x020 u32 pt_regs_sz       sizeof(struct pt_regs) = 384 on ppc64
//   0x024 u32 cpu_mask_sz      sizeof(struct cpumask) = NR_CPUS / 8
//   0x028     pt_regs          the crashing CPU's registers (48 u64)
//   0x1A8     cpu_mask         CPUs online at the crash, a bitmap of u64s
// The kernel writes it at fadumphdr_addr (pseries: the RMR's destination
// plus the boot memory size, arch/powerpc/kernel/fadump.c) before it calls
// ibm,os-term; the capture kernel refuses the dump unless the magic, the
// version and both sizes match (SPEC.md 1.7).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fadump/guest_memory.hpp"
#include "fadump/result.hpp"
#include "fadump/types.hpp"

namespace fadump::vmcore {

/// Bytes of the header before its CPU mask (0x1A8).
inline constexpr size_t CRASH_INFO_FIXED_BYTES = 0x1A8;
/// sizeof(struct pt_regs) on ppc64: 48 u64 words.
inline constexpr uint32_t CRASH_INFO_PT_REGS_BYTES = 384;
/// The largest CPU mask taken: NR_CPUS = 8192, Kconfig's ppc64 maximum.
inline constexpr uint32_t CRASH_INFO_MAX_CPU_MASK_BYTES = 8192 / 8;
/// The largest VMCOREINFO note taken: Linux's VMCOREINFO_NOTE_SIZE, two
/// 12-byte note heads and the 12-byte name "VMCOREINFO" (36 bytes) around
/// VMCOREINFO_BYTES, one page (64 KiB at most on ppc64). A real 64 KiB-page
/// kernel writes exactly this (lib/tests/data/*.crash-info).
inline constexpr uint64_t CRASH_INFO_MAX_VMCOREINFO_BYTES = uint64_t{64} * 1024 + 36;
/// Bytes of the largest header the kernel writes.
inline constexpr size_t CRASH_INFO_MAX_BYTES = CRASH_INFO_FIXED_BYTES + CRASH_INFO_MAX_CPU_MASK_BYTES;
/// crashing_cpu when the kernel did not know it.
inline constexpr uint32_t CRASH_INFO_CPU_UNKNOWN = 0xFFFFFFFF;

/// A validated header, in host byte order.
struct CrashInfo {
    bool big_endian = false;          ///< the crashed kernel's byte order
    uint32_t crashing_cpu = 0;        ///< or CRASH_INFO_CPU_UNKNOWN
    GuestRange vmcoreinfo;            ///< the VMCOREINFO note, inside RAM, 1 byte to 64 KiB + 36
    std::array<uint64_t, 48> regs{};  ///< pt_regs words: gpr0-31, nip, msr, orig_gpr3, ctr, link, xer, ccr, ...
    uint32_t cpu_mask_bytes = 0;      ///< the kernel's sizeof(struct cpumask)
    /// CPUs online at the crash: bit n of u64 word n / 64 (the kernel's
    /// unsigned longs, in host order); only cpu_mask_bytes / 8 words used.
    std::array<uint64_t, CRASH_INFO_MAX_CPU_MASK_BYTES / 8> cpu_mask{};
    uint32_t online_cpus = 0;  ///< bits set in the mask
    /// Whether CPU `cpu` was online at the crash.
    [[nodiscard]] bool online(uint32_t cpu) const
    {
        return cpu / 64 < cpu_mask_bytes / 8 && ((cpu_mask[cpu / 64] >> (cpu % 64)) & 1U) != 0;
    }
};

/// Reads and validates the header in `bytes` (copied from guest memory at
/// fadumphdr_addr; at least CRASH_INFO_FIXED_BYTES plus its CPU mask),
/// against the guest's RAM `ram` (guest physical addresses).
///
/// Errors (Errc::ParamError, the message naming the field): fewer bytes
/// than the header says; a magic that is neither "FADMPSIG" in either byte
/// order ("FADMPINF": a kernel older than version 1); a version other than
/// 1; pt_regs_sz other than 384; cpu_mask_sz 0, not a multiple of 8 or over
/// 1024; vmcoreinfo_size 0 or over 64 KiB + 36; VMCOREINFO not inside `ram`
/// (wrapping included). crashing_cpu is kept as written (a logical CPU on
/// pseries, a PIR on OPAL: the mask cannot judge it). Reads nothing outside
/// `bytes`, allocates nothing.
Result<CrashInfo> parse_crash_info(std::span<const std::byte> bytes, const GuestRange& ram);

/// Reads guest memory [addr, addr + out.size()) for the vmcore; Errc::HardwareError
/// ("vmcore: cannot read the <what>") when the VMM cannot.
[[nodiscard]] Result<void> read_dump_bytes(GuestMemory& mem, uint64_t addr, std::span<std::byte> out, const char* what);

/// Reads the header the crashed kernel left at guest physical `at` (at most
/// CRASH_INFO_MAX_BYTES, never past RAM's end) and parses it
/// (parse_crash_info). Errors: ParamError for an address past RAM and each
/// of parse_crash_info's; HardwareError from read_dump_bytes.
[[nodiscard]] Result<CrashInfo> read_crash_info(GuestMemory& mem, GuestAddr at);

/// The VMCOREINFO note `ci` names, read from guest memory (at most
/// CRASH_INFO_MAX_VMCOREINFO_BYTES: parse_crash_info bounded it).
/// Errors: HardwareError from read_dump_bytes.
[[nodiscard]] Result<std::vector<std::byte>> read_vmcoreinfo(GuestMemory& mem, const CrashInfo& ci);

}  // namespace fadump::vmcore
