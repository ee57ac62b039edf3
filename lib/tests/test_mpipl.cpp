// PowerNV MPIPL: SBE stash and S0, table pairing and validation, MDRT,
// architected register data and the MPIPL boot decision.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "fadump/fadump.h"
#include "fadump/opal/mpipl.hpp"
#include "fadump/opal/thread_regs.hpp"
#include "fadump/opal/vmcore_source.hpp"
#include "fake_guest.hpp"
#include "mpipl_guest.hpp"

using namespace fadump;
using namespace fadump::opal;
using fadump::test::FakeGuest;

namespace {

using namespace fadump::test::mpipl;

struct MpiplTest : ::testing::Test {
    FakeGuest g{RAM};
    Mpipl mp{Mpipl::Config{RAM, 1}};

    void entry(uint64_t table, size_t i, uint64_t addr, uint8_t region, uint32_t size)
    {
        test::mpipl::entry(g, table, i, addr, region, size);
    }
    // What skiboot and a Linux kernel register: OPAL's own memory plus two
    // kernel boot-memory regions.
    void skiboot_like(uint32_t alloc_size = 0x80000)
    {
        entry(MDST_OFF, 0, BASE, REGION_OPAL_MEMORY, static_cast<uint32_t>(OPAL_SIZE));
        entry(MDDT_OFF, 0, OPAL_DEST, REGION_OPAL_MEMORY, static_cast<uint32_t>(OPAL_SIZE));
        entry(MDST_OFF, 1, 0, 0x80, 0x1000000);
        entry(MDDT_OFF, 1, KDEST, 0x80, 0x1000000);
        entry(MDST_OFF, 2, 0x2000000, 0x80, 0x800000);
        entry(MDDT_OFF, 2, KDEST + 0x1000000, 0x80, 0x800000);
        proc_dump_area(REGS | HRMOR_BIT, alloc_size);
        g.fill_pattern(0, 0x2800000, 11);
    }
    // skiboot's processor dump area: where the register data goes.
    void proc_dump_area(uint64_t alloc_addr, uint32_t alloc_size)
    {
        ProcDumpArea p{};
        p.alloc_addr = alloc_addr;
        p.alloc_size = alloc_size;
        g.put(BASE + PROC_DUMP_AREA_OFF, p);
    }
    std::vector<VcpuState> threads(size_t n)
    {
        std::vector<VcpuState> v(n);
        for (size_t i = 0; i < n; ++i) {
            v[i].pir = static_cast<uint32_t>(i);
            v[i].nia = 0xC000000000001000ULL + i;
            v[i].msr = 0x9000000000001033ULL;
            v[i].cr = 0x44000000 + i;
            v[i].ctr = 0xC7;
            v[i].lr = 0x1A;
            v[i].xer = 0x20000000;
            v[i].gpr[1] = 0xC0000000000F0000ULL + i;
        }
        return v;
    }
    bool start()
    {
        EXPECT_TRUE(mp.stash(0, STASH_KEY_SKIBOOT_BASE, BASE).ok());
        return mp.s0(0).ok();
    }
};

}  // namespace

TEST_F(MpiplTest, S0WithoutStashIsIgnored)
{
    const auto r = mp.s0(0);
    EXPECT_EQ(r.code(), Errc::ParamError);
    EXPECT_NE(r.error().message.find("no skiboot base"), std::string::npos);
}

TEST_F(MpiplTest, StashRejectsBasesOutsideRamAndIgnoresOtherKeys)
{
    EXPECT_EQ(mp.stash(0, STASH_KEY_SKIBOOT_BASE, RAM - 0x10000).code(), Errc::ParamError);
    EXPECT_EQ(mp.stash(0, STASH_KEY_SKIBOOT_BASE, 0).code(), Errc::ParamError);
    EXPECT_EQ(mp.stash(0, STASH_KEY_SKIBOOT_BASE, BASE + 8).code(), Errc::ParamError);
    EXPECT_EQ(mp.stash(99, STASH_KEY_SKIBOOT_BASE, BASE).code(), Errc::ParamError);
    EXPECT_TRUE(mp.stash(0, 0x01, 0xDEAD).ok());
    EXPECT_FALSE(mp.stashed_base());
    EXPECT_TRUE(mp.stash(0, STASH_KEY_SKIBOOT_BASE, BASE | HRMOR_BIT).ok());
    EXPECT_EQ(mp.stashed_base(), BASE);
}

