// Ctrl-C / SIGTERM on `fadump-lab run`: QEMU (a fake that ignores SIGTERM,
// with a child that inherits that) is stopped with SIGTERM, then SIGKILL
// after the grace period; nothing is left behind and the report is written.
#include "lab_binary.hpp"

namespace {

namespace fs = std::filesystem;
using lab::test::gone;
using lab::test::read_pid;

constexpr double GRACE_S = 5;  // fadump-lab's default --stop-grace
constexpr double MARGIN_S = 5;

class LabStop : public lab::test::LabBinary {
protected:
    void stops_cleanly(int sig)
    {
        const auto qemu = fake_qemu("trap '' TERM\nsleep 600 &\necho $! > " + (m_dir / "child.pid").string() +
                                    "\necho 'SLOF booting (fake)'\nwait\nsleep 600\n");
        start_run(qemu);
        const auto qemu_pid = read_pid(m_dir / "qemu.pid", 30);
        const auto child_pid = read_pid(m_dir / "child.pid", 10);
        ASSERT_TRUE(qemu_pid && child_pid) << log();
        std::this_thread::sleep_for(std::chrono::seconds(1));
        ASSERT_EQ(kill(m_lab, sig), 0);
        const auto t0 = std::chrono::steady_clock::now();
        const auto status = wait_lab(GRACE_S + MARGIN_S);
        ASSERT_TRUE(status) << "the lab did not exit within " << GRACE_S + MARGIN_S << " s\n" << log();
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        EXPECT_TRUE(WIFEXITED(*status)) << "the lab died of a signal\n" << log();
        EXPECT_EQ(WEXITSTATUS(*status), 128 + sig) << log();
        EXPECT_TRUE(gone(*qemu_pid)) << "fake QEMU " << *qemu_pid << " left running";
        EXPECT_TRUE(gone(*child_pid)) << "fake QEMU's child " << *child_pid << " left running";
        EXPECT_GE(took, GRACE_S - 0.5) << "SIGKILL before the grace period ended";
        EXPECT_EQ(check_result("lab.stopped"), "fail") << lab::test::slurp(report_path());
    }
};

TEST_F(LabStop, SigintStopsQemuAndWritesTheReport)
{
    stops_cleanly(SIGINT);
}

TEST_F(LabStop, SigtermStopsQemuAndWritesTheReport)
{
    stops_cleanly(SIGTERM);
}

TEST_F(LabStop, QemuThatHonoursSigtermIsNotWaitedForTheWholeGrace)
{
    const auto qemu = fake_qemu("echo 'SLOF booting (fake)'\nexec sleep 600\n");
    start_run(qemu);
    const auto qemu_pid = read_pid(m_dir / "qemu.pid", 30);
    ASSERT_TRUE(qemu_pid) << log();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ASSERT_EQ(kill(m_lab, SIGINT), 0);
    const auto status = wait_lab(GRACE_S - 1);
    ASSERT_TRUE(status) << log();
    EXPECT_TRUE(gone(*qemu_pid));
    EXPECT_EQ(check_result("lab.stopped"), "fail");
}

TEST_F(LabStop, SigintWhilePreparingStopsTheBuildScript)
{
    // FADUMP_ROOT points the lab at a scripts/build-initramfs that ignores
    // SIGTERM and has a child; no --initrd, so the lab runs it.
    fs::create_directories(m_dir / "root/scripts");
    const fs::path script = m_dir / "root/scripts/build-initramfs";
    std::ofstream(script) << "#!/bin/sh\necho $$ > " << (m_dir / "qemu.pid").string() << "\ntrap '' TERM\n"
                          << "sleep 600 &\necho $! > " << (m_dir / "child.pid").string() << "\nwait\n";
    fs::permissions(script, fs::perms::owner_all);
    setenv("FADUMP_ROOT", (m_dir / "root").c_str(), 1);
    m_lab = spawn({FADUMP_LAB_BINARY, "run", "--qemu", fake_qemu("exit 1\n").string(), "--kernel",
                   (m_dir / "vmlinux").string(), "--firmware-dir", (m_dir / "fw").string(), "--out-dir",
                   (m_dir / "out").string(), "--report", report_path().string()});
    unsetenv("FADUMP_ROOT");
    ASSERT_GT(m_lab, 0);
    const auto script_pid = read_pid(m_dir / "qemu.pid", 30);
    const auto child_pid = read_pid(m_dir / "child.pid", 10);
    ASSERT_TRUE(script_pid && child_pid) << log();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ASSERT_EQ(kill(m_lab, SIGINT), 0);
    const auto status = wait_lab(GRACE_S + MARGIN_S);
    ASSERT_TRUE(status) << log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 128 + SIGINT) << log();
    EXPECT_TRUE(gone(*script_pid));
    EXPECT_TRUE(gone(*child_pid));
    EXPECT_EQ(check_result("lab.stopped"), "fail") << lab::test::slurp(report_path());
}

}  // namespace
