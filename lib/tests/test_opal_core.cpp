// skiboot's OPAL core on the host (opal/opal_core.hpp): from what an MPIPL
// preserved and what skiboot had at S0, laid out as Linux opal-core.c's
// create_opalcore lays out /sys/firmware/opal/mpipl/core, read back by
// libelf.
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "fadump/export/vmcore_writer.hpp"
#include "fadump/opal/mpipl.hpp"
#include "fadump/opal/opal_core.hpp"
#include "fadump/opal/thread_regs.hpp"
#include "fadump/vmcore/cpu_notes.hpp"
#include "fake_guest.hpp"
#include "mpipl_guest.hpp"

using namespace fadump;
using namespace fadump::opal;
using fadump::test::FakeGuest;

namespace {

using namespace fadump::test::mpipl;
constexpr uint64_t BOOT_ENTRY = BASE + 0x3008;

// Power ISA encodings of skiboot's fdt_entry path (asm/head.S): tdi 0,0,0x48
// (FIXUP_ENDIAN), b +0x2c, mr r27,r3, b boot_entry; boot_entry starts with
// mfspr r28,PVR.
constexpr uint32_t TDI = 0x08000048, MR_R27_R3 = 0x7c7b1b78, MFSPR_R28_PVR = 0x7f9f42a6;
constexpr uint32_t branch(int32_t off)
{
    return 0x48000000U | (static_cast<uint32_t>(off) & 0x03fffffcU);
}

uint32_t be32(const std::byte* p)
{
    return (std::to_integer<uint32_t>(p[0]) << 24) | (std::to_integer<uint32_t>(p[1]) << 16) |
           (std::to_integer<uint32_t>(p[2]) << 8) | std::to_integer<uint32_t>(p[3]);
}

uint64_t be64(const std::byte* p)
{
    return (uint64_t{be32(p)} << 32) | be32(p + 4);
}

struct OpalCoreTest : ::testing::Test {
    FakeGuest g{RAM};
    Mpipl mp{Mpipl::Config{RAM, 1}};

    void word(uint64_t addr, uint32_t w) { g.put(addr, Be32{w}); }
    void skiboot_head()
    {
        word(BASE + 0x10, TDI);
        word(BASE + 0x14, branch(0x2c));
        word(BASE + 0x40, MR_R27_R3);
        word(BASE + 0x44, branch(static_cast<int32_t>(BOOT_ENTRY - (BASE + 0x44))));
        word(BOOT_ENTRY, MFSPR_R28_PVR);
    }
    void entry(uint64_t table, size_t i, uint64_t addr, uint8_t region, uint32_t size)
    {
        test::mpipl::entry(g, table, i, addr, region, size);
    }
    // skiboot's own memory, and a kernel's boot memory when `kernel`, its
    // real 6.12 crash info header and VMCOREINFO after it.
    void registered(bool kernel, uint32_t crashing_pir)
    {
        g.fill_pattern(BASE + 0x20000, MDRT_OFF - 0x20000, 5);  // past the tables
        skiboot_head();
        g.put(BASE + DUMP_METADATA_OFF, Be32{crashing_pir});
        entry(MDST_OFF, 0, BASE, REGION_OPAL_MEMORY, static_cast<uint32_t>(OPAL_SIZE));
        entry(MDDT_OFF, 0, OPAL_DEST, REGION_OPAL_MEMORY, static_cast<uint32_t>(OPAL_SIZE));
        if (kernel) {
            entry(MDST_OFF, 1, 0, 0x80, 0x1000000);
            entry(MDDT_OFF, 1, KDEST, 0x80, 0x1000000);
            ASSERT_TRUE(g.write(GuestAddr{KDEST + 0x1000000}, test::fixture("crash-info")));
            ASSERT_TRUE(g.write(GuestAddr{0x15790000}, test::fixture("vmcoreinfo")));
        }
        ProcDumpArea p{};
        p.alloc_addr = REGS | HRMOR_BIT;
        p.alloc_size = 0x80000;
        g.put(BASE + PROC_DUMP_AREA_OFF, p);
    }
    // The MPIPL of 4 threads (PIR 0-3), as the platform records it.
    DumpRecord dumped()
    {
        EXPECT_TRUE(mp.stash(0, STASH_KEY_SKIBOOT_BASE, BASE).ok());
        EXPECT_TRUE(mp.s0(0).ok());
        std::vector<VcpuState> t(4);
        for (uint32_t i = 0; i < 4; ++i) {
            t[i].pir = i;
            t[i].nia = 0x30001000 + i;
            t[i].gpr[1] = 0x31f00000 + i * 0x100;
            t[i].lr = 0x30002000 + i;
        }
        const auto out = mp.dump(g, t, {});
        EXPECT_TRUE(out.mpipl_boot) << out.problems;
        mp.finish_moves(g);
        g.fill_pattern(BASE, OPAL_SIZE, 99);  // the MPIPL boot's skiboot: the source is no longer the dump
        return mp.last_dump().value_or(DumpRecord{});
    }
};

// The registers and identity of one NT_PRSTATUS note's descriptor.
struct Prstatus {
    uint16_t cursig;
    uint32_t pid, ppid;
    uint64_t nip, r1, link;
};

Prstatus prstatus_at(const std::vector<std::byte>& notes, size_t note)
{
    const std::byte* d = notes.data() + note * vmcore::PRSTATUS_NOTE_BYTES + 20;
    return {static_cast<uint16_t>(be32(d + 12) >> 16),
            be32(d + 32),
            be32(d + 36),
            be64(d + vmcore::PRSTATUS_REG_OFFSET + 32 * 8),
            be64(d + vmcore::PRSTATUS_REG_OFFSET + 8),
            be64(d + vmcore::PRSTATUS_REG_OFFSET + 36 * 8)};
}

}  // namespace

