#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace lab {
namespace {

pid_t spawn_piped(const std::vector<std::string>& argv, int* read_fd, bool merge)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        return -1;
    }
    const pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        const int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(p[1], 1);
        if (merge) {
            dup2(p[1], 2);
        }
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        _exit(127);
    }
    close(p[1]);
    *read_fd = p[0];
    return pid;
}

double since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::optional<Child> Child::spawn(const std::vector<std::string>& argv, const std::string& log_path, bool echo)
{
    Child c;
    c.m_start = std::chrono::steady_clock::now();
    c.m_pid = spawn_piped(argv, &c.m_fd, true);
    if (c.m_pid < 0) {
        return std::nullopt;
    }
    c.m_log = std::fopen(log_path.c_str(), "w");
    c.m_echo = echo;
    return c;
}

Child::Child(Child&& o) noexcept
    : m_pid(o.m_pid), m_fd(o.m_fd), m_log(o.m_log), m_echo(o.m_echo), m_eof(o.m_eof),
      m_partial(std::move(o.m_partial)), m_lines(std::move(o.m_lines)), m_next(o.m_next), m_start(o.m_start)
{
    o.m_pid = -1;
    o.m_fd = -1;
    o.m_log = nullptr;
}

Child::~Child()
{
    kill();
    if (m_fd >= 0) {
        close(m_fd);
    }
    if (m_log != nullptr) {
        std::fclose(m_log);
    }
}

double Child::elapsed() const { return since(m_start); }

bool Child::read_some(double timeout_s)
{
    if (m_eof) {
        return false;
    }
    pollfd pfd{m_fd, POLLIN, 0};
    const int ms = timeout_s <= 0 ? 0 : static_cast<int>(timeout_s * 1000) + 1;
    if (poll(&pfd, 1, ms) <= 0) {
        return true;
    }
    char buf[65536];
    const ssize_t n = read(m_fd, buf, sizeof buf);
    if (n <= 0) {
        m_eof = true;
        if (!m_partial.empty()) {
            m_lines.push_back(m_partial);
            m_partial.clear();
        }
        return false;
    }
    m_partial.append(buf, static_cast<size_t>(n));
    size_t pos = 0;
    while (true) {
        const size_t nl = m_partial.find('\n', pos);
        if (nl == std::string::npos) {
            break;
        }
        std::string line = m_partial.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (m_log != nullptr) {
            std::fprintf(m_log, "[%9.3f] %s\n", elapsed(), line.c_str());
            std::fflush(m_log);
        }
        if (m_echo) {
            std::cerr << "  | " << line << "\n";
        }
        m_lines.push_back(std::move(line));
        pos = nl + 1;
    }
    m_partial.erase(0, pos);
    return true;
}

WaitResult Child::wait_for(const std::vector<std::string>& success, const std::vector<std::string>& failure,
                           double timeout_s)
{
    const auto t0 = std::chrono::steady_clock::now();
    while (true) {
        for (; m_next < m_lines.size(); ++m_next) {
            const std::string& l = m_lines[m_next];
            for (const auto& f : failure) {
                if (l.find(f) != std::string::npos) {
                    ++m_next;
                    return {WaitResult::Failed, l, elapsed()};
                }
            }
            for (const auto& s : success) {
                if (l.find(s) != std::string::npos) {
                    ++m_next;
                    return {WaitResult::Matched, l, elapsed()};
                }
            }
        }
        const double left = timeout_s - since(t0);
        if (left <= 0) {
            return {WaitResult::Timeout, {}, elapsed()};
        }
        if (!read_some(std::min(left, 0.5)) && m_next >= m_lines.size()) {
            return {WaitResult::Exited, {}, elapsed()};
        }
    }
}

bool Child::wait_exit(double timeout_s, int* status)
{
    const auto t0 = std::chrono::steady_clock::now();
    while (read_some(std::max(0.0, std::min(0.5, timeout_s - since(t0))))) {
        if (since(t0) > timeout_s) {
            return false;
        }
    }
    if (m_pid > 0) {
        int st = 0;
        while (waitpid(m_pid, &st, 0) < 0 && errno == EINTR) {
        }
        m_pid = -1;
        if (status != nullptr) {
            *status = st;
        }
    }
    return true;
}

void Child::kill()
{
    if (m_pid > 0) {
        ::kill(-m_pid, SIGKILL);
        ::kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
        m_pid = -1;
    }
}

int run_command(const std::vector<std::string>& argv, std::string* out, double timeout_s, bool merge)
{
    int fd = -1;
    const pid_t pid = spawn_piped(argv, &fd, merge);
    if (pid < 0) {
        return -1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    bool timed_out = false;
    char buf[65536];
    while (true) {
        const double left = timeout_s - since(t0);
        if (left <= 0) {
            timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(std::min(left, 1.0) * 1000) + 1) <= 0) {
            continue;
        }
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        if (out != nullptr) {
            out->append(buf, static_cast<size_t>(n));
        }
    }
    close(fd);
    int st = 0;
    waitpid(pid, &st, 0);
    if (timed_out) {
        return 124;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace lab
