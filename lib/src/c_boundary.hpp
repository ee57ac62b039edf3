// What every C boundary of the library shares (capi.cpp for the engine,
// truth/capi_truth.cpp for the ground truth): guest memory over the C
// callback table and the firewall every entry point runs its body in. No
// engine type: the ground truth links this, never the engine's internals.
#pragma once

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <span>
#include <string_view>
#include <utility>

#include "fadump/fadump.h"
#include "fadump/guest_memory.hpp"

namespace fadump {

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
    /// The VMM's answer clipped to `max`: a VMM span that runs past it is
    /// never trusted beyond it. Not clipped to ram(): RAM the VMM maps past
    /// boot memory (hot-plugged DIMMs) is RAM.
    [[nodiscard]] std::byte* host_span(GuestAddr addr, ByteLen max, uint64_t& span) override
    {
        span = 0;
        if (m_ops.host_span == nullptr) {
            return nullptr;
        }
        uint64_t got = 0;
        void* p = m_ops.host_span(m_ops.opaque, addr.value, max.bytes, &got);
        if (p == nullptr || got == 0) {
            return nullptr;
        }
        span = std::min(got, max.bytes);
        return static_cast<std::byte*>(p);
    }
    void mark_dirty(GuestRange range) override
    {
        if (m_ops.mark_dirty != nullptr) {
            m_ops.mark_dirty(m_ops.opaque, range.start().value, range.len().bytes);
        }
    }
    [[nodiscard]] uint64_t movable_page_size(GuestRange range, const char** why) override
    {
        *why = "the VMM offers no page moves";
        if (m_ops.movable_page_size == nullptr) {
            return 0;
        }
        return m_ops.movable_page_size(m_ops.opaque, range.start().value, range.len().bytes, why);
    }
    void note_preserve(GuestRange src, GuestAddr dst, const char* how, const char* why) override
    {
        if (m_ops.note_preserve != nullptr) {
            m_ops.note_preserve(m_ops.opaque, src.start().value, dst.value, src.len().bytes, how, why);
        }
    }
    void before_moves() override
    {
        if (m_ops.before_moves != nullptr) {
            m_ops.before_moves(m_ops.opaque);
        }
    }

private:
    FadumpGuestOps m_ops;
    GuestRange m_ram;
};

}  // namespace fadump

namespace fadump::capi {

// Writes `a` then `b` into msg as one NUL-terminated line, truncated to
// msg_len. Takes views so that reporting an error never allocates (and so
// never throws).
inline void put_msg(char* msg, size_t msg_len, std::string_view a, std::string_view b = {}) noexcept
{
    if (msg == nullptr || msg_len == 0) {
        return;
    }
    const size_t na = std::min(a.size(), msg_len - 1);
    const size_t nb = std::min(b.size(), msg_len - 1 - na);
    if (na != 0) {
        std::memcpy(msg, a.data(), na);
    }
    if (nb != 0) {
        std::memcpy(msg + na, b.data(), nb);
    }
    msg[na + nb] = '\0';
}

// The firewall every entry point runs its body in: an exception (an
// allocation failure, a formatting error, a library bug) becomes `on_error`
// and, where the caller gave a buffer, the reason in `msg`.
template <typename R, typename Body>
R firewall(R on_error, char* msg, size_t msg_len, Body&& body) noexcept
{
    try {
        return body();
    } catch (const std::bad_alloc&) {
        put_msg(msg, msg_len, "internal error: out of memory");
    } catch (const std::exception& e) {
        put_msg(msg, msg_len, "internal error: ", e.what());
    } catch (...) {
        put_msg(msg, msg_len, "internal error");
    }
    return on_error;
}

template <typename R, typename Body>
R firewall(R on_error, Body&& body) noexcept
{
    return firewall(on_error, nullptr, 0, std::forward<Body>(body));
}

}  // namespace fadump::capi
