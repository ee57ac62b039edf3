// The crashed kernel's crash info header (fadump-internal.h, version 1) read
// as hostile input: what the kernel writes is accepted in its byte order,
// and every field that could send the host astray is refused by name.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "fadump/endian.hpp"
#include "fadump/vmcore/crash_info.hpp"

using namespace fadump;
using namespace fadump::vmcore;

namespace {

const GuestRange RAM = *GuestRange::make(GuestAddr{0}, ByteLen{2ULL << 30});

// A header as Linux lays it out (fadump_crash_info_header), `big_endian` or
// little-endian, NR_CPUS = 2048 (a 256-byte mask), CPUs 0 and 1 online,
// CPU 1 crashing, pt_regs word i = 0x1000 + i.
struct Header {
    bool big_endian = false;
    uint64_t magic = 0x4641444D50534947;
    uint32_t version = 1;
    uint32_t crashing_cpu = 1;
    uint64_t vmcoreinfo_raddr = 0x2345000;
    uint64_t vmcoreinfo_size = 0x1000;
    uint32_t pt_regs_sz = 384;
    uint32_t cpu_mask_sz = 256;
    uint64_t mask_word0 = 0x3;

    template <typename T>
    void put(std::vector<std::byte>& b, size_t off, T v) const
    {
        if (big_endian != (std::endian::native == std::endian::big)) {
            v = byteswap(v);
        }
        std::memcpy(b.data() + off, &v, sizeof v);
    }
    [[nodiscard]] std::vector<std::byte> bytes() const
    {
        std::vector<std::byte> b(0x1A8 + 256);
        put<uint64_t>(b, 0, magic);
        put<uint32_t>(b, 0x8, version);
        put<uint32_t>(b, 0xC, crashing_cpu);
        put<uint64_t>(b, 0x10, vmcoreinfo_raddr);
        put<uint64_t>(b, 0x18, vmcoreinfo_size);
        put<uint32_t>(b, 0x20, pt_regs_sz);
        put<uint32_t>(b, 0x24, cpu_mask_sz);
        for (uint64_t i = 0; i < 48; ++i) {
            put<uint64_t>(b, 0x28 + i * 8, 0x1000 + i);
        }
        put<uint64_t>(b, 0x1A8, mask_word0);
        return b;
    }
};

std::string refusal(const Header& h, size_t keep = SIZE_MAX)
{
    auto b = h.bytes();
    b.resize(std::min(keep, b.size()));
    const auto r = parse_crash_info(b, RAM);
    EXPECT_FALSE(r.ok());
    if (r.ok()) {
        return "";
    }
    EXPECT_EQ(r.code(), Errc::ParamError);
    return r.error().message;
}

}  // namespace

TEST(CrashInfo, AHeaderInEitherByteOrderIsRead)
{
    for (const bool be : {false, true}) {
        Header h;
        h.big_endian = be;
        const auto r = parse_crash_info(h.bytes(), RAM);
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->big_endian, be);
        EXPECT_EQ(r->crashing_cpu, 1u);
        EXPECT_EQ(r->vmcoreinfo.start().value, 0x2345000u);
        EXPECT_EQ(r->vmcoreinfo.end(), 0x2346000u);
        EXPECT_EQ(r->regs[0], 0x1000u);
        EXPECT_EQ(r->regs[32], 0x1020u);  // nip
        EXPECT_EQ(r->regs[47], 0x102Fu);
        EXPECT_EQ(r->cpu_mask_bytes, 256u);
        EXPECT_EQ(r->online_cpus, 2u);
        EXPECT_TRUE(r->online(0));
        EXPECT_TRUE(r->online(1));
        EXPECT_FALSE(r->online(2));
        EXPECT_FALSE(r->online(2047));
        EXPECT_FALSE(r->online(2048));  // past the kernel's mask
    }
}

TEST(CrashInfo, MagicOtherThanFadmpsigIsRefused)
{
    Header h;
    h.magic = 0x4641444D50494E46;  // FADMPINF
    EXPECT_NE(refusal(h).find("FADMPINF: a kernel older than header version 1"), std::string::npos);
    h.magic = 0x0123456789ABCDEF;
    EXPECT_NE(refusal(h).find("is not FADMPSIG"), std::string::npos);
    h.magic = 0;
    EXPECT_NE(refusal(h).find("is not FADMPSIG"), std::string::npos);
}

