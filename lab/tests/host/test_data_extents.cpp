// The hole map of a sparse file: a real sparse file, the search for the
// next data, and a descriptor whose holes cannot be asked about (read whole).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "data_extents.hpp"

namespace {

bool covered(const lab::DataExtents& e, uint64_t off)
{
    return lab::next_data(e, off, UINT64_MAX) == off;
}

}  // namespace

TEST(DataExtents, NextDataSkipsHolesAndStopsAtTheEnd)
{
    const lab::DataExtents e = {{0x1000, 0x2000}, {0x8000, 0x9000}};
    EXPECT_EQ(lab::next_data(e, 0, 0x10000), 0x1000u);        // before the first
    EXPECT_EQ(lab::next_data(e, 0x1800, 0x10000), 0x1800u);   // inside
    EXPECT_EQ(lab::next_data(e, 0x2000, 0x10000), 0x8000u);   // an extent's end is a hole
    EXPECT_EQ(lab::next_data(e, 0x9000, 0x10000), 0x10000u);  // after the last
    EXPECT_EQ(lab::next_data(e, 0x2000, 0x4000), 0x4000u);    // the next data lies past `end`
    EXPECT_EQ(lab::next_data({}, 0, 77), 77u);
}

TEST(DataExtents, ASparseFileHasItsWrittenBytesInExtentsAndItsHolesOutside)
{
    char tmpl[] = "/tmp/data-extents-XXXXXX";
    const int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    const std::string path = tmpl;
    constexpr uint64_t SIZE = 8ULL << 20;
    const std::string data(4096, 'x');
    ASSERT_EQ(pwrite(fd, data.data(), data.size(), 0), 4096);
    ASSERT_EQ(pwrite(fd, data.data(), data.size(), 4 << 20), 4096);
    ASSERT_EQ(ftruncate(fd, SIZE), 0);
    const lab::DataExtents e = lab::data_extents(fd, SIZE);
    ::close(fd);
    std::filesystem::remove(path);
    ASSERT_FALSE(e.empty());
    for (uint64_t off : {uint64_t{0}, uint64_t{4095}, uint64_t{4} << 20, (uint64_t{4} << 20) + 4095}) {
        EXPECT_TRUE(covered(e, off)) << off;
    }
    if (e.size() == 1 && e.front() == std::pair<uint64_t, uint64_t>{0, SIZE}) {
        GTEST_SKIP() << "the temporary directory's file system keeps no holes";
    }
    EXPECT_FALSE(covered(e, 2 << 20));
    EXPECT_FALSE(covered(e, SIZE - 1));
}

// A descriptor lseek refuses (ESPIPE here; EINVAL on a file system without
// SEEK_DATA): every byte may hold data, none is skipped as a hole.
TEST(DataExtents, WhereHolesCannotBeAskedTheWholeFileIsData)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    const lab::DataExtents e = lab::data_extents(p[0], 100);
    ::close(p[0]);
    ::close(p[1]);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e.front(), (std::pair<uint64_t, uint64_t>{0, 100}));
}
