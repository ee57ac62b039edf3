// Strong types for guest physical addresses and lengths, with checked math.
//
// GuestAddr is a guest *physical* (real) address in bytes; ByteLen is a length
// in bytes. Both are host-endian values: big-endian wire data is converted by
// the Be<> types in endian.hpp before it becomes one of these.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

namespace fadump {

/// a + b, or nullopt on unsigned 64-bit overflow.
[[nodiscard]] constexpr std::optional<uint64_t> checked_add(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

/// a * b, or nullopt on unsigned 64-bit overflow.
[[nodiscard]] constexpr std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

/// A length in bytes.
struct ByteLen {
    uint64_t bytes = 0;
    constexpr auto operator<=>(const ByteLen&) const = default;
};

/// A guest physical address (bytes from the start of the guest's real address space).
struct GuestAddr {
    uint64_t value = 0;
    constexpr auto operator<=>(const GuestAddr&) const = default;
    /// this + len, or nullopt when it would wrap.
    [[nodiscard]] constexpr std::optional<GuestAddr> checked_add(ByteLen len) const
    {
        auto r = fadump::checked_add(value, len.bytes);
        if (!r) {
            return std::nullopt;
        }
        return GuestAddr{*r};
    }
};

/// A half-open range [start, start + len) of guest physical memory whose end
/// is known not to overflow (construct through GuestRange::make).
class GuestRange {
public:
    constexpr GuestRange() = default;
    /// nullopt when start + len overflows 64 bits.
    [[nodiscard]] static constexpr std::optional<GuestRange> make(GuestAddr start, ByteLen len)
    {
        if (!start.checked_add(len)) {
            return std::nullopt;
        }
        GuestRange r;
        r.m_start = start;
        r.m_len = len;
        return r;
    }
    [[nodiscard]] constexpr GuestAddr start() const { return m_start; }
    [[nodiscard]] constexpr ByteLen len() const { return m_len; }
    /// One past the last byte; never overflows by construction.
    [[nodiscard]] constexpr uint64_t end() const { return m_start.value + m_len.bytes; }
    [[nodiscard]] constexpr bool empty() const { return m_len.bytes == 0; }
    /// True when the two ranges share at least one byte.
    [[nodiscard]] constexpr bool overlaps(const GuestRange& o) const
    {
        return !empty() && !o.empty() && m_start.value < o.end() && o.m_start.value < end();
    }
    /// True when `o` lies entirely inside this range.
    [[nodiscard]] constexpr bool contains(const GuestRange& o) const
    {
        return o.m_start.value >= m_start.value && o.end() <= end();
    }
    constexpr bool operator==(const GuestRange&) const = default;

private:
    GuestAddr m_start{};
    ByteLen m_len{};
};

}  // namespace fadump
