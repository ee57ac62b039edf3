#include <gtest/gtest.h>

#include "fadump/endian.hpp"
#include "fadump/types.hpp"

using namespace fadump;

TEST(CheckedMath, AddAndMulDetectOverflow)
{
    EXPECT_EQ(checked_add(1, 2), 3u);
    EXPECT_FALSE(checked_add(UINT64_MAX, 1));
    EXPECT_EQ(checked_mul(1ULL << 32, 1ULL << 31), 1ULL << 63);
    EXPECT_FALSE(checked_mul(1ULL << 32, 1ULL << 32));
}

TEST(GuestRange, RejectsWrappingRanges)
{
    EXPECT_FALSE(GuestRange::make(GuestAddr{UINT64_MAX}, ByteLen{2}));
    auto r = GuestRange::make(GuestAddr{UINT64_MAX - 1}, ByteLen{1});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->end(), UINT64_MAX);
}

TEST(GuestRange, OverlapAndContainment)
{
    auto a = *GuestRange::make(GuestAddr{0x1000}, ByteLen{0x1000});
    auto b = *GuestRange::make(GuestAddr{0x1FFF}, ByteLen{1});
    auto c = *GuestRange::make(GuestAddr{0x2000}, ByteLen{0x10});
    auto empty = *GuestRange::make(GuestAddr{0x1800}, ByteLen{0});
    EXPECT_TRUE(a.overlaps(b));
    EXPECT_FALSE(a.overlaps(c));
    EXPECT_FALSE(a.overlaps(empty));
    EXPECT_TRUE(a.contains(b));
    EXPECT_FALSE(a.contains(c));
}

TEST(Endian, BigEndianStorage)
{
    Be32 v(0x01020304);
    const auto* p = reinterpret_cast<const unsigned char*>(&v);
    EXPECT_EQ(p[0], 0x01);
    EXPECT_EQ(p[3], 0x04);
    EXPECT_EQ(v.get(), 0x01020304u);
    Be16 w(0x8000);
    EXPECT_EQ(reinterpret_cast<const unsigned char*>(&w)[0], 0x80);
}

TEST(Endian, AsciiIdentifiers)
{
    EXPECT_EQ(ascii_id("DSISR"), 0x4453495352000000ULL);
    EXPECT_EQ(ascii_id("FPSCR"), 0x4650534352000000ULL);
    EXPECT_EQ(ascii_id("PIR"), 0x5049520000000000ULL);
}
