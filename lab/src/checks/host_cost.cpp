#include "host_cost.hpp"

#include <fmt/format.h>

namespace lab {

std::optional<Judgement> judge_rss_growth(const Resident& registered, const Resident& reboot, uint64_t ram_bytes,
                                          uint64_t preserved_bytes)
{
    if (ram_bytes < SCALE_RAM_BYTES) {
        return std::nullopt;
    }
    const auto mib = [](double b) { return b / (1 << 20); };
    const double growth = static_cast<double>(reboot.rss) - static_cast<double>(registered.rss);
    const uint64_t limit = ram_bytes / 100;
    return Judgement{
        growth <= static_cast<double>(limit),
        fmt::format("QEMU's resident memory grew {:.1f} MiB from registration to the reboot after the dump "
                    "({:.1f} -> {:.1f} MiB; {:.1f} MiB preserved), limit 1% of {:.0f} MiB RAM: {:.1f} MiB",
                    mib(growth), mib(static_cast<double>(registered.rss)), mib(static_cast<double>(reboot.rss)),
                    mib(static_cast<double>(preserved_bytes)), mib(static_cast<double>(ram_bytes)),
                    mib(static_cast<double>(limit)))};
}

}  // namespace lab
