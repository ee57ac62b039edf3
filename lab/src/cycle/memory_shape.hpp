// How the lab makes the guest's RAM (fadump-lab run --numa N
// --memory-backend KIND): QEMU's -m alone, or memory backends the way
// libvirt configures them (one per NUMA node, or the machine's through
// -machine memory-backend=).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace lab {

struct MemoryShape {
    unsigned numa = 0;    ///< NUMA nodes (0: none), RAM split evenly, a backend each
    std::string backend;  ///< "" (-m alone), ram, memfd, file, hugetlb
    /// Map RAM without reserving swap space (reserve=off, MAP_NORESERVE):
    /// the host cannot commit all of it (host_cannot_commit) though TCG
    /// touches only what the guest uses. Without a backend: a
    /// memory-backend-ram, as -m cannot say it.
    bool noreserve = false;
};

/// What QEMU gets for a shape: appended to -M's value, and more arguments.
struct MemoryArgs {
    std::string machine_suffix;
    std::vector<std::string> args;
};

/// Backends the lab knows: ram (memory-backend-ram), memfd
/// (memory-backend-memfd, share=on), file (memory-backend-file on an
/// unlinked file in `dir`, share=off), hugetlb (memory-backend-memfd with
/// hugetlb=on: the host's default huge pages must hold all of RAM).
const std::vector<std::string>& memory_backends();

/// QEMU's arguments for `shape` with `ram_bytes` of boot RAM on `machine`,
/// or why it cannot be (NUMA on PowerNV, which QEMU refuses; RAM that does
/// not split into whole MiB per node; an unknown backend).
std::variant<MemoryArgs, std::string> memory_args(const MemoryShape& shape, uint64_t ram_bytes,
                                                  const std::string& machine, const std::string& dir);

/// Why the host refuses to commit `ram_bytes` of private RAM in one
/// mapping, from /proc/meminfo's text `meminfo` and
/// /proc/sys/vm/overcommit_memory's value `overcommit`, or "" when it
/// commits it. Heuristic overcommit (0) refuses a mapping larger than the
/// host's RAM and swap (Linux mm/util.c __vm_enough_memory); strict (2)
/// refuses past CommitLimit, and MAP_NORESERVE does not help there; 1 never
/// refuses.
std::string host_cannot_commit(const std::string& meminfo, int overcommit, uint64_t ram_bytes);

/// Why the host cannot back `ram_bytes` with huge pages (free huge pages
/// from /proc/meminfo's text `meminfo`), or "" when it can.
std::string hugetlb_shortfall(const std::string& meminfo, uint64_t ram_bytes);

}  // namespace lab
