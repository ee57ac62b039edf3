// What Linux says about a process's memory (/proc/PID/status, proc(5)):
// the lab and the benchmarks read QEMU's resident memory before and after
// a dump.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace lab {

/// Resident memory in bytes: VmRSS, and its parts RssAnon (private
/// anonymous: -m and memory-backend-ram), RssFile (file-backed) and
/// RssShmem (memfd and shared backends).
struct Resident {
    uint64_t rss = 0;
    uint64_t anon = 0;
    uint64_t file = 0;
    uint64_t shmem = 0;
};

/// The resident memory a /proc/PID/status text gives ("VmRSS:  123 kB"),
/// or nullopt when it has no VmRSS line (a kernel thread, garbled text).
std::optional<Resident> parse_resident(const std::string& status);

/// `pid`'s resident memory, or nullopt when it is gone.
std::optional<Resident> resident(pid_t pid);

}  // namespace lab
