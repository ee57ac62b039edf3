// What the runner does with a scenario (scenarios.hpp) around the QEMU run:
// hands it to the guest as a second initramfs archive, splits the console
// into boots, and judges the scenario's console expectations.
#pragma once

#include <string>
#include <vector>

#include "report.hpp"
#include "scenarios.hpp"

namespace lab {

/// Writes `dir`/initrd.img: the initramfs `base` (a gzip'ed newc cpio),
/// zero-padded to 4 bytes, then an uncompressed newc archive with
/// /scenario/env and /scenario/before-crash for `s` (Linux unpacks
/// concatenated archives: init/initramfs.c). Returns its path, or "" with
/// `error` set.
std::string write_scenario_initrd(const Scenario& s, const std::string& base, const std::string& dir,
                                  std::string* error);

/// The console split into the kernels that printed it: a new boot starts
/// at a line stamped "[    0.000000]" after a line with a later stamp (a
/// kernel's clock starts at zero). Lines before the first kernel belong to
/// boot 0.
std::vector<std::vector<std::string>> split_boots(const std::vector<std::string>& lines);

/// One check "scenario.NAME" per console expectation of `s` that applies to
/// `machine` ("pseries", "powernv9"...). Expectations on the platform's
/// trace events look in `trace` (empty: not recorded, e.g. another QEMU:
/// skipped).
void check_scenario_console(const Scenario& s, const std::string& machine,
                            const std::vector<std::vector<std::string>>& boots, Report& r,
                            const std::optional<std::vector<std::string>>& trace = std::nullopt);

/// The fadump/MPIPL trace events (spapr_fadump_*, pnv_mpipl_*,
/// fadump_preserve, fadump_moves) in QEMU's log, in order, with QEMU's own
/// vhost_dev_start/vhost_dev_stop when a scenario traces them.
std::vector<std::string> platform_events(std::istream& qemu_log);

/// Check "qemu.preservation": how our QEMU preserved each range (trace
/// fadump_preserve "SRC -> DST (LEN bytes): move|copy WHY"). With
/// `zero_copy` (QEMU's default), a range copied because the switch was off
/// fails (the default did not hold); without (x-fadump-zero-copy=off), any
/// moved range fails. Copies for other reasons (a partial page, a policy
/// that keeps the source) pass and are listed. Skipped when nothing was
/// preserved. Adds fact "preservation": {"moved_bytes","copied_bytes"}.
void check_preservation(const std::vector<std::string>& events, bool zero_copy, Report& r);

/// "FADUMP-LAB: report KEY VALUE" and "FADUMP-LAB: region ..." lines of the
/// first boot, as a JSON object {KEY: VALUE, "regions": [...]}.
nlohmann::json scenario_reports(const std::vector<std::string>& first_boot);

}  // namespace lab
