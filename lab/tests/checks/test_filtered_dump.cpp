// The makedumpfile capture's judgements against real output: crash 8.0.6's
// kmem -p (trimmed to the first 512 frames, every mapped frame and the
// struct-page area) and kmem -F of a -d 31 dump of a pseries fadump,
// makedumpfile's dmesg and logs (1.7.6 of trixie, 1.7.8 of sid) and the
// console lines of that run (data/makedumpfile-pseries), and the same
// mutated the ways a wrong filtered dump would differ.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "crash_checks.hpp"
#include "filtered_dump.hpp"
#include "makedumpfile_capture.hpp"

namespace {

constexpr uint64_t PAGE = 64 << 10;

std::string data(const std::string& name)
{
    std::ifstream f(std::string(FADUMP_LAB_TEST_DATA) + "/makedumpfile-pseries/" + name);
    EXPECT_TRUE(f) << name;
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

lab::GuestFacts facts()
{
    std::vector<std::string> lines;
    std::istringstream in(data("console.log"));
    for (std::string l; std::getline(in, l);) {
        lines.push_back(l);
    }
    return lab::guest_facts(lines);
}

lab::PageClasses classes()
{
    return {data("crash-kmem_p.txt"), data("crash-kmem_F.txt"), PAGE};
}

// Every frame crash listed: left out when -d 31 allows it, kept otherwise
// (what a correct makedumpfile does).
std::vector<lab::PageVerdict> correct_dump(const lab::PageClasses& c)
{
    std::vector<lab::PageVerdict> v;
    for (const auto& p : lab::parse_kmem_p(data("crash-kmem_p.txt"))) {
        v.push_back({p.phys, !c.reason(p.phys).has_value(), false, true});
    }
    return v;
}

lab::PageVerdict& frame(std::vector<lab::PageVerdict>& v, uint64_t phys)
{
    for (auto& p : v) {
        if (p.phys == phys) {
            return p;
        }
    }
    ADD_FAILURE() << "no frame " << phys;
    return v.front();
}

TEST(KmemParsers, ReadCrashsKmemPAndFreeLists)
{
    const auto pages = lab::parse_kmem_p(data("crash-kmem_p.txt"));
    ASSERT_EQ(pages.size(), 725u);  // the header is not a page
    EXPECT_EQ(pages[0].page, 0xc00000007f780000u);
    EXPECT_EQ(pages[0].phys, 0u);
    EXPECT_EQ(pages[0].flags, "reserved");
    const auto free = lab::parse_kmem_free(data("crash-kmem_F.txt"));
    EXPECT_EQ(free.size(), 120u);
    EXPECT_EQ(free.front(), (std::pair<uint64_t, unsigned>{0xc00000007f7c1928u, 0}));
    EXPECT_TRUE(lab::parse_kmem_p("PAGE PHYSICAL\nnot a page line\n").empty());
    EXPECT_TRUE(lab::parse_kmem_free("c00000007f7c1df8\n").empty());  // a block with no AREA before it
}

TEST(PageClasses, TellFreeUserCacheAndKernelPages)
{
    const auto c = classes();
    EXPECT_EQ(c.frames(), 725u);
    EXPECT_GT(c.free_pages(), 0u);
    EXPECT_EQ(c.reason(0x1400000), lab::LeftOut::Free);  // a free block's first page
    EXPECT_EQ(c.reason(0xe60000), lab::LeftOut::User);   // anonymous, on the LRU
    EXPECT_EQ(c.reason(0xec0000), lab::LeftOut::User);   // anonymous, off the LRU
    EXPECT_EQ(c.reason(0x790000), lab::LeftOut::Cache);  // shmem/ramfs page cache, on the LRU
    EXPECT_EQ(c.reason(0x2000000), std::nullopt);        // slab: mapping set, not on the LRU
    EXPECT_EQ(c.reason(0x520000), std::nullopt);         // no flags, no mapping
    EXPECT_EQ(c.reason(0xdead0000), std::nullopt);       // a frame crash did not list
    // Kernel 7.2 read by crash 9.0.2: a compound page's tail (an idle task's
    // stack) shows "mapping" ffffffff and flags locked,writeback; it is
    // neither anonymous nor page cache.
    const lab::PageClasses tail(
        "      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS\n"
        "c00c000000007c40  2380000 5deadbeef0000122        0  0 40 head\n"
        "c00c000000007c78  2390000         ffffffff        0  0 3 locked,writeback\n"
        "c00c000000007cb0  23a0000 c000000002f51249        0  0 20828 uptodate,lru,owner_2,swapbacked\n",
        "", PAGE);
    EXPECT_EQ(tail.reason(0x2390000), std::nullopt);
    EXPECT_EQ(tail.reason(0x23a0000), lab::LeftOut::User);
    EXPECT_TRUE(c.reserved(0));
    EXPECT_FALSE(c.reserved(0x790000));
}

TEST(JudgeLeftOut, PassesWhatMinus31MayDropAndFailsTheRest)
{
    const auto c = classes();
    auto v = correct_dump(c);
    const auto ok = lab::judge_left_out(v, c);
    EXPECT_TRUE(ok.ok) << ok.detail;

    // A zero page may go whatever it is; outside /proc/vmcore is no loss.
    frame(v, 0x520000) = {0x520000, false, true, true};
    frame(v, 0x530000) = {0x530000, false, false, false};
    EXPECT_TRUE(lab::judge_left_out(v, c).ok);

    // A slab page with data left out: crash would lose kernel objects.
    auto slab = v;
    frame(slab, 0x2000000).kept = false;
    const auto j = lab::judge_left_out(slab, c);
    EXPECT_FALSE(j.ok);
    EXPECT_NE(j.detail.find("must keep"), std::string::npos) << j.detail;
    EXPECT_NE(j.detail.find("0x2000000"), std::string::npos) << j.detail;

    // The kernel image (PG_reserved) left out.
    auto image = v;
    frame(image, 0x10000).kept = false;
    const auto k = lab::judge_left_out(image, c);
    EXPECT_FALSE(k.ok);
    EXPECT_NE(k.detail.find("PG_reserved"), std::string::npos) << k.detail;

    // Nothing kept at all.
    std::vector<lab::PageVerdict> none = v;
    for (auto& p : none) {
        p.kept = false;
        p.zero = true;
    }
    EXPECT_FALSE(lab::judge_left_out(none, c).ok);
}

TEST(JudgeFreeLeftOut, FailsWhenMakedumpfileKeepsFreePages)
{
    const auto c = classes();
    auto v = correct_dump(c);
    const auto ok = lab::judge_free_left_out(v, c);
    EXPECT_TRUE(ok.ok) << ok.detail;
    // A zero free page written as the shared zero page is fine.
    frame(v, 0x1400000) = {0x1400000, true, true, true};
    EXPECT_TRUE(lab::judge_free_left_out(v, c).ok);
    // What makedumpfile 1.7.6 does on 6.12: free pages with data kept.
    frame(v, 0x1400000).zero = false;
    const auto j = lab::judge_free_left_out(v, c);
    EXPECT_FALSE(j.ok);
    EXPECT_NE(j.detail.find("did not recognise"), std::string::npos) << j.detail;
    // No free page known: nothing proves -d 16.
    const lab::PageClasses no_free(data("crash-kmem_p.txt"), "", PAGE);
    EXPECT_FALSE(lab::judge_free_left_out(correct_dump(no_free), no_free).ok);
}

TEST(JudgeLeftOut, TheDumpLevelDecidesWhatMayGo)
{
    const auto c = classes();
    // -d 1 (zero pages only): the pages -d 31 drops must be kept...
    auto v = correct_dump(c);
    const auto j = lab::judge_left_out(v, c, lab::DL_ZERO);
    EXPECT_FALSE(j.ok);
    EXPECT_NE(j.detail.find("-d 1 must keep"), std::string::npos) << j.detail;
    // ...and a dump that kept everything but zero pages passes at -d 1.
    for (auto& p : v) {
        p.kept = true;
    }
    frame(v, 0x520000) = {0x520000, false, true, true};
    EXPECT_TRUE(lab::judge_left_out(v, c, lab::DL_ZERO).ok);
    // -d 0 keeps even zero pages.
    EXPECT_FALSE(lab::judge_left_out(v, c, 0).ok);
}

// A kdump-compressed header with `level` in its sub-header, in either
// byte order, with block size `block`.
std::string kdump_file(uint32_t level, bool le, uint32_t block = 4096, uint32_t version = 6)
{
    std::string f(block + 64, '\0');
    f.replace(0, 8, "KDUMP   ");
    const auto put = [&](size_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            f[at + (le ? i : 3 - i)] = static_cast<char>((v >> (8 * i)) & 0xff);
        }
    };
    put(8, version);
    put(428, block);
    if (block + 12 <= f.size()) {
        put(block + 8, level);
    }
    return f;
}

std::string write_temp(const std::string& name, const std::string& bytes)
{
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

TEST(KdumpDumpLevel, ReadsTheSubHeaderInTheFilesByteOrder)
{
    EXPECT_EQ(lab::kdump_dump_level(write_temp("le31", kdump_file(31, true))), 31U);
    EXPECT_EQ(lab::kdump_dump_level(write_temp("be1", kdump_file(1, false))), 1U);
    EXPECT_EQ(lab::kdump_dump_level(write_temp("le0-64k", kdump_file(0, true, 65536))), 0U);
    // Hostile or other files: no level, never a read past what is checked.
    EXPECT_EQ(lab::kdump_dump_level(write_temp("lvl32", kdump_file(32, true))), std::nullopt);
    EXPECT_EQ(lab::kdump_dump_level(write_temp("block3000", kdump_file(1, true, 3000))), std::nullopt);
    EXPECT_EQ(lab::kdump_dump_level(write_temp("block0", kdump_file(1, true, 0))), std::nullopt);
    EXPECT_EQ(lab::kdump_dump_level(write_temp("block2g", kdump_file(1, true, 1U << 31))), std::nullopt);
    EXPECT_EQ(lab::kdump_dump_level(write_temp("version0", kdump_file(1, true, 4096, 0))), std::nullopt);
    auto cut = kdump_file(1, true);
    cut.resize(4100);
    EXPECT_EQ(lab::kdump_dump_level(write_temp("cut", cut)), std::nullopt);
    auto elf = kdump_file(1, true);
    elf.replace(0, 8,
                "\x7f"
                "ELF\2\1\1\0");
    EXPECT_EQ(lab::kdump_dump_level(write_temp("elf", elf)), std::nullopt);
    EXPECT_EQ(lab::kdump_dump_level(write_temp("short", "KDUMP   ")), std::nullopt);
}

TEST(JudgeDmesg, FindsThePanicLineAndItsCaller)
{
    const auto f = facts();
    ASSERT_TRUE(f.panic_line);
    const std::string dmesg = data("vmcore-dmesg.txt");
    const auto ok = lab::judge_dmesg(dmesg, f);
    EXPECT_TRUE(ok.ok) << ok.detail;
    EXPECT_NE(ok.detail.find("T63"), std::string::npos) << ok.detail;
    // Without the caller field (a kernel without CONFIG_PRINTK_CALLER).
    EXPECT_TRUE(lab::judge_dmesg(*f.panic_line + "\n", f).ok);

    std::string other = dmesg;
    other.replace(other.find("[     T63] Kernel panic"), 10, "[     T64]");
    const auto j = lab::judge_dmesg(other, f);
    EXPECT_FALSE(j.ok);
    EXPECT_NE(j.detail.find("not the crasher"), std::string::npos) << j.detail;

    std::string later = dmesg;
    later.replace(later.find("1.875891"), 8, "1.875892");
    EXPECT_FALSE(lab::judge_dmesg(later, f).ok);
    EXPECT_FALSE(lab::judge_dmesg("", f).ok);
    EXPECT_FALSE(lab::judge_dmesg(dmesg, lab::GuestFacts{}).ok);
}

// makedumpfile --dump-dmesg of a powernv10 dump the SBE's S0 started (no
// panic): the lab's kernel line, printed by /init (caller T1).
TEST(JudgeDmesg, AfterS0FindsTheLabsLine)
{
    std::ifstream in(std::string(FADUMP_LAB_TEST_DATA) + "/makedumpfile-powernv10-sbe-s0/vmcore-dmesg.txt");
    const std::string dmesg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(dmesg.empty());
    lab::GuestFacts f;
    f.s0_line = "[    1.790198] fadump-lab: raising S0 on chips 00000000";
    const lab::Downfall s0{.firmware_initiated = true};
    const auto ok = lab::judge_dmesg(dmesg, f, s0);
    EXPECT_TRUE(ok.ok) << ok.detail;
    // As a panic it fails; a shifted stamp fails; no such console line fails.
    EXPECT_FALSE(lab::judge_dmesg(dmesg, f).ok);
    auto shifted = f;
    (*shifted.s0_line)[12] = (*shifted.s0_line)[12] == '8' ? '9' : '8';
    EXPECT_FALSE(lab::judge_dmesg(dmesg, shifted, s0).ok);
    EXPECT_FALSE(lab::judge_dmesg(dmesg, lab::GuestFacts{}, s0).ok);
}

TEST(MakedumpfileWarnings, NameTheUnsupportedKernel)
{
    const auto old = lab::makedumpfile_warnings(data("makedumpfile-1.7.6-l.log"));
    ASSERT_FALSE(old.empty());
    EXPECT_EQ(old[0], "The kernel version is not supported.");
    EXPECT_TRUE(lab::makedumpfile_warnings(data("makedumpfile-1.7.8-l.log")).empty());
}

}  // namespace
