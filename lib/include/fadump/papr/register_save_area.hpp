// The PAPR register save area ("CPU state data" section of the fdm).
//
// Layout (LoPAR appendix "Firmware Assisted Dump Data Format"), big-endian:
//   0x00 u64 magic "REGSAVE"     0x08 u32 version (0)
//   0x0C u32 NumCpusOffset (0x1C) 0x10 12 bytes padding (zero)
//   0x1C u32 NumCpus             0x20 RegEntry[] (16 bytes: u64 id, u64 value)
// Per CPU: CPUSTRT (value = logical CPU id in the low 32 bits), the registers
// of register_table(), CPUEND (same id). Linux parses it in
// arch/powerpc/platforms/pseries/rtas-fadump.c (rtas_fadump_build_cpu_notes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "fadump/endian.hpp"
#include "fadump/vcpu.hpp"

namespace fadump::papr {

struct RegSaveHeader {
    Be64 magic;            // 0x00 "REGSAVE"
    Be32 version;          // 0x08 0
    Be32 num_cpus_offset;  // 0x0C 0x1C
    uint8_t padding[12];   // 0x10 zero
    Be32 num_cpus;         // 0x1C
};
static_assert(sizeof(RegSaveHeader) == 0x20);
static_assert(offsetof(RegSaveHeader, num_cpus_offset) == 0x0C);
static_assert(offsetof(RegSaveHeader, padding) == 0x10);
static_assert(offsetof(RegSaveHeader, num_cpus) == 0x1C);

struct RegEntry {
    Be64 id;
    Be64 value;
};
static_assert(sizeof(RegEntry) == 16);

inline constexpr uint64_t REGSAVE_MAGIC = 0x5245475341564500ULL;  // "REGSAVE"
inline constexpr uint32_t REGSAVE_NUM_CPUS_OFFSET = 0x1C;

/// Entries written per CPU, brackets included.
[[nodiscard]] size_t entries_per_cpu();

/// Bytes of the register save area for `threads` CPUs: the single size used
/// by ibm,configure-kernel-dump-sizes and by the writer.
[[nodiscard]] uint64_t cpu_state_size(uint32_t threads);

/// Writes the save area for `cpus` into `out`, zero-filling every byte after
/// the last entry. Returns false (writing nothing) when `out` is smaller than
/// cpu_state_size(cpus.size()).
[[nodiscard]] bool write_register_save_area(std::span<std::byte> out, std::span<const VcpuState> cpus);

}  // namespace fadump::papr
