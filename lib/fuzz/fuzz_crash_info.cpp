// Fuzzer bytes are a crash info header the crashed kernel left in guest
// memory: parse_crash_info must never crash, read past the bytes or accept
// a header that breaks the rules it promises.
#include <cstdint>
#include <cstdlib>

#include "fadump/vmcore/crash_info.hpp"

using namespace fadump;
using namespace fadump::vmcore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto ram = *GuestRange::make(GuestAddr{0}, ByteLen{4ULL << 30});
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    const auto r = parse_crash_info(bytes, ram);
    if (!r.ok()) {
        return 0;
    }
    // Accepted: VMCOREINFO inside RAM and at most 64 KiB, the mask within
    // the bytes and its bound, no more CPUs online than it has bits.
    const CrashInfo& ci = r.value();
    if (!ram.contains(ci.vmcoreinfo) || ci.vmcoreinfo.empty() ||
        ci.vmcoreinfo.len().bytes > CRASH_INFO_MAX_VMCOREINFO_BYTES || ci.cpu_mask_bytes == 0 ||
        ci.cpu_mask_bytes > CRASH_INFO_MAX_CPU_MASK_BYTES || size < CRASH_INFO_FIXED_BYTES + ci.cpu_mask_bytes ||
        ci.online_cpus > ci.cpu_mask_bytes * 8) {
        std::abort();
    }
    return 0;
}
