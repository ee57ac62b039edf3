// Ctrl-C and SIGTERM on the lab: recorded, never fatal, so the lab can stop
// its children (QEMU, build scripts) and still write its report.
#pragma once

namespace lab {

/// Installs SIGINT and SIGTERM handlers (without SA_RESTART) that record
/// the first signal and make stop_fd() readable. Call once, early in main.
void install_stop_handlers();

/// The signal that asked the lab to stop (SIGINT, SIGTERM), or 0.
[[nodiscard]] int stop_signal();

/// A descriptor that becomes readable once a stop was requested, for poll();
/// -1 (which poll ignores) when no handlers are installed.
[[nodiscard]] int stop_fd();

/// Name of a signal for reports ("SIGINT").
[[nodiscard]] const char* signal_name(int sig);

}  // namespace lab
