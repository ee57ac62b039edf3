// The qtest harness of the QEMU suites (test_qemu_rtas.cpp,
// test_qemu_memory.cpp): a QEMU under -accel qtest driven line by line, with
// QMP beside it. Needs FADUMP_QEMU (the binary) and FADUMP_FIRMWARE (its -L
// directory). Every answer is awaited at most FADUMP_QTEST_TIMEOUT seconds
// (default 30): a QEMU that stops answering fails the test instead of
// blocking it. QMP replies are parsed as JSON.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <libfdt.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fadump/fadump.h"
#include "fake_guest.hpp"
#include "qtest_child.hpp"

namespace fadump::qtest {

namespace fs = std::filesystem;
using fadump::test::FdmBuilder;

inline std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v ? v : "";
}

inline double answer_timeout_s()
{
    const std::string v = env("FADUMP_QTEST_TIMEOUT");
    return v.empty() ? 30 : std::stod(v);
}

// A QEMU under -accel qtest, driven line by line over pipes, plus QMP.
class QtestQemu {
public:
    /// `extra`: more QEMU arguments (e.g. -incoming). QEMU's stderr goes to
    /// stderr_text().
    /// `mem`: -m's argument; `accel`: "qtest", or "tcg" for what only TCG
    /// does (zero-copy preservation), with the vCPUs held (-S) so qtest
    /// still plays the guest.
    explicit QtestQemu(const std::string& machine_opts, const std::string& smp = "2",
                       const std::vector<std::string>& extra = {}, const std::string& machine = "pseries,x-vof=on",
                       const std::string& mem = "1G", const std::string& accel = "qtest")
    {
        m_dir = fs::temp_directory_path() / ("fadump-qtest-" + std::to_string(getpid()) + "-" + std::to_string(s_n++));
        fs::create_directories(m_dir);
        m_qmp = (m_dir / "qmp.sock").string();
        std::vector<std::string> args =
            lab::qtest_argv(env("FADUMP_QEMU"), machine + machine_opts, accel, mem, smp, env("FADUMP_FIRMWARE"), m_qmp);
        if (accel == "tcg") {
            args.push_back("-S");
        }
        args.insert(args.end(), extra.begin(), extra.end());
        m_child = std::make_unique<lab::QtestChild>(args, (m_dir / "stderr.log").string());
    }
    ~QtestQemu()
    {
        if (m_listen_fd >= 0) {
            close(m_listen_fd);
        }
        m_child.reset();
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    bool ok() const { return m_child->ok(); }
    const fs::path& dir() const { return m_dir; }
    /// The description of the last QMP error answer.
    const std::string& last_error() const { return m_last_error; }
    std::string stderr_text() const
    {
        std::ifstream f(m_dir / "stderr.log");
        return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    }
    /// QEMU's exit status once it exited by itself within `timeout_s`.
    std::optional<int> wait_exit(double timeout_s) { return m_child->wait_exit(timeout_s); }

    /// One qtest command and its answer; "TIMEOUT" (a test failure, and
    /// every later command answers it at once) when QEMU stops answering.
    std::string cmd(const std::string& line)
    {
        if (m_silent) {
            return "TIMEOUT";
        }
        const double timeout = answer_timeout_s();
        if (auto answer = m_child->cmd(line, timeout)) {
            return *answer;
        }
        m_silent = true;
        // Why, when QEMU exited: its status and what it printed.
        const auto status = m_child->wait_exit(0.5);
        ADD_FAILURE() << "QEMU did not answer within " << timeout << " s (or closed its output): " << line
                      << (status ? "; QEMU exited with status " + std::to_string(*status) : std::string())
                      << "; its stderr: " << stderr_text().substr(0, 2000);
        return "TIMEOUT";
    }
    /// Several qtest commands in one write (QtestChild::cmds): their
    /// answers, or an empty vector with a test failure.
    std::vector<std::string> cmds(const std::vector<std::string>& lines)
    {
        if (!m_silent) {
            if (auto answers = m_child->cmds(lines, answer_timeout_s())) {
                return *answers;
            }
            m_silent = true;
        }
        ADD_FAILURE() << "QEMU did not answer " << lines.size() << " commands sent together";
        return {};
    }
    void write(uint64_t addr, const std::vector<std::byte>& bytes)
    {
        std::string hex;
        for (auto b : bytes) {
            char h[3];
            std::snprintf(h, sizeof h, "%02x", static_cast<unsigned>(b));
            hex += h;
        }
        ASSERT_EQ(cmd("write 0x" + to_hex(addr) + " " + std::to_string(bytes.size()) + " 0x" + hex), "OK");
    }
    // ibm,configure-kernel-dump(cmd, addr, len) with args/rets at 0x1000.
    int32_t configure(uint32_t c, uint32_t addr, uint32_t len, int nargs = 3)
    {
        cmd("writel 0x1000 0x" + to_hex(c));
        cmd("writel 0x1004 0x" + to_hex(addr));
        cmd("writel 0x1008 0x" + to_hex(len));
        cmd("writel 0x1100 0xdeadbeef");
        const std::string r = cmd("rtas ibm,configure-kernel-dump " + std::to_string(nargs) + " 0x1000 1 0x1100");
        EXPECT_EQ(r, "OK 0");
        const std::string v = cmd("readl 0x1100");
        if (v.rfind("OK 0x", 0) != 0) {
            ADD_FAILURE() << "readl answered \"" << v << "\"";
            return INT32_MIN;
        }
        return static_cast<int32_t>(std::stoul(v.substr(5), nullptr, 16));
    }
    /// QMP commands in one session, each {"execute":..., "arguments":...}:
    /// the "return" of each, or nullopt (with a test failure unless
    /// `quiet`) when QMP fails, answers an error or does not answer in time.
    std::optional<std::vector<nlohmann::json>> qmp(const std::vector<nlohmann::json>& cmds, bool quiet = false)
    {
        auto failed = [&](const std::string& why) {
            if (!quiet) {
                ADD_FAILURE() << why;
            }
            return std::nullopt;
        };
        // QEMU's QMP socket serves one client at a time: while a listening
        // session is open, commands go through it.
        const bool shared = m_listen_fd >= 0;
        const int fd = shared ? m_listen_fd : socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        auto done = [&] {
            if (!shared) {
                close(fd);
            }
        };
        if (!shared) {
            sockaddr_un sa{};
            sa.sun_family = AF_UNIX;
            std::strncpy(sa.sun_path, m_qmp.c_str(), sizeof sa.sun_path - 1);
            bool connected = false;
            for (int i = 0; i < 100 && !(connected = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
                 ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            if (!connected) {
                close(fd);
                return failed("cannot connect to QMP at " + m_qmp);
            }
        }
        std::string req =
            shared ? std::string() : nlohmann::json{{"execute", "qmp_capabilities"}, {"id", "caps"}}.dump() + "\n";
        for (size_t i = 0; i < cmds.size(); ++i) {
            auto c = cmds[i];
            c["id"] = i;
            req += c.dump() + "\n";
        }
        if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
            done();
            return failed("cannot send QMP commands");
        }
        // Replies, the greeting and events are one JSON object per line;
        // ours carry their "id". Events on a shared session are kept.
        lab::LineReader own(fd);
        lab::LineReader& in = shared ? m_listen : own;
        std::vector<nlohmann::json> out;
        while (out.size() < cmds.size()) {
            const auto line = in.next(answer_timeout_s());
            if (!line) {
                done();
                return failed("QMP did not answer within " + std::to_string(answer_timeout_s()) + " s");
            }
            const auto reply = nlohmann::json::parse(*line, nullptr, false);
            if (reply.is_discarded() || !reply.is_object()) {
                done();
                return failed("QMP sent something that is not a JSON object: " + *line);
            }
            if (shared && reply.contains("event")) {
                m_events.push_back(reply);
            }
            if (!reply.contains("id") || reply["id"] == "caps") {
                continue;  // the greeting, an event, qmp_capabilities
            }
            if (reply.contains("error")) {
                done();
                m_last_error = reply["error"].value("desc", "");
                return failed("QMP " + cmds[reply["id"].get<size_t>()].dump() + " failed: " + reply["error"].dump());
            }
            out.push_back(reply["return"]);
        }
        done();
        return out;
    }
    // The device tree QEMU built at reset, through QMP dumpdtb (empty, with
    // a test failure, when QMP fails or does not answer in time).
    std::vector<char> dtb()
    {
        const std::string path = (m_dir / "dump.dtb").string();
        if (!qmp({{{"execute", "dumpdtb"}, {"arguments", {{"filename", path}}}}})) {
            return {};
        }
        std::ifstream f(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    }
    /// Runs a QMP command that starts the job `id` and waits for it to
    /// conclude: "" when it succeeded, else its error (or why it did not
    /// end in time). The job is dismissed.
    std::string job(const nlohmann::json& cmd, const std::string& id)
    {
        if (!qmp({cmd})) {
            return "QMP refused " + cmd.dump();
        }
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(answer_timeout_s());
        while (std::chrono::steady_clock::now() < end) {
            const auto r = qmp({{{"execute", "query-jobs"}}});
            if (!r) {
                return "query-jobs failed";
            }
            for (const auto& j : (*r)[0]) {
                if (j.value("id", "") == id && j.value("status", "") == "concluded") {
                    const std::string err = j.value("error", "");
                    qmp({{{"execute", "job-dismiss"}, {"arguments", {{"id", id}}}}});
                    return err;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return "job " + id + " did not conclude in time";
    }
    /// A QMP session kept open to collect events (QEMU sends them only to
    /// connected monitors): call before what emits them, then events().
    void listen()
    {
        m_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, m_qmp.c_str(), sizeof sa.sun_path - 1);
        bool connected = false;
        for (int i = 0;
             i < 100 && !(connected = connect(m_listen_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ASSERT_TRUE(connected) << "cannot connect to QMP at " << m_qmp;
        const std::string caps = R"({"execute":"qmp_capabilities"})"
                                 "\n";
        ASSERT_EQ(::write(m_listen_fd, caps.data(), caps.size()), static_cast<ssize_t>(caps.size()));
        m_listen = lab::LineReader(m_listen_fd);
        for (int i = 0; i < 2; ++i) {  // the greeting and the capabilities' answer
            ASSERT_TRUE(m_listen.next(answer_timeout_s()));
        }
    }
    /// The events that arrived on the listening session so far (waiting up
    /// to `wait_s` for the first).
    std::vector<nlohmann::json> events(double wait_s = 1)
    {
        std::vector<nlohmann::json> out = std::move(m_events);
        m_events.clear();
        while (const auto line = m_listen.next(out.empty() ? wait_s : 0.2)) {
            const auto j = nlohmann::json::parse(*line, nullptr, false);
            if (j.is_object() && j.contains("event")) {
                out.push_back(j);
            }
        }
        return out;
    }
    /// Migrates to the file `path` (QMP migrate "file:") and waits for the
    /// outcome: "completed", "failed: <error>", or "" with a test failure
    /// when QMP does not tell in time.
    std::string migrate_to(const std::string& path)
    {
        if (!qmp({{{"execute", "migrate"}, {"arguments", {{"uri", "file:" + path}}}}})) {
            return "";
        }
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(answer_timeout_s());
        while (std::chrono::steady_clock::now() < end) {
            const auto r = qmp({{{"execute", "query-migrate"}}});
            if (!r) {
                return "";
            }
            const std::string st = (*r)[0].value("status", "");
            if (st == "completed") {
                return st;
            }
            if (st == "failed" || st == "cancelled") {
                return "failed: " + (*r)[0].value("error-desc", std::string("?"));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ADD_FAILURE() << "migration to " << path << " did not finish within " << answer_timeout_s() << " s";
        return "";
    }
    static std::string to_hex(uint64_t v)
    {
        char b[20];
        std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
        return b;
    }

private:
    static inline int s_n = 0;
    fs::path m_dir;
    std::string m_qmp;
    std::unique_ptr<lab::QtestChild> m_child;
    bool m_silent = false;  // stopped answering: fail fast from then on
    int m_listen_fd = -1;
    lab::LineReader m_listen;
    std::vector<nlohmann::json> m_events;  // arrived while a command waited
    std::string m_last_error;
};

constexpr uint32_t FDM = 0x10000;

inline std::vector<std::byte> linux_like(uint32_t threads)
{
    const uint64_t cpu = fadump_spapr_cpu_state_size(threads);
    FdmBuilder b;
    b.section(0x0001, 0, cpu, 0x10000000)
        .section(0x0002, 0, 0, 0x10000000 + cpu)
        .section(0x0011, 0, 0x8000000, 0x10100000);
    return b.bytes();
}

class QemuRtas : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (env("FADUMP_QEMU").empty() || env("FADUMP_FIRMWARE").empty()) {
            FAIL() << "set FADUMP_QEMU and FADUMP_FIRMWARE (scripts/test does)";
        }
    }
};

// ibm,os-term with a registration: the dump, then the memory-preserving
// reset, which builds /rtas/ibm,kernel-dump. True once the device tree has
// it. The call's arguments are at `args`, its return at args + 0x100, its
// message at args + 0x200.
inline bool dump_through_os_term(QtestQemu& q, uint64_t args = 0x1000)
{
    q.cmd("writel 0x" + QtestQemu::to_hex(args) + " 0x" + QtestQemu::to_hex(args + 0x200));
    EXPECT_EQ(q.cmd("rtas ibm,os-term 1 0x" + QtestQemu::to_hex(args) + " 1 0x" + QtestQemu::to_hex(args + 0x100)),
              "OK 0");
    for (int i = 0; i < 100; ++i) {
        if (q.wait_exit(0)) {
            return false;  // QEMU died (its stderr says why)
        }
        const auto dtb = q.dtb();
        int plen = 0;
        if (!dtb.empty() &&
            fdt_getprop(dtb.data(), fdt_path_offset(dtb.data(), "/rtas"), "ibm,kernel-dump", &plen) != nullptr) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace fadump::qtest
