// The C boundary: every entry point is noexcept and catches everything.
#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <utility>

#include "capi_internal.hpp"
#include "fadump/fadump.h"
#include "fadump/guest_memory.hpp"
#include "fadump/opal/mpipl.hpp"
#include "fadump/papr/migration_state.hpp"
#include "fadump/papr/register_save_area.hpp"
#include "fadump/papr/spapr_fadump.hpp"

// ibm,configure-kernel-dump's statuses are Errc's values (LoPAR's call
// table): REGISTER, UNREGISTER and INVALIDATE return them unconverted.
static_assert(static_cast<int32_t>(fadump::Errc::Success) == FADUMP_RTAS_SUCCESS);
static_assert(static_cast<int32_t>(fadump::Errc::HardwareError) == FADUMP_RTAS_HW_ERROR);
static_assert(static_cast<int32_t>(fadump::Errc::Busy) == FADUMP_RTAS_BUSY);
static_assert(static_cast<int32_t>(fadump::Errc::ParamError) == FADUMP_RTAS_PARAM_ERROR);
static_assert(static_cast<int32_t>(fadump::Errc::DumpAlreadyRegistered) == FADUMP_RTAS_ALREADY_REGISTERED);
static_assert(static_cast<int32_t>(fadump::Errc::DumpActive) == FADUMP_RTAS_DUMP_ACTIVE);

using fadump::capi::firewall;
using fadump::capi::put_msg;

namespace {

// Hands a property value to the caller whole or not at all (fadump.h,
// FadumpStatus).
FadumpStatus put_prop(const std::vector<std::byte>& v, void* buf, size_t buf_len, size_t* len) noexcept
{
    *len = v.size();
    if (v.size() > buf_len) {
        return FADUMP_E_TOO_SMALL;
    }
    if (!v.empty()) {
        if (buf == nullptr) {
            *len = 0;
            return FADUMP_E_INTERNAL;
        }
        std::memcpy(buf, v.data(), v.size());
    }
    return FADUMP_OK;
}

// Runs a property getter body behind the firewall; *len is 0 on error.
template <typename Body>
FadumpStatus prop_getter(size_t* len, Body&& body) noexcept
{
    if (len == nullptr) {
        return FADUMP_E_INTERNAL;
    }
    *len = 0;
    const auto rc = firewall<FadumpStatus>(FADUMP_E_INTERNAL, std::forward<Body>(body));
    if (rc == FADUMP_E_INTERNAL || rc == FADUMP_ABSENT) {
        *len = 0;
    }
    return rc;
}

static_assert(fadump::papr::STATE_MAX_BYTES <= FADUMP_SPAPR_STATE_MAX);
static_assert(fadump::papr::FDM_MAX_SECTIONS == FADUMP_MAX_SECTIONS);
static_assert(fadump::opal::MAX_CHIPS == FADUMP_MPIPL_MAX_CHIPS);
static_assert(fadump::papr::MAX_RELOAD_RANGES == FADUMP_MAX_RELOAD);

}  // namespace

extern "C" {

FadumpSpapr* fadump_spapr_new(const FadumpSpaprConfig* cfg) noexcept
{
    if (cfg == nullptr || cfg->max_threads == 0) {
        return nullptr;
    }
    return firewall<FadumpSpapr*>(nullptr, [&] {
        fadump::papr::SpaprFadump::Config c;
        c.ram_size = cfg->ram_size;
        c.rmr_size = cfg->rmr_size;
        c.max_threads = cfg->max_threads;
        return new (std::nothrow) FadumpSpapr{fadump::papr::SpaprFadump(c)};
    });
}

void fadump_spapr_free(FadumpSpapr* fd) noexcept
{
    delete fd;
}

FadumpStatus fadump_spapr_configure(FadumpSpapr* fd, const FadumpGuestOps* ops, uint32_t cmd, uint64_t addr,
                                    uint64_t len, int32_t* rtas_status, char* msg, size_t msg_len) noexcept
{
    put_msg(msg, msg_len, "");
    if (rtas_status == nullptr) {
        return FADUMP_E_INTERNAL;
    }
    *rtas_status = FADUMP_RTAS_HW_ERROR;
    if (fd == nullptr || ops == nullptr) {
        put_msg(msg, msg_len, "fadump engine not initialised");
        return FADUMP_E_INTERNAL;
    }
    return firewall<FadumpStatus>(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        fadump::CallbackGuestMemory mem(*ops, fd->engine.ram_size());
        auto r = fd->engine.configure(mem, cmd, fadump::GuestAddr{addr}, fadump::ByteLen{len});
        *rtas_status = static_cast<int32_t>(r.code());
        if (!r) {
            put_msg(msg, msg_len, r.error().message);
            return FADUMP_E_REFUSED;
        }
        return FADUMP_OK;
    });
}

