// The OPAL core through an independent reader. The crash utility reads
// Linux kernel dumps only (it needs the kernel's symbols and structures);
// the OPAL core (/sys/firmware/opal/mpipl/core, built by the capture
// kernel's arch/powerpc/platforms/powernv/opal-core.c) is skiboot's memory
// and one NT_PRSTATUS per thread, the thread's PIR + 100 as its pid. gdb
// reads it as a big-endian core file without any symbols: the registers
// it shows for each thread must be the ones the thread had when the vCPUs
// stopped (the engine's ground truth).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "crash_checks.hpp"
#include "fadump/ground_truth.hpp"
#include "report.hpp"

namespace lab {

/// gdb's `thread apply all info registers pc lr r1` output: per thread's
/// LWP (pid), the registers by name.
std::map<uint64_t, std::map<std::string, uint64_t>> parse_gdb_thread_registers(const std::string& text);

/// opalcore.gdb_registers: one gdb thread per ground-truth CPU (pid = PIR +
/// 100) and no other, each with the CPU's pc (NIP), lr and r1.
Judgement judge_opalcore_registers(const std::map<uint64_t, std::map<std::string, uint64_t>>& threads,
                                   const fadump::GroundTruthDoc& truth);

/// Runs gdb-multiarch on `opalcore` (output to `out_dir`/gdb-opalcore.txt)
/// and records opalcore.gdb_registers.
void check_opalcore_gdb(const std::string& opalcore, const fadump::GroundTruthDoc& truth, const std::string& out_dir,
                        Report& report);

}  // namespace lab