TEST_F(OpalCoreTest, SkibootsBootEntryIsWhereFdtEntryBranches)
{
    skiboot_head();
    EXPECT_EQ(skiboot_boot_entry(g, BASE), BOOT_ENTRY);

    // Not skiboot's head: nothing at fdt_entry, a branch to itself, a
    // branch out of skiboot's memory, a little-endian image.
    FakeGuest empty{RAM};
    EXPECT_FALSE(skiboot_boot_entry(empty, BASE));
    word(BASE + 0x44, branch(0));
    EXPECT_FALSE(skiboot_boot_entry(g, BASE)) << "a loop ends after 16 instructions";
    word(BASE + 0x44, branch(-0x100));
    EXPECT_FALSE(skiboot_boot_entry(g, BASE)) << "below skiboot's base";
    word(BASE + 0x44, branch(0x1fffffc));
    EXPECT_FALSE(skiboot_boot_entry(g, BASE)) << "past SKIBOOT_SIZE";
    skiboot_head();
    for (uint64_t at : {BASE + 0x10, BASE + 0x14, BASE + 0x40, BASE + 0x44, BOOT_ENTRY}) {
        word(at, byteswap(g.get<Be32>(at).get()));
    }
    EXPECT_FALSE(skiboot_boot_entry(g, BASE)) << "a little-endian image (its swapped tdi is a branch)";
    // Something else where fdt_entry's mr r27,r3 should be.
    skiboot_head();
    word(BASE + 0x40, 0x38600000);  // li r3,0
    EXPECT_FALSE(skiboot_boot_entry(g, BASE));
}