bool fadump_spapr_registered(const FadumpSpapr* fd) noexcept
{
    return fd != nullptr && fd->engine.registered();
}

bool fadump_spapr_dump_active(const FadumpSpapr* fd) noexcept
{
    return fd != nullptr && fd->engine.dump_active();
}

bool fadump_spapr_begin_dump(FadumpSpapr* fd) noexcept
{
    return fd != nullptr && firewall(false, [&] { return fd->engine.begin_dump(); });
}

bool fadump_spapr_dump_in_progress(const FadumpSpapr* fd) noexcept
{
    return fd != nullptr && fd->engine.dumping();
}

FadumpStatus fadump_spapr_dump(FadumpSpapr* fd, const FadumpGuestOps* ops, const FadumpVcpuRegs* vcpus, size_t n_vcpus,
                               const void* hpt, uint64_t hpt_len, FadumpDumpStats* stats, char* msg,
                               size_t msg_len) noexcept
{
    put_msg(msg, msg_len, "");
    if (fd == nullptr || ops == nullptr || (vcpus == nullptr && n_vcpus != 0) || (hpt == nullptr && hpt_len != 0)) {
        put_msg(msg, msg_len, "fadump engine not initialised or no vCPUs");
        return FADUMP_E_INTERNAL;
    }
    const auto rc = firewall<FadumpStatus>(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        fadump::CallbackGuestMemory mem(*ops, fd->engine.ram_size());
        const std::span<const fadump::VcpuState> cpus(vcpus, n_vcpus);
        auto out = fd->engine.dump(mem, cpus, std::span(static_cast<const std::byte*>(hpt), hpt_len));
        if (stats != nullptr) {
            *stats = FadumpDumpStats{out.bytes_preserved, out.preserve_ns, out.sections_ok,
                                     out.sections_failed, out.cpus_saved,  fd->engine.dump_active()};
        }
        put_msg(msg, msg_len, out.problems);
        return out.problems.empty() ? FADUMP_OK : FADUMP_E_INCOMPLETE;
    });
    if (rc == FADUMP_E_INTERNAL) {
        fd->engine.abandon_dump();
    }
    return rc;
}

void fadump_spapr_set_hpt_size(FadumpSpapr* fd, uint64_t bytes) noexcept
{
    if (fd != nullptr) {
        fd->engine.set_hpt_size(bytes);
    }
}

FadumpStatus fadump_spapr_set_reload(FadumpSpapr* fd, const uint64_t* ranges, size_t n) noexcept
{
    if (fd == nullptr || (ranges == nullptr && n != 0) || n > FADUMP_MAX_RELOAD) {
        return fd == nullptr ? FADUMP_E_INTERNAL : FADUMP_E_REFUSED;
    }
    std::array<fadump::GuestRange, FADUMP_MAX_RELOAD> r{};
    for (size_t i = 0; i < n; ++i) {
        auto g = fadump::GuestRange::make(fadump::GuestAddr{ranges[2 * i]}, fadump::ByteLen{ranges[2 * i + 1]});
        if (!g) {
            return FADUMP_E_REFUSED;
        }
        r[i] = *g;
    }
    return fd->engine.set_reload(std::span(r.data(), n)) ? FADUMP_OK : FADUMP_E_REFUSED;
}

