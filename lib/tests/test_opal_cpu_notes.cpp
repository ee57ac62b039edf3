// PowerNV's CPU notes from the architected register data, as
// opal_fadump_build_cpu_notes takes them: written by the platform's own
// writer (opal/thread_regs.hpp), read back into pt_regs; the crashing
// thread from the crash info header; inactive cores left out; the
// kernel's fall-backs; hostile layouts refused by name.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "fadump/opal/mpipl_tables.hpp"
#include "fadump/opal/thread_regs.hpp"
#include "fadump/spr.hpp"
#include "fadump/vmcore/cpu_notes.hpp"

namespace {

using fadump::VcpuState;
using fadump::vmcore::CpuRegs;
using fadump::vmcore::CrashInfo;
using fadump::vmcore::opal_cpu_regs;

// pt_regs words.
constexpr size_t NIP = 32, MSR = 33, CTR = 35, LINK = 36, XER = 37, CCR = 38, DAR = 41, DSISR = 42;

VcpuState thread(uint32_t pir)
{
    VcpuState v{};
    v.pir = pir;
    for (uint32_t i = 0; i < 32; ++i) {
        v.gpr[i] = (uint64_t{pir} << 32) | i;
    }
    v.nia = 0xc000000000100000 + pir;
    v.msr = 0x9000000000001033;
    v.cr = 0x22004488;
    v.ctr = 0xc7;
    v.lr = 0xc000000000200000 + pir;
    v.xer = 0x20000000;
    v.spr[fadump::spr::DAR] = 0xdada;
    v.spr[fadump::spr::DSISR] = 0x4000000;
    v.spr[fadump::spr::SRR0] = 0x5555;  // written, but no pt_regs word takes it
    return v;
}

// The CPU state data for `threads`, as the platform writes it.
std::vector<std::byte> cpu_data(const std::vector<VcpuState>& threads)
{
    const uint32_t ts = fadump::opal::thread_data_size();
    std::vector<std::byte> d(size_t{ts} * threads.size());
    for (size_t i = 0; i < threads.size(); ++i) {
        EXPECT_TRUE(fadump::opal::write_thread_data(std::span(d).subspan(i * ts, ts), threads[i]));
    }
    return d;
}

CrashInfo crashed_on(uint32_t pir)
{
    CrashInfo ci;
    ci.crashing_cpu = pir;
    ci.regs[NIP] = 0xc0000000000c0de0;
    ci.regs[1] = 0xc000000003f0ff00;
    return ci;
}

TEST(OpalCpuNotes, EveryThreadFromTheDataAndTheCrashingOneFromTheHeader)
{
    const std::vector<VcpuState> threads = {thread(0x20), thread(0x21), thread(0x22), thread(0x23)};
    const auto data = cpu_data(threads);
    std::vector<CpuRegs> out(8);
    const auto n = opal_cpu_regs(data, fadump::opal::thread_data_size(), crashed_on(0x22), out);
    ASSERT_TRUE(n) << n.error().message;
    ASSERT_EQ(n.value(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(out[i].cpu, threads[i].pir);
    }
    // The crashing thread: the header's registers, not the data's.
    EXPECT_EQ(out[2].regs, crashed_on(0x22).regs);
    // The others: the words the kernel fills, and nothing else.
    const auto& r = out[1].regs;
    for (size_t g = 0; g < 32; ++g) {
        EXPECT_EQ(r[g], threads[1].gpr[g]) << "gpr" << g;
    }
    EXPECT_EQ(r[NIP], threads[1].nia);
    EXPECT_EQ(r[MSR], threads[1].msr);
    EXPECT_EQ(r[CCR], threads[1].cr);
    EXPECT_EQ(r[CTR], threads[1].ctr);
    EXPECT_EQ(r[LINK], threads[1].lr);
    EXPECT_EQ(r[XER], threads[1].xer);
    EXPECT_EQ(r[DAR], 0xdadau);
    EXPECT_EQ(r[DSISR], 0x4000000u);
    for (const size_t w : {34, 39, 40, 43, 44, 45, 46, 47}) {
        EXPECT_EQ(r[w], 0u) << "word " << w;
    }
}

TEST(OpalCpuNotes, InactiveCoresAreLeftOutButNotTheCrashingThread)
{
    const std::vector<VcpuState> threads = {thread(0x0), thread(0x4), thread(0x8)};
    auto data = cpu_data(threads);
    const uint32_t ts = fadump::opal::thread_data_size();
    data[size_t{ts} * 1 + 4] = std::byte{fadump::vmcore::OPAL_CORE_INACTIVE};
    data[size_t{ts} * 2 + 4] = std::byte{fadump::vmcore::OPAL_CORE_INACTIVE};
    std::vector<CpuRegs> out(8);
    const auto n = opal_cpu_regs(data, ts, crashed_on(0x8), out);
    ASSERT_TRUE(n);
    ASSERT_EQ(n.value(), 2u);
    EXPECT_EQ(out[0].cpu, 0x0u);
    EXPECT_EQ(out[1].cpu, 0x8u);  // inactive, but the crashing thread
}

TEST(OpalCpuNotes, InvalidDataGivesTheCrashingCpuAloneOrNothing)
{
    const auto data = cpu_data({thread(0x10), thread(0x11)});
    std::vector<CpuRegs> out(4);
    for (const uint32_t ts : {0u, static_cast<uint32_t>(data.size()) + 1}) {
        const auto n = opal_cpu_regs(data, ts, crashed_on(0x11), out);
        ASSERT_TRUE(n) << ts;
        ASSERT_EQ(n.value(), 1u);
        EXPECT_EQ(out[0].cpu, 0x11u);
        EXPECT_EQ(out[0].regs, crashed_on(0x11).regs);
    }
    const auto none = opal_cpu_regs(data, 0, crashed_on(fadump::vmcore::CRASH_INFO_CPU_UNKNOWN), out);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("refuses the dump"), std::string::npos);
}

TEST(OpalCpuNotes, HostileLayoutsAreRefusedByName)
{
    const auto good = cpu_data({thread(1), thread(2)});
    const uint32_t ts = fadump::opal::thread_data_size();
    std::vector<CpuRegs> out(4);
    auto with = [&](size_t off, uint32_t v) {
        auto d = good;
        const fadump::Be32 be{v};
        std::memcpy(d.data() + off, &be, 4);
        return d;
    };
    struct Case {
        std::vector<std::byte> data;
        uint32_t ts;
        const char* why;
    };
    const std::vector<Case> cases = {
        {with(12, 0x10000000), ts, "run past the thread's"},  // entry count
        {with(16, 0x01000000), ts, "run past the thread's"},  // entry size
        {with(8, 0xfffffff0), ts, "run past the thread's"},   // entry offset
        {with(16, 0), ts, "overlap"},                         // entry size 0: one entry 2^32 times
        {with(16, 8), ts, "overlap"},
        {good, 16, "smaller than a thread header"},  // thread size
    };
    for (const auto& c : cases) {
        const auto n = opal_cpu_regs(c.data, c.ts, crashed_on(1), out);
        ASSERT_FALSE(n) << c.why;
        EXPECT_NE(n.error().message.find(c.why), std::string::npos) << n.error().message;
    }
    std::vector<CpuRegs> one(1);
    const auto too_many = opal_cpu_regs(good, ts, crashed_on(1), one);
    ASSERT_FALSE(too_many);
    EXPECT_NE(too_many.error().message.find("2 threads, the machine has 1"), std::string::npos);
}

}  // namespace
