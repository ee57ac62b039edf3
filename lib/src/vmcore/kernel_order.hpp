// Integers in the crashed kernel's byte order (the crash info header, the
// ELF notes the capture kernel builds), which may differ from the host's.
// Internal to lib/src/vmcore.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include "fadump/endian.hpp"

namespace fadump::vmcore::detail {

/// Reads a T at `off` of `b` in the kernel's byte order; the caller has
/// checked that off + sizeof(T) lies within b.
template <typename T>
[[nodiscard]] T load(std::span<const std::byte> b, size_t off, bool big_endian)
{
    T v{};
    std::memcpy(&v, b.data() + off, sizeof v);
    const bool host_big = std::endian::native == std::endian::big;
    return big_endian == host_big ? v : byteswap(v);
}

/// Writes `v` at `off` of `b` in the kernel's byte order; the caller has
/// checked the room.
template <typename T>
void store(std::span<std::byte> b, size_t off, T v, bool big_endian)
{
    const bool host_big = std::endian::native == std::endian::big;
    const T raw = big_endian == host_big ? v : byteswap(v);
    std::memcpy(b.data() + off, &raw, sizeof raw);
}

[[nodiscard]] inline std::string hex(uint64_t v)
{
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace fadump::vmcore::detail
