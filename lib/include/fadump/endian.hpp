// Big-endian wire integers. Guest tables (PAPR fdm, register save area, OPAL
// MDST/MDDT/MDRT) are big-endian whatever the guest's own endianness; the
// byte order lives in the type so a raw integer never holds swapped data.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

namespace fadump {

template <typename T>
[[nodiscard]] constexpr T byteswap(T v)
{
    static_assert(std::is_unsigned_v<T>);
    if constexpr (sizeof(T) == 1) {
        return v;
    } else if constexpr (sizeof(T) == 2) {
        return __builtin_bswap16(v);
    } else if constexpr (sizeof(T) == 4) {
        return __builtin_bswap32(v);
    } else {
        static_assert(sizeof(T) == 8);
        return __builtin_bswap64(v);
    }
}

/// An unsigned integer stored big-endian; trivially copyable, alignment 1 is
/// not assumed (wire structs keep natural alignment as the specs lay them out).
template <typename T>
class Be {
public:
    constexpr Be() = default;
    constexpr Be(T host) : m_raw(to_be(host)) {}  // NOLINT(google-explicit-constructor)
    [[nodiscard]] constexpr T get() const { return to_be(m_raw); }
    constexpr operator T() const { return get(); }  // NOLINT(google-explicit-constructor)
    constexpr Be& operator=(T host)
    {
        m_raw = to_be(host);
        return *this;
    }

private:
    static constexpr T to_be(T v)
    {
        if constexpr (std::endian::native == std::endian::big) {
            return v;
        } else {
            return byteswap(v);
        }
    }
    T m_raw = 0;
};

using Be16 = Be<uint16_t>;
using Be32 = Be<uint32_t>;
using Be64 = Be<uint64_t>;
static_assert(sizeof(Be16) == 2 && sizeof(Be32) == 4 && sizeof(Be64) == 8);
static_assert(std::is_trivially_copyable_v<Be64>);

/// 8-byte ASCII identifier, left-justified and zero-padded, as the big-endian
/// u64 PAPR uses for register save area identifiers ("GPR00", "CPUSTRT").
[[nodiscard]] constexpr uint64_t ascii_id(const char* s)
{
    uint64_t v = 0;
    int i = 0;
    for (; i < 8 && s[i] != '\0'; ++i) {
        v = (v << 8) | static_cast<unsigned char>(s[i]);
    }
    for (; i < 8; ++i) {
        v <<= 8;
    }
    return v;
}
static_assert(ascii_id("REGSAVE") == 0x5245475341564500ULL);
static_assert(ascii_id("CPUSTRT") == 0x4350555354525400ULL);
static_assert(ascii_id("CPUEND") == 0x435055454E440000ULL);
static_assert(ascii_id("GPR00") == 0x4750523030000000ULL);
static_assert(ascii_id("NIA") == 0x4E49410000000000ULL);

}  // namespace fadump
