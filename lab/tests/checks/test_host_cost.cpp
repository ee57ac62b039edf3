// qemu.rss_growth with the figures of real cycles (makedumpfile capture,
// 2026-12-06): pseries -m 64G -smp 32, powernv10 -m 32G on two chips.
#include <gtest/gtest.h>

#include "host_cost.hpp"

namespace {

lab::Resident mib(uint64_t m)
{
    return {.rss = m << 20, .anon = m << 20};
}

constexpr uint64_t RAM = 64ULL << 30;
constexpr uint64_t PRESERVED = 3221389856;

}  // namespace

TEST(RssGrowth, ZeroCopyDumpOfAPartitionStaysUnderOnePercent)
{
    // pseries, zero-copy: 718 -> 904 MiB at the capture kernel's first line.
    const auto j = lab::judge_rss_growth(mib(718), mib(904), RAM, PRESERVED);
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->ok) << j->detail;
    EXPECT_NE(j->detail.find("grew 186.0 MiB"), std::string::npos) << j->detail;
    EXPECT_NE(j->detail.find("limit 1% of 65536 MiB RAM: 655.4 MiB"), std::string::npos) << j->detail;
    // powernv10 -m 32G: 1640 -> 1898 MiB at skiboot's banner (110 MiB of
    // skiboot's pieces copied); the capture kernel's 1431 MiB after that
    // (its linear map's page tables) are not the dump's.
    EXPECT_TRUE(lab::judge_rss_growth(mib(1640), mib(1898), 32ULL << 30, 1648623616)->ok);
    EXPECT_FALSE(lab::judge_rss_growth(mib(1640), mib(1640 + 1431 + 258), 32ULL << 30, 1648623616)->ok);
}

TEST(RssGrowth, ACopiedRmrFails)
{
    // --copy (x-fadump-zero-copy=off), the zero-copy gate taken out to see
    // it fail: 708 -> 4253 MiB by /proc/vmcore ready, the 3 GiB RMR copied.
    const auto j = lab::judge_rss_growth(mib(708), mib(4253), RAM, PRESERVED);
    ASSERT_TRUE(j);
    EXPECT_FALSE(j->ok) << j->detail;
}

TEST(RssGrowth, SmallGuestsAreNotJudged)
{
    EXPECT_FALSE(lab::judge_rss_growth(mib(300), mib(600), 2ULL << 30, 1ULL << 28));
    // Shrinking is fine.
    EXPECT_TRUE(lab::judge_rss_growth(mib(900), mib(800), RAM, PRESERVED)->ok);
}
