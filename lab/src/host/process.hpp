// Child processes for the lab: QEMU with its console read line by line
// (host timestamps, pattern waits with timeouts) and one-shot tools.
// Every child runs in its own process group (posix_spawn) and is watched
// through a pidfd, so no wait is unbounded, and stopping a child stops its
// whole group: SIGTERM, a grace period, then SIGKILL. A stop request
// (stop_signal.hpp) ends every wait early.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace lab {

/// Seconds a stopped child gets between SIGTERM and SIGKILL by default.
inline constexpr double DEFAULT_STOP_GRACE_S = 5;

/// Result of waiting for console output.
struct WaitResult {
    enum Kind { Matched, Failed, Timeout, Exited, Stopped } kind;
    std::string line;  // the matching line (Matched/Failed)
    double at = 0;     // seconds since spawn
};

/// read(2) that retries when a signal interrupts it: EINTR is not end of
/// file. Returns read(2)'s result otherwise.
ssize_t read_retrying(int fd, void* buf, size_t n);

class Child {
public:
    /// Starts argv[0] (searched in PATH) with stdin from /dev/null and
    /// stdout+stderr captured; every line goes to `log_path` prefixed with
    /// seconds since start. nullopt with `error` set when it cannot start.
    static std::optional<Child> spawn(const std::vector<std::string>& argv, const std::string& log_path, bool echo,
                                      std::string* error = nullptr);
    Child(Child&& other) noexcept;
    Child& operator=(Child&&) = delete;
    Child(const Child&) = delete;
    /// Stops the child's group (grace DEFAULT_STOP_GRACE_S) if still running.
    ~Child();

    /// Once this child has exited and was reaped (wait_exit or stop): runs
    /// `argv` in its place, its output appended to the same lines and log,
    /// the clock still counting from the first start (a migration's
    /// destination QEMU continues the source's console). False with `error`
    /// when the old child still runs or the new one cannot start.
    bool continue_with(const std::vector<std::string>& argv, std::string* error);
    /// While this child runs: starts `argv` and makes it the process this
    /// Child reads and waits for (its output appended to the same lines and
    /// log, the same clock); the old one runs on beside it until
    /// stop_beside or the destructor, its output drained into the log only
    /// (a postcopy migration's source QEMU serves the destination's missing
    /// pages). False with `error` when one is beside already or `argv`
    /// cannot start.
    bool hand_over(const std::vector<std::string>& argv, std::string* error);
    /// Stops the process hand_over left beside (as stop does); true when
    /// there is none left.
    bool stop_beside(double grace_s);
    /// Whether the process hand_over left beside still runs.
    [[nodiscard]] bool beside_running() const;

    /// Reads lines until one contains a `success` pattern (Matched), a
    /// `failure` pattern (Failed), the child exits, a stop is requested
    /// (Stopped), or `timeout_s` passes.
    WaitResult wait_for(const std::vector<std::string>& success, const std::vector<std::string>& failure,
                        double timeout_s);
    /// The first line the next wait_for examines, and a return to it: a
    /// wait that only looks ahead (for a sample, not a phase) leaves the
    /// lines it read to the phase after it.
    [[nodiscard]] size_t cursor() const { return m_next; }
    void rewind(size_t cursor) { m_next = std::min(cursor, m_lines.size()); }
    /// Drains output until the child has exited and reaps it; false when it
    /// is still running after `timeout_s` or a stop was requested.
    bool wait_exit(double timeout_s, int* status);
    /// Stops the child's process group: SIGTERM, up to `grace_s` for the
    /// child to exit, then SIGKILL to whatever is left of the group. Returns
    /// true when the child was reaped.
    bool stop(double grace_s);
    [[nodiscard]] double elapsed() const;
    [[nodiscard]] pid_t pid() const { return m_pid; }
    [[nodiscard]] const std::vector<std::string>& lines() const { return m_lines; }
    /// Console bytes past MAX_CONSOLE_BYTES: neither kept in lines() nor
    /// logged (a guest flooding its console cannot exhaust the lab's memory).
    [[nodiscard]] uint64_t dropped_bytes() const { return m_dropped_bytes; }
    /// The console is the guest's: a line is at most this long (a longer
    /// one is cut into several), and at most MAX_CONSOLE_BYTES are kept.
    static constexpr size_t MAX_LINE_BYTES = size_t{64} * 1024;
    static constexpr size_t MAX_CONSOLE_BYTES = size_t{64} * 1024 * 1024;

private:
    Child() = default;
    bool read_some(double timeout_s);  // false on EOF or a stop request
    void drain_beside();
    void split_lines();
    void flush_partial();
    void add_line(std::string line);
    pid_t m_pid = -1;
    int m_pidfd = -1;
    int m_fd = -1;
    pid_t m_beside_pid = -1;  // hand_over's previous process, still running
    int m_beside_pidfd = -1;
    int m_beside_fd = -1;
    FILE* m_log = nullptr;
    bool m_echo = false;
    bool m_eof = false;
    std::string m_partial;
    size_t m_scanned = 0;  // bytes of m_partial already searched for a newline
    std::vector<std::string> m_lines;
    uint64_t m_kept_bytes = 0;
    uint64_t m_dropped_bytes = 0;
    size_t m_next = 0;  // first line not yet examined by wait_for
    std::chrono::steady_clock::time_point m_start;
};

/// Runs a command to completion; returns its exit status (-1 when it could
/// not start, 124 on timeout, 128+signal when a stop was requested; the
/// command is then stopped like Child::stop) and its stdout (stderr too
/// when `merge`, else the command's stderr is the lab's).
int run_command(const std::vector<std::string>& argv, std::string* out, double timeout_s, bool merge = true,
                double grace_s = DEFAULT_STOP_GRACE_S);

}  // namespace lab
