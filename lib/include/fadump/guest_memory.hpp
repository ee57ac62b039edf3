// Guest physical memory as the library sees it: given by the VMM, never built
// here. All addresses are guest physical, all lengths in bytes.
#pragma once

#include <cstddef>
#include <span>

#include "fadump/types.hpp"

namespace fadump {

/// Consumer-side view of guest memory.
class GuestMemory {
public:
    virtual ~GuestMemory() = default;
    /// Guest RAM, [0, ram size). Only this memory may be named by dump tables.
    [[nodiscard]] virtual GuestRange ram() const = 0;
    /// Reads [addr, addr + out.size()); false when any byte is not memory.
    [[nodiscard]] virtual bool read(GuestAddr addr, std::span<std::byte> out) = 0;
    /// Writes [addr, addr + in.size()); false when any byte is not memory.
    [[nodiscard]] virtual bool write(GuestAddr addr, std::span<const std::byte> in) = 0;
    /// Host mapping of the whole range, or nullptr (then use read/write).
    [[nodiscard]] virtual std::byte* host_ptr(GuestRange range) = 0;
    /// Reports a modification made through host_ptr.
    virtual void mark_dirty(GuestRange range) = 0;
    /// The host page size (bytes) when `range` is private anonymous RAM whose
    /// pages may be moved to other guest addresses by page-table moves
    /// (mremap), 0 when they must be copied; then `why` says why (shared or
    /// file-backed memory, huge pages, pages pinned for a device's DMA, an
    /// accelerator the VMM does not move memory under).
    [[nodiscard]] virtual uint64_t movable_page_size(GuestRange /*range*/, const char** why)
    {
        *why = "the VMM offers no page moves";
        return 0;
    }
    /// How one range was preserved: how is "move" or "copy"; why, for a copy
    /// (or a move that copied part of the range), says why. For the VMM's
    /// trace.
    virtual void note_preserve(GuestRange /*src*/, GuestAddr /*dst*/, const char* /*how*/, const char* /*why*/) {}
    /// Called once before deferred moves run (DeferredMoves::run), while the
    /// sources still hold what the copy would have left there: the VMM
    /// completes and stops device work that could read guest memory after
    /// the moves zero the sources (pending virtqueue kicks, in-flight block
    /// I/O whose buffers are mapped), as a copy would have let it read the
    /// old bytes.
    virtual void before_moves() {}
};

}  // namespace fadump
