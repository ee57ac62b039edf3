// Child processes for the lab: QEMU with its console read line by line
// (host timestamps, pattern waits with timeouts) and one-shot tools.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace lab {

/// Result of waiting for console output.
struct WaitResult {
    enum Kind { Matched, Failed, Timeout, Exited } kind;
    std::string line;      // the matching line (Matched/Failed)
    double at = 0;         // seconds since spawn
};

class Child {
public:
    /// Starts argv[0] with stdin from /dev/null and stdout+stderr captured;
    /// every line goes to `log_path` prefixed with seconds since start.
    static std::optional<Child> spawn(const std::vector<std::string>& argv, const std::string& log_path,
                                      bool echo);
    Child(Child&&) noexcept;
    Child& operator=(Child&&) = delete;
    Child(const Child&) = delete;
    ~Child();

    /// Reads lines until one contains a `success` pattern (Matched), a
    /// `failure` pattern (Failed), the child exits, or `timeout_s` passes.
    WaitResult wait_for(const std::vector<std::string>& success, const std::vector<std::string>& failure,
                        double timeout_s);
    /// Waits for exit (draining output); false on timeout.
    bool wait_exit(double timeout_s, int* status);
    void kill();
    [[nodiscard]] double elapsed() const;
    [[nodiscard]] const std::vector<std::string>& lines() const { return m_lines; }

private:
    Child() = default;
    bool read_some(double timeout_s);   // false on EOF
    pid_t m_pid = -1;
    int m_fd = -1;
    FILE* m_log = nullptr;
    bool m_echo = false;
    bool m_eof = false;
    std::string m_partial;
    std::vector<std::string> m_lines;
    size_t m_next = 0;   // first line not yet examined by wait_for
    std::chrono::steady_clock::time_point m_start;
};

/// Runs a command to completion; returns its exit status (-1 when it could
/// not start, 124 on timeout) and its stdout (stderr too when `merge`).
int run_command(const std::vector<std::string>& argv, std::string* out, double timeout_s, bool merge = true);

}  // namespace lab
