// The whole RTAS path with hostile input: the fuzzer picks the command,
// the buffer address and length and writes the guest memory around it; a
// registration that is accepted is then dumped. Nothing may crash, hang or
// touch memory outside the fake guest.
//
// Input: cmd u32, addr u32, len u32 (host-endian), then the bytes placed in
// guest RAM at addr. The 8 MiB guest is allocated once and reset to zero
// before every input (reusable_guest.hpp). Seeds: lib/fuzz/corpus/fuzz_configure.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "fadump/papr/spapr_fadump.hpp"
#include "reusable_guest.hpp"

using namespace fadump;
using namespace fadump::papr;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    constexpr uint64_t RAM = 8 << 20;
    static fuzz::ReusableGuest guest(RAM);
    if (size < 12) {
        return 0;
    }
    guest.reset();
    uint32_t cmd = 0;
    uint32_t addr = 0;
    uint32_t len = 0;
    std::memcpy(&cmd, data, 4);
    std::memcpy(&addr, data + 4, 4);
    std::memcpy(&len, data + 8, 4);
    cmd = cmd % 5;
    addr %= RAM;
    guest.load(addr, std::span(data + 12, size - 12));
    SpaprFadump fd(SpaprFadump::Config{RAM, RAM, 2});
    (void)fd.configure(guest, cmd, GuestAddr{addr}, ByteLen{len});
    if (fd.begin_dump()) {
        std::vector<VcpuState> cpus(2);
        (void)fd.dump(guest, cpus);
        (void)fd.prop_kernel_dump();
        (void)fd.reset();
        (void)fd.configure(guest, 3, GuestAddr{0}, ByteLen{0});
    }
    return 0;
}
