// Small helpers for tests that start processes: files with pids, and
// whether a pid is gone. A test that checks grandchildren are gone makes
// itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER) so orphans are
// reaped by it rather than left as zombies of init.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace lab::test {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p)
{
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

/// Pid written by a fake QEMU into `path`, waiting up to `timeout_s` for it.
inline std::optional<pid_t> read_pid(const fs::path& path, double timeout_s)
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
        std::ifstream f(path);
        pid_t pid = 0;
        if (f >> pid && pid > 0) {
            return pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
}

/// True when `pid` no longer exists (reaping it first if it is our zombie).
inline bool gone(pid_t pid)
{
    waitpid(pid, nullptr, WNOHANG);
    return kill(pid, 0) == -1 && errno == ESRCH;
}

}  // namespace lab::test
