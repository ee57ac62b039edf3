#include "data_extents.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace lab {

DataExtents data_extents(int fd, uint64_t size)
{
    DataExtents out;
    off_t at = 0;
    while (static_cast<uint64_t>(at) < size) {
        const off_t data = lseek(fd, at, SEEK_DATA);
        if (data < 0) {
            if (errno != ENXIO) {  // ENXIO: only a hole is left
                out.emplace_back(static_cast<uint64_t>(at), size);
            }
            break;
        }
        off_t hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0) {
            hole = static_cast<off_t>(size);
        }
        out.emplace_back(static_cast<uint64_t>(data), std::min(size, static_cast<uint64_t>(hole)));
        at = hole;
    }
    return out;
}

uint64_t next_data(const DataExtents& extents, uint64_t off, uint64_t end)
{
    // The first extent that ends after `off`.
    const auto it = std::upper_bound(extents.begin(), extents.end(), off,
                                     [](uint64_t o, const auto& extent) { return o < extent.second; });
    if (it == extents.end()) {
        return end;
    }
    return std::min(end, std::max(off, it->first));
}

}  // namespace lab
