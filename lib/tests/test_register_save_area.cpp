// Golden layout of the register save area, parsed back the way Linux does.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "fadump/endian.hpp"
#include "fadump/papr/register_ids.hpp"
#include "fadump/papr/register_save_area.hpp"

using namespace fadump;
using namespace fadump::papr;

namespace {

// Self-identifying values: every register holds a value naming its slot.
VcpuState make_cpu(uint32_t index, uint32_t logical)
{
    VcpuState c{};
    c.cpu_index = index;
    c.logical_id = logical;
    c.pir = 0x100 + index;
    for (int i = 0; i < 32; ++i) {
        c.gpr[i] = 0x1000000000000000ULL * (index + 1) + 0x100 + i;
        c.fpr[i] = 0xF00000 + i;
        c.vsrl[i] = 0xE00000 + i;
        c.vr[i][0] = 0xA00000 + i;
        c.vr[i][1] = 0xB00000 + i;
    }
    c.nia = 0xC000000000001234ULL + index;
    c.msr = 0x8000000000001033ULL;
    c.cr = 0x24000442;
    c.ctr = 0xC7C7;
    c.lr = 0x1111;
    c.xer = 0x20000000;
    c.cfar = 0xCFA0;
    c.spr[19] = 0xDA0;        // DAR
    c.spr[18] = 0x42000000;   // DSISR
    c.spr[287] = 0x004E1200;  // PVR
    return c;
}

// Linux's consumer (rtas_fadump_build_cpu_notes): honour NumCpusOffset,
// read NumCpus, then per CPU expect CPUSTRT and read until CPUEND.
struct ParsedCpu {
    uint32_t id;
    std::map<uint64_t, uint64_t> regs;
};

std::vector<ParsedCpu> parse_like_linux(const std::vector<std::byte>& area)
{
    auto be64 = [&](size_t off) {
        Be64 v;
        std::memcpy(&v, area.data() + off, 8);
        return v.get();
    };
    auto be32 = [&](size_t off) {
        Be32 v;
        std::memcpy(&v, area.data() + off, 4);
        return v.get();
    };
    EXPECT_EQ(be64(0), REGSAVE_MAGIC);
    const uint32_t num_off = be32(0xC);
    const uint32_t ncpus = be32(num_off);
    size_t off = num_off + 4;
    std::vector<ParsedCpu> cpus;
    for (uint32_t i = 0; i < ncpus; ++i) {
        EXPECT_EQ(be64(off), ID_CPUSTRT);
        ParsedCpu p{static_cast<uint32_t>(be64(off + 8) & 0xFFFFFFFF), {}};
        off += 16;
        while (be64(off) != ID_CPUEND) {
            EXPECT_FALSE(p.regs.contains(be64(off))) << "duplicate id";
            p.regs[be64(off)] = be64(off + 8);
            off += 16;
            if (off + 16 > area.size()) {
                ADD_FAILURE() << "no CPUEND";
                return cpus;
            }
        }
        EXPECT_EQ(be64(off + 8) & 0xFFFFFFFF, p.id);
        off += 16;
        cpus.push_back(std::move(p));
    }
    return cpus;
}

}  // namespace

TEST(RegisterSaveArea, SizeIsOneFunctionOfThreads)
{
    const uint64_t per_cpu = entries_per_cpu() * 16;
    EXPECT_EQ(cpu_state_size(0), 0x20u);
    EXPECT_EQ(cpu_state_size(1), 0x20 + per_cpu);
    EXPECT_EQ(cpu_state_size(8), 0x20 + 8 * per_cpu);
    // GPR(32) + NIA MSR CR CTR LR XER CFAR TB DEC PIR + named SPRs + FPSCR
    // VSCR + FPR(32) + VR(64) + VSR(128) + CPUSTRT/CPUEND.
    EXPECT_GT(entries_per_cpu(), 32u + 9u + 2u);
}

