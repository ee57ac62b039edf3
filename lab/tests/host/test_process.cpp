// Child processes: no wait is unbounded, stopping is SIGTERM, grace, then
// SIGKILL to the whole group, and EINTR is not end of file.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <unistd.h>

#include "pid_helpers.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using lab::test::gone;
using lab::test::read_pid;

double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class Process : public ::testing::Test {
protected:
    void SetUp() override
    {
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        m_dir = fs::temp_directory_path() / ("fadump-process-test-" + std::to_string(getpid()));
        fs::create_directories(m_dir);
    }
    void TearDown() override
    {
        std::ifstream in(m_dir / "pid");
        pid_t pid = 0;
        if (in >> pid && pid > 0) {
            kill(pid, SIGKILL);
        }
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (waitpid(-1, nullptr, WNOHANG) >= 0 && std::chrono::steady_clock::now() < end) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        fs::remove_all(m_dir);
    }
    std::string pidfile() const { return (m_dir / "pid").string(); }
    fs::path m_dir;
};

TEST_F(Process, WaitExitHasATimeoutWhenTheChildClosesItsOutput)
{
    auto c = lab::Child::spawn({"sh", "-c", "exec >/dev/null 2>&1; sleep 30"}, (m_dir / "log").string(), false);
    ASSERT_TRUE(c);
    const pid_t pid = c->pid();
    const auto t0 = std::chrono::steady_clock::now();
    int status = 0;
    EXPECT_FALSE(c->wait_exit(1, &status));
    EXPECT_LT(seconds_since(t0), 3);
    EXPECT_TRUE(c->stop(1));
    EXPECT_TRUE(gone(pid));
}

TEST_F(Process, WaitExitEndsWhenTheChildExitsThoughAGrandchildHoldsItsOutput)
{
    auto c = lab::Child::spawn({"sh", "-c", "sleep 30 & echo $! > " + pidfile() + "; echo done"},
                               (m_dir / "log").string(), false);
    ASSERT_TRUE(c);
    const auto t0 = std::chrono::steady_clock::now();
    int status = -1;
    EXPECT_TRUE(c->wait_exit(10, &status));
    EXPECT_LT(seconds_since(t0), 3);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ASSERT_FALSE(c->lines().empty());
    EXPECT_EQ(c->lines().back(), "done");
    const auto grandchild = read_pid(pidfile(), 1);
    ASSERT_TRUE(grandchild);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(gone(*grandchild)) << "the exited child's group was not swept";
}

TEST_F(Process, StopGivesTheGraceThenKillsTheGroup)
{
    auto c = lab::Child::spawn({"sh", "-c", "trap '' TERM; sleep 30 & echo $! > " + pidfile() + "; echo ready; wait"},
                               (m_dir / "log").string(), false);
    ASSERT_TRUE(c);
    ASSERT_EQ(c->wait_for({"ready"}, {}, 10).kind, lab::WaitResult::Matched);
    const pid_t pid = c->pid();
    const auto grandchild = read_pid(pidfile(), 1);
    ASSERT_TRUE(grandchild);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(c->stop(1));
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.9) << "SIGKILL before the grace";
    EXPECT_LT(took, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(gone(pid));
    EXPECT_TRUE(gone(*grandchild));
}

TEST_F(Process, RunCommandTimesOutWhenTheChildClosesItsOutput)
{
    const auto t0 = std::chrono::steady_clock::now();
    std::string out;
    EXPECT_EQ(lab::run_command({"sh", "-c", "echo $$ > " + pidfile() + "; exec >/dev/null 2>&1; exec sleep 30"}, &out,
                               1, true, 1),
              124);
    EXPECT_LT(seconds_since(t0), 4);
    const auto pid = read_pid(pidfile(), 1);
    ASSERT_TRUE(pid);
    EXPECT_TRUE(gone(*pid));
}

TEST_F(Process, RunCommandReportsExitStatusAndOutput)
{
    std::string out;
    EXPECT_EQ(lab::run_command({"sh", "-c", "echo hello; exit 7"}, &out, 10), 7);
    EXPECT_EQ(out, "hello\n");
    EXPECT_EQ(lab::run_command({"/nonexistent/tool"}, &out, 10), -1);
}

extern "C" void on_alarm(int) {}

TEST_F(Process, ReadRetryingIsNotEndOfFileOnEintr)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    struct sigaction sa {};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: read(2) returns EINTR
    struct sigaction old {};
    sigaction(SIGALRM, &sa, &old);
    itimerval tv{};
    tv.it_value.tv_usec = 100000;
    setitimer(ITIMER_REAL, &tv, nullptr);
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        (void)!write(p[1], "x", 1);
    });
    char c = 0;
    const ssize_t n = lab::read_retrying(p[0], &c, 1);
    writer.join();
    sigaction(SIGALRM, &old, nullptr);
    close(p[0]);
    close(p[1]);
    EXPECT_EQ(n, 1);
    EXPECT_EQ(c, 'x');
}

}  // namespace

// A migration's destination QEMU continues the source's console: one list
// of lines, one log, one clock; never while the first process still runs.
TEST_F(Process, ContinueWithAppendsTheNextProcessToTheSameConsole)
{
    const std::string log = (m_dir / "log").string();
    auto c = lab::Child::spawn({"sh", "-c", "echo first; printf unterminated"}, log, false);
    ASSERT_TRUE(c);
    int status = -1;
    ASSERT_TRUE(c->wait_exit(10, &status));
    std::string err;
    ASSERT_TRUE(c->continue_with({"sh", "-c", "echo second; sleep 30"}, &err)) << err;
    EXPECT_FALSE(c->continue_with({"true"}, &err));
    EXPECT_NE(err.find("still running"), std::string::npos) << err;
    const auto w = c->wait_for({"second"}, {}, 10);
    EXPECT_EQ(w.kind, lab::WaitResult::Matched);
    EXPECT_EQ(c->lines(), (std::vector<std::string>{"first", "unterminated", "second"}));
    ASSERT_TRUE(c->stop(1));
    std::ifstream f(log);
    const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    EXPECT_NE(text.find("] first\n"), std::string::npos) << text;
    EXPECT_NE(text.find("] second\n"), std::string::npos) << text;
}

