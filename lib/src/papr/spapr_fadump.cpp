#include "fadump/papr/spapr_fadump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>

#include "fadump/papr/register_save_area.hpp"
#include "fadump/preserve.hpp"

namespace fadump::papr {
namespace {

template <typename T>
void append_be(std::vector<std::byte>& out, T value)
{
    const Be<T> be(value);
    const auto* p = reinterpret_cast<const std::byte*>(&be);
    out.insert(out.end(), p, p + sizeof(be));
}

// Writes the register save area for `cpus` into the destination of `s`
// and zero-fills the rest of the requested length. Returns bytes written.
uint64_t write_cpu_state(GuestMemory& mem, const FdmSection& s, std::span<const VcpuState> cpus, uint16_t& error_flags)
{
    const uint64_t len = s.source_length;
    const uint64_t need = cpu_state_size(static_cast<uint32_t>(std::min<size_t>(cpus.size(), UINT32_MAX)));
    if (cpus.size() > UINT32_MAX || need > len) {
        error_flags |= ERR_DESTINATION_TOO_SMALL;
        return 0;
    }
    auto dst = GuestRange::make(GuestAddr{s.destination_address}, ByteLen{len});
    if (!dst) {
        error_flags |= ERR_INVALID_DESTINATION;
        return 0;
    }
    if (std::byte* host = mem.host_ptr(*dst)) {
        (void)write_register_save_area(std::span<std::byte>(host, len), cpus);
        mem.mark_dirty(*dst);
        return len;
    }
    // No host mapping: the area is sized by the machine's vCPU count (not by
    // the guest), the padding is written from a fixed zero block.
    std::vector<std::byte> area(need);
    (void)write_register_save_area(area, cpus);
    if (!mem.write(dst->start(), area)) {
        error_flags |= ERR_INVALID_DESTINATION;
        return 0;
    }
    static constexpr std::array<std::byte, 4096> ZERO{};
    for (uint64_t off = need; off < len;) {
        const uint64_t n = std::min<uint64_t>(ZERO.size(), len - off);
        if (!mem.write(GuestAddr{dst->start().value + off}, std::span(ZERO.data(), n))) {
            error_flags |= ERR_INVALID_DESTINATION;
            return off;
        }
        off += n;
    }
    return len;
}

// Copies the platform's hash page table into the HPTE section's
// destination. The section asked for at most the size advertised when it
// was registered; an HPT that shrank since is copied as far as it goes and
// flagged. Returns bytes written.
uint64_t write_hpt(GuestMemory& mem, const FdmSection& s, std::span<const std::byte> hpt, uint16_t& error_flags)
{
    const uint64_t len = s.source_length;
    if (len == 0) {
        return 0;
    }
    const uint64_t n = std::min<uint64_t>(len, hpt.size());
    auto dst = GuestRange::make(GuestAddr{s.destination_address}, ByteLen{n});
    if (!dst || (n != 0 && !mem.write(dst->start(), hpt.first(n)))) {
        error_flags |= ERR_INVALID_DESTINATION;
        return 0;
    }
    if (n < len) {
        error_flags |= ERR_LENGTH_EXCEEDS_SOURCE;
    }
    return n;
}

// Whether section i's source may move instead of being copied
// (preserve.hpp): the RMR, which the dump-active boot's firmware and
// capture kernel reuse (they read the preserved copy, through the
// destination), unless another section copies from or into its source, or
// keeps memory in place there (source == destination), after it moved.
MovePolicy move_policy(const Registration& reg, uint16_t i)
{
    const FdmSection& s = reg.sections[i];
    if (s.source_data_type != TYPE_REAL_MODE_REGION) {
        return MovePolicy::copy("not the RMR: the OS may read the source again");
    }
    const auto src = GuestRange::make(GuestAddr{s.source_address}, ByteLen{s.source_length});
    if (!src) {
        return MovePolicy::copy("invalid source range");
    }
    for (uint16_t j = 0; j < reg.count; ++j) {
        const FdmSection& o = reg.sections[j];
        if (j == i) {
            continue;
        }
        // CPU state data and the HPT are written from CPU and HPT state: only
        // their destinations matter.
        const bool from_memory = o.source_data_type != TYPE_CPU_STATE && o.source_data_type != TYPE_HPTE;
        const auto os = GuestRange::make(GuestAddr{o.source_address}, ByteLen{o.source_length});
        const auto od = GuestRange::make(GuestAddr{o.destination_address}, ByteLen{o.source_length});
        if ((from_memory && os && !os->empty() && src->overlaps(*os)) || (od && !od->empty() && src->overlaps(*od))) {
            return MovePolicy::copy("another section's source or destination lies in the RMR");
        }
    }
    return MovePolicy::allow();
}

}  // namespace

SpaprFadump::SpaprFadump(const Config& cfg) : m_cfg(cfg) {}

uint64_t SpaprFadump::cpu_state_bytes() const
{
    return cpu_state_size(m_cfg.max_threads);
}

FdmLimits SpaprFadump::limits() const
{
    FdmLimits l;
    l.ram = *GuestRange::make(GuestAddr{0}, ByteLen{m_cfg.ram_size});
    l.rmr = *GuestRange::make(GuestAddr{0}, ByteLen{std::min(m_cfg.rmr_size, m_cfg.ram_size)});
    l.cpu_state_bytes = cpu_state_bytes();
    l.hpte_bytes = m_hpt_bytes;
    l.reload = m_reload;
    l.nreload = m_nreload;
    return l;
}

bool SpaprFadump::set_reload(std::span<const GuestRange> ranges)
{
    if (ranges.size() > m_reload.size()) {
        return false;
    }
    std::copy(ranges.begin(), ranges.end(), m_reload.begin());
    m_nreload = ranges.size();
    return true;
}

Result<void> SpaprFadump::configure(GuestMemory& mem, uint32_t cmd, GuestAddr addr, ByteLen len)
{
    if (m_state == State::Dumping || m_state == State::DumpFailed) {
        return fail(Errc::Busy, m_state == State::Dumping ? "a dump is in progress"
                                                          : "a dump failed; the machine awaits its reset");
    }
    switch (static_cast<Command>(cmd)) {
        case Command::Register: {
            if (m_state == State::DumpActive) {
                return fail(Errc::DumpActive, "register: a dump is active; invalidate it first");
            }
            if (m_state == State::Registered) {
                return fail(Errc::DumpAlreadyRegistered, "register: a dump is already registered");
            }
            FdmLimits l = limits();
            l.blocks = &mem;  // hot-plugged DIMMs are RAM too
            auto reg = register_fdm(mem, addr, len, l);
            if (!reg) {
                return fail(reg.error().code, "register: " + reg.error().message);
            }
            m_reg = reg.value();
            m_state = State::Registered;
            return {};
        }
        case Command::Unregister:
            if (m_state == State::DumpActive) {
                return fail(Errc::DumpActive, "unregister: a dump is active; invalidate it first");
            }
            m_reg.reset();
            m_state = State::Idle;
            return {};
        case Command::Invalidate:
            if (m_state != State::DumpActive) {
                return fail(Errc::ParamError, "invalidate: no dump is active");
            }
            m_reg.reset();
            m_state = State::Idle;
            return {};
    }
    return fail(Errc::ParamError, fmt::format("unknown command {}", cmd));
}

bool SpaprFadump::begin_dump()
{
    if (m_state != State::Registered) {
        return false;
    }
    m_state = State::Dumping;
    return true;
}

DumpOutcome SpaprFadump::dump(GuestMemory& mem, std::span<const VcpuState> cpus, std::span<const std::byte> hpt)
{
    DumpOutcome out;
    if (m_state != State::Dumping || !m_reg) {
        out.problems = "dump requested without a registration";
        return out;
    }
    const auto t0 = std::chrono::steady_clock::now();
    Registration& reg = *m_reg;
    bool any_error = false;
    for (uint16_t i = 0; i < reg.count; ++i) {
        FdmSection& s = reg.sections[i];
        uint16_t err = 0;
        uint64_t done = 0;
        const uint64_t len = s.source_length;
        switch (s.source_data_type) {
            case TYPE_CPU_STATE:
                done = write_cpu_state(mem, s, cpus, err);
                if (err == 0) {
                    out.cpus_saved = static_cast<uint32_t>(cpus.size());
                }
                break;
            case TYPE_HPTE:
                done = write_hpt(mem, s, hpt, err);
                break;
            default:  // RMR and OS-defined areas: validated at registration
                done = preserve_range(mem, GuestAddr{s.source_address}, GuestAddr{s.destination_address}, ByteLen{len},
                                      move_policy(reg, i), &m_moves);
                if (done != len) {
                    err |= ERR_INVALID_SOURCE;
                }
                break;
        }
        s.bytes_dumped = done;
        s.error_flags = err;
        if (err != 0) {
            any_error = true;
            ++out.sections_failed;
            out.problems += fmt::format("section {} (type 0x{:04x}): error flags 0x{:04x}, {} of {} bytes; ", i,
                                        s.source_data_type.get(), err, done, len);
        } else {
            ++out.sections_ok;
            out.bytes_preserved += done;
        }
    }
    reg.header.dump_status_flags =
        static_cast<uint16_t>(STATUS_DUMP_PERFORMED | STATUS_DUMP_TRIGGERED | (any_error ? STATUS_DUMP_ERROR : 0));
    out.preserve_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    m_state = State::DumpActive;
    m_reboot_pending = true;
    return out;
}

bool SpaprFadump::reset()
{
    if (m_reboot_pending) {
        m_reboot_pending = false;
        return true;
    }
    if (m_state == State::Registered || m_state == State::Dumping || m_state == State::DumpFailed) {
        m_reg.reset();
        m_state = State::Idle;
    }
    return false;
}

uint64_t SpaprFadump::reboot_limit() const
{
    if (m_state != State::DumpActive || !m_reg) {
        return 0;
    }
    return m_reg->reboot_limit();
}

std::vector<std::byte> SpaprFadump::registered_fdm() const
{
    if (!m_reg) {
        return {};
    }
    return {m_reg->raw.begin(), m_reg->raw.begin() + static_cast<ptrdiff_t>(m_reg->fdm.len().bytes)};
}

std::vector<std::byte> SpaprFadump::prop_sizes() const
{
    std::vector<std::byte> v;
    const uint64_t cpu = cpu_state_bytes();
    append_be<uint32_t>(v, TYPE_CPU_STATE);
    append_be<uint32_t>(v, static_cast<uint32_t>(cpu >> 32));
    append_be<uint32_t>(v, static_cast<uint32_t>(cpu));
    append_be<uint32_t>(v, TYPE_HPTE);
    append_be<uint32_t>(v, static_cast<uint32_t>(m_hpt_bytes >> 32));
    append_be<uint32_t>(v, static_cast<uint32_t>(m_hpt_bytes));
    return v;
}

std::vector<std::byte> SpaprFadump::prop_version()
{
    std::vector<std::byte> v;
    append_be<uint16_t>(v, FDM_VERSION);  // minimum supported
    append_be<uint16_t>(v, FDM_VERSION);  // maximum supported
    return v;
}

std::optional<std::vector<std::byte>> SpaprFadump::prop_kernel_dump() const
{
    if (m_state != State::DumpActive || !m_reg) {
        return std::nullopt;
    }
    const Registration& reg = *m_reg;
    const size_t len = reg.fdm.len().bytes;
    std::vector<std::byte> v(reg.raw.begin(), reg.raw.begin() + static_cast<ptrdiff_t>(len));
    std::memcpy(v.data(), &reg.header, sizeof(reg.header));
    const size_t first = reg.header.offset_first_section;
    for (uint16_t i = 0; i < reg.count; ++i) {
        std::memcpy(v.data() + first + size_t{i} * sizeof(FdmSection), &reg.sections[i], sizeof(FdmSection));
    }
    return v;
}

}  // namespace fadump::papr
