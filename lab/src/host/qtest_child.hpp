// A QEMU driven over qtest (docs/devel/testing/qtest.rst): its stdin and
// stdout are the qtest channel ("-qtest stdio" among its arguments), one
// command line, one answer line; "IRQ ..." lines are notifications, not
// answers. For the qtest suite and the black-box dump benchmark.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace lab {

/// Lines from a descriptor, each awaited at most a deadline.
class LineReader {
public:
    explicit LineReader(int fd = -1) : m_fd(fd) {}
    /// The next line (without "\n"), or nullopt on EOF or when `timeout_s`
    /// passes first.
    std::optional<std::string> next(double timeout_s);

private:
    int m_fd;
    std::string m_buf;
};

/// QEMU's command line for a qtest session on stdio with a QMP socket:
///   QEMU -M MACHINE -accel ACCEL -qtest stdio -qtest-log /dev/null
///   -display none -nodefaults -m MEM -smp SMP -L FIRMWARE
///   -qmp unix:QMP_SOCKET,server=on,wait=off
std::vector<std::string> qtest_argv(const std::string& qemu, const std::string& machine, const std::string& accel,
                                    const std::string& mem, const std::string& smp, const std::string& firmware,
                                    const std::string& qmp_socket);

class QtestChild {
public:
    /// Starts argv (argv[0] the QEMU binary, run as given) with pipes for
    /// stdin and stdout and stderr written to `stderr_path`.
    QtestChild(const std::vector<std::string>& argv, const std::string& stderr_path);
    /// SIGKILL to a QEMU still running, and reaped.
    ~QtestChild();
    QtestChild(const QtestChild&) = delete;
    QtestChild& operator=(const QtestChild&) = delete;

    [[nodiscard]] bool ok() const { return m_in != nullptr && m_out_fd >= 0 && m_pid > 0; }
    [[nodiscard]] pid_t pid() const { return m_pid; }
    /// Sends one command line; its answer (IRQ notifications skipped), or
    /// nullopt when QEMU closed its output or did not answer within
    /// `timeout_s`.
    std::optional<std::string> cmd(const std::string& line, double timeout_s);
    /// Sends `lines` in one write (QEMU reads them together and runs them
    /// in one go, before its main loop does anything else) and returns one
    /// answer per line, or nullopt as for cmd().
    std::optional<std::vector<std::string>> cmds(const std::vector<std::string>& lines, double timeout_s);
    /// QEMU's exit status once it exited by itself within `timeout_s`
    /// (128 + signal when a signal ended it).
    std::optional<int> wait_exit(double timeout_s);

private:
    pid_t m_pid = -1;
    FILE* m_in = nullptr;
    int m_out_fd = -1;
    LineReader m_out;
};

}  // namespace lab
