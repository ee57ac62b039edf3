// What a run is, decided from its options before anything starts: the
// scenario, the platform, the guest's size and shape. Options that cannot
// make a run are refused here, with the reason (exit code 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "memory_shape.hpp"
#include "run_options.hpp"
#include "scenarios.hpp"

namespace lab {

struct CyclePlan {
    const Scenario* scenario = nullptr;  ///< from scenarios(), never null in a plan
    std::string machine;                 ///< QEMU's -M name (to_string of the run's Machine)
    bool ours = false;                   ///< our QEMU (built by scripts/build-qemu), not --qemu
    bool pnv = false;                    ///< a PowerNV machine (MPIPL), else pseries (fadump)
    bool makedumpfile = false;           ///< the makedumpfile capture, else the raw copy
    bool own_disk = false;         ///< --guest debian or --disk: a system on its own disk, its kdump-tools captures
    bool user_disk = false;        ///< --disk: the user's image (the lab's driver written into a copy)
    std::string firmware;          ///< vof, slof, or skiboot on PowerNV
    std::string smp;               ///< QEMU's -smp: the scenario's, else the run's
    std::string mem_spec;          ///< QEMU's -m: the scenario's, else the run's
    uint64_t boot_ram_bytes = 0;   ///< RAM at boot (bytes), from mem_spec
    uint64_t ram_bytes = 0;        ///< RAM at the crash: boot RAM plus what the scenario plugs in
    std::optional<unsigned> cpus;  ///< CPUs -smp starts, when it can be told
    MemoryShape memory;            ///< the run's shape, the scenario's backend when the run names none
    std::string run_name;          ///< machine-firmware[-scenario], the run directory's prefix
};

/// The plan for `opt`, or why there is none (an unknown scenario; a
/// scenario that does not run on the machine; a -m
/// that cannot be read; a memory shape QEMU refuses; hugetlb RAM the host's
/// free huge pages, read from /proc/meminfo's text `meminfo`, cannot hold;
/// RAM the host cannot commit even with reserve=off). RAM the host would
/// not commit in one mapping (host_cannot_commit with /proc/sys/vm/
/// overcommit_memory's `overcommit`) is mapped with reserve=off.
std::variant<CyclePlan, std::string> plan_cycle(const RunOptions& opt, const std::string& meminfo, int overcommit);

}  // namespace lab
