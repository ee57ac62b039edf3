// Fuzzer bytes are an fdm the guest wrote: parse_fdm must never crash,
// and whatever it accepts must satisfy the rules it promises.
#include <cstdint>
#include <cstdlib>

#include "fadump/papr/fdm.hpp"
#include "fadump/papr/register_save_area.hpp"

using namespace fadump;
using namespace fadump::papr;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    FdmLimits l;
    l.ram = *GuestRange::make(GuestAddr{0}, ByteLen{4ULL << 30});
    l.rmr = *GuestRange::make(GuestAddr{0}, ByteLen{1ULL << 30});
    l.cpu_state_bytes = cpu_state_size(4);
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    auto r = parse_fdm(bytes, *GuestRange::make(GuestAddr{0x10000}, ByteLen{size}), l);
    if (!r.ok()) {
        return 0;
    }
    // Accepted: every destination inside RAM, none overlapping another.
    for (uint16_t i = 0; i < r->count; ++i) {
        const auto& a = r->sections[i];
        auto da = GuestRange::make(GuestAddr{a.destination_address}, ByteLen{a.source_length});
        if (!da || (!da->empty() && !l.ram.contains(*da))) {
            std::abort();
        }
        for (uint16_t j = static_cast<uint16_t>(i + 1); j < r->count; ++j) {
            const auto& b = r->sections[j];
            auto db = GuestRange::make(GuestAddr{b.destination_address}, ByteLen{b.source_length});
            if (db && da->overlaps(*db)) {
                std::abort();
            }
        }
    }
    return 0;
}
