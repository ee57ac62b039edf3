// The pseries engine's state across a migration or snapshot: what one engine
// saves another takes, and nothing else (papr/migration_state.hpp).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "fadump/fadump.h"
#include "fadump/papr/migration_state.hpp"
#include "fadump/papr/register_save_area.hpp"
#include "fadump/papr/spapr_fadump.hpp"
#include "fake_guest.hpp"

using namespace fadump;
using namespace fadump::papr;
using fadump::test::FakeGuest;
using fadump::test::FdmBuilder;

namespace {

constexpr uint64_t RAM = 512ULL << 20;
constexpr uint64_t FDM_ADDR = 0x100000;
constexpr uint64_t BOOT_MEM = 0x1000000;
constexpr uint64_t DEST = 0x10000000;
constexpr uint32_t THREADS = 2;

struct Migration : ::testing::Test {
    FakeGuest guest{RAM};
    SpaprFadump source{SpaprFadump::Config{RAM, RAM, THREADS}};
    SpaprFadump dest{SpaprFadump::Config{RAM, RAM, THREADS}};
    std::vector<std::byte> fdm;

    void SetUp() override
    {
        const uint64_t cpu = cpu_state_size(THREADS);
        FdmBuilder b;
        b.section(TYPE_CPU_STATE, 0, cpu, DEST)
            .section(TYPE_HPTE, 0, 0, DEST + cpu)
            .section(TYPE_REAL_MODE_REGION, 0, BOOT_MEM, DEST + 0x100000);
        fdm = b.bytes();
        std::memcpy(guest.at(FDM_ADDR), fdm.data(), fdm.size());
        ASSERT_TRUE(source.configure(guest, 1, GuestAddr{FDM_ADDR}, ByteLen{fdm.size()}));
    }
    // The source dumps (with the RMR section failing when `fail_rmr`) and
    // takes its memory-preserving reboot.
    void dump_and_reboot(bool fail_rmr = false)
    {
        ASSERT_TRUE(source.begin_dump());
        if (fail_rmr) {
            guest.fail_at = BOOT_MEM / 2;  // boot memory unreadable half way
        }
        std::vector<VcpuState> cpus(THREADS);
        (void)source.dump(guest, cpus);
        guest.fail_at = UINT64_MAX;
        ASSERT_TRUE(source.reset());
    }
    std::vector<std::byte> saved() const
    {
        auto s = source.save_state();
        EXPECT_TRUE(s) << s.error().message;
        return s ? s.value() : std::vector<std::byte>{};
    }
    // `blob` must be refused with a reason containing `why`, leaving the
    // destination idle.
    void expect_refused(const std::vector<std::byte>& blob, const std::string& why)
    {
        ASSERT_TRUE(dest.configure(guest, 1, GuestAddr{FDM_ADDR}, ByteLen{fdm.size()}));  // not idle before
        auto r = dest.load_state(blob);
        ASSERT_FALSE(r) << "accepted a state that should be refused (" << why << ")";
        EXPECT_EQ(r.code(), Errc::ParamError);
        EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
        EXPECT_FALSE(dest.state_needed());
        EXPECT_FALSE(dest.registered());
        EXPECT_FALSE(dest.dump_active());
    }
};

template <typename T>
void put(std::vector<std::byte>& v, size_t off, T value)
{
    const Be<T> be(value);
    std::memcpy(v.data() + off, &be, sizeof be);
}

}  // namespace

TEST_F(Migration, ARegistrationArrivesAsTheGuestMadeIt)
{
    const auto blob = saved();
    EXPECT_EQ(blob.size(), sizeof(SpaprStateHeader) + fdm.size());
    ASSERT_TRUE(dest.load_state(blob));
    EXPECT_TRUE(dest.registered());
    EXPECT_EQ(dest.registered_fdm(), fdm);
    // The guest's view on the destination: registered, so a second REGISTER
    // is refused, and a crash there is dumped.
    EXPECT_EQ(dest.configure(guest, 1, GuestAddr{FDM_ADDR}, ByteLen{fdm.size()}).code(), Errc::DumpAlreadyRegistered);
    ASSERT_TRUE(dest.begin_dump());
    std::vector<VcpuState> cpus(THREADS);
    const auto out = dest.dump(guest, cpus);
    EXPECT_TRUE(out.problems.empty()) << out.problems;
    EXPECT_EQ(out.bytes_preserved, cpu_state_size(THREADS) + BOOT_MEM);
}

