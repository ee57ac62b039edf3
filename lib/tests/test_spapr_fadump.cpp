// The ibm,configure-kernel-dump state machine and the dump itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include "fadump/papr/register_save_area.hpp"
#include "fadump/papr/spapr_fadump.hpp"
#include "fake_guest.hpp"

using namespace fadump;
using namespace fadump::papr;
using fadump::test::FakeGuest;
using fadump::test::FdmBuilder;

namespace {

constexpr uint64_t RAM = 1ULL << 30;
constexpr uint64_t FDM_ADDR = 0x100000;
constexpr uint64_t BOOT_MEM = 0x4000000;  // 64 MiB keeps the test fast
constexpr uint64_t DEST = 0x10000000;
constexpr uint64_t PARAM = 0x30000000;
constexpr uint32_t THREADS = 4;

struct Fixture : ::testing::Test {
    FakeGuest guest{RAM};
    SpaprFadump fd{SpaprFadump::Config{RAM, RAM, THREADS}};
    std::vector<std::byte> fdm_bytes;
    uint64_t rmr_dst = 0;

    FdmBuilder linux_like()
    {
        const uint64_t cpu = cpu_state_size(THREADS);
        rmr_dst = (DEST + cpu + 0xFFFF) & ~0xFFFFULL;
        FdmBuilder b;
        b.section(TYPE_CPU_STATE, 0, cpu, DEST)
            .section(TYPE_HPTE, 0, 0, DEST + cpu)
            .section(TYPE_REAL_MODE_REGION, 0, BOOT_MEM, rmr_dst)
            .section(0x0100, PARAM, 2048, PARAM);
        return b;
    }
    Errc configure(uint32_t cmd, uint64_t addr = FDM_ADDR, uint64_t len = 0)
    {
        return fd.configure(guest, cmd, GuestAddr{addr}, ByteLen{len ? len : fdm_bytes.size()}).code();
    }
    Errc register_linux_like()
    {
        fdm_bytes = linux_like().bytes();
        std::memcpy(guest.at(FDM_ADDR), fdm_bytes.data(), fdm_bytes.size());
        return configure(1);
    }
    std::vector<VcpuState> cpus(size_t n)
    {
        std::vector<VcpuState> v(n);
        for (size_t i = 0; i < n; ++i) {
            v[i].cpu_index = static_cast<uint32_t>(i);
            v[i].logical_id = static_cast<uint32_t>(i);
            v[i].nia = 0xC000000000000000ULL + i;
            v[i].lr = 0x4C52 + i;
        }
        return v;
    }
};

}  // namespace

TEST_F(Fixture, RegisterThenAlreadyRegistered)
{
    EXPECT_EQ(register_linux_like(), Errc::Success);
    EXPECT_TRUE(fd.registered());
    EXPECT_EQ(configure(1), Errc::DumpAlreadyRegistered);
}

TEST_F(Fixture, UnregisterAndRegisterAgain)
{
    ASSERT_EQ(register_linux_like(), Errc::Success);
    EXPECT_EQ(configure(2), Errc::Success);
    EXPECT_FALSE(fd.registered());
    EXPECT_EQ(configure(1), Errc::Success);
}

TEST_F(Fixture, InvalidateWithoutActiveDumpKeepsTheRegistration)
{
    ASSERT_EQ(register_linux_like(), Errc::Success);
    EXPECT_EQ(configure(3), Errc::ParamError);
    EXPECT_TRUE(fd.registered());
}

TEST_F(Fixture, UnknownCommandIsAParameterError)
{
    EXPECT_EQ(configure(0), Errc::ParamError);
    EXPECT_EQ(configure(4), Errc::ParamError);
    EXPECT_EQ(configure(0xFFFFFFFF), Errc::ParamError);
}

TEST_F(Fixture, HostileRegistrationLeavesNoState)
{
    auto b = linux_like();
    b.sections[2].destination_address = DEST;  // over the CPU area
    fdm_bytes = b.bytes();
    std::memcpy(guest.at(FDM_ADDR), fdm_bytes.data(), fdm_bytes.size());
    EXPECT_EQ(configure(1), Errc::ParamError);
    EXPECT_FALSE(fd.registered());
}

TEST_F(Fixture, OsTermWithoutRegistrationDoesNotDump)
{
    EXPECT_FALSE(fd.begin_dump());
    EXPECT_FALSE(fd.dump_active());
}

