#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

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
    check_memmove(true, 0, 1 << 20, 5 << 20);        // overlapping, forward
    check_memmove(true, 2 << 20, 1 << 20, 5 << 20);  // overlapping, backward
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

// Zero-copy: pages moved with mremap where the platform and the VMM allow it.
namespace {

uint64_t host_page()
{
    return static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// How many of the pages of [p, p + len) are resident (mincore).
size_t resident_pages(std::byte* p, uint64_t len)
{
    const uint64_t page = host_page();
    auto* start = reinterpret_cast<std::byte*>(reinterpret_cast<uintptr_t>(p) / page * page);
    const uint64_t span = static_cast<uint64_t>(p + len - start);
    std::vector<unsigned char> v((span + page - 1) / page);
    EXPECT_EQ(::mincore(start, span, v.data()), 0);
    size_t n = 0;
    for (unsigned char c : v) {
        n += c & 1U;
    }
    return n;
}

struct MoveCase {
    uint64_t src, dst, len;
};

// Preserves with moves allowed; checks the destination against a copy of
// the source taken before, and returns the guest for further checks.
void expect_moved_bytes_equal(FakeGuest& g, const MoveCase& c)
{
    std::vector<std::byte> before(g.at(c.src), g.at(c.src) + c.len);
    ASSERT_EQ(preserve_range(g, GuestAddr{c.src}, GuestAddr{c.dst}, ByteLen{c.len}, MovePolicy::allow()), c.len);
    EXPECT_EQ(std::memcmp(g.at(c.dst), before.data(), c.len), 0);
}

}  // namespace

TEST(PreserveMove, MovesWholePagesAndCopiesTheEdges)
{
    const uint64_t page = host_page();
    FakeGuest g(64 << 20);
    g.movable = page;
    g.fill_pattern(0, 64 << 20, 7);
    // Source and destination congruent modulo the page, neither aligned.
    const MoveCase c{(1 << 20) + 100, (32 << 20) + 100, (8 << 20) + 1000};
    std::vector<std::byte> src_before(g.at(c.src), g.at(c.src) + c.len);
    expect_moved_bytes_equal(g, c);
    ASSERT_EQ(g.notes.size(), 1U);
    EXPECT_EQ(g.notes[0].how, "move") << g.notes[0].why;
    // The partial first and last source pages were copied: still there.
    const uint64_t head = (page - (reinterpret_cast<uintptr_t>(g.at(c.dst)) % page)) % page;
    EXPECT_EQ(std::memcmp(g.at(c.src), src_before.data(), head), 0);
    // The moved middle left the source: not resident, reads zeros.
    const uint64_t mid = (c.len - head) / page * page;
    EXPECT_EQ(resident_pages(g.at(c.src + head), mid), 0U);
    std::vector<std::byte> zeros(mid);
    EXPECT_EQ(std::memcmp(g.at(c.src + head), zeros.data(), mid), 0);
    // Both ranges were reported dirty (the source changed too).
    bool src_dirty = false;
    bool dst_dirty = false;
    for (const auto& r : g.dirty) {
        src_dirty = src_dirty || (r.start().value <= c.src + head && r.end() >= c.src + head + mid);
        dst_dirty = dst_dirty || (r.start().value <= c.dst + head && r.end() >= c.dst + head + mid);
    }
    EXPECT_TRUE(src_dirty);
    EXPECT_TRUE(dst_dirty);
}

TEST(PreserveMove, FreshDestinationPagesCostNoMemory)
{
    // The host RSS does not grow: the destination's pages are the source's.
    const uint64_t page = host_page();
    FakeGuest g(128 << 20);
    g.movable = page;
    g.fill_pattern(0, 32 << 20, 3);  // only the source is touched
    ASSERT_EQ(resident_pages(g.at(64 << 20), 32 << 20), 0U);
    expect_moved_bytes_equal(g, {0, 64 << 20, 32 << 20});
    // The source's pages moved; only the partial pages at either end (the
    // guest is not page aligned in the host) were copied into fresh ones.
    EXPECT_LE(resident_pages(g.at(0), 32 << 20) + resident_pages(g.at(64 << 20), 32 << 20), (32U << 20) / page + 4);
}

TEST(PreserveMove, CopiesWhereAMoveWouldBreakTheSemantics)
{
    const uint64_t page = host_page();
    struct Case {
        const char* name;
        MoveCase c;
        MovePolicy policy;
        uint64_t movable;
        const char* why;
    };
    const Case cases[] = {
        {"the platform needs the source", {0, 32 << 20, 4 << 20}, MovePolicy::copy("platform"), page, "platform"},
        {"the VMM does not allow it", {0, 32 << 20, 4 << 20}, MovePolicy::allow(), 0, "moves switched off"},
        {"overlap", {0, 1 << 20, 4 << 20}, MovePolicy::allow(), page, "overlap"},
        {"not congruent", {0, (32 << 20) + 8, 4 << 20}, MovePolicy::allow(), page, "congruent"},
        {"shorter than a page", {0, 32 << 20, 100}, MovePolicy::allow(), page, "shorter"},
    };
    for (const Case& k : cases) {
        FakeGuest g(64 << 20);
        g.movable = k.movable;
        g.fill_pattern(0, 64 << 20, 9);
        std::vector<std::byte> model(g.at(0), g.at(64 << 20));
        std::memmove(model.data() + k.c.dst, model.data() + k.c.src, k.c.len);
        ASSERT_EQ(preserve_range(g, GuestAddr{k.c.src}, GuestAddr{k.c.dst}, ByteLen{k.c.len}, k.policy), k.c.len);
        // memmove semantics, the source included.
        EXPECT_EQ(std::memcmp(g.at(0), model.data(), model.size()), 0) << k.name;
        ASSERT_EQ(g.notes.size(), 1U) << k.name;
        EXPECT_EQ(g.notes[0].how, "copy") << k.name;
        EXPECT_NE(g.notes[0].why.find(k.why), std::string::npos) << k.name << ": " << g.notes[0].why;
    }
}

namespace {
// A mover that refuses any range holding g_refuse, as mremap does with a
// source spanning host mappings it cannot move (before Linux 6.17).
std::byte* g_refuse = nullptr;
bool refusing_mover(std::byte* from, std::byte* to, uint64_t len)
{
    if (g_refuse >= from && g_refuse < from + len) {
        errno = EFAULT;
        return false;
    }
    return detail::move_pages(from, to, len);
}
}  // namespace

TEST(PreserveMove, PiecesMremapRefusesAreCopied)
{
    const uint64_t page = host_page();
    FakeGuest g(64 << 20);
    g.movable = page;
    g.fill_pattern(0, 64 << 20, 5);
    g_refuse = g.at(5 << 20);
    detail::set_move_pages_for_tests(refusing_mover);
    expect_moved_bytes_equal(g, {0, 32 << 20, 16 << 20});
    detail::set_move_pages_for_tests(nullptr);
    ASSERT_EQ(g.notes.size(), 1U);
    EXPECT_EQ(g.notes[0].how, "move");
    EXPECT_NE(g.notes[0].why.find("copied"), std::string::npos) << g.notes[0].why;
    // Away from the refused piece the source moved; the refused piece was copied.
    EXPECT_EQ(resident_pages(g.at(8 << 20), 4 << 20), 0U);
    EXPECT_GT(resident_pages(g.at(5 << 20), page), 0U);
}

TEST(PreserveMove, ARangeMremapRefusesWhollyIsCopied)
{
    FakeGuest g(64 << 20);
    g.movable = host_page();
    g.fill_pattern(0, 64 << 20, 6);
    detail::set_move_pages_for_tests([](std::byte*, std::byte*, uint64_t) {
        errno = EINVAL;
        return false;
    });
    std::vector<std::byte> before(g.at(0), g.at(16 << 20));
    expect_moved_bytes_equal(g, {0, 32 << 20, 16 << 20});
    detail::set_move_pages_for_tests(nullptr);
    EXPECT_EQ(std::memcmp(g.at(0), before.data(), before.size()), 0) << "a copy keeps the source";
    ASSERT_EQ(g.notes.size(), 1U);
    EXPECT_EQ(g.notes[0].how, "copy");
    EXPECT_NE(g.notes[0].why.find("mremap"), std::string::npos) << g.notes[0].why;
}

TEST(PreserveMove, ADeferredMoveLeavesTheSourceUntilItRuns)
{
    const uint64_t page = host_page();
    FakeGuest g(64 << 20);
    g.movable = page;
    g.fill_pattern(0, 64 << 20, 4);
    const MoveCase c{(1 << 20) + 100, (32 << 20) + 100, 8 << 20};
    const std::vector<std::byte> before(g.at(c.src), g.at(c.src) + c.len);
    DeferredMoves later;
    ASSERT_EQ(preserve_range(g, GuestAddr{c.src}, GuestAddr{c.dst}, ByteLen{c.len}, MovePolicy::allow(), &later),
              c.len);
    EXPECT_FALSE(later.empty());
    EXPECT_TRUE(g.notes.empty());
    // Until it runs, the source is as it was (devices may still read it).
    EXPECT_EQ(std::memcmp(g.at(c.src), before.data(), c.len), 0);
    const uint64_t pending = later.bytes();
    EXPECT_GT(pending, c.len - 2 * page);
    // The VMM quiesces its devices once, before the sources are zeroed.
    bool source_intact = false;
    g.on_before_moves = [&] { source_intact = std::memcmp(g.at(c.src), before.data(), c.len) == 0; };
    EXPECT_EQ(later.run(g), pending);
    EXPECT_EQ(g.before_moves_calls, 1);
    EXPECT_TRUE(source_intact) << "before_moves ran after a move";
    EXPECT_TRUE(later.empty());
    EXPECT_EQ(later.run(g), 0U);
    EXPECT_EQ(g.before_moves_calls, 1) << "nothing pending: no quiesce";
    EXPECT_EQ(std::memcmp(g.at(c.dst), before.data(), c.len), 0);
    ASSERT_EQ(g.notes.size(), 1U);
    EXPECT_EQ(g.notes[0].how, "move");
}

// Guest RAM in several host blocks (QEMU: one memory backend per NUMA node,
// DIMMs): every range is split where either end crosses a block boundary,
// and each piece is decided, marked dirty and reported on its own.
TEST(PreserveBlocks, ASectionAcrossBlocksIsSplitAtEveryBoundary)
{
    FakeGuest g(64 << 20);
    g.block_starts = {16 << 20, 32 << 20, 48 << 20};
    g.fill_pattern(0, 64 << 20, 3);
    // Source across the 16 MiB boundary, destination across 48 MiB.
    const MoveCase c{(12 << 20) + 100, (44 << 20) + 300, 8 << 20};
    expect_moved_bytes_equal(g, c);
    // Pieces: [src, 16M) | [16M, dst end hits 48M) | the rest.
    ASSERT_EQ(g.notes.size(), 3U);
    uint64_t covered = 0;
    for (const auto& n : g.notes) {
        const auto s = *GuestRange::make(GuestAddr{n.src}, ByteLen{n.len});
        const auto d = *GuestRange::make(GuestAddr{n.dst}, ByteLen{n.len});
        EXPECT_TRUE(g.in_one_block(s)) << std::hex << n.src << "+" << n.len;
        EXPECT_TRUE(g.in_one_block(d)) << std::hex << n.dst << "+" << n.len;
        EXPECT_EQ(n.src - c.src, n.dst - c.dst);
        EXPECT_EQ(n.src, c.src + covered);
        covered += n.len;
    }
    EXPECT_EQ(covered, c.len);
    for (const GuestRange& d : g.dirty) {
        EXPECT_TRUE(g.in_one_block(d)) << std::hex << d.start().value << "+" << d.len().bytes;
    }
}

TEST(PreserveBlocks, MovesAreDecidedPerBlock)
{
    const uint64_t page = host_page();
    FakeGuest g(64 << 20);
    g.block_starts = {32 << 20};
    g.movable = page;
    g.fill_pattern(0, 64 << 20, 9);
    const MoveCase c{(24 << 20), (40 << 20), 16 << 20};  // source spans the boundary
    expect_moved_bytes_equal(g, c);
    ASSERT_FALSE(g.movable_asked.empty());
    for (const GuestRange& r : g.movable_asked) {
        EXPECT_TRUE(g.in_one_block(r)) << std::hex << r.start().value << "+" << r.len().bytes;
    }
    ASSERT_EQ(g.notes.size(), 2U);
    EXPECT_EQ(g.notes[0].how, "move") << g.notes[0].why;
    EXPECT_EQ(g.notes[1].how, "move") << g.notes[1].why;
}

TEST(PreserveBlocks, MemoryWithoutAHostMappingIsBouncedAndTheRestStillUsesHostPointers)
{
    FakeGuest g(32 << 20);
    g.unmapped = {*GuestRange::make(GuestAddr{4 << 20}, ByteLen{2 << 20})};
    g.fill_pattern(0, 32 << 20, 5);
    const MoveCase c{(3 << 20), (16 << 20), 5 << 20};
    expect_moved_bytes_equal(g, c);
    // [3M, 4M) over host pointers, [4M, 6M) bounced a MiB at a time,
    // [6M, 8M) over host pointers again.
    ASSERT_EQ(g.notes.size(), 4U);
    EXPECT_EQ(g.notes[0].why, "FakeGuest: moves switched off");  // a memmove over host pointers
    for (const size_t i : {1, 2}) {
        EXPECT_EQ(g.notes[i].why, "no host pointers (read/write through a bounce buffer)");
        EXPECT_EQ(g.notes[i].src, (3U + i) << 20);
        EXPECT_EQ(g.notes[i].len, 1U << 20);
    }
    EXPECT_EQ(g.notes[3].why, "FakeGuest: moves switched off");
    EXPECT_EQ(g.notes[3].src, 6U << 20);
}

TEST(PreserveBlocks, OverlappingRangesAcrossBlocksKeepMemmoveSemantics)
{
    for (const bool fwd : {true, false}) {
        FakeGuest g(16 << 20);
        g.block_starts = {6 << 20};
        g.fill_pattern(0, 16 << 20, 11);
        std::vector<std::byte> model(g.at(0), g.at(16 << 20));
        const uint64_t src = fwd ? (4 << 20) : (5 << 20) + 7;
        const uint64_t dst = fwd ? (5 << 20) + 7 : (4 << 20);
        const uint64_t len = 3 << 20;
        std::memmove(model.data() + dst, model.data() + src, len);
        EXPECT_EQ(preserve_range(g, GuestAddr{src}, GuestAddr{dst}, ByteLen{len}), len);
        EXPECT_EQ(std::memcmp(g.at(0), model.data(), model.size()), 0) << fwd;
    }
}

// The move is decided at the dump but runs at the reset: whatever the VMM
// says then wins. A migration or snapshot started since (the VMM stops
// allowing moves), or a RAM block removed or resized (its host pointer
// changed or went away), turn the move into a copy of the same bytes.
TEST(PreserveMove, ADeferredMoveIsCheckedAgainWhenItRuns)
{
    const uint64_t page = host_page();
    enum class Change { no_longer_movable, block_gone };
    for (const Change change : {Change::no_longer_movable, Change::block_gone}) {
        FakeGuest g(64 << 20);
        g.movable = page;
        g.fill_pattern(0, 64 << 20, 6);
        const MoveCase c{(1 << 20) + 100, (32 << 20) + 100, 8 << 20};
        const std::vector<std::byte> before(g.at(c.src), g.at(c.src) + c.len);
        DeferredMoves later;
        ASSERT_EQ(preserve_range(g, GuestAddr{c.src}, GuestAddr{c.dst}, ByteLen{c.len}, MovePolicy::allow(), &later),
                  c.len);
        if (change == Change::no_longer_movable) {
            g.movable = 0;
        } else {
            g.give_host_ptr = false;
        }
        EXPECT_EQ(later.run(g), later.bytes());
        EXPECT_EQ(std::memcmp(g.at(c.dst), before.data(), c.len), 0);
        EXPECT_EQ(std::memcmp(g.at(c.src), before.data(), c.len), 0) << "copied: the source keeps its bytes";
        ASSERT_EQ(g.notes.size(), 1U);
        EXPECT_EQ(g.notes[0].how, "copy");
        EXPECT_EQ(g.notes[0].why, change == Change::no_longer_movable
                                      ? "FakeGuest: moves switched off"
                                      : "no host pointers (read/write through a bounce buffer)");
    }
}