TEST_F(MpiplTest, SecondS0DuringMpiplIsIgnored)
{
    ASSERT_TRUE(start());
    const auto r = mp.s0(0);
    EXPECT_EQ(r.code(), Errc::Busy);
    EXPECT_NE(r.error().message.find("already"), std::string::npos);
}

TEST_F(MpiplTest, FullMpipl)
{
    skiboot_like();
    std::vector<std::byte> boot(g.at(0), g.at(0x1000000));
    std::vector<std::byte> opal(g.at(BASE), g.at(BASE + OPAL_SIZE));
    ASSERT_TRUE(start());
    auto t = threads(4);
    MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_TRUE(out.mpipl_boot) << out.problems;
    EXPECT_EQ(out.ranges_ok, 3u);
    EXPECT_EQ(out.threads_saved, 4u);
    EXPECT_EQ(std::memcmp(g.at(KDEST), boot.data(), boot.size()), 0);
    EXPECT_EQ(std::memcmp(g.at(OPAL_DEST), opal.data(), opal.size()), 0);

    // MDRT records the *start* addresses of what was preserved.
    auto r0 = g.get<MdrtEntry>(BASE + MDRT_OFF);
    EXPECT_EQ(r0.src_addr.get(), BASE);
    EXPECT_EQ(r0.dest_addr.get(), OPAL_DEST);
    EXPECT_EQ(r0.data_region, REGION_OPAL_MEMORY);
    EXPECT_EQ(r0.size.get(), OPAL_SIZE);
    auto r2 = g.get<MdrtEntry>(BASE + MDRT_OFF + 2 * sizeof(MdrtEntry));
    EXPECT_EQ(r2.src_addr.get(), 0x2000000u);
    EXPECT_EQ(r2.dest_addr.get(), KDEST + 0x1000000);
    auto r3 = g.get<MdrtEntry>(BASE + MDRT_OFF + 3 * sizeof(MdrtEntry));
    EXPECT_EQ(r3.size.get(), 0u);

    // Thread data as Linux parses it: entries at offsetof(offset) + offset.
    const uint32_t ts = thread_data_size();
    for (uint32_t i = 0; i < 4; ++i) {
        const uint64_t th = REGS + i * ts;
        auto h = g.get<ThreadHeader>(th);
        EXPECT_EQ(h.pir.get(), i);
        EXPECT_NE(h.core_state, 0x0F);
        EXPECT_EQ(h.offset.get(), 0x10u);
        EXPECT_EQ(h.esize.get(), 16u);
        std::map<std::pair<uint32_t, uint32_t>, uint64_t> regs;
        for (uint32_t e = 0; e < h.ecnt.get(); ++e) {
            auto ent = g.get<ThreadRegEntry>(th + 8 + h.offset.get() + e * h.esize.get());
            regs[{ent.reg_type.get(), ent.reg_num.get()}] = ent.reg_val.get();
        }
        EXPECT_EQ((regs[{REG_TYPE_GPR, 1}]), t[i].gpr[1]);
        EXPECT_EQ((regs[{REG_TYPE_SPR, REG_ID_NIP}]), t[i].nia);
        EXPECT_EQ((regs[{REG_TYPE_SPR, REG_ID_MSR}]), t[i].msr);
        EXPECT_EQ((regs[{REG_TYPE_SPR, REG_ID_CR}]), t[i].cr);
        EXPECT_EQ((regs[{REG_TYPE_SPR, 9}]), t[i].ctr);
        EXPECT_EQ((regs[{REG_TYPE_SPR, 8}]), t[i].lr);
        EXPECT_EQ((regs[{REG_TYPE_SPR, 1}]), t[i].xer);
    }

    // The reset writes the processor dump area into the reloaded image.
    EXPECT_TRUE(mp.reset(g, 0));
    auto p = g.get<ProcDumpArea>(PROC_DUMP_AREA_OFF);
    EXPECT_EQ(p.thread_size.get(), ts);
    EXPECT_EQ(p.version, 1);
    EXPECT_EQ(p.dest_addr.get() & ~HRMOR_BIT, REGS);
    EXPECT_EQ(p.act_size.get(), 4 * ts);
    // Only once; the stash is forgotten.
    EXPECT_FALSE(mp.reset(g, 0));
    EXPECT_FALSE(mp.stashed_base());
}

