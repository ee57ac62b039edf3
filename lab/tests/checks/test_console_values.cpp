// Console values on garbled guest output: a value, or an error naming the
// line, never an exception.
#include <gtest/gtest.h>

#include "console_values.hpp"

namespace {

using Lines = std::vector<std::string>;

TEST(ParseU64, WholeNumbersOnly)
{
    EXPECT_EQ(lab::parse_u64("123"), 123u);
    EXPECT_EQ(lab::parse_u64("ff", 16), 255u);
    EXPECT_EQ(lab::parse_u64("18446744073709551615"), UINT64_MAX);
    for (const char* bad : {"", "?", "-1", "+1", " 1", "1 ", "12x", "18446744073709551616", "0x10"}) {
        EXPECT_FALSE(lab::parse_u64(bad)) << bad;
    }
}

TEST(LastValue, TheLastOneWinsAndGarbageIsAnError)
{
    const auto v = lab::last_value({"FADUMP-LAB: capture vmcore_size=10", "x vmcore_size=42 more"}, "vmcore_size=");
    EXPECT_EQ(v.value, 42u);
    EXPECT_TRUE(v.error.empty());
    const auto none = lab::last_value({"nothing"}, "vmcore_size=");
    EXPECT_FALSE(none.value);
    EXPECT_TRUE(none.error.empty());
    for (const char* bad : {"vmcore_size=", "vmcore_size=?", "vmcore_size=-5", "vmcore_size=99999999999999999999999",
                            "vmcore_size=0x10"}) {
        const auto g = lab::last_value({std::string("FADUMP-LAB: capture ") + bad}, "vmcore_size=");
        EXPECT_FALSE(g.value) << bad;
        EXPECT_NE(g.error.find("not a decimal number"), std::string::npos) << bad;
    }
}

TEST(CpusOnline, ListsAndGarbage)
{
    EXPECT_EQ(lab::cpus_online({"FADUMP-LAB: cpus-online 0-3,6"}).value, 5u);
    EXPECT_EQ(lab::cpus_online({"FADUMP-LAB: cpus-online 0"}).value, 1u);
    // The set the first kernel went down with, not the boot's nor the
    // capture kernel's.
    EXPECT_EQ(lab::cpus_online({"FADUMP-LAB: cpus-online 0-3", "FADUMP-LAB: cpus-online 0,2", "FADUMP-LAB: crashing",
                                "FADUMP-LAB: cpus-online 0-3"})
                  .value,
              2u);
    EXPECT_EQ(lab::cpus_online({"FADUMP-LAB: cpus-online 0-1", "FADUMP-LAB: cpus-online 0-2", "FADUMP-LAB: hanging",
                                "FADUMP-LAB: cpus-online 0"})
                  .value,
              3u);
    EXPECT_FALSE(lab::cpus_online({"no list"}).value);
    EXPECT_TRUE(lab::cpus_online({"no list"}).error.empty());
    for (const char* bad : {"0-zz", "", "3-1", "0-99999999999999999999", "0-4294967295", ",", "0,,1", "-", "0-"}) {
        const auto v = lab::cpus_online({std::string("FADUMP-LAB: cpus-online ") + bad});
        EXPECT_FALSE(v.value) << bad;
        EXPECT_NE(v.error.find("not a CPU list"), std::string::npos) << bad;
    }
}

TEST(ReservedRanges, PairsAndGarbage)
{
    const std::string tag = "FADUMP-LAB: reserved-ranges ";
    const auto v = lab::reserved_ranges({tag + "0000000030000000"
                                               "0000000001000000",
                                         tag});
    ASSERT_TRUE(v.value);
    ASSERT_EQ(v.value->size(), 1u);
    EXPECT_EQ((*v.value)[0], std::make_pair(uint64_t{0x30000000}, uint64_t{0x31000000}));
    for (const std::string bad : {"00", "zzzzzzzzzzzzzzzz0000000000000001", "ffffffffffffffff0000000000000002",
                                  "000000003000000-0000000001000000"}) {
        const auto g = lab::reserved_ranges({tag + bad});
        EXPECT_FALSE(g.value) << bad;
        EXPECT_FALSE(g.error.empty()) << bad;
    }
}

TEST(ReservedNames, TheLastList)
{
    EXPECT_EQ(lab::reserved_names({"FADUMP-LAB: reserved-names a b", "FADUMP-LAB: reserved-names c"}), "c");
    EXPECT_EQ(lab::reserved_names({}), "");
}

}  // namespace