TEST(CrashInfo, VersionAndSizesMustBeTheKernels)
{
    Header h;
    h.version = 2;
    EXPECT_NE(refusal(h).find("version 2"), std::string::npos);
    h = Header{};
    h.pt_regs_sz = 392;
    EXPECT_NE(refusal(h).find("pt_regs_sz 392"), std::string::npos);
    for (const uint32_t mask : {0u, 12u, 1032u, 0xFFFFFFF8u}) {
        h = Header{};
        h.cpu_mask_sz = mask;
        EXPECT_NE(refusal(h).find("cpu_mask_sz " + std::to_string(mask)), std::string::npos) << mask;
    }
}

TEST(CrashInfo, AHeaderShorterThanItSaysIsRefused)
{
    Header h;
    EXPECT_NE(refusal(h, 0x1A8 + 255).find("the header with its CPU mask takes 680"), std::string::npos);
    EXPECT_NE(refusal(h, 0x1A7).find("fewer than the header's 424"), std::string::npos);
    EXPECT_NE(refusal(h, 0).find("fewer than"), std::string::npos);
}

TEST(CrashInfo, VmcoreinfoOutsideRamOrTooLargeIsRefused)
{
    Header h;
    h.vmcoreinfo_raddr = (2ULL << 30) - 0x800;  // runs past RAM's end
    EXPECT_NE(refusal(h).find("is not inside RAM"), std::string::npos);
    h.vmcoreinfo_raddr = UINT64_MAX - 0x10;  // wraps
    EXPECT_NE(refusal(h).find("is not inside RAM"), std::string::npos);
    h = Header{};
    h.vmcoreinfo_size = 0;
    EXPECT_NE(refusal(h).find("vmcoreinfo_size 0"), std::string::npos);
    h.vmcoreinfo_size = 64 * 1024 + 37;
    EXPECT_NE(refusal(h).find("vmcoreinfo_size 65573"), std::string::npos);
    h.vmcoreinfo_size = 64 * 1024 + 36;  // a 64 KiB page in its note: the largest Linux writes
    EXPECT_TRUE(parse_crash_info(h.bytes(), RAM).ok());
}

TEST(CrashInfo, TheLargestMaskIsReadAndCounted)
{
    Header h;
    h.cpu_mask_sz = 1024;  // NR_CPUS 8192
    auto b = h.bytes();
    b.resize(0x1A8 + 1024);
    std::memset(b.data() + 0x1A8, 0xFF, 1024);
    const auto r = parse_crash_info(b, RAM);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->online_cpus, 8192u);
    EXPECT_TRUE(r->online(8191));
}

// What a real kernel wrote: Linux 6.12.117 (the lab's kernel, 64 KiB pages,
// NR_CPUS 8), pseries VOF, -smp 2 -m 2G, crashed by sysrq; the 4 KiB at
// fadumphdr_addr 0x28010000 saved in its capture kernel by
// lib/tests/data/capture-fadump-fixture.py from the default cycle's run directory.
TEST(CrashInfo, TheHeaderARealKernelWroteIsRead)
{
    std::ifstream f(std::string(FADUMP_TEST_DATA) + "/linux-6.12-pseries-2G-smp2.crash-info", std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_EQ(raw.size(), 4096u);
    const auto r = parse_crash_info(std::as_bytes(std::span(raw)), RAM);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->big_endian);
    EXPECT_LT(r->crashing_cpu, 2u);
    EXPECT_EQ(r->vmcoreinfo.len().bytes, 64 * 1024 + 36);  // VMCOREINFO_NOTE_SIZE with 64 KiB pages
    EXPECT_EQ(r->cpu_mask_bytes, 8u);                      // NR_CPUS 8
    EXPECT_EQ(r->online_cpus, 2u);
    EXPECT_TRUE(r->online(0) && r->online(1));
    const uint64_t nip = r->regs[32];
    const uint64_t msr = r->regs[33];
    EXPECT_EQ(nip >> 60, 0xCu) << std::hex << nip;  // a kernel address (0xc000...)
    EXPECT_EQ(msr >> 63, 1u) << std::hex << msr;    // MSR_SF: 64-bit
    EXPECT_EQ(msr & 1, 1u) << std::hex << msr;      // MSR_LE: little-endian
}
