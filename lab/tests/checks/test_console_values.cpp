// Console values on garbled guest output: a value, or an error naming the
// line, never an exception.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

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

TEST(CpusAtBoot, TheFirstListWhateverTheScenarioDidLater)
{
    EXPECT_EQ(lab::cpus_at_boot({"x", "FADUMP-LAB: cpus-online 0-7", "FADUMP-LAB: cpus-online 0,2"}).value, 8u);
    EXPECT_FALSE(lab::cpus_at_boot({"no list"}).value);
    EXPECT_TRUE(lab::cpus_at_boot({"no list"}).error.empty());
    const auto bad = lab::cpus_at_boot({"FADUMP-LAB: cpus-online 3-1", "FADUMP-LAB: cpus-online 0"});
    EXPECT_FALSE(bad.value);
    EXPECT_NE(bad.error.find("not a CPU list"), std::string::npos);
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

// skiboot's memory console as QEMU's pmemsave leaves it: NULs, an earlier
// boot's lines after the ring's write position, binary noise.
TEST(SkibootLog, TheNewestStampedLinesOldestFirst)
{
    std::string mem = "[    6.393834963,5] OPAL v7.1 starting...\n";
    mem += "[    7.179296297,3] STB: container NOT VERIFIED\n";
    mem += "[    7.193177279,3] IMC: IMC Catalog load failed\n";
    mem += "[    7.193300000,7] FLASH: Queueing preload of 3/200d1\n";
    mem += std::string(100, '\0');
    mem += "[    5.100000000,5] an earlier boot's line\n[    6.348440665,5] Reboot: OS reported error\n";
    mem += "\x01\x02garbage [   no stamp\n";
    mem += "[    7.2,7] " + std::string(500, 'x') + "\n";
    const auto tail = lab::skiboot_log_tail(mem, 3);
    ASSERT_EQ(tail.size(), 3u);
    EXPECT_EQ(tail[0], "[    7.193177279,3] IMC: IMC Catalog load failed");
    EXPECT_EQ(tail[1], "[    7.193300000,7] FLASH: Queueing preload of 3/200d1");
    EXPECT_EQ(tail[2].size(), 200u);
    EXPECT_EQ(lab::skiboot_log_tail(mem, 100).size(), 7u);
    EXPECT_TRUE(lab::skiboot_log_tail(std::string(4096, '\xff'), 5).empty());
    EXPECT_TRUE(lab::skiboot_log_tail("", 5).empty());
}

namespace {

// A real powernv10 console (lab/tests/data/console-powernv10): the
// reads-in-flight scenario's crash, MPIPL, capture and copy, as lines.
Lines recorded_console()
{
    std::ifstream f(std::string(FADUMP_LAB_TEST_DATA) + "/console-powernv10/reads-in-flight.log");
    Lines lines;
    for (std::string l; std::getline(f, l);) {
        lines.push_back(l);
    }
    return lines;
}

bool has(const Lines& v, const std::string& part)
{
    return std::any_of(v.begin(), v.end(), [&](const auto& l) { return l.find(part) != std::string::npos; });
}

TEST(DumpPathExcerpt, FromTheTriggerTheFirmwaresStepsAndEachBoot)
{
    const Lines console = recorded_console();
    ASSERT_GT(console.size(), 1000u);
    const Lines e = lab::dump_path_excerpt(console, 60);
    ASSERT_LE(e.size(), 60u);
    EXPECT_NE(e.front().find("FADUMP-LAB: crashing"), std::string::npos) << e.front();
    for (const char* step : {"Kernel panic - not syncing", "Performing MPIPL", "DUMP: Crashing PIR", "OPAL v7.1",
                             "Fast reboot disabled: MPIPL Boot", "Linux version",
                             "capture vmcore_size=", "FADUMP-LAB: copied", "OPAL: Shutdown request"}) {
        EXPECT_TRUE(has(e, step)) << step;
    }
    // Not the first boot's lines, nor the capture kernel's ordinary ones.
    EXPECT_FALSE(has(e, "FADUMP-LAB: boot 1 "));
    EXPECT_FALSE(has(e, "PCI: Probing slots"));
    EXPECT_TRUE(has(e, "SLW: Failed to set HRMOR"));  // skiboot's errors (level 3)
    EXPECT_EQ(e.back(), console.back());
}

// The failure CI saw once: the machine came back up without the dump. The
// excerpt names the plain boot and what skiboot said before it.
TEST(DumpPathExcerpt, APlainBootAfterTheCrashShowsWhy)
{
    Lines console = recorded_console();
    const auto mpipl = std::find_if(console.begin(), console.end(),
                                    [](const auto& l) { return l.find("Performing MPIPL") != std::string::npos; });
    ASSERT_NE(mpipl, console.end());
    console.erase(mpipl + 1, console.end());
    for (const char* l :
         {"[    7.6] [    7.2,3] hiomap_reset failed: 1",
          "[   97.5] [   97.1,3] SBE did not respond within timeout period (90 secs).",
          "[   97.5] [   97.1,3] Falling back to normal reboot", "[   98.0] [   97.9,5] OPAL v7.1 starting...",
          "[   99.1] [    0.000000] Linux version 6.12.117-fadump"}) {
        console.emplace_back(l);
        // Each boot's ordinary lines: more than the excerpt's tail.
        console.insert(console.end(), 20, "[   99.2] [    0.100000] ordinary boot output");
    }
    console.emplace_back("[  101.2] FADUMP-LAB: boot 2");
    console.emplace_back("[  101.3] FADUMP-LAB: plain boot: no dump");
    const Lines e = lab::dump_path_excerpt(console, 40);
    for (const char* step : {"Performing MPIPL", "hiomap_reset failed", "SBE did not respond",
                             "Falling back to normal reboot", "plain boot: no dump"}) {
        EXPECT_TRUE(has(e, step)) << step;
    }
}

TEST(DumpPathExcerpt, NoTriggerTheWholeConsoleAndACapWithWhatItLeftOut)
{
    Lines console;
    for (int i = 0; i < 100; ++i) {
        console.push_back("FADUMP-LAB: line " + std::to_string(i));
        console.emplace_back("ordinary output");
    }
    const Lines e = lab::dump_path_excerpt(console, 10);
    ASSERT_EQ(e.size(), 10u);
    EXPECT_EQ(e.front(), "FADUMP-LAB: line 0");
    // 100 marked lines and the last 8 (4 of them ordinary): 104 picked, 9 kept.
    EXPECT_EQ(e[5], "... 95 lines left out ...");
    EXPECT_EQ(e.back(), "ordinary output");
    EXPECT_EQ(lab::dump_path_excerpt({}, 10).size(), 0u);
    EXPECT_EQ(lab::dump_path_excerpt(console, 0).size(), 3u);
    EXPECT_EQ(lab::dump_path_excerpt({std::string(500, 'x')}, 10).front().size(), 200u);
}

}  // namespace