TEST_F(OpalCoreTest, TheOpalCoreIsWhatCreateOpalcoreBuilds)
{
    registered(true, 2);
    const DumpRecord rec = dumped();
    ASSERT_EQ(rec.opal.size(), 1u);
    EXPECT_EQ(rec.crashing_pir, 2u);
    EXPECT_EQ(rec.opal_boot, BOOT_ENTRY);
    auto plan = plan_opal_core(g, rec);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->shape, vmcore::CoreShape::OpalCore);
    EXPECT_TRUE(plan->big_endian);
    EXPECT_EQ(plan->cpus, 4u);
    EXPECT_EQ(plan->page_size, 65536u) << "the kernel's VMCOREINFO";
    ASSERT_EQ(plan->loads.size(), 1u);
    EXPECT_EQ(plan->loads[0], (vmcore::Load{.paddr = 0, .bytes = OPAL_SIZE, .from = GuestAddr{OPAL_DEST}}));
    constexpr uint64_t NOTES = 4 * vmcore::PRSTATUS_NOTE_BYTES + vmcore::OPAL_CORE_AUXV_NOTE_BYTES;
    EXPECT_EQ(plan->pt_note_bytes, NOTES);
    ASSERT_EQ(plan->notes.size(), NOTES);

    // The crashing PIR first, SIGUSR1 (the kernel's header names a crashing
    // CPU), then the others in data order; pr_pid 100 + PIR.
    const uint32_t pids[] = {102, 100, 101, 103};
    for (size_t i = 0; i < 4; ++i) {
        const Prstatus p = prstatus_at(plan->notes, i);
        const uint32_t pir = pids[i] - 100;
        EXPECT_EQ(p.pid, pids[i]);
        EXPECT_EQ(p.ppid, 1u);
        EXPECT_EQ(p.cursig, i == 0 ? 10 : 0);
        EXPECT_EQ(p.nip, 0x30001000u + pir);
        EXPECT_EQ(p.r1, 0x31f00000u + pir * 0x100);
        EXPECT_EQ(p.link, 0x30002000u + pir);
    }
    const std::byte* auxv = plan->notes.data() + 4 * vmcore::PRSTATUS_NOTE_BYTES;
    EXPECT_EQ(be32(auxv + 8), 6u);   // NT_AUXV
    EXPECT_EQ(be64(auxv + 20), 9u);  // AT_ENTRY
    EXPECT_EQ(be64(auxv + 28), BOOT_ENTRY);

    // The file, read back by libelf.
    const auto layout = vmcore::file_layout(*plan);
    auto pieces = vmcore::host_pieces(g, *plan, layout);
    ASSERT_TRUE(pieces.ok()) << pieces.error().message;
    char tmpl[] = "/tmp/fadump-opalcore-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    const int dirfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_TRUE(vmcore::write_vmcore(dirfd, "opalcore", *plan, layout, *pieces, nullptr).ok());
    const int fd = openat(dirfd, "opalcore", O_RDONLY);
    ASSERT_EQ(elf_version(EV_CURRENT), static_cast<unsigned>(EV_CURRENT));
    Elf* e = elf_begin(fd, ELF_C_READ, nullptr);
    GElf_Ehdr eh{};
    ASSERT_NE(gelf_getehdr(e, &eh), nullptr);
    EXPECT_EQ(eh.e_ident[EI_DATA], ELFDATA2MSB);
    EXPECT_EQ(eh.e_flags, 0u);
    EXPECT_EQ(eh.e_phnum, 2u);
    GElf_Phdr note{}, load{};
    gelf_getphdr(e, 0, &note);
    gelf_getphdr(e, 1, &load);
    EXPECT_EQ(note.p_type, static_cast<uint32_t>(PT_NOTE));
    EXPECT_EQ(note.p_offset, 64u + 2 * 56);
    EXPECT_EQ(note.p_filesz, NOTES);
    EXPECT_EQ(note.p_align, 0u);
    EXPECT_EQ(load.p_offset, 65536u) << "the page after the notes";
    EXPECT_EQ(load.p_paddr, 0u);
    EXPECT_EQ(load.p_vaddr, BASE);
    EXPECT_EQ(load.p_filesz, OPAL_SIZE);
    elf_end(e);
    std::vector<std::byte> bytes(OPAL_SIZE);
    ASSERT_EQ(pread(fd, bytes.data(), bytes.size(), 65536), static_cast<ssize_t>(OPAL_SIZE));
    EXPECT_EQ(std::memcmp(bytes.data(), g.at(OPAL_DEST), OPAL_SIZE), 0) << "skiboot's memory as at S0";
    EXPECT_EQ(lseek(fd, 0, SEEK_END), static_cast<off_t>(65536 + OPAL_SIZE));
    close(fd);
    close(dirfd);
    std::filesystem::remove_all(dir);
}

