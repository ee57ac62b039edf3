// qemu.rss_growth with the figures of real 64 GiB pseries cycles
// (-smp 32, makedumpfile capture, 2026-12-06).
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
    // Zero-copy: 712 -> 1131 MiB (the capture kernel's boot).
    const auto j = lab::judge_rss_growth(mib(712), mib(1131), RAM, PRESERVED);
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->ok) << j->detail;
    EXPECT_NE(j->detail.find("grew 419.0 MiB"), std::string::npos) << j->detail;
    EXPECT_NE(j->detail.find("limit 1% of 65536 MiB RAM: 655.4 MiB"), std::string::npos) << j->detail;
}

TEST(RssGrowth, ACopiedRmrFails)
{
    // --copy (x-fadump-zero-copy=off): 708 -> 4253 MiB, the 3 GiB RMR copied.
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
