// What a dump costs the host: QEMU's resident memory from the kernel's
// registration to the reboot after the dump (qemu.rss_growth).
#pragma once

#include <cstdint>
#include <optional>

#include "crash_checks.hpp"
#include "proc_status.hpp"

namespace lab {

/// Guest RAM (bytes) from which a guest counts as partition-sized: its
/// dump is judged by qemu.rss_growth.
inline constexpr uint64_t SCALE_RAM_BYTES = 16ULL << 30;

/// qemu.rss_growth for a zero-copy dump of a partition-sized guest, from
/// `registered` to `reboot` (the dump and the reset; issue 22): moved pages
/// keep their frames, so QEMU's resident memory may grow by at most 1% of
/// `ram_bytes` beyond the `copied_bytes` the engine copied (those land in
/// new pages by design: on PowerNV skiboot's pieces, which the firmware
/// reads again), and a zero-copy dump copies at most 1% of `ram_bytes`
/// itself. The capture kernel's boot after that is the guest's own use of
/// its memory and is not judged. nullopt for a guest under SCALE_RAM_BYTES.
/// `preserved_bytes` goes into the detail.
std::optional<Judgement> judge_rss_growth(const Resident& registered, const Resident& reboot, uint64_t ram_bytes,
                                          uint64_t preserved_bytes, uint64_t copied_bytes);

}  // namespace lab