TEST_F(OpalCoreTest, WithoutAKernelItIsSigtermAndThreadsOfInactiveCoresAreLeftOut)
{
    registered(false, 1);
    DumpRecord rec = dumped();
    EXPECT_TRUE(rec.kernel.empty());
    // Thread 3's core inactive (core_state 0x0F): no note.
    g.at(REGS + 3 * thread_data_size() + 4)[0] = std::byte{0x0F};
    auto plan = plan_opal_core(g, rec);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->cpus, 3u);
    EXPECT_EQ(plan->page_size, 65536u);
    EXPECT_EQ(prstatus_at(plan->notes, 0).cursig, 15) << "SIGTERM: no kernel asked";
    EXPECT_EQ(prstatus_at(plan->notes, 0).pid, 101u);
    EXPECT_EQ(prstatus_at(plan->notes, 2).pid, 102u);
    // The AUXV note follows the third; zeros after it up to the PT_NOTE's end.
    EXPECT_EQ(be32(plan->notes.data() + 3 * vmcore::PRSTATUS_NOTE_BYTES + 8), 6u);
    EXPECT_EQ(plan->notes.size(), plan->pt_note_bytes);
}

TEST_F(OpalCoreTest, ACrashingPirNoThreadHasLeavesTheFirstNoteEmptyAsLinuxDoes)
{
    registered(false, 0x77);
    auto plan = plan_opal_core(g, dumped());
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->cpus, 4u);
    EXPECT_EQ(be32(plan->notes.data()), 0u) << "the first note stays empty";
    EXPECT_EQ(prstatus_at(plan->notes, 1).pid, 100u);
    EXPECT_EQ(prstatus_at(plan->notes, 4).pid, 103u);
    // The AUXV note lies past the PT_NOTE, in the padding before the memory.
    EXPECT_EQ(plan->notes.size(), plan->pt_note_bytes + vmcore::PRSTATUS_NOTE_BYTES);
}

TEST_F(OpalCoreTest, WhatLinuxWouldNotExportIsRefusedByName)
{
    registered(false, 0);
    const DumpRecord rec = dumped();
    auto why = [&](const DumpRecord& r) {
        auto p = plan_opal_core(g, r);
        return p.ok() ? std::string("planned") : p.error().message;
    };
    DumpRecord r = rec;
    r.opal.clear();
    EXPECT_NE(why(r).find("no OPAL memory region"), std::string::npos) << why(r);
    r = rec;
    r.opal_boot.reset();
    EXPECT_NE(why(r).find("boot_entry"), std::string::npos) << why(r);
    r = rec;
    r.threads = 0;
    EXPECT_NE(why(r).find("CPU state data is invalid"), std::string::npos) << why(r);
    r = rec;
    r.opal.assign(9, rec.opal.front());
    auto nine = plan_opal_core(g, r);
    ASSERT_TRUE(nine.ok()) << nine.error().message;
    EXPECT_EQ(nine->loads.size(), OPAL_CORE_MAX_LOADS) << "Linux's MAX_PT_LOAD_CNT";
    EXPECT_EQ(nine->loads[7].paddr, 7 * OPAL_SIZE);
    r.opal.assign(2, rec.opal.front());
    r.opal[0].size = ByteLen{~uint64_t{0}};
    EXPECT_NE(why(r).find("wrap"), std::string::npos) << why(r);
    r = rec;
    r.cpu_data = GuestAddr{RAM - 16};
    EXPECT_NE(why(r).find("architected register data"), std::string::npos) << why(r);
}