uint64_t fadump_spapr_finish_moves(FadumpSpapr* fd, const FadumpGuestOps* ops) noexcept
{
    if (fd == nullptr || ops == nullptr) {
        return 0;
    }
    return firewall<uint64_t>(0, [&] {
        fadump::CallbackGuestMemory mem(*ops, fd->engine.ram_size());
        return fd->engine.finish_moves(mem);
    });
}

bool fadump_spapr_reset(FadumpSpapr* fd) noexcept
{
    return fd != nullptr && firewall(false, [&] { return fd->engine.reset(); });
}

uint64_t fadump_spapr_reboot_limit(const FadumpSpapr* fd) noexcept
{
    return fd == nullptr ? 0 : firewall<uint64_t>(0, [&] { return fd->engine.reboot_limit(); });
}

FadumpStatus fadump_spapr_prop_sizes(const FadumpSpapr* fd, void* buf, size_t buf_len, size_t* len) noexcept
{
    return prop_getter(len, [&]() -> FadumpStatus {
        return fd == nullptr ? FADUMP_E_INTERNAL : put_prop(fd->engine.prop_sizes(), buf, buf_len, len);
    });
}

FadumpStatus fadump_spapr_prop_version(const FadumpSpapr* fd, void* buf, size_t buf_len, size_t* len) noexcept
{
    return prop_getter(len, [&]() -> FadumpStatus {
        return fd == nullptr ? FADUMP_E_INTERNAL
                             : put_prop(fadump::papr::SpaprFadump::prop_version(), buf, buf_len, len);
    });
}

FadumpStatus fadump_spapr_prop_kernel_dump(const FadumpSpapr* fd, void* buf, size_t buf_len, size_t* len) noexcept
{
    return prop_getter(len, [&]() -> FadumpStatus {
        if (fd == nullptr) {
            return FADUMP_E_INTERNAL;
        }
        auto v = fd->engine.prop_kernel_dump();
        return v ? put_prop(*v, buf, buf_len, len) : FADUMP_ABSENT;
    });
}

bool fadump_spapr_state_needed(const FadumpSpapr* fd) noexcept
{
    return fd != nullptr && fd->engine.state_needed();
}

FadumpStatus fadump_spapr_state_save(const FadumpSpapr* fd, void* buf, size_t buf_len, size_t* len, char* msg,
                                     size_t msg_len) noexcept
{
    put_msg(msg, msg_len, "");
    return prop_getter(len, [&]() -> FadumpStatus {
        if (fd == nullptr) {
            return FADUMP_E_INTERNAL;
        }
        if (!fd->engine.state_needed()) {
            return FADUMP_ABSENT;
        }
        auto blob = fd->engine.save_state();
        if (!blob) {
            put_msg(msg, msg_len, blob.error().message);
            return FADUMP_E_REFUSED;
        }
        return put_prop(*blob, buf, buf_len, len);
    });
}

FadumpStatus fadump_spapr_state_load(FadumpSpapr* fd, const FadumpGuestOps* ops, const void* buf, size_t len, char* msg,
                                     size_t msg_len) noexcept
{
    put_msg(msg, msg_len, "");
    if (fd == nullptr || (buf == nullptr && len != 0)) {
        put_msg(msg, msg_len, "fadump engine not initialised or no state");
        return FADUMP_E_INTERNAL;
    }
    return firewall<FadumpStatus>(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        std::optional<fadump::CallbackGuestMemory> mem;
        if (ops != nullptr) {
            mem.emplace(*ops, fd->engine.ram_size());
        }
        auto r = fd->engine.load_state(std::span(static_cast<const std::byte*>(buf), len), mem ? &*mem : nullptr);
        if (!r) {
            put_msg(msg, msg_len, r.error().message);
            return FADUMP_E_REFUSED;
        }
        return FADUMP_OK;
    });
}

void fadump_spapr_state_clear(FadumpSpapr* fd) noexcept
{
    if (fd != nullptr) {
        fd->engine.clear();
    }
}

