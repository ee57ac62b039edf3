// Resident memory from /proc/PID/status: this process's own, and garbled text.
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "proc_status.hpp"

TEST(ProcStatus, ResidentMemoryInBytes)
{
    const auto r = lab::parse_resident(
        "Name:\tqemu-system-ppc\nVmRSS:\t  2048 kB\nRssAnon:\t  1024 kB\nRssFile:\t 768 kB\nRssShmem:\t 256 kB\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rss, 2048u * 1024);
    EXPECT_EQ(r->anon, 1024u * 1024);
    EXPECT_EQ(r->file, 768u * 1024);
    EXPECT_EQ(r->shmem, 256u * 1024);
    EXPECT_FALSE(lab::parse_resident("Name:\tkthreadd\nState:\tS (sleeping)\n"));
    EXPECT_FALSE(lab::parse_resident("VmRSS: lots\n"));
}

TEST(ProcStatus, ThisProcessGrowsWhenItTouchesMemory)
{
    const auto before = lab::resident(getpid());
    ASSERT_TRUE(before);
    std::vector<char> touched(64 << 20, 1);
    const auto after = lab::resident(getpid());
    ASSERT_TRUE(after);
    EXPECT_GE(after->anon, before->anon + (60u << 20)) << touched[12345];
    EXPECT_FALSE(lab::resident(-1));
}
