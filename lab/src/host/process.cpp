#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
// glibc 2.36's <sys/pidfd.h> lacks __BEGIN_DECLS (fixed in 2.37).
extern "C" {
#include <sys/pidfd.h>
}
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "stop_signal.hpp"

namespace lab {
namespace {

// A SIGKILLed child is gone as soon as the kernel has torn it down; this
// bounds the wait for that (a child stuck in the kernel is left unreaped).
constexpr double KILL_WAIT_S = 5;

double since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int poll_ms(double seconds)
{
    return seconds <= 0 ? 0 : static_cast<int>(seconds * 1000) + 1;
}

struct Spawned {
    pid_t pid = -1;
    int pidfd = -1;
    int out = -1;  // read end of the child's stdout (and stderr when merged)
};

std::optional<Spawned> spawn_piped(const std::vector<std::string>& argv, bool merge, std::string* error)
{
    if (argv.empty()) {
        *error = "nothing to run";
        return std::nullopt;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        *error = std::string("pipe: ") + std::strerror(errno);
        return std::nullopt;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    if (merge) {
        posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    }
    // Own process group (stoppable as a whole, out of the terminal's Ctrl-C),
    // nothing blocked, and the signals the lab handles at their defaults.
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&at, &defaults);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    Spawned s;
    const int rc = posix_spawnp(&s.pid, args[0], &fa, &at, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        *error = "cannot start " + argv[0] + ": " + std::strerror(rc);
        return std::nullopt;
    }
    s.out = p[0];
    s.pidfd = pidfd_open(s.pid, 0);
    if (s.pidfd < 0) {
        *error = std::string("pidfd_open: ") + std::strerror(errno);
        ::kill(-s.pid, SIGKILL);
        waitpid(s.pid, nullptr, 0);  // SIGKILLed child of ours: returns
        close(s.out);
        return std::nullopt;
    }
    return s;
}

enum class UntilStop { No, Yes };

// True once the process behind `pidfd` has exited (within `timeout_s`;
// false as soon as a stop is requested when `until` says so).
bool wait_exited(int pidfd, double timeout_s, UntilStop until = UntilStop::No)
{
    const auto t0 = std::chrono::steady_clock::now();
    while (true) {
        if (until == UntilStop::Yes && stop_signal() != 0) {
            return false;
        }
        pollfd fds[2] = {{pidfd, POLLIN, 0}, {until == UntilStop::Yes ? stop_fd() : -1, POLLIN, 0}};
        const int n = poll(fds, 2, poll_ms(timeout_s - since(t0)));
        if (n > 0 && fds[0].revents != 0) {
            return true;
        }
        if (n == 0 || (n < 0 && errno != EINTR)) {
            return false;
        }
    }
}

// Reaps an exited child without blocking.
bool reap(pid_t pid, int* status)
{
    int st = 0;
    pid_t r = 0;
    do {
        r = waitpid(pid, &st, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid && status != nullptr) {
        *status = st;
    }
    return r == pid;
}

// SIGTERM to the group, `grace_s` for the leader, then SIGKILL to whatever
// is left of the group (while the leader is at worst a zombie, so the group
// id cannot have been reused), and a bounded wait for the leader.
bool stop_group(pid_t pid, int pidfd, double grace_s, int* status)
{
    ::kill(-pid, SIGTERM);
    wait_exited(pidfd, grace_s);
    ::kill(-pid, SIGKILL);
    wait_exited(pidfd, KILL_WAIT_S);
    return reap(pid, status);
}

// Once the leader has exited: anything it left in its group goes too.
bool finish_group(pid_t pid, int* status)
{
    ::kill(-pid, SIGKILL);
    return reap(pid, status);
}

}  // namespace

ssize_t read_retrying(int fd, void* buf, size_t n)
{
    ssize_t r = 0;
    do {
        r = read(fd, buf, n);
    } while (r < 0 && errno == EINTR);
    return r;
}

std::optional<Child> Child::spawn(const std::vector<std::string>& argv, const std::string& log_path, bool echo,
                                  std::string* error)
{
    std::string err;
    Child c;
    c.m_start = std::chrono::steady_clock::now();
    auto s = spawn_piped(argv, true, &err);
    if (!s) {
        if (error != nullptr) {
            *error = err;
        }
        return std::nullopt;
    }
    c.m_pid = s->pid;
    c.m_pidfd = s->pidfd;
    c.m_fd = s->out;
    c.m_log = std::fopen(log_path.c_str(), "w");
    c.m_echo = echo;
    return c;
}

bool Child::continue_with(const std::vector<std::string>& argv, std::string* error)
{
    if (m_pid > 0) {
        *error = "the previous process (pid " + std::to_string(m_pid) + ") is still running";
        return false;
    }
    auto s = spawn_piped(argv, true, error);
    if (!s) {
        return false;
    }
    if (m_pidfd >= 0) {
        close(m_pidfd);
    }
    if (m_fd >= 0) {
        close(m_fd);
    }
    flush_partial();
    m_pid = s->pid;
    m_pidfd = s->pidfd;
    m_fd = s->out;
    m_eof = false;
    return true;
}

bool Child::hand_over(const std::vector<std::string>& argv, std::string* error)
{
    if (m_beside_pid > 0 || m_beside_fd >= 0) {
        *error = "a process (pid " + std::to_string(m_beside_pid) + ") runs beside already";
        return false;
    }
    auto s = spawn_piped(argv, true, error);
    if (!s) {
        return false;
    }
    flush_partial();
    m_beside_pid = m_pid;
    m_beside_pidfd = m_pidfd;
    m_beside_fd = m_fd;
    m_pid = s->pid;
    m_pidfd = s->pidfd;
    m_fd = s->out;
    m_eof = false;
    return true;
}

bool Child::beside_running() const
{
    return m_beside_pid > 0 && !wait_exited(m_beside_pidfd, 0);
}

// The output of the process beside: into the log, marked, never into lines().
void Child::drain_beside()
{
    char buf[65536];
    const ssize_t n = read_retrying(m_beside_fd, buf, sizeof buf);
    if (n <= 0) {
        close(m_beside_fd);
        m_beside_fd = -1;
    } else if (m_log != nullptr) {
        std::fprintf(m_log, "[%10.3f] (previous process) %.*s\n", elapsed(), static_cast<int>(n), buf);
        std::fflush(m_log);
    }
}

bool Child::stop_beside(double grace_s)
{
    if (m_beside_pid > 0) {
        if (!stop_group(m_beside_pid, m_beside_pidfd, grace_s, nullptr)) {
            return false;
        }
        m_beside_pid = -1;
    }
    for (int* fd : {&m_beside_pidfd, &m_beside_fd}) {
        if (*fd >= 0) {
            close(*fd);
            *fd = -1;
        }
    }
    return true;
}

Child::Child(Child&& o) noexcept
    : m_pid(o.m_pid),
      m_pidfd(o.m_pidfd),
      m_fd(o.m_fd),
      m_beside_pid(o.m_beside_pid),
      m_beside_pidfd(o.m_beside_pidfd),
      m_beside_fd(o.m_beside_fd),
      m_log(o.m_log),
      m_echo(o.m_echo),
      m_eof(o.m_eof),
      m_partial(std::move(o.m_partial)),
      m_scanned(o.m_scanned),
      m_lines(std::move(o.m_lines)),
      m_kept_bytes(o.m_kept_bytes),
      m_dropped_bytes(o.m_dropped_bytes),
      m_next(o.m_next),
      m_start(o.m_start)
{
    o.m_pid = -1;
    o.m_pidfd = -1;
    o.m_fd = -1;
    o.m_beside_pid = -1;
    o.m_beside_pidfd = -1;
    o.m_beside_fd = -1;
    o.m_log = nullptr;
}

Child::~Child()
{
    stop_beside(DEFAULT_STOP_GRACE_S);
    stop(DEFAULT_STOP_GRACE_S);
    if (m_pidfd >= 0) {
        close(m_pidfd);
    }
    if (m_fd >= 0) {
        close(m_fd);
    }
    if (m_log != nullptr) {
        std::fclose(m_log);
    }
}

double Child::elapsed() const
{
    return since(m_start);
}

void Child::add_line(std::string line)
{
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (m_kept_bytes + line.size() > MAX_CONSOLE_BYTES) {
        m_dropped_bytes += line.size() + 1;  // a flood: counted, neither kept nor logged
        return;
    }
    m_kept_bytes += line.size() + 1;
    if (m_log != nullptr) {
        std::fprintf(m_log, "[%9.3f] %s\n", elapsed(), line.c_str());
        std::fflush(m_log);
    }
    if (m_echo) {
        std::cerr << "  | " << line << "\n";
    }
    m_lines.push_back(std::move(line));
}

// What is left of an unterminated line, as a line of its own (the output
// ended, or the next process appends to the same console).
void Child::flush_partial()
{
    if (!m_partial.empty()) {
        add_line(std::move(m_partial));
        m_partial.clear();
        m_scanned = 0;
    }
}

// Complete lines leave m_partial; only bytes not searched before are
// searched (a console that never sends a newline costs linear time), and a
// line longer than MAX_LINE_BYTES is cut there (bounded memory per line).
void Child::split_lines()
{
    size_t pos = 0;
    while (true) {
        const size_t nl = m_partial.find('\n', std::max(pos, m_scanned));
        if (nl == std::string::npos) {
            if (m_partial.size() - pos >= MAX_LINE_BYTES) {
                add_line(m_partial.substr(pos, MAX_LINE_BYTES));
                pos += MAX_LINE_BYTES;
                continue;
            }
            break;
        }
        if (nl - pos > MAX_LINE_BYTES) {
            add_line(m_partial.substr(pos, MAX_LINE_BYTES));
            pos += MAX_LINE_BYTES;
            continue;
        }
        add_line(m_partial.substr(pos, nl - pos));
        pos = nl + 1;
    }
    m_partial.erase(0, pos);
    m_scanned = m_partial.size();
}

bool Child::read_some(double timeout_s)
{
    if (m_eof || stop_signal() != 0) {
        return false;
    }
    pollfd fds[4] = {{m_fd, POLLIN, 0}, {stop_fd(), POLLIN, 0}, {m_pidfd, POLLIN, 0}, {m_beside_fd, POLLIN, 0}};
    if (poll(fds, m_beside_fd >= 0 ? 4 : 3, poll_ms(timeout_s)) < 0) {
        return stop_signal() == 0;  // EINTR: the caller's loop looks again
    }
    if (fds[1].revents != 0) {
        return false;
    }
    if (m_beside_fd >= 0 && fds[3].revents != 0) {
        drain_beside();
        if (fds[0].revents == 0 && fds[2].revents == 0) {
            return true;
        }
    }
    bool end = false;
    if (fds[0].revents != 0) {
        char buf[65536];
        const ssize_t n = read_retrying(m_fd, buf, sizeof buf);
        if (n > 0) {
            m_partial.append(buf, static_cast<size_t>(n));
        } else {
            end = true;
        }
    } else if (fds[2].revents != 0) {
        end = true;  // exited and its output is drained (a grandchild may hold the pipe)
    }
    split_lines();
    if (end) {
        m_eof = true;
        flush_partial();
        return false;
    }
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
        if (stop_signal() != 0) {
            return {WaitResult::Stopped, {}, elapsed()};
        }
        const double left = timeout_s - since(t0);
        if (left <= 0) {
            return {WaitResult::Timeout, {}, elapsed()};
        }
        if (!read_some(std::min(left, 0.5)) && m_next >= m_lines.size()) {
            if (stop_signal() != 0) {
                return {WaitResult::Stopped, {}, elapsed()};
            }
            return {WaitResult::Exited, {}, elapsed()};
        }
    }
}

bool Child::wait_exit(double timeout_s, int* status)
{
    const auto t0 = std::chrono::steady_clock::now();
    while (read_some(std::max(0.0, std::min(0.5, timeout_s - since(t0))))) {
        if (since(t0) >= timeout_s) {
            return false;
        }
    }
    if (stop_signal() != 0) {
        return false;
    }
    if (m_pid > 0) {
        if (!wait_exited(m_pidfd, timeout_s - since(t0), UntilStop::Yes) || !finish_group(m_pid, status)) {
            return false;
        }
        m_pid = -1;
    }
    return true;
}

bool Child::stop(double grace_s)
{
    if (m_pid <= 0) {
        return true;
    }
    if (!stop_group(m_pid, m_pidfd, grace_s, nullptr)) {
        return false;
    }
    m_pid = -1;
    return true;
}

int run_command(const std::vector<std::string>& argv, std::string* out, double timeout_s, bool merge, double grace_s)
{
    std::string err;
    const auto s = spawn_piped(argv, merge, &err);
    if (!s) {
        return -1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    int result = 0;  // 0: ran to its end; else 124 or 128+signal
    char buf[65536];
    bool open = true;
    while (open && result == 0) {
        const double left = timeout_s - since(t0);
        if (left <= 0) {
            result = 124;
            break;
        }
        pollfd fds[3] = {{s->out, POLLIN, 0}, {stop_fd(), POLLIN, 0}, {s->pidfd, POLLIN, 0}};
        const int n = poll(fds, 3, poll_ms(std::min(left, 1.0)));
        if (stop_signal() != 0) {
            result = 128 + stop_signal();
        } else if (n <= 0) {
            continue;
        } else if (fds[0].revents != 0) {
            const ssize_t r = read_retrying(s->out, buf, sizeof buf);
            if (r <= 0) {
                open = false;
            } else if (out != nullptr) {
                out->append(buf, static_cast<size_t>(r));
            }
        } else if (fds[2].revents != 0) {
            open = false;  // exited and its output is drained
        }
    }
    close(s->out);
    int st = 0;
    if (result == 0 && !(wait_exited(s->pidfd, timeout_s - since(t0), UntilStop::Yes) && finish_group(s->pid, &st))) {
        result = stop_signal() != 0 ? 128 + stop_signal() : 124;
    }
    if (result != 0) {
        stop_group(s->pid, s->pidfd, grace_s, nullptr);
    }
    close(s->pidfd);
    if (result != 0) {
        return result;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace lab
