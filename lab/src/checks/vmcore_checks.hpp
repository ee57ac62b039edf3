// The offline proof of a vmcore: ELF shape, independent readers
// (libkdumpfile, readelf, gdb), and, when the engine recorded ground truth,
// registers and memory compared with what the guest had when it stopped.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crash_checks.hpp"
#include "report.hpp"

namespace lab {

struct CheckInput {
    std::string vmcore;
    std::string vmlinux;                      // with DWARF, for symbols and gdb
    std::optional<std::string> ground_truth;  // engine's JSON, when recorded
    std::optional<unsigned> expected_cpus;    // online CPUs at crash time
    /// Their logical ids, when the console said (empty: 0..expected_cpus-1).
    std::vector<unsigned> online_cpus;
    /// PowerNV: the kernel writes a note for every thread of an active core
    /// (opal-fadump.c), online or not, in PIR order; pseries only for the
    /// online CPUs (rtas-fadump.c checks the crash-time online mask).
    bool notes_per_thread = false;
    std::string scratch_dir;  // for gdb's scratch copy
    /// Memory the firmware reserved for itself on either boot
    /// ([start, end) pairs): rewritten across the reboot, not the OS's.
    std::vector<std::pair<uint64_t, uint64_t>> firmware_reserved;
    /// The crash utility (scripts/fetch-crash's wrapper): runs the crash.*
    /// checks when set; `crash_error` says why it is missing otherwise.
    std::optional<std::string> crash;
    std::string crash_error;
    std::optional<GuestFacts> guest;    // from the console log
    std::optional<uint64_t> ram_bytes;  // guest RAM (-m and what was plugged in)
    Downfall how;                       // not a sysrq panic: what to expect instead
    /// Guest-physical [start, end) of memory plugged in while the guest ran:
    /// the vmcore must cover it (vmcore.covers_hotplugged_ram); the ground
    /// truth does not.
    std::vector<std::pair<uint64_t, uint64_t>> hotplugged_ram;
};

/// Runs every check that applies and records it in `report`.
void check_vmcore(const CheckInput& in, Report& report);

/// The OPAL core (/sys/firmware/opal/mpipl/core, `in.vmcore`): ELF shape and,
/// with ground truth, every PT_LOAD page equal to skiboot's memory when the
/// vCPUs stopped.
void check_opalcore(const CheckInput& in, Report& report);

}  // namespace lab