FadumpStatus fadump_spapr_info(const FadumpSpapr* fd, FadumpSpaprInfo* out) noexcept
{
    if (fd == nullptr || out == nullptr) {
        return FADUMP_E_INTERNAL;
    }
    *out = FadumpSpaprInfo{};
    const auto& e = fd->engine;
    out->state = e.dump_active()   ? FADUMP_SPAPR_DUMP_ACTIVE
                 : e.dumping()     ? FADUMP_SPAPR_DUMPING
                 : e.dump_failed() ? FADUMP_SPAPR_DUMP_FAILED
                 : e.registered()  ? FADUMP_SPAPR_REGISTERED
                                   : FADUMP_SPAPR_IDLE;
    const fadump::papr::Registration* reg = e.registration();
    if (reg == nullptr) {
        return FADUMP_OK;
    }
    out->status_flags = reg->header.dump_status_flags;
    out->fdm_address = reg->fdm.start().value;
    out->fdm_length = static_cast<uint32_t>(reg->fdm.len().bytes);
    out->n_sections = std::min<uint16_t>(reg->count, FADUMP_MAX_SECTIONS);
    for (uint16_t i = 0; i < out->n_sections; ++i) {
        const auto& sec = reg->sections[i];
        out->sections[i] =
            FadumpSectionInfo{sec.source_data_type,    sec.error_flags, 0, sec.source_address, sec.source_length,
                              sec.destination_address, sec.bytes_dumped};
    }
    return FADUMP_OK;
}

uint64_t fadump_spapr_cpu_state_size(uint32_t max_threads) noexcept
{
    return firewall<uint64_t>(0, [&] { return fadump::papr::cpu_state_size(max_threads); });
}

FadumpMpipl* fadump_mpipl_new(const FadumpMpiplConfig* cfg) noexcept
{
    if (cfg == nullptr || cfg->chips == 0) {
        return nullptr;
    }
    return firewall<FadumpMpipl*>(nullptr, [&] {
        return new (std::nothrow) FadumpMpipl{fadump::opal::Mpipl({cfg->ram_size, cfg->chips})};
    });
}

void fadump_mpipl_free(FadumpMpipl* mp) noexcept
{
    delete mp;
}

FadumpStatus fadump_mpipl_stash(FadumpMpipl* mp, uint32_t chip, uint64_t key, uint64_t value, char* msg,
                                size_t msg_len) noexcept
{
    put_msg(msg, msg_len, "");
    if (mp == nullptr) {
        put_msg(msg, msg_len, "MPIPL engine not initialised");
        return FADUMP_E_INTERNAL;
    }
    return firewall<FadumpStatus>(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        auto r = mp->engine.stash(chip, key, value);
        if (!r) {
            put_msg(msg, msg_len, r.error().message);
            return FADUMP_E_REFUSED;
        }
        return FADUMP_OK;
    });
}

FadumpStatus fadump_mpipl_s0(FadumpMpipl* mp, uint32_t chip, char* msg, size_t msg_len) noexcept
{
    put_msg(msg, msg_len, "");
    if (mp == nullptr) {
        put_msg(msg, msg_len, "MPIPL engine not initialised");
        return FADUMP_E_INTERNAL;
    }
    return firewall<FadumpStatus>(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        const auto started = mp->engine.s0(chip);
        if (!started) {
            put_msg(msg, msg_len, started.error().message);
            return FADUMP_E_REFUSED;
        }
        return FADUMP_OK;
    });
}

bool fadump_mpipl_in_progress(const FadumpMpipl* mp) noexcept
{
    return mp != nullptr && mp->engine.dumping();
}

FadumpStatus fadump_mpipl_info(const FadumpMpipl* mp, FadumpMpiplInfo* out) noexcept
{
    if (mp == nullptr || out == nullptr) {
        return FADUMP_E_INTERNAL;
    }
    *out = FadumpMpiplInfo{};
    out->chips = mp->engine.chips();
    for (uint32_t c = 0; c < FADUMP_MPIPL_MAX_CHIPS; ++c) {
        if (const auto base = mp->engine.stash_of(c)) {
            out->stashed |= 1U << c;
            out->stash[c] = *base;
        }
    }
    out->in_progress = mp->engine.dumping();
    out->ipl_pending = mp->engine.ipl_pending();
    return FADUMP_OK;
}

