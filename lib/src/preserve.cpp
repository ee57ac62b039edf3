#include "fadump/preserve.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

// Linux 5.7 (include/uapi/linux/mman.h); older C libraries lack the name.
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

namespace fadump {
namespace {

// mremap's unit when the whole middle cannot move at once (a source that
// spans several host mappings): small enough that one refusal costs little
// copying, large enough that a 1 GiB range is a few hundred calls.
constexpr uint64_t MOVE_CHUNK = 2ULL << 20;

uintptr_t addr_of(const std::byte* p)
{
    return reinterpret_cast<uintptr_t>(p);
}

detail::MovePagesFn g_move_pages = nullptr;

bool move_pages(std::byte* from, std::byte* to, uint64_t len)
{
    return g_move_pages != nullptr ? g_move_pages(from, to, len) : detail::move_pages(from, to, len);
}

// Moves [hs, hs + len) to hd; both page aligned, len a multiple of `page`.
// Pieces mremap refuses are copied. Returns the bytes that had to be
// copied, and the first errno seen in `err`.
uint64_t move_middle(std::byte* hs, std::byte* hd, uint64_t len, uint64_t page, int& err)
{
    if (move_pages(hs, hd, len)) {
        return 0;
    }
    err = errno;
    const uint64_t chunk = std::max(page, MOVE_CHUNK - MOVE_CHUNK % page);
    uint64_t copied = 0;
    for (uint64_t off = 0; off < len; off += chunk) {
        const uint64_t n = std::min(chunk, len - off);
        if (!move_pages(hs + off, hd + off, n)) {
            std::memcpy(hd + off, hs + off, n);
            copied += n;
        }
    }
    return copied;
}

const char* copy_reason_for(GuestMemory& mem, const GuestRange& s, const GuestRange& d, const std::byte* hs,
                            const std::byte* hd, MovePolicy policy, uint64_t& page)
{
    if (policy.copy_reason != nullptr) {
        return policy.copy_reason;
    }
    const char* why = nullptr;
    page = mem.movable_page_size(s, &why);
    if (page == 0) {
        return why != nullptr ? why : "the VMM does not allow moving the source";
    }
    if (mem.movable_page_size(d, &why) != page) {
        return why != nullptr ? why : "the destination is not movable memory of the same page size";
    }
    if ((page & (page - 1)) != 0) {
        return "the VMM's page size is not a power of two";
    }
    if (s.overlaps(d)) {
        return "source and destination overlap";
    }
    if (addr_of(hs) % page != addr_of(hd) % page) {
        return "source and destination are not congruent modulo the host page size";
    }
    const uint64_t head = (page - addr_of(hd) % page) % page;
    if (s.len().bytes < head + page) {
        return "shorter than one host page";
    }
    return nullptr;
}

// Moves one page-aligned middle now: notes and dirty marks included.
void move_now(GuestMemory& mem, const GuestRange& s, GuestAddr dst, std::byte* hs, std::byte* hd, uint64_t page)
{
    const uint64_t mid = s.len().bytes;
    int err = 0;
    const uint64_t copied = move_middle(hs, hd, mid, page, err);
    mem.mark_dirty(*GuestRange::make(dst, s.len()));
    mem.mark_dirty(s);  // the moved pages left the source: it reads zeros now
    if (copied == 0) {
        mem.note_preserve(s, dst, "move", nullptr);
    } else if (copied == mid) {
        mem.note_preserve(s, dst, "copy",
                          err == EFAULT ? "mremap: the source spans host mappings" : "mremap refused the range");
    } else {
        mem.note_preserve(s, dst, "move", "mremap refused some pieces: they were copied");
    }
}

// The host-pointer path: a move of whole pages where allowed (now, or left
// to `defer`), else memmove.
uint64_t preserve_host(GuestMemory& mem, const GuestRange& s, const GuestRange& d, std::byte* hs, std::byte* hd,
                       MovePolicy policy, DeferredMoves* defer)
{
    const uint64_t len = s.len().bytes;
    uint64_t page = 0;
    const char* why = copy_reason_for(mem, s, d, hs, hd, policy, page);
    if (why != nullptr) {
        std::memmove(hd, hs, len);
        mem.mark_dirty(d);
        mem.note_preserve(s, d.start(), "copy", why);
        return len;
    }
    const uint64_t head = (page - addr_of(hd) % page) % page;
    const uint64_t mid = (len - head) / page * page;
    const uint64_t tail = len - head - mid;
    // The ranges do not overlap (checked above): order does not matter.
    std::memcpy(hd, hs, head);
    std::memcpy(hd + head + mid, hs + head + mid, tail);
    if (head + tail != 0) {
        mem.mark_dirty(d);
    }
    const GuestRange mid_src = *GuestRange::make(GuestAddr{s.start().value + head}, ByteLen{mid});
    const GuestAddr mid_dst{d.start().value + head};
    if (defer != nullptr) {
        defer->add({mid_src, mid_dst, hs + head, hd + head, page});
    } else {
        move_now(mem, mid_src, mid_dst, hs + head, hd + head, page);
    }
    return len;
}

constexpr uint64_t BOUNCE_CHUNK = 1ULL << 20;
using BounceBuffer = std::array<std::byte, BOUNCE_CHUNK>;

// Copies through a fixed-size buffer (no host pointers), backwards when the
// destination starts inside the source so overlap behaves as memmove.
// Returns the bytes preserved: all, or what was done before guest memory
// failed (0 for a failed backward copy, whose done part is the end).
uint64_t bounce(GuestMemory& mem, const GuestRange& s, GuestAddr dst, std::unique_ptr<BounceBuffer>& buf)
{
    if (!buf) {
        buf = std::make_unique<BounceBuffer>();
    }
    const uint64_t len = s.len().bytes;
    const bool backwards = dst.value > s.start().value && dst.value < s.end();
    uint64_t done = 0;
    while (done < len) {
        const uint64_t n = std::min(BOUNCE_CHUNK, len - done);
        const uint64_t off = backwards ? len - done - n : done;
        std::span<std::byte> chunk(buf->data(), n);
        if (!mem.read(GuestAddr{s.start().value + off}, chunk) || !mem.write(GuestAddr{dst.value + off}, chunk)) {
            return backwards ? 0 : done;
        }
        done += n;
    }
    mem.note_preserve(s, dst, "copy", "no host pointers (read/write through a bounce buffer)");
    return done;
}

// A range preserved as one piece: over host pointers when both ends lie in
// one RAM block each (moved or copied as `policy` and the VMM allow), else
// through the bounce buffer, which orders its chunks for overlap. For a
// source and destination that share bytes (the platforms refuse this; kept
// memmove-safe all the same) and for a deferred move copied instead.
uint64_t preserve_whole(GuestMemory& mem, const GuestRange& s, const GuestRange& d, MovePolicy policy,
                        DeferredMoves* defer)
{
    std::byte* hs = mem.host_ptr(s);
    std::byte* hd = mem.host_ptr(d);
    if (hs != nullptr && hd != nullptr) {
        return preserve_host(mem, s, d, hs, hd, policy, defer);
    }
    std::unique_ptr<BounceBuffer> buf;
    return bounce(mem, s, d.start(), buf);
}

}  // namespace

uint64_t DeferredMoves::bytes() const
{
    uint64_t n = 0;
    for (const Move& m : m_moves) {
        n += m.src.len().bytes;
    }
    return n;
}

namespace {

// Why a move decided at the dump may no longer run at the reset, or nullptr
// when it may: the VMM is asked again, as at the dump, and both ends must
// still be where they were (a RAM block resized or removed since moves its
// host pointer or drops it).
const char* recheck(GuestMemory& mem, const DeferredMoves::Move& m)
{
    const GuestRange d = *GuestRange::make(m.dst, m.src.len());
    uint64_t sspan = 0;
    uint64_t dspan = 0;
    if (mem.host_span(m.src.start(), m.src.len(), sspan) != m.host_src || sspan != m.src.len().bytes ||
        mem.host_span(m.dst, m.src.len(), dspan) != m.host_dst || dspan != m.src.len().bytes) {
        return "re-checked at the reset: a RAM block changed since the dump";
    }
    const char* why = nullptr;
    if (mem.movable_page_size(m.src, &why) != m.page || mem.movable_page_size(d, &why) != m.page) {
        return why != nullptr ? why : "re-checked at the reset: the VMM no longer allows moving";
    }
    return nullptr;
}

}  // namespace

uint64_t DeferredMoves::run(GuestMemory& mem)
{
    uint64_t n = 0;
    if (!m_moves.empty()) {
        mem.before_moves();
    }
    for (const Move& m : m_moves) {
        if (const char* why = recheck(mem, m)) {
            // Copied instead: the source still holds what it held at the dump.
            (void)preserve_whole(mem, m.src, *GuestRange::make(m.dst, m.src.len()), MovePolicy::copy(why), nullptr);
        } else {
            move_now(mem, m.src, m.dst, m.host_src, m.host_dst, m.page);
        }
        n += m.src.len().bytes;
    }
    m_moves.clear();
    return n;
}

namespace detail {

void set_move_pages_for_tests(MovePagesFn fn)
{
    g_move_pages = fn;
}

bool move_pages(std::byte* from, std::byte* to, uint64_t len)
{
    void* r = ::mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);
    return r != MAP_FAILED;
}

}  // namespace detail

