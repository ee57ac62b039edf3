#include "fadump/preserve.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace fadump {

uint64_t preserve_range(GuestMemory& mem, GuestAddr src, GuestAddr dst, ByteLen len)
{
    auto s = GuestRange::make(src, len);
    auto d = GuestRange::make(dst, len);
    if (!s || !d) {
        return 0;
    }
    if (len.bytes == 0 || src == dst) {
        return len.bytes;
    }
    std::byte* hs = mem.host_ptr(*s);
    std::byte* hd = mem.host_ptr(*d);
    if (hs != nullptr && hd != nullptr) {
        std::memmove(hd, hs, len.bytes);
        mem.mark_dirty(*d);
        return len.bytes;
    }
    // Bounce through a fixed-size buffer; copy backwards when the
    // destination starts inside the source so overlap behaves as memmove.
    constexpr uint64_t CHUNK = 1ULL << 20;
    auto buf = std::make_unique<std::array<std::byte, CHUNK>>();
    const bool backwards = dst.value > src.value && dst.value < s->end();
    uint64_t done = 0;
    while (done < len.bytes) {
        const uint64_t n = std::min(CHUNK, len.bytes - done);
        const uint64_t off = backwards ? len.bytes - done - n : done;
        std::span<std::byte> chunk(buf->data(), n);
        if (!mem.read(GuestAddr{src.value + off}, chunk) || !mem.write(GuestAddr{dst.value + off}, chunk)) {
            return backwards ? 0 : done;
        }
        done += n;
    }
    return done;
}

}  // namespace fadump