FadumpStatus fadump_mpipl_dump(FadumpMpipl* mp, const FadumpGuestOps* ops, const FadumpVcpuRegs* threads,
                               size_t n_threads, const FadumpRange* reload, size_t n_reload, FadumpDumpStats* stats,
                               char* msg, size_t msg_len) noexcept
{
    put_msg(msg, msg_len, "");
    if (mp == nullptr || ops == nullptr || (threads == nullptr && n_threads != 0) ||
        (reload == nullptr && n_reload != 0)) {
        put_msg(msg, msg_len, "MPIPL engine not initialised or missing arguments");
        return FADUMP_E_INTERNAL;
    }
    return firewall<FadumpStatus>(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        fadump::CallbackGuestMemory mem(*ops, mp->engine.ram_size());
        std::vector<fadump::GuestRange> ranges;
        for (size_t i = 0; i < n_reload; ++i) {
            auto r = fadump::GuestRange::make(fadump::GuestAddr{reload[i].addr}, fadump::ByteLen{reload[i].size});
            if (r) {
                ranges.push_back(*r);
            }
        }
        const std::span<const fadump::VcpuState> cpus(threads, n_threads);
        auto out = mp->engine.dump(mem, cpus, ranges);
        if (stats != nullptr) {
            *stats = FadumpDumpStats{out.bytes_preserved, out.preserve_ns,   out.ranges_ok,
                                     out.ranges_failed,   out.threads_saved, out.mpipl_boot};
        }
        put_msg(msg, msg_len, out.problems);
        return out.mpipl_boot ? FADUMP_OK : FADUMP_E_INCOMPLETE;
    });
}

uint64_t fadump_mpipl_finish_moves(FadumpMpipl* mp, const FadumpGuestOps* ops) noexcept
{
    if (mp == nullptr || ops == nullptr) {
        return 0;
    }
    return firewall<uint64_t>(0, [&] {
        fadump::CallbackGuestMemory mem(*ops, mp->engine.ram_size());
        return mp->engine.finish_moves(mem);
    });
}

bool fadump_mpipl_reset(FadumpMpipl* mp, const FadumpGuestOps* ops, uint64_t fw_load_addr) noexcept
{
    if (mp == nullptr || ops == nullptr) {
        return false;
    }
    return firewall(false, [&] {
        fadump::CallbackGuestMemory mem(*ops, mp->engine.ram_size());
        return mp->engine.reset(mem, fw_load_addr);
    });
}

size_t fadump_mpipl_firmware_ranges(const FadumpMpipl* mp, FadumpRange* out, size_t max) noexcept
{
    if (mp == nullptr) {
        return 0;
    }
    return firewall<size_t>(0, [&] {
        const auto& fw = mp->engine.firmware_ranges();
        for (size_t i = 0; out != nullptr && i < fw.size() && i < max; ++i) {
            out[i] = FadumpRange{fw[i].start().value, fw[i].len().bytes};
        }
        return fw.size();
    });
}

FadumpStatus fadump_mpipl_prop_fw_load_area(const FadumpRange* reload, size_t n_reload, void* buf, size_t buf_len,
                                            size_t* len) noexcept
{
    return prop_getter(len, [&]() -> FadumpStatus {
        if (reload == nullptr && n_reload != 0) {
            return FADUMP_E_INTERNAL;
        }
        if (n_reload > buf_len / 16) {
            // n_reload * 16 may not fit in size_t: report what is needed
            // only when it does.
            *len = n_reload <= SIZE_MAX / 16 ? n_reload * 16 : SIZE_MAX;
            return FADUMP_E_TOO_SMALL;
        }
        if (n_reload != 0 && buf == nullptr) {
            return FADUMP_E_INTERNAL;
        }
        auto* out = static_cast<unsigned char*>(buf);
        for (size_t i = 0; i < n_reload; ++i) {
            const fadump::Be64 a(reload[i].addr);
            const fadump::Be64 z(reload[i].size);
            std::memcpy(out + i * 16, &a, 8);
            std::memcpy(out + i * 16 + 8, &z, 8);
        }
        *len = n_reload * 16;
        return FADUMP_OK;
    });
}

}  // extern "C"
