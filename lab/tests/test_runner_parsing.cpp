#include <gtest/gtest.h>

#include "runner.hpp"

TEST(SmpSpec, CountsCpusLikeQemu)
{
    EXPECT_EQ(lab::smp_cpus("2"), 2u);
    EXPECT_EQ(lab::smp_cpus("4,maxcpus=8"), 4u);
    EXPECT_EQ(lab::smp_cpus("cpus=3,maxcpus=4"), 3u);
    EXPECT_EQ(lab::smp_cpus("sockets=1,cores=2,threads=2"), 4u);
    EXPECT_FALSE(lab::smp_cpus("maxcpus=4"));
}

TEST(MemSpec, ParsesQemuSizes)
{
    EXPECT_EQ(lab::mem_bytes("2G"), 2ULL << 30);
    EXPECT_EQ(lab::mem_bytes("1536M"), 1536ULL << 20);
    EXPECT_EQ(lab::mem_bytes("4096"), 4096ULL << 20);
    EXPECT_FALSE(lab::mem_bytes("lots"));
}

TEST(OptionSpecs, HugeNumbersAreRejectedNotThrownOrWrapped)
{
    EXPECT_FALSE(lab::smp_cpus("99999999999999999999"));
    EXPECT_FALSE(lab::smp_cpus("cpus=4294967296"));
    EXPECT_FALSE(lab::smp_cpus("sockets=65536,cores=65536,threads=2"));
    EXPECT_FALSE(lab::mem_bytes("99999999999999999999G"));
    EXPECT_FALSE(lab::mem_bytes("17179869184G"));  // 2^64 bytes
}