TEST_F(MpiplTest, DesynchronisedTablesRefuseTheMpiplBoot)
{
    skiboot_like();
    entry(MDDT_OFF, 2, KDEST + 0x1000000, 0x80, 0x400000);  // MDDT[2] names another size
    ASSERT_TRUE(start());
    auto t = threads(2);
    MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_FALSE(out.mpipl_boot);
    EXPECT_EQ(out.ranges_failed, 1u);
    EXPECT_NE(out.problems.find("do not pair"), std::string::npos);
    EXPECT_FALSE(mp.reset(g, 0));
}

TEST_F(MpiplTest, OverlappingDestinationsAreRefused)
{
    skiboot_like();
    entry(MDDT_OFF, 2, KDEST + 0x800000, 0x80, 0x800000);  // over entry 1's destination
    ASSERT_TRUE(start());
    auto t = threads(2);
    MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_FALSE(out.mpipl_boot);
    EXPECT_NE(out.problems.find("overlaps entry 1's destination"), std::string::npos) << out.problems;
}

// A destination inside another entry's source: what a kernel whose boot
// memory passes skiboot at 768 MiB registers (skiboot's own dump area lies
// in it). The other entry is copied first, so both hold what the CPUs left.
TEST_F(MpiplTest, DestinationInAnotherSourceIsCopiedAfterIt)
{
    skiboot_like();
    entry(MDDT_OFF, 1, 0x2000000, 0x80, 0x1000000);  // onto entry 2's source
    g.fill_pattern(0x2000000, 0x800000, 99);         // unlike entry 1's bytes
    const std::vector<std::byte> src1(g.at(0), g.at(0x1000000));
    const std::vector<std::byte> src2(g.at(0x2000000), g.at(0x2800000));
    ASSERT_TRUE(start());
    auto t = threads(2);
    MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_TRUE(out.mpipl_boot) << out.problems;
    EXPECT_EQ(out.ranges_ok, 3u) << out.problems;
    EXPECT_EQ(std::memcmp(g.at(0x2000000), src1.data(), src1.size()), 0);
    EXPECT_EQ(std::memcmp(g.at(KDEST + 0x1000000), src2.data(), src2.size()), 0);  // as it was, not entry 1's bytes
    // The MDRT stays in table order.
    EXPECT_EQ(g.get<MdrtEntry>(BASE + MDRT_OFF + sizeof(MdrtEntry)).dest_addr.get(), 0x2000000u);
    EXPECT_EQ(g.get<MdrtEntry>(BASE + MDRT_OFF + 2 * sizeof(MdrtEntry)).dest_addr.get(), KDEST + 0x1000000);
}

// Two entries each writing into the other's source: no order keeps both.
TEST_F(MpiplTest, EntriesThatNeedEachOtherFirstAreRefused)
{
    skiboot_like();
    entry(MDDT_OFF, 1, 0x2000000, 0x80, 0x1000000);  // onto entry 2's source
    entry(MDDT_OFF, 2, 0x0, 0x80, 0x800000);         // onto entry 1's source
    ASSERT_TRUE(start());
    auto t = threads(2);
    MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_NE(out.problems.find("need each other first"), std::string::npos) << out.problems;
    EXPECT_EQ(out.ranges_failed, 2u) << out.problems;
    EXPECT_EQ(out.ranges_ok, 1u);  // skiboot's own entry still preserved
}

TEST_F(MpiplTest, OutOfRamRangesAreRefused)
{
    skiboot_like();
    entry(MDST_OFF, 3, RAM - 0x1000, 0x80, 0x2000);
    entry(MDDT_OFF, 3, KDEST + 0x2000000, 0x80, 0x2000);
    ASSERT_TRUE(start());
    auto t = threads(1);
    MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_FALSE(out.mpipl_boot);
    EXPECT_NE(out.problems.find("outside RAM"), std::string::npos);
}