TEST_F(Fixture, FullDumpCycle)
{
    ASSERT_EQ(register_linux_like(), Errc::Success);
    guest.fill_pattern(0, BOOT_MEM, 7);
    guest.fill_pattern(PARAM, 2048, 9);
    std::vector<std::byte> boot_before(guest.at(0), guest.at(BOOT_MEM));

    ASSERT_TRUE(fd.begin_dump());
    EXPECT_EQ(configure(1), Errc::Busy);
    auto v = cpus(2);
    DumpOutcome out = fd.dump(guest, v);
    EXPECT_TRUE(out.problems.empty()) << out.problems;
    EXPECT_EQ(out.sections_ok, 4u);
    EXPECT_EQ(out.cpus_saved, 2u);
    EXPECT_EQ(out.bytes_preserved, cpu_state_size(THREADS) + BOOT_MEM + 2048);
    EXPECT_TRUE(fd.dump_active());

    // Boot memory copied to the destination byte for byte.
    EXPECT_EQ(std::memcmp(guest.at(rmr_dst), boot_before.data(), BOOT_MEM), 0);
    // Register save area at the CPU destination.
    EXPECT_EQ(guest.get<Be64>(DEST).get(), REGSAVE_MAGIC);
    EXPECT_EQ(guest.get<Be32>(DEST + 0x1C).get(), 2u);

    // ibm,kernel-dump: status and per-section results, everything else as registered.
    auto prop = fd.prop_kernel_dump();
    ASSERT_TRUE(prop);
    ASSERT_EQ(prop->size(), fdm_bytes.size());
    FdmHeader h;
    std::memcpy(&h, prop->data(), sizeof h);
    EXPECT_EQ(h.dump_status_flags.get(), STATUS_DUMP_PERFORMED | STATUS_DUMP_TRIGGERED);
    for (int i = 0; i < 4; ++i) {
        FdmSection s;
        std::memcpy(&s, prop->data() + 0x28 + i * 0x28, sizeof s);
        EXPECT_EQ(s.error_flags.get(), 0);
        EXPECT_EQ(s.bytes_dumped.get(), s.source_length.get()) << i;
        FdmSection orig;
        std::memcpy(&orig, fdm_bytes.data() + 0x28 + i * 0x28, sizeof orig);
        EXPECT_EQ(s.source_address.get(), orig.source_address.get());
        EXPECT_EQ(s.destination_address.get(), orig.destination_address.get());
    }
    // The reboot must stay below the lowest destination.
    EXPECT_EQ(fd.reboot_limit(), BOOT_MEM);

    // The dump reboot keeps the dump; commands then see it active.
    EXPECT_TRUE(fd.reset());
    EXPECT_TRUE(fd.dump_active());
    EXPECT_EQ(configure(1), Errc::DumpActive);
    EXPECT_EQ(configure(2), Errc::DumpActive);
    // A later reset (e.g. system_reset in the capture kernel) keeps it too.
    EXPECT_FALSE(fd.reset());
    EXPECT_TRUE(fd.dump_active());
    EXPECT_EQ(configure(3), Errc::Success);
    EXPECT_FALSE(fd.dump_active());
    EXPECT_FALSE(fd.prop_kernel_dump());
    EXPECT_EQ(fd.reboot_limit(), 0u);
    // The old fdm sat in boot memory, which the test overwrote: register anew.
    EXPECT_EQ(register_linux_like(), Errc::Success);
}

TEST_F(Fixture, OtherResetsDropTheRegistration)
{
    ASSERT_EQ(register_linux_like(), Errc::Success);
    EXPECT_FALSE(fd.reset());
    EXPECT_FALSE(fd.registered());
    EXPECT_FALSE(fd.begin_dump());
}

TEST_F(Fixture, DumpWithoutHostPointersMatches)
{
    ASSERT_EQ(register_linux_like(), Errc::Success);
    guest.fill_pattern(0, BOOT_MEM, 3);
    guest.give_host_ptr = false;
    ASSERT_TRUE(fd.begin_dump());
    auto v = cpus(3);
    DumpOutcome out = fd.dump(guest, v);
    EXPECT_TRUE(out.problems.empty()) << out.problems;
    EXPECT_EQ(std::memcmp(guest.at(rmr_dst), guest.at(0), BOOT_MEM), 0);
    std::vector<std::byte> expect(cpu_state_size(THREADS));
    ASSERT_TRUE(write_register_save_area(expect, v));
    EXPECT_EQ(std::memcmp(guest.at(DEST), expect.data(), expect.size()), 0);
}

TEST_F(Fixture, FailedSectionIsFlaggedAndCounted)
{
    ASSERT_EQ(register_linux_like(), Errc::Success);
    guest.give_host_ptr = false;
    guest.fail_at = BOOT_MEM / 2;  // boot memory unreadable half way
    ASSERT_TRUE(fd.begin_dump());
    auto v = cpus(2);
    DumpOutcome out = fd.dump(guest, v);
    EXPECT_EQ(out.sections_failed, 1u);
    auto prop = fd.prop_kernel_dump();
    ASSERT_TRUE(prop);
    FdmHeader h;
    std::memcpy(&h, prop->data(), sizeof h);
    EXPECT_EQ(h.dump_status_flags.get(), STATUS_DUMP_PERFORMED | STATUS_DUMP_TRIGGERED | STATUS_DUMP_ERROR);
    FdmSection s;
    std::memcpy(&s, prop->data() + 0x28 + 2 * 0x28, sizeof s);
    EXPECT_EQ(s.error_flags.get(), ERR_INVALID_SOURCE);
    EXPECT_LT(s.bytes_dumped.get(), BOOT_MEM);
    EXPECT_EQ(s.bytes_dumped.get() % (1 << 20), 0u);
}