TEST_F(Migration, AnActiveDumpArrivesWithItsResults)
{
    dump_and_reboot(true);
    const auto blob = saved();
    EXPECT_EQ(blob.size(), sizeof(SpaprStateHeader) + fdm.size() + 3 * sizeof(SpaprSectionResult));
    ASSERT_TRUE(dest.load_state(blob));
    EXPECT_TRUE(dest.dump_active());
    const auto want = source.prop_kernel_dump();
    const auto got = dest.prop_kernel_dump();
    ASSERT_TRUE(want && got);
    EXPECT_EQ(*got, *want);  // status, error flags and bytes dumped included
    const auto* hdr = reinterpret_cast<const FdmHeader*>(got->data());
    EXPECT_NE(hdr->dump_status_flags & STATUS_DUMP_ERROR, 0);
    EXPECT_EQ(dest.reboot_limit(), source.reboot_limit());
    // Not a dump reboot on the destination: that one happened at the source.
    EXPECT_FALSE(dest.reset());
    EXPECT_TRUE(dest.dump_active());
    EXPECT_TRUE(dest.configure(guest, 3, GuestAddr{0}, ByteLen{0}));  // INVALIDATE releases it
    EXPECT_FALSE(dest.state_needed());
}

TEST_F(Migration, NothingLeavesWhileADumpIsUnderWay)
{
    ASSERT_TRUE(source.begin_dump());
    EXPECT_EQ(source.save_state().code(), Errc::Busy);
    std::vector<VcpuState> cpus(THREADS);
    (void)source.dump(guest, cpus);
    EXPECT_EQ(source.save_state().code(), Errc::Busy);  // the reboot is pending
    ASSERT_TRUE(source.reset());
    EXPECT_TRUE(source.save_state());
}

TEST_F(Migration, AnIdleEngineCarriesNothing)
{
    ASSERT_TRUE(source.configure(guest, 2, GuestAddr{0}, ByteLen{0}));
    EXPECT_FALSE(source.state_needed());
    EXPECT_EQ(source.save_state().code(), Errc::ParamError);
}

TEST_F(Migration, HostileOrInconsistentStatesAreRefused)
{
    const auto reg = saved();
    const size_t h = sizeof(SpaprStateHeader);
    auto m = reg;
    m.pop_back();
    expect_refused(m, "where the header announces");
    expect_refused({reg.begin(), reg.begin() + 8}, "shorter than its header");
    m = reg;
    put<uint32_t>(m, 0, 0x46445351);
    expect_refused(m, "not a version-1");
    m = reg;
    put<uint16_t>(m, 4, 2);
    expect_refused(m, "not a version-1");
    m = reg;
    put<uint64_t>(m, 0x18, 1);
    expect_refused(m, "not a version-1");
    m = reg;
    put<uint16_t>(m, 6, 3);
    expect_refused(m, "unknown state");
    m = reg;
    put<uint32_t>(m, 0x10, 513);
    expect_refused(m, "more than the format allows");
    m = reg;
    put<uint64_t>(m, 8, UINT64_MAX - 8);
    expect_refused(m, "not inside the real mode region");
    m = reg;
    put<uint64_t>(m, 8, RAM - 0x10);  // the fdm outside RAM and the RMR
    expect_refused(m, "not inside the real mode region");
    m = reg;
    put<uint32_t>(m, h, 2);  // fdm version
    expect_refused(m, "fdm:");
    m = reg;
    put<uint64_t>(m, h + 0x28 + 2 * 0x28 + 0x20, DEST);  // RMR destination onto the CPU state
    expect_refused(m, "fdm:");
    m = reg;
    put<uint16_t>(m, 0x14, STATUS_DUMP_PERFORMED);
    expect_refused(m, "a registration carrying dump results");
}

TEST_F(Migration, ResultsThatDisagreeWithTheFdmAreRefused)
{
    dump_and_reboot();
    const auto act = saved();
    const size_t res = sizeof(SpaprStateHeader) + fdm.size();
    auto m = act;
    put<uint64_t>(m, res + 2 * 0x10 + 8, BOOT_MEM + 1);  // more bytes dumped than requested
    expect_refused(m, "bytes dumped of");
    m = act;
    put<uint16_t>(m, res, 0x0001);  // an error flag LoPAR does not define
    expect_refused(m, "error flags 0x0001");
    m = act;
    put<uint16_t>(m, res, ERR_INVALID_SOURCE);  // an error the header does not report
    expect_refused(m, "disagrees");
    m = act;
    put<uint16_t>(m, 0x14, STATUS_DUMP_TRIGGERED);  // never performed
    expect_refused(m, "not a performed dump's");
    m = act;
    put<uint16_t>(m, 0x16, 2);
    m.resize(m.size() - sizeof(SpaprSectionResult));
    expect_refused(m, "2 section results for an fdm of 3");
}