TEST_F(MpiplTest, DestinationTheResetReloadsIsRefused)
{
    skiboot_like();
    ASSERT_TRUE(start());
    auto t = threads(1);
    const GuestRange initrd = *GuestRange::make(GuestAddr{KDEST + 0x100000}, ByteLen{0x1000});
    MpiplOutcome out = mp.dump(g, std::span(t), std::span(&initrd, 1));
    EXPECT_FALSE(out.mpipl_boot);
    EXPECT_NE(out.problems.find("reboot reloads"), std::string::npos);
}

TEST_F(MpiplTest, EveryThreadThatExistsIsSavedOrTheBootIsRefused)
{
    // cpus < maxcpus: the SBE saves every thread that exists; when skiboot
    // allocated too little, nothing is written past its area.
    skiboot_like(thread_data_size() * 2);
    ASSERT_TRUE(start());
    auto t = threads(4);
    MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_FALSE(out.mpipl_boot);
    EXPECT_EQ(out.threads_saved, 0u);
    EXPECT_NE(out.problems.find("skiboot allocated"), std::string::npos);
    EXPECT_EQ(g.get<uint64_t>(REGS), 0u);
}

// S0 with no kernel registered (op-test's SBECrash_MPIPL on a kernel
// without fadump, or a skiboot assert): skiboot's own range is preserved
// and the next boot is an MPIPL boot, whose kernel exports the OPAL core.
TEST_F(MpiplTest, OnlySkibootsOwnRangeIsStillAnMpiplBoot)
{
    entry(MDST_OFF, 0, BASE, REGION_OPAL_MEMORY, 0x1000);
    entry(MDDT_OFF, 0, OPAL_DEST, REGION_OPAL_MEMORY, 0x1000);
    g.fill_pattern(BASE, 0x1000, 7);
    const std::vector<std::byte> opal(g.at(BASE), g.at(BASE + 0x1000));
    proc_dump_area(REGS, 0x100000);
    ASSERT_TRUE(start());
    auto t = threads(1);
    const MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_TRUE(out.mpipl_boot) << out.problems;
    ASSERT_TRUE(mp.last_dump()) << "skiboot's region: the OPAL core";
    EXPECT_TRUE(mp.last_dump()->kernel.empty()) << "no kernel range: nothing for a vmcore";
    ASSERT_EQ(mp.last_dump()->opal.size(), 1u);
    EXPECT_EQ(mp.last_dump()->opal[0].dest.value, OPAL_DEST);
    EXPECT_EQ(out.ranges_ok, 1u);
    EXPECT_TRUE(out.problems.empty()) << out.problems;
    EXPECT_EQ(std::memcmp(g.at(OPAL_DEST), opal.data(), opal.size()), 0);
    EXPECT_TRUE(mp.reset(g, 0));
}

TEST_F(MpiplTest, AnEmptyMdstMeansNoMpiplBoot)
{
    proc_dump_area(REGS, 0x100000);
    ASSERT_TRUE(start());
    auto t = threads(1);
    const MpiplOutcome out = mp.dump(g, t, {});
    EXPECT_FALSE(out.mpipl_boot);
    EXPECT_NE(out.problems.find("names no range"), std::string::npos) << out.problems;
}

TEST(MpiplCApi, FwLoadAreaIsBigEndianPairs)
{
    const FadumpRange r[2] = {{0x20000000, 0x800000}, {0x28000000, 0x130000}};
    unsigned char buf[32] = {};
    size_t len = 0;
    ASSERT_EQ(fadump_mpipl_prop_fw_load_area(r, 2, buf, sizeof buf, &len), FADUMP_OK);
    ASSERT_EQ(len, 32u);
    const unsigned char expect[32] = {0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0,
                                      0, 0, 0, 0, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0x13, 0, 0};
    EXPECT_EQ(std::memcmp(buf, expect, 32), 0);
}

