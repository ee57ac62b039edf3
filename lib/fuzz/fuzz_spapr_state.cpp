// A migration stream's fadump state is another host's data: hostile. The
// fuzzer hands arbitrary bytes to SpaprFadump::load_state on a 64 MiB,
// 2-thread machine. Nothing may crash; a state that is accepted must save
// back byte for byte (nothing invented, nothing lost), and the engine must
// then behave: properties, a reset, INVALIDATE or a dump.
//
// Input: the state blob itself (papr/migration_state.hpp). Seeds:
// lib/fuzz/corpus/fuzz_spapr_state (make_corpus.py).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fadump/papr/spapr_fadump.hpp"
#include "reusable_guest.hpp"

using namespace fadump;
using namespace fadump::papr;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    constexpr uint64_t RAM = 64 << 20;
    static fuzz::ReusableGuest guest(RAM);
    SpaprFadump fd(SpaprFadump::Config{RAM, RAM, 2});
    const std::span<const std::byte> blob(reinterpret_cast<const std::byte*>(data), size);
    if (!fd.load_state(blob)) {
        if (fd.state_needed()) {
            std::abort();  // a refused state left something behind
        }
        return 0;
    }
    auto again = fd.save_state();
    if (!again || again.value().size() != size || std::memcmp(again.value().data(), data, size) != 0) {
        std::abort();  // accepted, but not what was sent
    }
    (void)fd.prop_kernel_dump();
    (void)fd.reboot_limit();
    guest.reset();
    if (fd.begin_dump()) {
        std::vector<VcpuState> cpus(2);
        (void)fd.dump(guest, cpus);
        (void)fd.reset();
    }
    (void)fd.configure(guest, 3, GuestAddr{0}, ByteLen{0});
    return 0;
}
