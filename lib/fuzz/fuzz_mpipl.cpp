// Fuzzer bytes are skiboot's MDST, MDDT and processor dump area (guest
// data the SBE reads at S0): the MPIPL engine must never crash, never write
// outside the fake guest, and only ask for an MPIPL boot when it wrote the
// register data and MDRT.
//
// Input: MDST (0x400 bytes), MDDT (0x400), processor dump area (0x30), as
// the engine reads them (big-endian); then, optionally, skiboot's metadata
// (its first 4 bytes: the crashing PIR) and up to 0x80 bytes of skiboot's
// image from fdt_entry (base + 0x10) on, which the OPAL core's boot entry
// walk reads. After an MPIPL boot the OPAL core is planned: never more
// than 8 PT_LOADs or 2 threads' notes (plus Linux's one past the PT_NOTE),
// a boot entry inside skiboot's memory. The 32 MiB guest is allocated once
// and reset to zero before every input (reusable_guest.hpp). Seeds:
// lib/fuzz/corpus/fuzz_mpipl.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fadump/opal/mpipl.hpp"
#include "fadump/opal/opal_core.hpp"
#include "fadump/vmcore/cpu_notes.hpp"
#include "reusable_guest.hpp"

using namespace fadump;
using namespace fadump::opal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // Skiboot's tables end SKIBOOT_SIZE (28 MiB + 64 KiB) above its base.
    constexpr uint64_t RAM = 32 << 20;
    constexpr uint64_t BASE = 0x100000;
    static_assert(BASE + SKIBOOT_SIZE <= RAM);
    static fuzz::ReusableGuest guest(RAM);
    guest.reset();
    constexpr size_t TABLE = MDST_ENTRIES * sizeof(MdstEntry);
    constexpr size_t TABLES = 2 * TABLE + sizeof(ProcDumpArea);
    constexpr size_t HEAD = 0x80;
    std::vector<uint8_t> buf(data, data + std::min(size, TABLES + 4 + HEAD));
    buf.resize(TABLES + 4 + HEAD);
    // Table addresses are folded into RAM (keeping the HRMOR bit), so the
    // fuzzer reaches valid pairs, not only out-of-RAM rejections; sizes are
    // left alone and still reach past RAM.
    for (size_t i = 0; i < 2 * TABLE; i += sizeof(MdstEntry)) {
        MdstEntry e;
        std::memcpy(&e, &buf[i], sizeof e);
        const uint64_t a = e.addr;
        e.addr = ((a & ~HRMOR_BIT) % RAM) | (a & HRMOR_BIT);
        std::memcpy(&buf[i], &e, sizeof e);
    }
    guest.load(BASE + MDST_OFF, std::span(buf.data(), TABLE));
    guest.load(BASE + MDDT_OFF, std::span(buf.data() + TABLE, TABLE));
    guest.load(BASE + PROC_DUMP_AREA_OFF, std::span(buf.data() + 2 * TABLE, sizeof(ProcDumpArea)));
    guest.load(BASE + DUMP_METADATA_OFF, std::span(buf.data() + TABLES, 4));
    guest.load(BASE + FDT_ENTRY_OFF, std::span(buf.data() + TABLES + 4, HEAD));
    Mpipl mp(Mpipl::Config{RAM, 1});
    if (!mp.stash(0, STASH_KEY_SKIBOOT_BASE, BASE).ok()) {
        std::abort();
    }
    if (!mp.s0(0).ok()) {
        std::abort();
    }
    std::vector<VcpuState> threads(2);
    const GuestRange reload = *GuestRange::make(GuestAddr{0}, ByteLen{0x100000});
    MpiplOutcome out = mp.dump(guest, threads, std::span(&reload, 1));
    if (out.mpipl_boot && (out.threads_saved != 2 || out.kernel_ranges_failed != 0)) {
        std::abort();
    }
    if (out.mpipl_boot) {
        mp.finish_moves(guest);
        const DumpRecord& rec = *mp.last_dump();
        if (rec.opal_boot && (*rec.opal_boot < BASE || *rec.opal_boot >= BASE + SKIBOOT_SIZE)) {
            std::abort();
        }
        const auto core = plan_opal_core(guest, rec);
        if (core.ok() && (core->loads.size() > OPAL_CORE_MAX_LOADS || core->cpus > 2 ||
                          core->notes.size() > core->pt_note_bytes + vmcore::PRSTATUS_NOTE_BYTES)) {
            std::abort();
        }
    }
    (void)mp.reset(guest, 0);
    return 0;
}
