// Every registration rule of the fdm, with hostile variants.
#include <gtest/gtest.h>

#include "fadump/papr/fdm.hpp"
#include "fadump/papr/register_save_area.hpp"
#include "fake_guest.hpp"

using namespace fadump;
using namespace fadump::papr;
using fadump::test::FakeGuest;
using fadump::test::FdmBuilder;

namespace {

constexpr uint64_t RAM = 2ULL << 30;
constexpr uint64_t FDM_ADDR = 0x1000000;
constexpr uint64_t BOOT_MEM = 0x14000000;
constexpr uint64_t DEST = 0x14000000;  // reserved area above boot memory
constexpr uint64_t PARAM = 0x60000000;

FdmLimits limits()
{
    FdmLimits l;
    l.ram = *GuestRange::make(GuestAddr{0}, ByteLen{RAM});
    l.rmr = l.ram;
    l.cpu_state_bytes = cpu_state_size(2);
    return l;
}

// The structure Linux 6.12 registers: CPU, HPTE (0 bytes), RMR, param area.
FdmBuilder linux_like()
{
    const uint64_t cpu = cpu_state_size(2);
    const uint64_t rmr_dst = (DEST + cpu + 0xFFFF) & ~0xFFFFULL;
    FdmBuilder b;
    b.section(TYPE_CPU_STATE, 0, cpu, DEST)
        .section(TYPE_HPTE, 0, 0, DEST + cpu)
        .section(TYPE_REAL_MODE_REGION, 0, BOOT_MEM, rmr_dst)
        .section(0x0100, PARAM, 2048, PARAM);
    return b;
}

Result<Registration> parse(const FdmBuilder& b, uint64_t addr = FDM_ADDR)
{
    auto bytes = b.bytes();
    return parse_fdm(bytes, *GuestRange::make(GuestAddr{addr}, ByteLen{bytes.size()}), limits());
}

void expect_param_error(const FdmBuilder& b, const char* needle)
{
    auto r = parse(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::ParamError);
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

}  // namespace

TEST(Fdm, AcceptsTheLinuxLayout)
{
    auto r = parse(linux_like());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->count, 4);
    EXPECT_EQ(r->sections[2].source_length.get(), BOOT_MEM);
    EXPECT_EQ(r->reboot_limit(), DEST);
}

TEST(Fdm, ForcesPlatformFieldsToZero)
{
    auto b = linux_like();
    b.header.dump_status_flags = 0xFFFF;
    b.sections[2].error_flags = 0x1234;
    b.sections[2].bytes_dumped = 99;
    auto r = parse(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->header.dump_status_flags.get(), 0);
    EXPECT_EQ(r->sections[2].error_flags.get(), 0);
    EXPECT_EQ(r->sections[2].bytes_dumped.get(), 0u);
}

TEST(Fdm, RejectsBadVersions)
{
    for (uint32_t v : {0u, 2u, 0x01000000u}) {
        auto b = linux_like();
        b.header.dump_format_version = v;
        expect_param_error(b, "version");
    }
}

TEST(Fdm, RejectsBadSectionCounts)
{
    FdmBuilder none;
    auto bytes = none.bytes();
    auto r = parse_fdm(bytes, *GuestRange::make(GuestAddr{FDM_ADDR}, ByteLen{bytes.size()}), limits());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("0 sections"), std::string::npos);

    auto b = linux_like();
    b.header.num_sections = 11;
    auto eleven = b.bytes();
    eleven.resize(0x28 + 11 * 0x28);
    auto r2 = parse_fdm(eleven, *GuestRange::make(GuestAddr{FDM_ADDR}, ByteLen{eleven.size()}), limits());
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, Errc::ParamError);
}

TEST(Fdm, RejectsLengthThatIsNotExact)
{
    auto b = linux_like();
    auto bytes = b.bytes();
    bytes.push_back(std::byte{0});
    auto r = parse_fdm(bytes, *GuestRange::make(GuestAddr{FDM_ADDR}, ByteLen{bytes.size()}), limits());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("does not equal"), std::string::npos);
    // A count that claims more sections than the buffer holds.
    auto c = linux_like();
    c.header.num_sections = 5;
    expect_param_error(c, "does not equal");
}

TEST(Fdm, RejectsShortAndHugeBuffers)
{
    std::vector<std::byte> tiny(0x27);
    auto r = parse_fdm(tiny, *GuestRange::make(GuestAddr{FDM_ADDR}, ByteLen{tiny.size()}), limits());
    EXPECT_EQ(r.code(), Errc::ParamError);
    std::vector<std::byte> huge(4096);
    auto r2 = parse_fdm(huge, *GuestRange::make(GuestAddr{FDM_ADDR}, ByteLen{huge.size()}), limits());
    EXPECT_EQ(r2.code(), Errc::ParamError);
}

TEST(Fdm, RejectsBadFirstSectionOffsets)
{
    auto b = linux_like();
    b.header.offset_first_section = 0x20;  // inside the header
    expect_param_error(b, "offset");
    auto c = linux_like();
    c.header.offset_first_section = 0x2C;  // unaligned
    expect_param_error(c, "offset");
}

