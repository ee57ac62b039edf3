#include "host_cost.hpp"

#include <fmt/format.h>

namespace lab {

std::optional<Judgement> judge_rss_growth(const Resident& registered, const Resident& reboot, uint64_t ram_bytes,
                                          uint64_t preserved_bytes, uint64_t copied_bytes)
{
    if (ram_bytes < SCALE_RAM_BYTES) {
        return std::nullopt;
    }
    const auto mib = [](double b) { return b / (1 << 20); };
    const double growth = static_cast<double>(reboot.rss) - static_cast<double>(registered.rss);
    const auto copied = static_cast<double>(copied_bytes);
    const uint64_t limit_bytes = ram_bytes / 100;
    const auto limit = static_cast<double>(limit_bytes);
    const bool ok = growth - copied <= limit && copied <= limit;
    return Judgement{
        ok, fmt::format("QEMU's resident memory grew {:.1f} MiB from registration to the reboot after the dump "
                        "({:.1f} -> {:.1f} MiB; {:.1f} MiB preserved, {:.1f} MiB of it copied): {:.1f} MiB beyond "
                        "the copies{}, limit 1% of {:.0f} MiB RAM: {:.1f} MiB, for each",
                        mib(growth), mib(static_cast<double>(registered.rss)), mib(static_cast<double>(reboot.rss)),
                        mib(static_cast<double>(preserved_bytes)), mib(copied), mib(growth - copied),
                        copied <= limit ? "" : " (the copies themselves over the limit)",
                        mib(static_cast<double>(ram_bytes)), mib(limit))};
}

}  // namespace lab
