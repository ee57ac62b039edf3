// Guest physical memory as the library sees it: given by the VMM, never built
// here. All addresses are guest physical, all lengths in bytes.
#pragma once

#include <cstddef>
#include <span>

#include "fadump/fadump.h"
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

/// GuestMemory over the C callback table of fadump.h; RAM is [0, ram_size)
/// as the engine was configured.
class CallbackGuestMemory final : public GuestMemory {
public:
    CallbackGuestMemory(const FadumpGuestOps& ops, uint64_t ram_size)
        : m_ops(ops), m_ram(*GuestRange::make(GuestAddr{0}, ByteLen{ram_size}))
    {
    }
    [[nodiscard]] GuestRange ram() const override { return m_ram; }
    [[nodiscard]] bool read(GuestAddr addr, std::span<std::byte> out) override
    {
        return m_ops.read != nullptr && m_ops.read(m_ops.opaque, addr.value, out.data(), out.size());
    }
    [[nodiscard]] bool write(GuestAddr addr, std::span<const std::byte> in) override
    {
        return m_ops.write != nullptr && m_ops.write(m_ops.opaque, addr.value, in.data(), in.size());
    }
    [[nodiscard]] std::byte* host_ptr(GuestRange range) override
    {
        if (m_ops.host_ptr == nullptr || !ram().contains(range)) {
            return nullptr;
        }
        return static_cast<std::byte*>(m_ops.host_ptr(m_ops.opaque, range.start().value, range.len().bytes));
    }
    void mark_dirty(GuestRange range) override
    {
        if (m_ops.mark_dirty != nullptr) {
            m_ops.mark_dirty(m_ops.opaque, range.start().value, range.len().bytes);
        }
    }

private:
    FadumpGuestOps m_ops;
    GuestRange m_ram;
};

}  // namespace fadump
