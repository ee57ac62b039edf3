// The lab's last line of defence: whatever a command does, a report is
// printed and written, and the exit code says what happened.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "report.hpp"

namespace lab {

/// Exit code when the report could not be written.
inline constexpr int EXIT_REPORT_NOT_WRITTEN = 3;

/// Runs `command` (returns an exit code). An exception escaping it becomes a
/// failed "lab.internal_error" check. Then prints `report` to `out` and
/// writes it to `report_path` (when not empty). Returns the command's exit
/// code, 1 instead of 0 when a check failed or none passed, and
/// EXIT_REPORT_NOT_WRITTEN (with the reason on `err`) when the report
/// could not be written.
int run_guarded(Report& report, const std::string& report_path, const std::function<int()>& command, std::ostream& out,
                std::ostream& err);

}  // namespace lab