TEST(RegisterSaveArea, HeaderFollowsLoparLayout)
{
    std::vector<VcpuState> cpus{make_cpu(0, 0)};
    std::vector<std::byte> area(cpu_state_size(1) + 64, std::byte{0xAA});
    ASSERT_TRUE(write_register_save_area(area, cpus));
    const unsigned char expect_head[0x20] = {
        'R', 'E', 'G', 'S', 'A', 'V', 'E', 0, 0, 0, 0, 0, 0, 0, 0, 0x1C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    };
    EXPECT_EQ(std::memcmp(area.data(), expect_head, sizeof(expect_head)), 0);
    // Entries start at 0x20 with CPUSTRT and 4 reserved bytes + the id.
    const unsigned char strt[16] = {'C', 'P', 'U', 'S', 'T', 'R', 'T', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(std::memcmp(area.data() + 0x20, strt, 16), 0);
    // GPR00 follows.
    const unsigned char gpr00[8] = {'G', 'P', 'R', '0', '0', 0, 0, 0};
    EXPECT_EQ(std::memcmp(area.data() + 0x30, gpr00, 8), 0);
    // Everything after the last entry is zero, not left over.
    for (size_t i = cpu_state_size(1); i < area.size(); ++i) {
        ASSERT_EQ(area[i], std::byte{0}) << i;
    }
}

TEST(RegisterSaveArea, RoundTripsThroughTheLinuxParser)
{
    std::vector<VcpuState> cpus{make_cpu(0, 0), make_cpu(1, 1), make_cpu(2, 5)};
    std::vector<std::byte> area(cpu_state_size(4));
    ASSERT_TRUE(write_register_save_area(area, cpus));
    auto parsed = parse_like_linux(area);
    ASSERT_EQ(parsed.size(), 3u);
    EXPECT_EQ(parsed[2].id, 5u);
    for (size_t n = 0; n < cpus.size(); ++n) {
        const auto& r = parsed[n].regs;
        const auto& c = cpus[n];
        for (int i = 0; i < 32; ++i) {
            char name[8];
            std::snprintf(name, sizeof name, "GPR%02d", i);
            EXPECT_EQ(r.at(ascii_id(name)), c.gpr[i]);
        }
        EXPECT_EQ(r.at(ascii_id("NIA")), c.nia);
        EXPECT_EQ(r.at(ascii_id("MSR")), c.msr);
        EXPECT_EQ(r.at(ascii_id("CR")), c.cr);
        EXPECT_EQ(r.at(ascii_id("CTR")), c.ctr);
        EXPECT_EQ(r.at(ascii_id("LR")), c.lr);
        EXPECT_EQ(r.at(ascii_id("XER")), c.xer);
        EXPECT_EQ(r.at(ascii_id("DAR")), c.spr[19]);
        EXPECT_EQ(r.at(ascii_id("DSISR")), c.spr[18]);
        EXPECT_EQ(r.at(ascii_id("CFAR")), c.cfar);
        EXPECT_EQ(r.at(ascii_id("PVR")), c.spr[287]);
        EXPECT_EQ(r.at(ascii_id("PIR")), c.pir);
        EXPECT_EQ(r.at(ascii_id("FPR31")), c.fpr[31]);
        EXPECT_EQ(r.at(ascii_id("VR07_HI")), c.vr[7][0]);
        EXPECT_EQ(r.at(ascii_id("VR07_LO")), c.vr[7][1]);
        EXPECT_EQ(r.at(ascii_id("VSR03_HI")), c.fpr[3]);
        EXPECT_EQ(r.at(ascii_id("VSR03_LO")), c.vsrl[3]);
        EXPECT_EQ(r.at(ascii_id("VSR40_HI")), c.vr[8][0]);
        EXPECT_EQ(r.at(ascii_id("VSR40_LO")), c.vr[8][1]);
        EXPECT_EQ(r.size(), entries_per_cpu() - 2);
    }
}

TEST(RegisterSaveArea, RefusesTooSmallBuffers)
{
    std::vector<VcpuState> cpus{make_cpu(0, 0), make_cpu(1, 1)};
    std::vector<std::byte> area(cpu_state_size(2) - 1, std::byte{0x5A});
    EXPECT_FALSE(write_register_save_area(area, cpus));
    EXPECT_EQ(area[0], std::byte{0x5A});
}

TEST(RegisterIds, EveryIdIsUniqueAndFromTheCatalogue)
{
    std::map<uint64_t, int> seen;
    for (const auto& d : register_table()) {
        EXPECT_EQ(seen[d.id]++, 0);
        // Identifiers are printable ASCII, left-justified, zero-padded.
        bool ended = false;
        for (int b = 7; b >= 0; --b) {
            const auto ch = static_cast<unsigned char>(d.id >> (8 * b));
            if (ch == 0) {
                ended = true;
            } else {
                EXPECT_FALSE(ended);
                EXPECT_TRUE((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_');
            }
        }
    }
    EXPECT_FALSE(seen.contains(ID_CPUSTRT));
    EXPECT_FALSE(seen.contains(ID_CPUEND));
}
