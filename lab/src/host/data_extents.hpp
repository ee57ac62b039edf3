// Where a sparse file holds data: the vmcores the lab compares (the
// capture's sparse copy-out, the platform's export) are mostly holes, 1.8 GB
// of which 30-50 MB hold data, and a range that is a hole reads as zeros.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace lab {

/// [start, end) byte ranges of a file that may hold data, ascending and
/// disjoint; outside them the file is holes (zeros).
using DataExtents = std::vector<std::pair<uint64_t, uint64_t>>;

/// The data extents of the open file `fd` of `size` bytes (lseek
/// SEEK_DATA/SEEK_HOLE); the whole file as one extent from where the file
/// system cannot say (SEEK_DATA unsupported, or any error but ENXIO, "only a
/// hole is left"), so that every byte it may hold is read.
[[nodiscard]] DataExtents data_extents(int fd, uint64_t size);

/// The first offset at or after `off` that lies in an extent of `extents`
/// (`off` itself when inside one); `end` when none does before `end`.
[[nodiscard]] uint64_t next_data(const DataExtents& extents, uint64_t off, uint64_t end);

}  // namespace lab