uint64_t preserve_range(GuestMemory& mem, GuestAddr src, GuestAddr dst, ByteLen len, MovePolicy policy,
                        DeferredMoves* defer)
{
    auto s = GuestRange::make(src, len);
    auto d = GuestRange::make(dst, len);
    if (!s || !d) {
        return 0;
    }
    if (len.bytes == 0 || src == dst) {
        return len.bytes;
    }
    if (s->overlaps(*d)) {
        return preserve_whole(mem, *s, *d, policy, defer);
    }
    // Piece by piece: each piece lies in one RAM block at both ends (a
    // NUMA node's backend, a DIMM), so the decision to move or copy and
    // the dirty marks are per block.
    std::unique_ptr<BounceBuffer> buf;  // made at the first piece without host pointers
    uint64_t done = 0;
    while (done < len.bytes) {
        const GuestAddr ps{src.value + done};
        const GuestAddr pd{dst.value + done};
        const ByteLen rest{len.bytes - done};
        uint64_t sspan = 0;
        uint64_t dspan = 0;
        std::byte* hs = mem.host_span(ps, rest, sspan);
        std::byte* hd = mem.host_span(pd, rest, dspan);
        if (hs != nullptr && hd != nullptr) {
            const ByteLen n{std::min(sspan, dspan)};
            done += preserve_host(mem, *GuestRange::make(ps, n), *GuestRange::make(pd, n), hs, hd, policy, defer);
            continue;
        }
        // No host mapping at one end: bounce a chunk (re-deciding after it,
        // as the unmapped end may become RAM), or all the rest when neither
        // end is mapped (read/write reach any memory there is).
        const uint64_t n = hs != nullptr   ? std::min(sspan, BOUNCE_CHUNK)
                           : hd != nullptr ? std::min(dspan, BOUNCE_CHUNK)
                                           : rest.bytes;
        const uint64_t got = bounce(mem, *GuestRange::make(ps, ByteLen{n}), pd, buf);
        done += got;
        if (got != n) {
            break;
        }
    }
    return done;
}

}  // namespace fadump
