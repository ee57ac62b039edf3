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
    /// The host mapping of guest RAM at `addr`: a pointer to addr's byte,
    /// and in `span` how many bytes from addr (at most `max`) are contiguous
    /// in host memory, i.e. lie in one of the VMM's RAM blocks (a NUMA
    /// node's memory backend, a DIMM, the machine's RAM). nullptr with span
    /// 0 when addr is not RAM the VMM maps (a hole, device memory, outside
    /// ram()): then read/write are the way in.
    [[nodiscard]] virtual std::byte* host_span(GuestAddr addr, ByteLen max, uint64_t& span) = 0;
    /// Host mapping of the whole range when it lies in one RAM block, else
    /// nullptr (then split it with host_span, or use read/write).
    [[nodiscard]] std::byte* host_ptr(GuestRange range)
    {
        uint64_t span = 0;
        std::byte* p = host_span(range.start(), range.len(), span);
        return p != nullptr && span == range.len().bytes ? p : nullptr;
    }
    /// Reports a modification made through a host pointer (the range may
    /// span RAM blocks).
    virtual void mark_dirty(GuestRange range) = 0;
    /// The host page size (bytes) when `range` (inside one RAM block, as
    /// host_span splits) is private anonymous RAM whose
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