TEST_F(Fixture, MoreCpusThanAdvertisedIsDestinationTooSmall)
{
    ASSERT_EQ(register_linux_like(), Errc::Success);
    ASSERT_TRUE(fd.begin_dump());
    auto v = cpus(THREADS + 1);
    DumpOutcome out = fd.dump(guest, v);
    EXPECT_EQ(out.sections_failed, 1u);
    auto prop = fd.prop_kernel_dump();
    FdmSection s;
    std::memcpy(&s, prop->data() + 0x28, sizeof s);
    EXPECT_EQ(s.error_flags.get(), ERR_DESTINATION_TOO_SMALL);
    EXPECT_EQ(s.bytes_dumped.get(), 0u);
}

TEST(SpaprProperties, GoldenBytes)
{
    SpaprFadump fd(SpaprFadump::Config{1ULL << 30, 1ULL << 30, 8});
    const uint64_t cpu = cpu_state_size(8);
    auto sizes = fd.prop_sizes();
    ASSERT_EQ(sizes.size(), 24u);
    const unsigned char head[8] = {0, 0, 0, 1, 0, 0, 0, 0};
    EXPECT_EQ(std::memcmp(sizes.data(), head, 8), 0);
    Be32 lo;
    std::memcpy(&lo, sizes.data() + 8, 4);
    EXPECT_EQ(lo.get(), cpu);
    const unsigned char hpte[12] = {0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(std::memcmp(sizes.data() + 12, hpte, 12), 0);
    auto ver = fd.prop_version();
    const unsigned char v11[4] = {0, 1, 0, 1};
    ASSERT_EQ(ver.size(), 4u);
    EXPECT_EQ(std::memcmp(ver.data(), v11, 4), 0);
    EXPECT_FALSE(fd.prop_kernel_dump());
}

// Hash-MMU guests: the HPT's size is advertised, an HPTE section may ask for
// up to that much, and the dump copies the platform's HPT there (LoPAR; the
// capture kernel rejects a section whose bytes_dumped differs from its length).
TEST_F(Fixture, TheHashPageTableIsAdvertisedAndDumped)
{
    constexpr uint64_t HPT = 0x40000;
    auto be32 = [](const std::vector<std::byte>& v, size_t i) {
        return (uint32_t(v[4 * i]) << 24) | (uint32_t(v[4 * i + 1]) << 16) | (uint32_t(v[4 * i + 2]) << 8) |
               uint32_t(v[4 * i + 3]);
    };
    EXPECT_EQ(be32(fd.prop_sizes(), 5), 0u);  // radix (or none): 0
    fd.set_hpt_size(HPT);
    const auto sizes = fd.prop_sizes();
    EXPECT_EQ(be32(sizes, 3), TYPE_HPTE);
    EXPECT_EQ((uint64_t{be32(sizes, 4)} << 32) | be32(sizes, 5), HPT);
    const uint64_t cpu = cpu_state_size(THREADS);
    const uint64_t hpte_dst = DEST + cpu;
    auto build = [&](uint64_t hpte_len) {
        FdmBuilder b;
        b.section(TYPE_CPU_STATE, 0, cpu, DEST)
            .section(TYPE_HPTE, 0, hpte_len, hpte_dst)
            .section(TYPE_REAL_MODE_REGION, 0, BOOT_MEM, DEST + 0x1000000);
        fdm_bytes = b.bytes();
        std::memcpy(guest.at(FDM_ADDR), fdm_bytes.data(), fdm_bytes.size());
    };
    build(HPT + 0x1000);
    EXPECT_EQ(configure(1), Errc::ParamError);  // more than advertised
    build(HPT);
    ASSERT_EQ(configure(1), Errc::Success);
    std::vector<std::byte> hpt(HPT);
    for (size_t i = 0; i < hpt.size(); ++i) {
        hpt[i] = static_cast<std::byte>((i * 7 + 3) & 0xFF);
    }
    ASSERT_TRUE(fd.begin_dump());
    const auto out = fd.dump(guest, cpus(THREADS), hpt);
    EXPECT_TRUE(out.problems.empty()) << out.problems;
    EXPECT_EQ(std::memcmp(guest.at(hpte_dst), hpt.data(), HPT), 0);
    const auto kd = fd.prop_kernel_dump();
    ASSERT_TRUE(kd);
    FdmSection s{};
    std::memcpy(&s, kd->data() + sizeof(FdmHeader) + sizeof(FdmSection), sizeof s);
    EXPECT_EQ(s.bytes_dumped.get(), HPT);
    EXPECT_EQ(s.error_flags.get(), 0);
}

TEST_F(Fixture, AnHptSmallerThanRegisteredIsDumpedAsFarAsItGoesAndFlagged)
{
    constexpr uint64_t HPT = 0x40000;
    fd.set_hpt_size(HPT);
    const uint64_t cpu = cpu_state_size(THREADS);
    FdmBuilder b;
    b.section(TYPE_CPU_STATE, 0, cpu, DEST)
        .section(TYPE_HPTE, 0, HPT, DEST + cpu)
        .section(TYPE_REAL_MODE_REGION, 0, BOOT_MEM, DEST + 0x1000000);
    fdm_bytes = b.bytes();
    std::memcpy(guest.at(FDM_ADDR), fdm_bytes.data(), fdm_bytes.size());
    ASSERT_EQ(configure(1), Errc::Success);
    ASSERT_TRUE(fd.begin_dump());
    const std::vector<std::byte> hpt(HPT / 2, std::byte{0x5A});  // the HPT shrank since
    const auto out = fd.dump(guest, cpus(THREADS), hpt);
    EXPECT_EQ(out.sections_failed, 1u);
    FdmSection s{};
    std::memcpy(&s, fd.prop_kernel_dump()->data() + sizeof(FdmHeader) + sizeof(FdmSection), sizeof s);
    EXPECT_EQ(s.bytes_dumped.get(), HPT / 2);
    EXPECT_EQ(s.error_flags.get(), ERR_LENGTH_EXCEEDS_SOURCE);
}

// Zero-copy (preserve.hpp): with moves allowed by the VMM, the RMR moves
// (the dump-active boot reuses it); an OS-defined area is copied, and the
// RMR too when another section keeps memory in place inside it.
TEST_F(Fixture, TheRmrMovesAndOsDefinedAreasAreCopied)
{
    guest.movable = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    ASSERT_EQ(register_linux_like(), Errc::Success);
    guest.fill_pattern(0, BOOT_MEM, 7);
    const std::vector<std::byte> boot_before(guest.at(0), guest.at(BOOT_MEM));
    ASSERT_TRUE(fd.begin_dump());
    auto v = cpus(2);
    DumpOutcome out = fd.dump(guest, v);
    EXPECT_TRUE(out.problems.empty()) << out.problems;
    // The move waits for the reset: until then the RMR is intact.
    EXPECT_EQ(std::memcmp(guest.at(0), boot_before.data(), BOOT_MEM), 0);
    EXPECT_GT(fd.finish_moves(guest), 0U);
    EXPECT_EQ(std::memcmp(guest.at(rmr_dst), boot_before.data(), BOOT_MEM), 0);
    bool rmr_moved = false;
    for (const auto& n : guest.notes) {
        // The whole pages of the RMR (the partial edges were copied).
        rmr_moved = rmr_moved || (n.how == "move" && n.dst - n.src == rmr_dst && n.len > BOOT_MEM - 0x10000);
    }
    EXPECT_TRUE(rmr_moved);
}

TEST_F(Fixture, AnAreaCopiedOutOfTheRmrKeepsTheRmrCopied)
{
    guest.movable = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t cpu = cpu_state_size(THREADS);
    rmr_dst = (DEST + cpu + 0xFFFF) & ~0xFFFFULL;
    FdmBuilder b;
    b.section(TYPE_CPU_STATE, 0, cpu, DEST)
        .section(TYPE_REAL_MODE_REGION, 0, BOOT_MEM, rmr_dst)
        .section(0x0100, 0x200000, 2048, PARAM);  // copied after the RMR, from inside it
    fdm_bytes = b.bytes();
    std::memcpy(guest.at(FDM_ADDR), fdm_bytes.data(), fdm_bytes.size());
    ASSERT_EQ(configure(1), Errc::Success);
    guest.fill_pattern(0, BOOT_MEM, 7);
    const std::vector<std::byte> param(guest.at(0x200000), guest.at(0x200000 + 2048));
    ASSERT_TRUE(fd.begin_dump());
    auto v = cpus(2);
    DumpOutcome out = fd.dump(guest, v);
    EXPECT_TRUE(out.problems.empty()) << out.problems;
    EXPECT_EQ(fd.finish_moves(guest), 0U);
    EXPECT_EQ(std::memcmp(guest.at(PARAM), param.data(), param.size()), 0) << "the area must be preserved as it was";
    for (const auto& n : guest.notes) {
        EXPECT_EQ(n.how, "copy") << std::hex << n.src << ": " << n.why;
    }
}