TEST(MpiplCApi, FwLoadAreaTooLongForTheBufferIsAnError)
{
    const FadumpRange r[2] = {{0x20000000, 0x800000}, {0x28000000, 0x130000}};
    unsigned char buf[32];
    std::memset(buf, 0xAA, sizeof buf);
    size_t len = 7;
    // One byte short: nothing is written, the length needed comes back.
    EXPECT_EQ(fadump_mpipl_prop_fw_load_area(r, 2, buf, 31, &len), FADUMP_E_TOO_SMALL);
    EXPECT_EQ(len, 32u);
    for (unsigned char c : buf) {
        EXPECT_EQ(c, 0xAA);
    }
    // A count whose byte size overflows size_t is too small for any buffer.
    EXPECT_EQ(fadump_mpipl_prop_fw_load_area(r, SIZE_MAX / 8, buf, sizeof buf, &len), FADUMP_E_TOO_SMALL);
    EXPECT_EQ(len, SIZE_MAX);
    EXPECT_EQ(fadump_mpipl_prop_fw_load_area(nullptr, 2, buf, sizeof buf, &len), FADUMP_E_INTERNAL);
    EXPECT_EQ(len, 0u);
    EXPECT_EQ(fadump_mpipl_prop_fw_load_area(r, 2, buf, sizeof buf, nullptr), FADUMP_E_INTERNAL);
}

TEST_F(MpiplTest, FirmwareRangesAreSkibootsOwn)
{
    skiboot_like();
    ASSERT_TRUE(start());
    auto t = threads(1);
    (void)mp.dump(g, t, {});
    bool regs = false;
    bool opal_src = false;
    bool opal_dst = false;
    for (const auto& r : mp.firmware_ranges()) {
        regs = regs || r.start().value == REGS;
        opal_src = opal_src || r.start().value == BASE;
        opal_dst = opal_dst || r.start().value == OPAL_DEST;
        EXPECT_NE(r.start().value, KDEST);  // kernel destinations are the OS's
    }
    EXPECT_TRUE(regs && opal_src && opal_dst);
}

// Zero-copy (preserve.hpp): with moves allowed by the VMM, kernel ranges
// move; skiboot's own range is copied (its source is read again on the
// MPIPL boot: the metadata area with the kernel's tag), as is a kernel
// range that covers another range's source or destination.
TEST_F(MpiplTest, KernelRangesMoveAndSkibootsOwnIsCopied)
{
    g.movable = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    skiboot_like();
    const std::vector<std::byte> boot(g.at(0), g.at(0x1000000));
    const std::vector<std::byte> opal(g.at(BASE), g.at(BASE + OPAL_SIZE));
    ASSERT_TRUE(start());
    auto t = threads(2);
    MpiplOutcome out = mp.dump(g, t, {});
    ASSERT_TRUE(out.mpipl_boot) << out.problems;
    EXPECT_EQ(std::memcmp(g.at(0), boot.data(), boot.size()), 0) << "moves wait for the reset";
    EXPECT_GT(mp.finish_moves(g), 0U);
    EXPECT_EQ(std::memcmp(g.at(KDEST), boot.data(), boot.size()), 0);
    EXPECT_EQ(std::memcmp(g.at(OPAL_DEST), opal.data(), opal.size()), 0);
    // skiboot's source stays (the MDRT the dump writes there aside).
    EXPECT_EQ(std::memcmp(g.at(BASE), opal.data(), MDRT_OFF), 0) << "skiboot's source must stay";
    ASSERT_EQ(g.notes.size(), 3U);
    for (const auto& n : g.notes) {
        EXPECT_EQ(n.how, n.src == BASE ? "copy" : "move") << std::hex << n.src << ": " << n.why;
    }
}

// A large guest's boot memory covers skiboot (Linux 6.12, -m 32G on
// powernv10: 0 to 1.5 GiB over skiboot at 768 MiB): only the firmware's
// piece is copied, the rest still moves; it took 3.6 s copied whole.
TEST_F(MpiplTest, AKernelRangeOverSkibootMovesAllButSkibootsPiece)
{
    g.movable = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    skiboot_like();
    constexpr uint64_t K = BASE - 0x800000;  // 8 MiB of kernel, then 8 MiB of skiboot
    entry(MDST_OFF, 1, K, 0x80, 0x1000000);
    g.fill_pattern(K, 0x800000, 13);
    const std::vector<std::byte> before(g.at(K), g.at(K + 0x1000000));
    ASSERT_TRUE(start());
    auto t = threads(2);
    MpiplOutcome out = mp.dump(g, t, {});
    ASSERT_TRUE(out.mpipl_boot) << out.problems;
    (void)mp.finish_moves(g);
    EXPECT_EQ(std::memcmp(g.at(KDEST), before.data(), before.size()), 0) << "the destination holds the whole source";
    EXPECT_EQ(std::memcmp(g.at(BASE), before.data() + 0x800000, 0x800000), 0) << "skiboot's source must stay";
    const uint64_t page = g.movable;  // FakeGuest's RAM need not start on a host page: a partial head is copied
    EXPECT_EQ(g.get<uint64_t>(K + page), 0U) << "the kernel's piece moved: its source reads zeros";
    bool moved = false;
    bool copied = false;
    for (const auto& n : g.notes) {
        if (n.src >= K && n.src < K + page) {
            moved = n.how == "move" && n.src + n.len > BASE - page && n.src + n.len <= BASE;
        }
        if (n.src == BASE && n.dst == KDEST + 0x800000) {
            copied = n.how == "copy" && n.len == 0x800000 && n.why.find("firmware data") != std::string::npos;
        }
    }
    EXPECT_TRUE(moved && copied);
}