// A postcopy migration's source runs on after the destination took over:
// hand_over makes the new process the one read and waited for, keeps the
// old one running (its output in the log only) until stop_beside.
TEST_F(Process, HandOverKeepsThePreviousProcessRunningBeside)
{
    const std::string log = (m_dir / "log").string();
    auto c = lab::Child::spawn({"sh", "-c", "echo source; sleep 0.5; echo late; sleep 30"}, log, false);
    ASSERT_TRUE(c);
    ASSERT_EQ(c->wait_for({"source"}, {}, 10).kind, lab::WaitResult::Matched);
    const pid_t source = c->pid();
    std::string err;
    ASSERT_TRUE(c->hand_over({"sh", "-c", "echo destination; sleep 1; echo after; sleep 30"}, &err)) << err;
    EXPECT_FALSE(c->hand_over({"true"}, &err));
    EXPECT_NE(err.find("beside already"), std::string::npos) << err;
    EXPECT_NE(c->pid(), source);
    EXPECT_EQ(c->wait_for({"after"}, {}, 10).kind, lab::WaitResult::Matched);
    EXPECT_EQ(c->lines(), (std::vector<std::string>{"source", "destination", "after"}));
    EXPECT_TRUE(c->beside_running());
    EXPECT_EQ(::kill(source, 0), 0) << "the source was stopped by the hand-over";
    ASSERT_TRUE(c->stop_beside(1));
    EXPECT_FALSE(c->beside_running());
    EXPECT_TRUE(lab::test::gone(source));
    ASSERT_TRUE(c->stop(1));
    const std::string text = lab::test::slurp(log);
    EXPECT_NE(text.find("(previous process) late"), std::string::npos) << text;
}

// The console is the guest's: a line that never ends is cut into pieces of
// at most MAX_LINE_BYTES (searched once each, not rescanned on every read),
// what follows it is still seen, and a flood past MAX_CONSOLE_BYTES is
// counted, not kept.
TEST_F(Process, AConsoleWithoutNewlinesStaysBounded)
{
    const size_t max = lab::Child::MAX_LINE_BYTES;
    auto c = lab::Child::spawn({"sh", "-c", "head -c 1048577 /dev/zero | tr '\\0' a; printf '\\nMARK\\n'"},
                               (m_dir / "log").string(), false);
    ASSERT_TRUE(c);
    const auto w = c->wait_for({"MARK"}, {}, 30);
    EXPECT_EQ(w.kind, lab::WaitResult::Matched);
    size_t as = 0;
    for (const auto& l : c->lines()) {
        EXPECT_LE(l.size(), max);
        as += l == "MARK" ? 0 : l.size();
    }
    EXPECT_EQ(as, 1048577u);
    EXPECT_EQ(c->lines().size(), 1048576 / max + 2);  // the pieces, the last byte, MARK
    ASSERT_TRUE(c->stop(1));
}

TEST_F(Process, AConsoleFloodIsCountedNotKept)
{
    const uint64_t flood = lab::Child::MAX_CONSOLE_BYTES + (8 << 20);
    auto c = lab::Child::spawn(
        {"sh", "-c", "head -c " + std::to_string(flood) + " /dev/zero | tr '\\0' b; printf '\\nEND\\n'"},
        (m_dir / "log").string(), false);
    ASSERT_TRUE(c);
    int status = -1;
    ASSERT_TRUE(c->wait_exit(60, &status));
    uint64_t kept = 0;
    for (const auto& l : c->lines()) {
        kept += l.size() + 1;
    }
    EXPECT_LE(kept, lab::Child::MAX_CONSOLE_BYTES);
    EXPECT_GT(c->dropped_bytes(), 0u);
    EXPECT_GE(kept + c->dropped_bytes(), flood + 5);  // every byte kept or counted (+ "\n", "END\n")
    EXPECT_LE(fs::file_size(m_dir / "log"), 2 * lab::Child::MAX_CONSOLE_BYTES);
}

TEST_F(Process, ALookAheadRewindsForThePhaseAfterIt)
{
    auto c = lab::Child::spawn({"sh", "-c", "echo 'OPAL v7 starting'; echo 'Linux version 6'; echo end"},
                               (m_dir / "log").string(), false);
    ASSERT_TRUE(c);
    const size_t at = c->cursor();
    // Looks for a banner that does not come first: stops at Linux's line.
    const auto miss = c->wait_for({"SLOF"}, {"Linux version"}, 10);
    EXPECT_EQ(miss.kind, lab::WaitResult::Failed);
    c->rewind(at);
    EXPECT_EQ(c->wait_for({"OPAL v"}, {}, 10).kind, lab::WaitResult::Matched);
    EXPECT_EQ(c->wait_for({"Linux version"}, {}, 10).kind, lab::WaitResult::Matched);
    EXPECT_EQ(c->wait_for({"end"}, {}, 10).kind, lab::WaitResult::Matched);  // all three lines read
    c->rewind(1000);                                                         // past the end: to the end
    EXPECT_EQ(c->cursor(), 3u);
}
