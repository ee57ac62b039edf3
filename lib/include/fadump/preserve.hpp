// Preservation of guest memory ranges with memmove semantics, by copying or,
// where the source is dead memory after the dump, by moving host pages.
#pragma once

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

/// Preserves `len` bytes from `src` at `dst` in guest RAM as memmove would
/// (overlap allowed, src == dst is a no-op).
///
/// With host pointers: when `policy` allows a move and the VMM says both
/// ranges are private anonymous RAM of one host page size
/// (GuestMemory::movable_page_size), the page-aligned middle is moved with
/// mremap(2) (MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP: the
/// destination's old pages are freed, the source stays mapped and reads as
/// zeros), the partial pages at either end are copied, and any piece mremap
/// refuses (a source spanning host mappings, an old kernel) is copied;
/// else one memmove. Both ranges are then reported to mark_dirty (a move
/// changes the source too). Without host pointers, a fixed 1 MiB bounce
/// buffer through read/write in the direction that is safe for overlap.
/// Every range is reported to GuestMemory::note_preserve (how, and why not
/// moved).
///
/// Returns the number of bytes preserved: `len`, or fewer when guest memory
/// failed part way (the caller reports what actually happened).
[[nodiscard]] uint64_t preserve_range(GuestMemory& mem, GuestAddr src, GuestAddr dst, ByteLen len,
                                      MovePolicy policy = MovePolicy{});

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