TEST_F(MpiplTest, AKernelRangeHoldingAnotherDestinationIsCopied)
{
    g.movable = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    skiboot_like();
    entry(MDDT_OFF, 1, 0x2000000, 0x80, 0x1000000);  // onto entry 2's source
    const std::vector<std::byte> src1(g.at(0), g.at(0x1000000));
    ASSERT_TRUE(start());
    auto t = threads(2);
    MpiplOutcome out = mp.dump(g, t, {});
    ASSERT_TRUE(out.mpipl_boot) << out.problems;
    (void)mp.finish_moves(g);
    // Entry 2 (copied first) must not take entry 1's preserved bytes away.
    EXPECT_EQ(std::memcmp(g.at(0x2000000), src1.data(), src1.size()), 0);
    for (const auto& n : g.notes) {
        if (n.src == 0x2000000) {
            EXPECT_EQ(n.how, "copy") << n.why;
        }
    }
}

// The MDRT and the register data are what skiboot reads on the MPIPL boot:
// where the reset reloads an image over them, the boot is refused (no
// mpipl-boot) and nothing is written there.
namespace {
void expect_refused_over_reload(MpiplTest& f, const GuestRange& over, const char* what)
{
    f.skiboot_like();
    ASSERT_TRUE(f.start());
    auto t = f.threads(1);
    const auto before = f.g.get<uint64_t>(over.start().value);
    MpiplOutcome out = f.mp.dump(f.g, std::span(t), std::span(&over, 1));
    EXPECT_FALSE(out.mpipl_boot);
    EXPECT_NE(out.problems.find(std::string(what) + " "), std::string::npos) << out.problems;
    EXPECT_NE(out.problems.find("which the reboot reloads"), std::string::npos) << out.problems;
    EXPECT_EQ(f.g.get<uint64_t>(over.start().value), before) << "written where the reset reloads";
}
}  // namespace

TEST_F(MpiplTest, AnMdrtTheResetReloadsIsRefused)
{
    expect_refused_over_reload(*this, *GuestRange::make(GuestAddr{BASE + MDRT_OFF + 0x10}, ByteLen{0x100}), "the MDRT");
}

TEST_F(MpiplTest, RegisterDataTheResetReloadsIsRefused)
{
    expect_refused_over_reload(*this, *GuestRange::make(GuestAddr{REGS + 0x100}, ByteLen{0x100}),
                               "the register data area");
}

