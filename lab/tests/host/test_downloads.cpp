#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "artifacts.hpp"

TEST(Downloads, ReadsWhatFetchPinnedRecorded)
{
    char name[] = "/tmp/fadump-downloads-XXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    {
        std::ofstream out(name);
        out << "linux-source-6.12:all 6.12.117-1 pinned 6.12.117-1\n"
               "busybox-static:ppc64el 1:1.37.0-7 fallback:sid/ppc64el 1:1.37.0-6+b9\n"
               "linux-source-6.12:all 6.12.117-1 pinned 6.12.117-1\n"  // recorded twice: once
               "garbled line\n"
               "a b c d e\n";
    }
    const auto d = lab::read_downloads(name);
    ::close(fd);
    std::remove(name);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0]["package"], "linux-source-6.12:all");
    EXPECT_EQ(d[0]["origin"], "pinned");
    EXPECT_EQ(d[1]["version"], "1:1.37.0-7");
    EXPECT_EQ(d[1]["origin"], "fallback:sid/ppc64el");
    EXPECT_EQ(d[1]["pinned_version"], "1:1.37.0-6+b9");
}

TEST(Downloads, MissingFileIsEmpty)
{
    EXPECT_TRUE(lab::read_downloads("/nonexistent/downloads.txt").empty());
}