TEST(Fdm, AcceptsALargerAlignedFirstOffset)
{
    auto b = linux_like();
    b.header.offset_first_section = 0x30;
    auto r = parse(b);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->sections[3].source_address.get(), PARAM);
}

TEST(Fdm, RejectsDiskDump)
{
    auto b = linux_like();
    b.header.dd_block_size = 512;
    expect_param_error(b, "disk");
    auto c = linux_like();
    c.header.dd_offset_disk_path = 0x100;
    expect_param_error(c, "disk");
}

TEST(Fdm, RejectsRequestFlags)
{
    for (uint32_t f : {0u, 3u, 0x80000001u}) {
        auto b = linux_like();
        b.sections[2].request_flags = f;
        expect_param_error(b, "request flags");
    }
}

TEST(Fdm, RejectsUnknownAndUnsupportedTypes)
{
    auto b = linux_like();
    b.sections[3].source_data_type = 0x0005;
    expect_param_error(b, "unknown source data type");
    auto c = linux_like();
    c.sections[3].source_data_type = TYPE_OS_STRING;
    expect_param_error(c, "OS-identified string");
}

TEST(Fdm, CpuSectionRules)
{
    auto dup = linux_like();
    dup.sections[1] = dup.sections[0];
    dup.sections[1].destination_address = 0x70000000;
    expect_param_error(dup, "second CPU state");

    auto small = linux_like();
    small.sections[0].source_length = cpu_state_size(2) - 16;
    expect_param_error(small, "below the");

    auto src = linux_like();
    src.sections[0].source_address = 0x100;
    expect_param_error(src, "source offset");
}

// An HPTE section's length must be the HPT size the platform advertises
// (ibm,configure-kernel-dump-sizes): none is advertised here, so 0.
TEST(Fdm, HpteSectionLengthIsTheAdvertisedSize)
{
    auto b = linux_like();
    b.sections[1].source_length = 0x1000;
    b.sections[1].destination_address = 0x70000000;
    expect_param_error(b, "HPTE length");
}

TEST(Fdm, RejectsSourcesOutsideRamOrOverflowing)
{
    auto out = linux_like();
    out.sections[3].source_address = RAM - 1024;
    out.sections[3].destination_address = RAM - 1024;
    expect_param_error(out, "outside guest RAM");

    auto wrap = linux_like();
    wrap.sections[2].source_address = UINT64_MAX - 4;
    expect_param_error(wrap, "overflows");
}

TEST(Fdm, RejectsDestinationsOutsideRamOrOverflowing)
{
    auto out = linux_like();
    out.sections[2].destination_address = RAM - 0x1000;
    expect_param_error(out, "destination");

    auto wrap = linux_like();
    wrap.sections[2].destination_address = UINT64_MAX - 0x10;
    expect_param_error(wrap, "overflows");
}

TEST(Fdm, RejectsOverlappingDestinations)
{
    auto b = linux_like();
    b.sections[2].destination_address = DEST + 0x100;  // over the CPU area
    expect_param_error(b, "overlaps section 2's destination");
}

TEST(Fdm, RejectsDestinationOverTheFdm)
{
    auto b = linux_like();
    b.sections[2].destination_address = FDM_ADDR - 0x1000;
    b.sections[2].source_address = 0x20000000;
    b.sections[2].source_length = 0x2000;
    expect_param_error(b, "the fdm");
}

TEST(Fdm, RejectsDestinationOverAnotherSource)
{
    auto b = linux_like();
    b.sections[0].destination_address = 0x100000;  // inside boot memory (RMR source)
    b.sections[1].destination_address = 0x100000 + cpu_state_size(2);
    expect_param_error(b, "section 2's source");
}

TEST(Fdm, DestinationPartlyOverItsOwnSourceIsRejected)
{
    auto b = linux_like();
    b.sections[3].destination_address = PARAM + 1024;
    expect_param_error(b, "section 3's source");
}

TEST(Fdm, DestinationEqualToItsOwnSourceIsLegal)
{
    auto r = parse(linux_like());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->sections[3].destination_address.get(), r->sections[3].source_address.get());
}

TEST(Fdm, RegisterReadsOnceFromGuestAndChecksTheRmr)
{
    FakeGuest g(RAM);
    auto bytes = linux_like().bytes();
    std::memcpy(g.at(FDM_ADDR), bytes.data(), bytes.size());
    auto l = limits();
    auto r = register_fdm(g, GuestAddr{FDM_ADDR}, ByteLen{bytes.size()}, l);
    ASSERT_TRUE(r.ok()) << r.error().message;

    l.rmr = *GuestRange::make(GuestAddr{0}, ByteLen{FDM_ADDR});
    auto outside = register_fdm(g, GuestAddr{FDM_ADDR}, ByteLen{bytes.size()}, l);
    EXPECT_EQ(outside.code(), Errc::ParamError);

    auto wrap = register_fdm(g, GuestAddr{UINT64_MAX - 8}, ByteLen{bytes.size()}, limits());
    EXPECT_EQ(wrap.code(), Errc::ParamError);

    g.fail_at = FDM_ADDR + 8;
    auto unreadable = register_fdm(g, GuestAddr{FDM_ADDR}, ByteLen{bytes.size()}, limits());
    EXPECT_EQ(unreadable.code(), Errc::HardwareError);
}
