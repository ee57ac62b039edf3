// The C boundary of the platform's own vmcore (fadump/fadump_export.h).
// Every entry point is noexcept and catches everything.
#include <memory>
#include <string>
#include <vector>

#include "../capi_internal.hpp"
#include "fadump/export/vmcore_writer.hpp"
#include "fadump/fadump_export.h"
#include "fadump/opal/opal_core.hpp"
#include "fadump/opal/vmcore_source.hpp"
#include "fadump/papr/vmcore_source.hpp"

using fadump::capi::firewall;
using fadump::capi::put_msg;

struct FadumpVmcore {
    fadump::vmcore::VmcorePlan plan;
    fadump::vmcore::FileLayout layout;
    std::vector<fadump::vmcore::HostPiece> pieces;
};

namespace {

// The memory ranges as the library's type; false for more than MAX_LOADS
// or one that wraps.
bool to_ranges(const FadumpNodeRange* ram, size_t n, std::vector<fadump::vmcore::NodeRange>& out)
{
    if (n > fadump::vmcore::MAX_LOADS) {
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        auto r = fadump::GuestRange::make(fadump::GuestAddr{ram[i].addr}, fadump::ByteLen{ram[i].size});
        if (!r) {
            return false;
        }
        out.push_back({*r, ram[i].node});
    }
    return true;
}

FadumpVmcoreSummary summary_of(const FadumpVmcore& vc)
{
    FadumpVmcoreSummary s{};
    s.file_bytes = vc.layout.bytes;
    for (const auto& l : vc.plan.loads) {
        s.memory_bytes += l.bytes;
    }
    s.cpus = vc.plan.cpus;
    s.loads = static_cast<uint32_t>(vc.plan.loads.size());
    s.crashing_cpu = vc.plan.crashing_cpu;
    s.big_endian = vc.plan.big_endian ? 1 : 0;
    return s;
}

// The file's layout and host pieces of `plan`, handed out as *out.
FadumpStatus finish_plan(fadump::GuestMemory& mem, fadump::Result<fadump::vmcore::VmcorePlan> plan, FadumpVmcore** out,
                         FadumpVmcoreSummary* summary, char* msg, size_t msg_len)
{
    if (!plan) {
        put_msg(msg, msg_len, plan.error().message);
        return FADUMP_E_REFUSED;
    }
    auto vc = std::make_unique<FadumpVmcore>();
    vc->plan = std::move(plan.value());
    vc->layout = fadump::vmcore::file_layout(vc->plan);
    auto pieces = fadump::vmcore::host_pieces(mem, vc->plan, vc->layout);
    if (!pieces) {
        put_msg(msg, msg_len, pieces.error().message);
        return FADUMP_E_REFUSED;
    }
    vc->pieces = std::move(pieces.value());
    *summary = summary_of(*vc);
    *out = vc.release();
    return FADUMP_OK;
}

}  // namespace

extern "C" {

FadumpStatus fadump_spapr_vmcore_plan(const FadumpSpapr* fd, const FadumpGuestOps* ops, const FadumpNodeRange* ram,
                                      size_t n_ram, FadumpVmcore** out, FadumpVmcoreSummary* summary, char* msg,
                                      size_t msg_len) noexcept
{
    if (fd == nullptr || ops == nullptr || out == nullptr || summary == nullptr || (ram == nullptr && n_ram != 0)) {
        return FADUMP_E_INTERNAL;
    }
    *out = nullptr;
    *summary = FadumpVmcoreSummary{};
    return firewall(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        const auto* reg = fd->engine.registration();
        std::vector<fadump::vmcore::NodeRange> ranges;
        if (!fd->engine.dump_active() || reg == nullptr || !to_ranges(ram, n_ram, ranges)) {
            put_msg(msg, msg_len, !fd->engine.dump_active() ? "no dump is active" : "bad memory ranges");
            return FADUMP_E_REFUSED;
        }
        fadump::CallbackGuestMemory mem(*ops, fd->engine.ram_size());
        return finish_plan(mem, fadump::papr::plan_vmcore(mem, *reg, ranges, fd->engine.max_threads()), out, summary,
                           msg, msg_len);
    });
}