TEST_F(Migration, ASmallerDestinationRefusesWhatItCannotHold)
{
    SpaprFadump small{SpaprFadump::Config{DEST, DEST, THREADS}};  // RAM ends where the dump was to go
    auto r = small.load_state(saved());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("fdm:"), std::string::npos) << r.error().message;
    SpaprFadump fewer{SpaprFadump::Config{RAM, RAM, THREADS * 4}};  // CPU state too small for its threads
    EXPECT_FALSE(fewer.load_state(saved()));
}

TEST_F(Migration, CInterface)
{
    FadumpSpaprConfig cfg{RAM, RAM, THREADS};
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    ASSERT_NE(fd, nullptr);
    unsigned char buf[FADUMP_SPAPR_STATE_MAX];
    size_t len = 7;
    char msg[256];
    EXPECT_FALSE(fadump_spapr_state_needed(fd));
    EXPECT_EQ(fadump_spapr_state_save(fd, buf, sizeof buf, &len, msg, sizeof msg), FADUMP_ABSENT);
    EXPECT_EQ(len, 0u);
    const auto blob = saved();
    EXPECT_EQ(fadump_spapr_state_load(fd, nullptr, blob.data(), blob.size(), msg, sizeof msg), FADUMP_OK) << msg;
    EXPECT_TRUE(fadump_spapr_state_needed(fd));
    EXPECT_TRUE(fadump_spapr_registered(fd));
    EXPECT_EQ(fadump_spapr_state_save(fd, buf, blob.size() - 1, &len, msg, sizeof msg), FADUMP_E_TOO_SMALL);
    EXPECT_EQ(len, blob.size());
    ASSERT_EQ(fadump_spapr_state_save(fd, buf, sizeof buf, &len, msg, sizeof msg), FADUMP_OK);
    EXPECT_EQ(std::vector<std::byte>(reinterpret_cast<std::byte*>(buf), reinterpret_cast<std::byte*>(buf) + len), blob);
    buf[0] ^= 1;
    EXPECT_EQ(fadump_spapr_state_load(fd, nullptr, buf, len, msg, sizeof msg), FADUMP_E_REFUSED);
    EXPECT_NE(std::string(msg).find("incoming state"), std::string::npos) << msg;
    EXPECT_FALSE(fadump_spapr_state_needed(fd));
    EXPECT_EQ(fadump_spapr_state_load(fd, nullptr, nullptr, 4, msg, sizeof msg), FADUMP_E_INTERNAL);
    EXPECT_EQ(fadump_spapr_state_load(nullptr, nullptr, buf, len, msg, sizeof msg), FADUMP_E_INTERNAL);
    ASSERT_EQ(fadump_spapr_state_load(fd, nullptr, blob.data(), blob.size(), msg, sizeof msg), FADUMP_OK);
    fadump_spapr_state_clear(fd);
    EXPECT_FALSE(fadump_spapr_registered(fd));
    ASSERT_TRUE(fadump_spapr_begin_dump(fd) == false);
    fadump_spapr_free(fd);
}

// The fuzzer's seeds (lib/fuzz/make_corpus.py) are states the engine takes,
// so fuzzing starts from accepted inputs, not only from refusals.
TEST(MigrationSeeds, AreAcceptedStates)
{
    const std::string dir = std::string(FADUMP_TEST_DATA) + "/../../fuzz/corpus/fuzz_spapr_state/";
    for (const char* name : {"registered", "dump-active", "dump-active-error"}) {
        std::ifstream f(dir + name, std::ios::binary);
        const std::vector<char> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
        ASSERT_FALSE(bytes.empty()) << dir << name;
        SpaprFadump fd{SpaprFadump::Config{64 << 20, 64 << 20, 2}};
        auto r = fd.load_state(std::as_bytes(std::span(bytes)));
        EXPECT_TRUE(r) << name << ": " << r.error().message;
    }
}
