// Tests that run the real built fadump-lab (FADUMP_LAB_BINARY): a scratch
// directory, a fake "QEMU" shell script, and the lab started, signalled and
// waited for with a deadline. The test process is a child subreaper, so the
// fake QEMU's orphaned children are reaped here (see pid_helpers.hpp).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pid_helpers.hpp"
#include "synthetic_core.hpp"

extern char** environ;

namespace lab::test {

namespace fs = std::filesystem;

class LabBinary : public ::testing::Test {
protected:
    void SetUp() override
    {
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        m_dir = fs::temp_directory_path() / ("fadump-lab-test-" + std::to_string(getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
        fs::create_directories(m_dir / "fw");
        // No crash utility: these tests judge the lab's command line, and on
        // an empty cache scripts/fetch-crash would first build crash (minutes).
        setenv("FADUMP_CRASH", "none", 1);
        SyntheticCore kernel;
        kernel.e_type = ET_EXEC;
        kernel.write((m_dir / "vmlinux").string());
        std::ofstream(m_dir / "initrd.cpio") << "not a real initramfs\n";
    }
    void TearDown() override
    {
        // Whatever a failed test left behind: only the pids this test's fake
        // QEMU recorded, and the lab it started.
        for (const char* f : {"qemu.pid", "child.pid"}) {
            std::ifstream in(m_dir / f);
            pid_t pid = 0;
            if (in >> pid && pid > 0) {
                kill(pid, SIGKILL);
            }
        }
        if (m_lab > 0) {
            kill(m_lab, SIGKILL);
            waitpid(m_lab, nullptr, 0);
        }
        // As subreaper, reap what was orphaned to us (bounded: 2 s).
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (waitpid(-1, nullptr, WNOHANG) >= 0 && std::chrono::steady_clock::now() < end) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!HasFailure()) {
            fs::remove_all(m_dir);
        }
    }

    /// Writes the fake QEMU: answers --version, records its pid (qemu.pid)
    /// and runs `body` (sh).
    fs::path fake_qemu(const std::string& body)
    {
        const fs::path p = m_dir / "fake-qemu";
        std::ofstream(p) << "#!/bin/sh\n"
                         << "case \"$1\" in --version) echo 'QEMU emulator version 0.0.0 (fake)'; exit 0;; esac\n"
                         << "echo $$ > " << (m_dir / "qemu.pid").string() << "\n"
                         << body;
        fs::permissions(p, fs::perms::owner_all);
        return p;
    }

    /// Starts `fadump-lab run` on the fake QEMU; stdout+stderr go to lab.log.
    void start_run(const fs::path& qemu, const std::vector<std::string>& extra = {})
    {
        std::vector<std::string> args = {FADUMP_LAB_BINARY, "run",
                                         "--machine",       "pseries",
                                         "--mem",           "64M",
                                         "--qemu",          qemu.string(),
                                         "--kernel",        (m_dir / "vmlinux").string(),
                                         "--initrd",        (m_dir / "initrd.cpio").string(),
                                         "--firmware-dir",  (m_dir / "fw").string(),
                                         "--out-dir",       (m_dir / "out").string(),
                                         "--report",        report_path().string(),
                                         "--timeout",       "60"};
        args.insert(args.end(), extra.begin(), extra.end());
        m_lab = spawn(args);
        ASSERT_GT(m_lab, 0);
    }

    /// Starts the lab with `args` after the binary; output to lab.log.
    pid_t spawn(const std::vector<std::string>& args)
    {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        const std::string log = (m_dir / "lab.log").string();
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<char*> argv;
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        pid_t pid = -1;
        if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
            pid = -1;
        }
        posix_spawn_file_actions_destroy(&fa);
        return pid;
    }

    /// The lab's wait status, or nullopt when it is still running after `timeout_s`.
    std::optional<int> wait_lab(double timeout_s)
    {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (std::chrono::steady_clock::now() < end) {
            int st = 0;
            if (waitpid(m_lab, &st, WNOHANG) == m_lab) {
                m_lab = -1;
                return st;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return std::nullopt;
    }

    fs::path report_path() const { return m_dir / "report.json"; }

    /// The verdict of check `name` in the written report ("" when absent).
    std::string check_result(const std::string& name) const
    {
        std::ifstream f(report_path());
        const auto j = nlohmann::json::parse(f, nullptr, false);
        if (j.is_discarded() || !j.contains("checks")) {
            return "";
        }
        for (const auto& c : j["checks"]) {
            if (c.value("name", "") == name) {
                return c.value("result", "");
            }
        }
        return "";
    }

    std::string log() const { return slurp(m_dir / "lab.log"); }

    fs::path m_dir;
    pid_t m_lab = -1;
};

}  // namespace lab::test