bool fadump_mpipl_kernel_dump(const FadumpMpipl* mp) noexcept
{
    return mp != nullptr && mp->engine.last_dump().has_value() && !mp->engine.last_dump()->kernel.empty();
}

bool fadump_mpipl_dump_preserved(const FadumpMpipl* mp, const FadumpGuestOps* ops) noexcept
{
    if (mp == nullptr || ops == nullptr) {
        return false;
    }
    try {
        fadump::CallbackGuestMemory mem(*ops, mp->engine.ram_size());
        return mp->engine.dump_preserved(mem);
    } catch (...) {
        return false;
    }
}

FadumpStatus fadump_mpipl_vmcore_plan(const FadumpMpipl* mp, const FadumpGuestOps* ops, const FadumpNodeRange* ram,
                                      size_t n_ram, FadumpVmcore** out, FadumpVmcoreSummary* summary, char* msg,
                                      size_t msg_len) noexcept
{
    if (mp == nullptr || ops == nullptr || out == nullptr || summary == nullptr || (ram == nullptr && n_ram != 0)) {
        return FADUMP_E_INTERNAL;
    }
    *out = nullptr;
    *summary = FadumpVmcoreSummary{};
    return firewall(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        const auto& rec = mp->engine.last_dump();
        std::vector<fadump::vmcore::NodeRange> ranges;
        if (!rec || !to_ranges(ram, n_ram, ranges)) {
            put_msg(msg, msg_len, !rec ? "no MPIPL preserved a kernel's dump" : "bad memory ranges");
            return FADUMP_E_REFUSED;
        }
        fadump::CallbackGuestMemory mem(*ops, mp->engine.ram_size());
        return finish_plan(mem, fadump::opal::plan_vmcore(mem, *rec, ranges, rec->threads), out, summary, msg, msg_len);
    });
}

FadumpStatus fadump_mpipl_opal_core_plan(const FadumpMpipl* mp, const FadumpGuestOps* ops, FadumpVmcore** out,
                                         FadumpVmcoreSummary* summary, char* msg, size_t msg_len) noexcept
{
    if (mp == nullptr || ops == nullptr || out == nullptr || summary == nullptr) {
        return FADUMP_E_INTERNAL;
    }
    *out = nullptr;
    *summary = FadumpVmcoreSummary{};
    return firewall(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        const auto& rec = mp->engine.last_dump();
        if (!rec) {
            put_msg(msg, msg_len, "no MPIPL was taken");
            return FADUMP_E_REFUSED;
        }
        fadump::CallbackGuestMemory mem(*ops, mp->engine.ram_size());
        return finish_plan(mem, fadump::opal::plan_opal_core(mem, *rec), out, summary, msg, msg_len);
    });
}

FadumpStatus fadump_vmcore_write(const FadumpVmcore* vc, int dirfd, const char* name, const int* cancel,
                                 FadumpVmcoreStats* stats, char* msg, size_t msg_len) noexcept
{
    if (vc == nullptr || name == nullptr || stats == nullptr) {
        return FADUMP_E_INTERNAL;
    }
    *stats = FadumpVmcoreStats{};
    return firewall(FADUMP_E_INTERNAL, msg, msg_len, [&] {
        auto w = fadump::vmcore::write_vmcore(dirfd, name, vc->plan, vc->layout, vc->pieces, cancel);
        if (!w) {
            put_msg(msg, msg_len, w.error().message);
            return FADUMP_E_REFUSED;
        }
        *stats = FadumpVmcoreStats{w->file_bytes, w->data_bytes, w->ns};
        return FADUMP_OK;
    });
}

void fadump_vmcore_free(FadumpVmcore* vc) noexcept
{
    delete vc;  // NOLINT(cppcoreguidelines-owning-memory): the C API's owner
}

}  // extern "C"
