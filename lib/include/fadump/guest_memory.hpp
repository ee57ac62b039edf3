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
};

}  // namespace fadump
