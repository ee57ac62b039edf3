// Preservation of guest memory ranges with memmove semantics.
#pragma once

#include "fadump/guest_memory.hpp"
#include "fadump/types.hpp"

namespace fadump {

/// Copies `len` bytes from `src` to `dst` in guest RAM as memmove would
/// (overlap allowed, src == dst is a no-op). Uses host pointers when the VMM
/// provides them (one memmove, then mark_dirty), else a fixed 1 MiB bounce
/// buffer through read/write in the direction that is safe for overlap.
/// Returns the number of bytes copied: `len`, or fewer when guest memory
/// failed part way (the caller reports what actually happened).
[[nodiscard]] uint64_t preserve_range(GuestMemory& mem, GuestAddr src, GuestAddr dst, ByteLen len);

}  // namespace fadump
