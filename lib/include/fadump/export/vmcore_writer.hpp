// Writes the platform's own vmcore on the host (issue 23): an ELF core file
// laid out as the capture kernel's /proc/vmcore or, on PowerNV, as its OPAL
// core (vmcore/vmcore_layout.hpp CoreShape),
// its ELF header and program headers written by libelf in the crashed
// kernel's byte order, its notes and memory from host memory.
//
// The file appears whole or not at all: it is written unnamed (O_TMPFILE)
// and linked under its name only when complete, replacing an older one.
// Pages of zeros are left as holes (a sparse file reads back the same).
// Runs on any thread: it reads only host memory the caller keeps mapped.
#pragma once

#include <cstdint>
#include <span>

#include "fadump/result.hpp"
#include "fadump/vmcore/vmcore_layout.hpp"

namespace fadump::vmcore {

struct WriteStats {
    uint64_t file_bytes = 0;  ///< the file's size
    uint64_t data_bytes = 0;  ///< bytes written (the rest are holes)
    uint64_t ns = 0;          ///< wall time, including fdatasync
};

/// Writes `plan` as `name` in the directory `dirfd`, with the PT_LOADs'
/// bytes from `pieces` (host_pieces). `cancel` (may be null), read
/// atomically, stops the write when it turns non-zero (Errc::Busy), leaving
/// no file; another thread may set it. Errors (HardwareError, with
/// the failing call and errno's text): the directory refuses a file, a
/// write or the link fails; Busy: cancelled. No file is left on any error.
[[nodiscard]] Result<WriteStats> write_vmcore(int dirfd, const char* name, const VmcorePlan& plan,
                                              const FileLayout& layout, std::span<const HostPiece> pieces,
                                              const int* cancel);

}  // namespace fadump::vmcore
