// Structures written by a real kernel: the fdm Linux 6.12.107 registered
// (pseries, -m 2G, -smp 2, recorded by the engine's ground truth in a lab
// run) and the ibm,kernel-dump the engine reported back for it (the fdm
// with the platform's status fields: header status, per-section error
// flags and bytes dumped; it holds no register values).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "fadump/papr/fdm.hpp"
#include "fadump/papr/register_save_area.hpp"
#include "fadump/papr/spapr_fadump.hpp"
#include "fake_guest.hpp"

using namespace fadump;
using namespace fadump::papr;

namespace {

std::vector<std::byte> load(const char* name)
{
    std::ifstream f(std::string(FADUMP_TEST_DATA) + "/" + name, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(c.size());
    std::memcpy(out.data(), c.data(), c.size());
    return out;
}

FdmLimits two_gib_two_threads()
{
    FdmLimits l;
    l.ram = *GuestRange::make(GuestAddr{0}, ByteLen{2ULL << 30});
    l.rmr = l.ram;
    l.cpu_state_bytes = cpu_state_size(2);
    return l;
}

}  // namespace

TEST(RealKernel, Linux612FdmIsAccepted)
{
    auto bytes = load("linux-6.12.107-pseries-2G-smp2.fdm");
    ASSERT_EQ(bytes.size(), 0x28u + 4 * 0x28);
    auto r = parse_fdm(bytes, *GuestRange::make(GuestAddr{0x7108b0}, ByteLen{bytes.size()}), two_gib_two_threads());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count, 4);
    EXPECT_EQ(r->sections[0].source_data_type.get(), TYPE_CPU_STATE);
    EXPECT_EQ(r->sections[1].source_data_type.get(), TYPE_HPTE);
    EXPECT_EQ(r->sections[1].source_length.get(), 0u);
    EXPECT_EQ(r->sections[2].source_data_type.get(), TYPE_REAL_MODE_REGION);
    EXPECT_EQ(r->sections[2].source_address.get(), 0u);
    EXPECT_EQ(r->sections[2].source_length.get(), 0x14000000u);  // 320 MiB boot memory
    EXPECT_EQ(r->sections[3].source_data_type.get(), 0x0100);    // param area, in place
    EXPECT_EQ(r->sections[3].source_address.get(), r->sections[3].destination_address.get());
    // The firmware reload must stay below boot memory's top.
    EXPECT_EQ(r->reboot_limit(), 0x14000000u);
}

TEST(RealKernel, HostileEditsOfTheRealFdmAreRejected)
{
    auto bytes = load("linux-6.12.107-pseries-2G-smp2.fdm");
    const auto where = *GuestRange::make(GuestAddr{0x7108b0}, ByteLen{bytes.size()});
    // Point the boot-memory copy at its own source.
    auto overlap = bytes;
    std::memset(overlap.data() + 0x28 + 2 * 0x28 + 0x20, 0, 8);
    EXPECT_EQ(parse_fdm(overlap, where, two_gib_two_threads()).code(), Errc::ParamError);
    // A destination beyond the 2 GiB of RAM.
    auto beyond = bytes;
    beyond[0x28 + 2 * 0x28 + 0x20 + 3] = std::byte{0x01};
    EXPECT_EQ(parse_fdm(beyond, where, two_gib_two_threads()).code(), Errc::ParamError);
    // Truncated by one section.
    std::vector<std::byte> shorter(bytes.begin(), bytes.end() - 0x28);
    EXPECT_EQ(parse_fdm(shorter, where, two_gib_two_threads()).code(), Errc::ParamError);
}

TEST(RealKernel, ReportedDumpSatisfiesTheCaptureKernel)
{
    // What Linux checks on the capture boot (rtas-fadump.c): for CPU, HPTE
    // and RMR sections error_flags == 0 and bytes_dumped == source_len.
    auto kd = load("linux-6.12.107-pseries-2G-smp2.kernel-dump");
    auto reg = load("linux-6.12.107-pseries-2G-smp2.fdm");
    ASSERT_EQ(kd.size(), reg.size());
    FdmHeader h;
    std::memcpy(&h, kd.data(), sizeof h);
    EXPECT_EQ(h.dump_status_flags.get(), STATUS_DUMP_PERFORMED | STATUS_DUMP_TRIGGERED);
    for (int i = 0; i < 4; ++i) {
        FdmSection s;
        FdmSection o;
        std::memcpy(&s, kd.data() + 0x28 + i * 0x28, sizeof s);
        std::memcpy(&o, reg.data() + 0x28 + i * 0x28, sizeof o);
        EXPECT_EQ(s.error_flags.get(), 0) << i;
        EXPECT_EQ(s.bytes_dumped.get(), s.source_length.get()) << i;
        EXPECT_EQ(s.source_address.get(), o.source_address.get());
        EXPECT_EQ(s.destination_address.get(), o.destination_address.get());
    }
}

// The engine, given the real registration on a guest of the same shape
// (2 GiB, two threads) and a dump, reports exactly the bytes the real
// capture kernel was given: layout, header status, error flags and bytes
// dumped of every section.
TEST(RealKernel, EngineReproducesTheReportedKernelDump)
{
    constexpr uint64_t RAM = 2ULL << 30;
    constexpr uint64_t FDM_AT = 0x7108b0;  // where the kernel put its fdm
    const auto fdm = load("linux-6.12.107-pseries-2G-smp2.fdm");
    const auto expected = load("linux-6.12.107-pseries-2G-smp2.kernel-dump");
    ASSERT_EQ(expected.size(), fdm.size());
    test::FakeGuest g(RAM);
    std::memcpy(g.at(FDM_AT), fdm.data(), fdm.size());
    // Boot memory (the RMR section's source) gets a pattern at both ends, so
    // the copy can be checked too.
    g.fill_pattern(0, 0x10000, 3);
    g.fill_pattern(0x14000000 - 0x10000, 0x10000, 4);
    SpaprFadump fd(SpaprFadump::Config{RAM, RAM, 2});
    auto r = fd.configure(g, 1, GuestAddr{FDM_AT}, ByteLen{fdm.size()});
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(fd.begin_dump());
    std::vector<VcpuState> cpus(2);
    for (uint32_t i = 0; i < 2; ++i) {
        cpus[i].cpu_index = i;
        cpus[i].logical_id = i;
        cpus[i].pir = i;
    }
    const DumpOutcome out = fd.dump(g, cpus);
    EXPECT_TRUE(out.problems.empty()) << out.problems;
    const auto reported = fd.prop_kernel_dump();
    ASSERT_TRUE(reported.has_value());
    ASSERT_EQ(reported->size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(static_cast<unsigned>((*reported)[i]), static_cast<unsigned>(expected[i]))
            << "byte 0x" << std::hex << i;
    }
    // The RMR section copied [0, 320 MiB) to 0x14010000.
    EXPECT_EQ(std::memcmp(g.at(0x14010000), g.at(0), 0x10000), 0);
    EXPECT_EQ(std::memcmp(g.at(0x14010000 + 0x14000000 - 0x10000), g.at(0x14000000 - 0x10000), 0x10000), 0);
}
