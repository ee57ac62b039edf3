// SpaprFadump's state in a migration stream (papr/migration_state.hpp).
#include "fadump/papr/migration_state.hpp"

#include <fmt/format.h>

#include <cstring>

#include "fadump/papr/spapr_fadump.hpp"

namespace fadump::papr {
namespace {

Error refuse(const std::string& why)
{
    return fail(Errc::ParamError, "incoming state: " + why);
}

// The results of an active dump, checked against the registration they
// belong to; applied to `reg` when they agree.
Result<void> apply_results(Registration& reg, uint16_t status, std::span<const SpaprSectionResult> results)
{
    if (results.size() != reg.count) {
        return refuse(fmt::format("{} section results for an fdm of {} sections", results.size(), reg.count));
    }
    if ((status & ~STATUS_KNOWN) != 0 || (status & STATUS_DUMP_PERFORMED) == 0) {
        return refuse(fmt::format("dump status 0x{:04x} is not a performed dump's", status));
    }
    bool any_error = false;
    for (size_t i = 0; i < results.size(); ++i) {
        const SpaprSectionResult& r = results[i];
        const uint16_t err = r.error_flags;
        if ((err & ~ERR_KNOWN) != 0 || r.reserved0 != 0 || r.reserved1 != 0) {
            return refuse(fmt::format("section {}: error flags 0x{:04x} or reserved fields set", i, err));
        }
        if (r.bytes_dumped > reg.sections[i].source_length) {
            return refuse(fmt::format("section {}: {} bytes dumped of {} requested", i, r.bytes_dumped.get(),
                                      reg.sections[i].source_length.get()));
        }
        any_error = any_error || err != 0;
    }
    if (any_error != ((status & STATUS_DUMP_ERROR) != 0)) {
        return refuse(fmt::format("dump status 0x{:04x} disagrees with the sections' error flags", status));
    }
    reg.header.dump_status_flags = status;
    for (size_t i = 0; i < results.size(); ++i) {
        reg.sections[i].error_flags = results[i].error_flags;
        reg.sections[i].bytes_dumped = results[i].bytes_dumped;
    }
    return {};
}

}  // namespace

Result<std::vector<std::byte>> SpaprFadump::save_state() const
{
    if (m_state == State::Dumping || m_state == State::DumpFailed || m_reboot_pending) {
        return fail(Errc::Busy, "a dump is under way (the memory-preserving reboot has not happened yet)");
    }
    if (m_state == State::Idle || !m_reg) {
        return fail(Errc::ParamError, "no registration or dump to carry");
    }
    const Registration& reg = *m_reg;
    const bool active = m_state == State::DumpActive;
    SpaprStateHeader h{};
    h.magic = STATE_MAGIC;
    h.version = STATE_VERSION;
    h.state = static_cast<uint16_t>(active ? CarriedState::DumpActive : CarriedState::Registered);
    h.fdm_address = reg.fdm.start().value;
    h.fdm_length = static_cast<uint32_t>(reg.fdm.len().bytes);
    h.dump_status_flags = active ? reg.header.dump_status_flags.get() : uint16_t{0};
    h.result_count = active ? reg.count : uint16_t{0};
    std::vector<std::byte> out(sizeof h + reg.fdm.len().bytes + h.result_count * sizeof(SpaprSectionResult));
    std::memcpy(out.data(), &h, sizeof h);
    std::memcpy(out.data() + sizeof h, reg.raw.data(), reg.fdm.len().bytes);
    std::byte* res = out.data() + sizeof h + reg.fdm.len().bytes;
    for (uint16_t i = 0; i < h.result_count; ++i) {
        SpaprSectionResult r{};
        r.error_flags = reg.sections[i].error_flags.get();
        r.bytes_dumped = reg.sections[i].bytes_dumped.get();
        std::memcpy(res + size_t{i} * sizeof r, &r, sizeof r);
    }
    return out;
}

Result<void> SpaprFadump::load_state(std::span<const std::byte> blob, GuestMemory* mem)
{
    clear();
    SpaprStateHeader h{};
    if (blob.size() < sizeof h) {
        return refuse(fmt::format("{} bytes, shorter than its header", blob.size()));
    }
    std::memcpy(&h, blob.data(), sizeof h);
    if (h.magic != STATE_MAGIC || h.version != STATE_VERSION || h.reserved != 0) {
        return refuse(fmt::format("magic 0x{:08x} version {} reserved 0x{:x}: not a version-{} fadump state",
                                  h.magic.get(), h.version.get(), h.reserved.get(), STATE_VERSION));
    }
    const uint16_t carried = h.state;
    const bool active = carried == static_cast<uint16_t>(CarriedState::DumpActive);
    if (!active && carried != static_cast<uint16_t>(CarriedState::Registered)) {
        return refuse(fmt::format("unknown state {}", carried));
    }
    const uint32_t fdm_len = h.fdm_length;
    const uint16_t count = h.result_count;
    if (fdm_len > FDM_MAX_BYTES || count > FDM_MAX_SECTIONS) {
        return refuse(fmt::format("fdm of {} bytes and {} results: more than the format allows", fdm_len, count));
    }
    if (blob.size() != sizeof h + fdm_len + count * sizeof(SpaprSectionResult)) {
        return refuse(fmt::format("{} bytes where the header announces {}", blob.size(),
                                  sizeof h + fdm_len + count * sizeof(SpaprSectionResult)));
    }
    if (!active && (count != 0 || h.dump_status_flags != 0)) {
        return refuse("a registration carrying dump results");
    }
    // The same rules as a REGISTER, against this machine.
    FdmLimits l = limits();
    l.blocks = mem;  // this machine's DIMMs, as at a REGISTER
    const auto where = place_fdm(GuestAddr{h.fdm_address}, ByteLen{fdm_len}, l);
    if (!where) {
        return refuse("fdm: " + where.error().message);
    }
    auto reg = parse_fdm(blob.subspan(sizeof h, fdm_len), where.value(), l);
    if (!reg) {
        return refuse("fdm: " + reg.error().message);
    }
    if (active) {
        std::vector<SpaprSectionResult> results(count);
        std::memcpy(results.data(), blob.data() + sizeof h + fdm_len, count * sizeof(SpaprSectionResult));
        if (auto r = apply_results(reg.value(), h.dump_status_flags, results); !r) {
            return r;
        }
    }
    m_reg = reg.value();
    m_state = active ? State::DumpActive : State::Registered;
    return {};
}

void SpaprFadump::clear()
{
    m_reg.reset();
    m_state = State::Idle;
    m_reboot_pending = false;
}

}  // namespace fadump::papr
