#include "qtest_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace lab {

std::optional<std::string> LineReader::next(double timeout_s)
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (true) {
        const auto nl = m_buf.find('\n');
        if (nl != std::string::npos) {
            std::string line = m_buf.substr(0, nl);
            m_buf.erase(0, nl + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (m_fd < 0 || left.count() <= 0) {
            return std::nullopt;
        }
        pollfd pfd{m_fd, POLLIN, 0};
        const int n = poll(&pfd, 1, static_cast<int>(left.count()) + 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return std::nullopt;
        }
        char buf[4096];
        ssize_t r = 0;
        do {
            r = read(m_fd, buf, sizeof buf);
        } while (r < 0 && errno == EINTR);
        if (r <= 0) {
            return std::nullopt;
        }
        m_buf.append(buf, static_cast<size_t>(r));
    }
}

std::vector<std::string> qtest_argv(const std::string& qemu, const std::string& machine, const std::string& accel,
                                    const std::string& mem, const std::string& smp, const std::string& firmware,
                                    const std::string& qmp_socket)
{
    return {qemu,     "-M",          machine,      "-accel",    accel,
            "-qtest", "stdio",       "-qtest-log", "/dev/null", "-display",
            "none",   "-nodefaults", "-m",         mem,         "-smp",
            smp,      "-L",          firmware,     "-qmp",      "unix:" + qmp_socket + ",server=on,wait=off"};
}

QtestChild::QtestChild(const std::vector<std::string>& argv, const std::string& stderr_path)
{
    signal(SIGPIPE, SIG_IGN);  // a QEMU that died must be an answer, not kill us
    int to_q[2];
    int from_q[2];
    if (argv.empty() || pipe2(to_q, O_CLOEXEC) != 0) {
        return;
    }
    if (pipe2(from_q, O_CLOEXEC) != 0) {
        close(to_q[0]);
        close(to_q[1]);
        return;
    }
    std::vector<std::string> args = argv;
    std::vector<char*> cargv;
    cargv.reserve(args.size() + 1);
    for (auto& a : args) {
        cargv.push_back(a.data());
    }
    cargv.push_back(nullptr);
    m_pid = fork();
    if (m_pid == 0) {
        dup2(to_q[0], 0);
        dup2(from_q[1], 1);
        const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (err >= 0) {
            dup2(err, 2);
        }
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    close(to_q[0]);
    close(from_q[1]);
    if (m_pid < 0) {
        close(to_q[1]);
        close(from_q[0]);
        return;
    }
    m_in = fdopen(to_q[1], "w");
    m_out_fd = from_q[0];
    m_out = LineReader(m_out_fd);
}

QtestChild::~QtestChild()
{
    if (m_in != nullptr) {
        std::fclose(m_in);
    }
    if (m_out_fd >= 0) {
        close(m_out_fd);
    }
    if (m_pid > 0) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
}

std::optional<std::string> QtestChild::cmd(const std::string& line, double timeout_s)
{
    auto answers = cmds({line}, timeout_s);
    if (!answers) {
        return std::nullopt;
    }
    return std::move(answers->front());
}

std::optional<std::vector<std::string>> QtestChild::cmds(const std::vector<std::string>& lines, double timeout_s)
{
    if (m_in == nullptr) {
        return std::nullopt;
    }
    for (const auto& line : lines) {
        std::fprintf(m_in, "%s\n", line.c_str());
    }
    std::fflush(m_in);
    std::vector<std::string> answers;
    while (answers.size() < lines.size()) {
        const auto s = m_out.next(timeout_s);
        if (!s) {
            return std::nullopt;
        }
        if (s->rfind("IRQ", 0) != 0) {
            answers.push_back(*s);
        }
    }
    return answers;
}

std::optional<int> QtestChild::wait_exit(double timeout_s)
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (m_pid > 0) {
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (std::chrono::steady_clock::now() > end) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
}

}  // namespace lab
