#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "memory_shape.hpp"

using lab::memory_args;
using lab::MemoryArgs;
using lab::MemoryShape;

namespace {

MemoryArgs ok(const MemoryShape& s, uint64_t ram, const std::string& machine = "pseries")
{
    auto r = memory_args(s, ram, machine, "/run/dir");
    EXPECT_TRUE(std::holds_alternative<MemoryArgs>(r)) << std::get<std::string>(r);
    return std::holds_alternative<MemoryArgs>(r) ? std::get<MemoryArgs>(r) : MemoryArgs{};
}

std::string refused(const MemoryShape& s, uint64_t ram, const std::string& machine = "pseries")
{
    auto r = memory_args(s, ram, machine, "/run/dir");
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

}  // namespace

TEST(MemoryShape, MinusMAloneAddsNothing)
{
    const MemoryArgs a = ok({}, 2ULL << 30);
    EXPECT_EQ(a.machine_suffix, "");
    EXPECT_TRUE(a.args.empty());
}

TEST(MemoryShape, NumaNodesEachGetABackendAsLibvirtStartsThem)
{
    const MemoryArgs a = ok({2, ""}, 2ULL << 30);
    EXPECT_EQ(a.machine_suffix, "");
    EXPECT_EQ(a.args, (std::vector<std::string>{
                          "-object", "memory-backend-ram,id=m0,size=1024M", "-numa", "node,nodeid=0,memdev=m0",
                          "-object", "memory-backend-ram,id=m1,size=1024M", "-numa", "node,nodeid=1,memdev=m1"}));
    const MemoryArgs f = ok({4, "file"}, 2ULL << 30);
    ASSERT_EQ(f.args.size(), 16u);
    EXPECT_EQ(f.args[1], "memory-backend-file,id=m0,size=512M,share=off,mem-path=/run/dir");
}

TEST(MemoryShape, OneBackendIsTheMachines)
{
    const MemoryArgs a = ok({0, "memfd"}, 2ULL << 30, "powernv10");
    EXPECT_EQ(a.machine_suffix, ",memory-backend=ram0");
    EXPECT_EQ(a.args, (std::vector<std::string>{"-object", "memory-backend-memfd,id=ram0,size=2048M,share=on"}));
    EXPECT_EQ(ok({0, "hugetlb"}, 1ULL << 30).args[1], "memory-backend-memfd,id=ram0,size=1024M,hugetlb=on");
}

TEST(MemoryShape, WhatQemuWouldRefuseIsSaidFirst)
{
    EXPECT_NE(refused({2, ""}, 2ULL << 30, "powernv10").find("does not support NUMA"), std::string::npos);
    EXPECT_NE(refused({3, ""}, 2ULL << 30).find("do not split into 3 nodes"), std::string::npos);
    EXPECT_NE(refused({0, "tmpfs"}, 2ULL << 30).find("unknown memory backend"), std::string::npos);
}

TEST(MemoryShape, HugePagesMustHoldAllOfRam)
{
    const std::string meminfo =
        "MemTotal:       24000000 kB\nHugePages_Total:    1024\nHugePages_Free:     1000\n"
        "Hugepagesize:       2048 kB\n";
    EXPECT_EQ(lab::hugetlb_shortfall(meminfo, 1000ULL * 2 * 1024 * 1024), "");
    const std::string why = lab::hugetlb_shortfall(meminfo, 2ULL << 30);
    EXPECT_NE(why.find("1000 free huge pages of 2048 kB"), std::string::npos) << why;
    EXPECT_NE(why.find("need 1024"), std::string::npos) << why;
    EXPECT_NE(lab::hugetlb_shortfall("MemTotal: 1 kB\n", 1 << 20).find("no huge pages"), std::string::npos);
}

TEST(MemoryShape, RamTheHostWouldNotCommitIsMappedWithoutReserve)
{
    MemoryShape s;
    s.noreserve = true;
    const MemoryArgs a = ok(s, 64ULL << 30);
    EXPECT_EQ(a.machine_suffix, ",memory-backend=ram0");
    EXPECT_EQ(a.args, (std::vector<std::string>{"-object", "memory-backend-ram,id=ram0,size=65536M,reserve=off"}));
    s.numa = 2;
    s.backend = "memfd";
    EXPECT_EQ(ok(s, 64ULL << 30).args[1], "memory-backend-memfd,id=m0,size=32768M,reserve=off,share=on");
}

TEST(MemoryShape, WhatTheHostCommitsFollowsItsOvercommitMode)
{
    const std::string meminfo =
        "MemTotal:       24000000 kB\nSwapTotal:       1000000 kB\nCommitLimit:    13000000 kB\n"
        "Committed_AS:    3000000 kB\n";
    // Heuristic: more than RAM and swap in one mapping is refused.
    EXPECT_EQ(lab::host_cannot_commit(meminfo, 0, 25000000ULL * 1024), "");
    const std::string over = lab::host_cannot_commit(meminfo, 0, 25000001ULL * 1024);
    EXPECT_NE(over.find("more than the host's RAM and swap (24414 MiB)"), std::string::npos) << over;
    // Always: nothing is refused.
    EXPECT_EQ(lab::host_cannot_commit(meminfo, 1, 1ULL << 40), "");
    // Strict: CommitLimit less what is committed.
    EXPECT_EQ(lab::host_cannot_commit(meminfo, 2, 10000000ULL * 1024), "");
    const std::string strict = lab::host_cannot_commit(meminfo, 2, 10000001ULL * 1024);
    EXPECT_NE(strict.find("leaves 9765 MiB"), std::string::npos) << strict;
    // An unread meminfo leaves it to QEMU.
    EXPECT_EQ(lab::host_cannot_commit("", 0, 1ULL << 40), "");
}
