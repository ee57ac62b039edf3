// The C boundary of the lab's ground truth (fadump/fadump_truth.h): a
// library beside the engine, so that the engine links neither a JSON nor a
// hash library. Every entry point is noexcept and catches everything.
#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "../c_boundary.hpp"
#include "fadump/fadump_truth.h"
#include "fadump/ground_truth.hpp"
#include "fadump/guest_memory.hpp"

using fadump::capi::firewall;

namespace {

// nlohmann::json 3.11's destructor of a non-empty array or object allocates
// (it flattens the tree into a std::vector first), and an allocation failure
// in a destructor terminates. Emptying the tree leaves first makes every
// destructor call see an empty container, which allocates nothing.
// Recursive by design: the depth is the ground truth's own (a few levels,
// written by the engine). Walking a structured value does not throw.
void dismantle(nlohmann::json& j) noexcept  // NOLINT(misc-no-recursion,bugprone-exception-escape)
{
    if (!j.is_structured()) {
        return;
    }
    for (auto& child : j) {
        dismantle(child);
    }
    j.clear();
}

}  // namespace

struct FadumpGroundTruth {
    fadump::GroundTruth truth;
    FadumpGroundTruth(fadump::GroundTruth t) : truth(std::move(t)) {}  // NOLINT(google-explicit-constructor)
    ~FadumpGroundTruth() { dismantle(truth.doc()); }  // NOLINT(bugprone-exception-escape): see dismantle
    FadumpGroundTruth(const FadumpGroundTruth&) = delete;
    FadumpGroundTruth& operator=(const FadumpGroundTruth&) = delete;
};

extern "C" {

FadumpGroundTruth* fadump_ground_truth_take(const FadumpGuestOps* ops, uint64_t ram_size, const FadumpVcpuRegs* vcpus,
                                            size_t n_vcpus, uint32_t trigger_cpu_index) noexcept
{
    if (ops == nullptr || (vcpus == nullptr && n_vcpus != 0)) {
        return nullptr;
    }
    return firewall<FadumpGroundTruth*>(nullptr, [&] {
        fadump::CallbackGuestMemory mem(*ops, ram_size);
        auto gt = std::make_unique<FadumpGroundTruth>(
            fadump::GroundTruth::take(mem, std::span<const fadump::VcpuState>(vcpus, n_vcpus)));
        gt->truth.doc()["trigger_cpu_index"] = trigger_cpu_index;
        return gt.release();
    });
}

void fadump_ground_truth_note_ranges(FadumpGroundTruth* gt, const char* key, const FadumpRange* ranges,
                                     size_t n) noexcept
{
    if (gt == nullptr || key == nullptr || (ranges == nullptr && n != 0)) {
        return;
    }
    firewall(0, [&] {
        // No structured temporaries: their destructors would allocate.
        auto& arr = gt->truth.doc()[key] = nlohmann::json::array();
        for (size_t i = 0; i < n; ++i) {
            auto& pair = arr.emplace_back(nlohmann::json::array());
            pair.push_back(ranges[i].addr);
            pair.push_back(ranges[i].size);
        }
        return 0;
    });
}

void* fadump_ground_truth_finish(FadumpGroundTruth* gt, const FadumpSpapr* fd, const FadumpDumpStats* stats,
                                 size_t* len) noexcept
{
    std::unique_ptr<FadumpGroundTruth> owned(gt);
    if (gt == nullptr || len == nullptr) {
        return nullptr;
    }
    *len = 0;
    return firewall<void*>(nullptr, [&]() -> void* {
        nlohmann::json& doc = gt->truth.doc();
        if (stats != nullptr) {
            auto& d = doc["dump"] = nlohmann::json::object();
            d["bytes_preserved"] = stats->bytes_preserved;
            d["preserve_ns"] = stats->preserve_ns;
            d["sections_ok"] = stats->sections_ok;
            d["sections_failed"] = stats->sections_failed;
            d["cpus_saved"] = stats->cpus_saved;
        }
        // The fdm as the next boot will see it, through the engine's public
        // C API (the property is at most a few hundred bytes).
        std::array<std::byte, 4096> kd{};
        size_t kd_len = 0;
        if (fd != nullptr && fadump_spapr_prop_kernel_dump(fd, kd.data(), kd.size(), &kd_len) == FADUMP_OK) {
            doc["kernel_dump"] = fadump::hex_bytes(std::span(kd.data(), kd_len));
        }
        size_t n = 0;
        void* out = gt->truth.cbor([](size_t size) { return std::malloc(size); }, &n);
        if (out != nullptr) {
            *len = n;
        }
        return out;
    });
}

}  // extern "C"
