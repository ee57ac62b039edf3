// Preservation of guest memory ranges with memmove semantics, by copying or,
// where the source is dead memory after the dump, by moving host pages.
#pragma once

#include <cstddef>
#include <vector>

#include "fadump/guest_memory.hpp"
#include "fadump/types.hpp"

namespace fadump {

/// What the platform allows for one range. A move (page-table moves with
/// mremap(MREMAP_DONTUNMAP)) leaves the source reading as zeros, so it is
/// only for a source nothing reads after the dump: memory the next boot
/// reloads or reuses (pseries: the RMR, LoPAR's "real mode region" the
/// firmware and the capture kernel boot in; PowerNV: a kernel range), and
/// that holds no other range's source or destination. `copy_reason` is
/// nullptr when a move is allowed, else why not (for the VMM's trace).
struct MovePolicy {
    const char* copy_reason = "the platform needs the source afterwards";
    static MovePolicy allow() { return MovePolicy{nullptr}; }
    static MovePolicy copy(const char* why) { return MovePolicy{why}; }
};

/// Page moves a dump decided on but left for later: they run when the
/// machine resets, before its devices reset and its firmware is reloaded.
/// Between the dump and that reset the vCPUs are stopped but devices still
/// run (a virtio device may read a ring in the source); a source moved away
/// at once would read as zeros to them. Until run() the source is intact.
class DeferredMoves {
public:
    struct Move {
        GuestRange src;  // the page-aligned middle that moves
        GuestAddr dst;
        std::byte* host_src;
        std::byte* host_dst;
        uint64_t page;
    };
    void add(const Move& m) { m_moves.push_back(m); }
    [[nodiscard]] bool empty() const { return m_moves.empty(); }
    /// Bytes waiting to move.
    [[nodiscard]] uint64_t bytes() const;
    /// Calls GuestMemory::before_moves once when anything is pending, then
    /// asks the VMM again, for each range, whether it may move (the
    /// decision was taken at the dump; since then a migration, a snapshot or
    /// a device may have started, a RAM block been resized or removed) and
    /// copies the range instead when not, with the new reason; then
    /// moves every pending range (pieces mremap refuses are copied), marks
    /// both ranges dirty, reports each through note_preserve, and forgets
    /// them. Returns the bytes moved or copied.
    uint64_t run(GuestMemory& mem);

private:
    std::vector<Move> m_moves;
};

/// Preserves `len` bytes from `src` at `dst` in guest RAM as memmove would
/// (overlap allowed, src == dst is a no-op).
///
/// The range is preserved piece by piece, split wherever either end
/// crosses from one of the VMM's RAM blocks into another
/// (GuestMemory::host_span: a NUMA node's memory backend, a DIMM), so every
/// piece below is decided, moved or copied, marked dirty and reported on
/// its own. A source and destination that overlap are one piece.
///
/// With host pointers: when `policy` allows a move and the VMM says both
/// ranges are private anonymous RAM of one host page size
/// (GuestMemory::movable_page_size), the page-aligned middle is moved with
/// mremap(2) (MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP: the
/// destination's old pages are freed, the source stays mapped and reads as
/// zeros), the partial pages at either end are copied, and any piece mremap
/// refuses (a source spanning host mappings, an old kernel) is copied;
/// else one memmove. Both ranges are then reported to mark_dirty (a move
/// changes the source too). Without host pointers at either end, a fixed
/// 1 MiB bounce buffer through read/write in the direction that is safe for
/// overlap.
/// Every range is reported to GuestMemory::note_preserve (how, and why not
/// moved).
///
/// With `defer`, a move copies the partial pages now and leaves the middle
/// in `defer` (DeferredMoves::run moves it); without, it moves at once.
///
/// Returns the number of bytes preserved or left to `defer`: `len`, or
/// fewer when guest memory failed part way (the caller reports what
/// actually happened).
[[nodiscard]] uint64_t preserve_range(GuestMemory& mem, GuestAddr src, GuestAddr dst, ByteLen len,
                                      MovePolicy policy = MovePolicy{}, DeferredMoves* defer = nullptr);

namespace detail {
/// The page mover preserve_range uses: mremap as above, or, for tests, a
/// function that refuses some ranges (mremap itself almost never refuses on
/// Linux 6.17+, which moves across host mappings). nullptr restores mremap.
/// Returns false (errno set) when the range was not moved.
using MovePagesFn = bool (*)(std::byte* from, std::byte* to, uint64_t len);
void set_move_pages_for_tests(MovePagesFn fn);
/// The real mover (mremap with MREMAP_DONTUNMAP), for a test's own mover.
bool move_pages(std::byte* from, std::byte* to, uint64_t len);
}  // namespace detail

}  // namespace fadump
