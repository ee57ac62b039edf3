// Fuzzer bytes are skiboot's MDST, MDDT and processor dump area (guest
// data the SBE reads at S0): the MPIPL engine must never crash, never write
// outside the fake guest, and only ask for an MPIPL boot when it wrote the
// register data and MDRT.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fadump/opal/mpipl.hpp"
#include "fake_guest.hpp"

using namespace fadump;
using namespace fadump::opal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    constexpr uint64_t RAM = 64 << 20;
    constexpr uint64_t BASE = 0x2000000;
    // Addresses in the tables are scaled into the small fake RAM so the
    // fuzzer reaches valid pairs, not only out-of-RAM rejections.
    test::FakeGuest guest(RAM);
    const size_t tables = 0x400 + 0x400;
    std::vector<uint8_t> buf(data, data + std::min(size, tables + sizeof(ProcDumpArea)));
    buf.resize(tables + sizeof(ProcDumpArea));
    for (size_t i = 0; i + 16 <= tables; i += 16) {
        uint64_t a = 0;
        std::memcpy(&a, &buf[i], 8);
        a %= RAM;   // host-endian scramble is fine: it is all fuzz
        std::memcpy(&buf[i], &a, 8);
    }
    std::memcpy(guest.at(BASE + MDST_OFF), buf.data(), 0x400);
    std::memcpy(guest.at(BASE + MDDT_OFF), buf.data() + 0x400, 0x400);
    std::memcpy(guest.at(BASE + PROC_DUMP_AREA_OFF), buf.data() + tables, sizeof(ProcDumpArea));
    Mpipl mp(Mpipl::Config{RAM, 1});
    if (!mp.stash(0, STASH_KEY_SKIBOOT_BASE, BASE).ok()) {
        std::abort();
    }
    std::string why;
    if (!mp.s0(0, &why)) {
        std::abort();
    }
    std::vector<VcpuState> threads(2);
    const GuestRange reload = *GuestRange::make(GuestAddr{0}, ByteLen{0x100000});
    MpiplOutcome out = mp.dump(guest, threads, std::span(&reload, 1));
    if (out.mpipl_boot && (out.threads_saved != 2 || out.kernel_ranges_failed != 0)) {
        std::abort();
    }
    (void)mp.reset(guest, 0);
    return 0;
}