TEST_F(MpiplTest, TheVmcoreIsPlannedFromWhatTheDumpPreservedAsTheCaptureKernelBuildsIt)
{
    skiboot_like();
    // What a crashing 6.12 kernel left (a real crash info header, NR_CPUS
    // 64, crashing CPU 0, and its VMCOREINFO at the address the header
    // names): the header right after the boot memory's destinations.
    constexpr uint64_t BOOT_BYTES = 0x1000000 + 0x800000;
    ASSERT_TRUE(g.write(GuestAddr{KDEST + BOOT_BYTES}, test::fixture("crash-info")));
    ASSERT_TRUE(g.write(GuestAddr{0x15790000}, test::fixture("vmcoreinfo")));
    ASSERT_TRUE(start());
    const auto t = threads(4);
    ASSERT_TRUE(mp.dump(g, t, {}).mpipl_boot);
    const auto& rec = mp.last_dump();
    ASSERT_TRUE(rec);
    ASSERT_EQ(rec->kernel.size(), 2u);  // skiboot's own range is no boot memory
    EXPECT_EQ(rec->kernel[1].dest.value, KDEST + 0x1000000);
    EXPECT_EQ(rec->cpu_data.value, REGS);
    EXPECT_EQ(rec->threads, 4u);

    const vmcore::NodeRange ram{*GuestRange::make(GuestAddr{0}, ByteLen{RAM}), 0};
    auto plan = plan_vmcore(g, *rec, {&ram, 1}, 4);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->cpus, 4u);
    EXPECT_EQ(plan->crashing_cpu, 0u);
    EXPECT_EQ(plan->page_size, 65536u);
    // Boot memory from its destinations; the hole between the regions is
    // not in the vmcore; the rest of RAM in place, less the reserved area:
    // the boot memory's copy, the 0x1B0-byte header and one 64 KiB page of
    // kernel metadata.
    using vmcore::Load;
    const uint64_t ra_end = KDEST + BOOT_BYTES + 0x1B0 + 0x10000;
    ASSERT_EQ(plan->loads.size(), 4u);
    EXPECT_EQ(plan->loads[0], (Load{.paddr = 0, .bytes = 0x1000000, .from = GuestAddr{KDEST}}));
    EXPECT_EQ(plan->loads[1], (Load{.paddr = 0x2000000, .bytes = 0x800000, .from = GuestAddr{KDEST + 0x1000000}}));
    EXPECT_EQ(plan->loads[2], (Load{.paddr = 0x2800000, .bytes = KDEST - 0x2800000, .from = GuestAddr{0x2800000}}));
    EXPECT_EQ(plan->loads[3], (Load{.paddr = ra_end, .bytes = RAM - ra_end, .from = GuestAddr{ra_end}}));

    // Destinations not laid end to end are not what Linux registered.
    auto moved = *rec;
    moved.kernel[1].dest = GuestAddr{KDEST + 0x2000000};
    const auto refused = plan_vmcore(g, moved, {&ram, 1}, 4);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("right after the previous one"), std::string::npos);
    // The next S0 forgets the record.
    ASSERT_TRUE(mp.reset(g, 0));
    EXPECT_TRUE(mp.last_dump());
    ASSERT_TRUE(start());
    EXPECT_FALSE(mp.last_dump());
}

// The dump stays preserved through its MPIPL boot until skiboot clears the
// MDRT (the capture kernel released the memory) or the machine resets.
TEST_F(MpiplTest, TheDumpIsPreservedUntilReleasedOrReset)
{
    skiboot_like();
    EXPECT_FALSE(mp.dump_preserved(g)) << "no dump yet";
    ASSERT_TRUE(start());
    const auto t = threads(2);
    ASSERT_TRUE(mp.dump(g, t, {}).mpipl_boot);
    EXPECT_FALSE(mp.dump_preserved(g)) << "its MPIPL boot has not begun";
    ASSERT_TRUE(mp.reset(g, 0));
    EXPECT_TRUE(mp.dump_preserved(g));
    // OPAL_MPIPL_FREE_PRESERVED_MEMORY: skiboot zeroes the MDRT.
    const auto mdrt = g.get<std::array<std::byte, 4 * sizeof(MdrtEntry)>>(BASE + MDRT_OFF);
    std::memset(g.at(BASE + MDRT_OFF), 0, mdrt.size());
    EXPECT_FALSE(mp.dump_preserved(g)) << "released";
    g.put(BASE + MDRT_OFF, mdrt);
    EXPECT_TRUE(mp.dump_preserved(g));
    g.at(BASE + MDRT_OFF + sizeof(MdrtEntry) + 8)[0] ^= std::byte{1};  // one destination changed
    EXPECT_FALSE(mp.dump_preserved(g));
    g.put(BASE + MDRT_OFF, mdrt);
    EXPECT_FALSE(mp.reset(g, 0)) << "the capture kernel reboots";
    EXPECT_FALSE(mp.dump_preserved(g)) << "memory is the next kernel's";
    EXPECT_TRUE(mp.last_dump()) << "the record stays until the next S0";
}
