#include <gtest/gtest.h>

#include "fadump/preserve.hpp"
#include "fake_guest.hpp"

using namespace fadump;
using fadump::test::FakeGuest;

namespace {

void check_memmove(bool host, uint64_t src, uint64_t dst, uint64_t len)
{
    FakeGuest g(16 << 20);
    g.give_host_ptr = host;
    g.fill_pattern(0, 16 << 20, 1);
    std::vector<std::byte> model(g.at(0), g.at(16 << 20));
    std::memmove(model.data() + dst, model.data() + src, len);
    EXPECT_EQ(preserve_range(g, GuestAddr{src}, GuestAddr{dst}, ByteLen{len}), len);
    EXPECT_EQ(std::memcmp(g.at(0), model.data(), model.size()), 0) << host << " " << src << "->" << dst;
}

}  // namespace

TEST(Preserve, MemmoveSemanticsWithHostPointers)
{
    check_memmove(true, 0, 8 << 20, 3 << 20);
    check_memmove(true, 0, 1 << 20, 5 << 20);   // overlapping, forward
    check_memmove(true, 2 << 20, 1 << 20, 5 << 20);   // overlapping, backward
}

TEST(Preserve, MemmoveSemanticsThroughTheBounceBuffer)
{
    check_memmove(false, 0, 8 << 20, (3 << 20) + 17);
    check_memmove(false, 0, (1 << 20) + 5, 5 << 20);
    check_memmove(false, (2 << 20) + 3, 1 << 20, 5 << 20);
}

TEST(Preserve, SameSourceAndDestinationIsANoOp)
{
    FakeGuest g(1 << 20);
    EXPECT_EQ(preserve_range(g, GuestAddr{4096}, GuestAddr{4096}, ByteLen{8192}), 8192u);
    EXPECT_TRUE(g.dirty.empty());
}

TEST(Preserve, MarksDestinationDirty)
{
    FakeGuest g(1 << 20);
    ASSERT_EQ(preserve_range(g, GuestAddr{0}, GuestAddr{0x80000}, ByteLen{0x1000}), 0x1000u);
    ASSERT_EQ(g.dirty.size(), 1u);
    EXPECT_EQ(g.dirty[0].start().value, 0x80000u);
    EXPECT_EQ(g.dirty[0].len().bytes, 0x1000u);
}

TEST(Preserve, ReportsPartialCopies)
{
    FakeGuest g(8 << 20);
    g.give_host_ptr = false;
    g.fail_at = (2 << 20) + 10;
    EXPECT_EQ(preserve_range(g, GuestAddr{0}, GuestAddr{4 << 20}, ByteLen{3 << 20}), 2u << 20);
    EXPECT_EQ(preserve_range(g, GuestAddr{UINT64_MAX - 1}, GuestAddr{0}, ByteLen{16}), 0u);
}
