// The distro-style capture's archive is the guest's: FIFOs, symlinks to
// devices and host files, absolute and ".." member names, device nodes.
// Unpacking never blocks, never reads a host file, never writes outside the
// run directory, and leaves only plain files for the checks to read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "capture_archive.hpp"
#include "process.hpp"

namespace fs = std::filesystem;

namespace {

class CaptureArchive : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_dir = fs::temp_directory_path() / ("fadump-archive-test-" + std::to_string(getpid()));
        fs::remove_all(m_dir);
        fs::create_directories(m_dir / "src/2026-12-04-10:00");
    }
    void TearDown() override { fs::remove_all(m_dir); }
    fs::path m_dir;
};

bool contains(const std::vector<std::string>& v, const std::string& s)
{
    for (const auto& x : v) {
        if (x == s) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_F(CaptureArchive, OnlyPlainFilesAndDirectoriesRemain)
{
    const fs::path d = m_dir / "src/2026-12-04-10:00";
    std::ofstream(d / "vmcore.lzo") << "KDUMP   ";
    ASSERT_EQ(::mkfifo((d / "makedumpfile.log").c_str(), 0600), 0);
    fs::create_symlink("/dev/zero", d / "vmcore-dmesg.txt");
    fs::create_symlink("/etc/hostname", d / "vmcore-headers");
    fs::create_directory_symlink("/etc", d / "etc");
    const bool root = ::geteuid() == 0;
    if (root) {
        ASSERT_EQ(::mknod((d / "disk").c_str(), S_IFBLK | 0600, makedev(7, 0)), 0);
    }
    const fs::path tarball = m_dir / "capture.tar";
    std::string out;
    ASSERT_EQ(lab::run_command({"tar", "-cf", tarball.string(), "-C", (m_dir / "src").string(), "."}, &out, 30), 0)
        << out;
    const fs::path into = m_dir / "run/var-crash";
    const auto t0 = std::chrono::steady_clock::now();
    const auto u = lab::unpack_capture(tarball.string(), into, 30);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30);
    EXPECT_EQ(u.tar_status, 0) << u.tar_output;
    std::string removed;
    for (const auto& r : u.removed) {
        removed += r + "; ";
    }
    SCOPED_TRACE("removed: " + removed);
    const std::string where = "2026-12-04-10:00/";
    EXPECT_TRUE(contains(u.removed, where + "makedumpfile.log (fifo)"));
    EXPECT_TRUE(contains(u.removed, where + "vmcore-dmesg.txt (symlink)"));
    EXPECT_TRUE(contains(u.removed, where + "vmcore-headers (symlink)"));
    EXPECT_TRUE(contains(u.removed, where + "etc (symlink)"));
    if (root) {
        EXPECT_TRUE(contains(u.removed, where + "disk (block device)"));
    }
    for (const auto& e : fs::recursive_directory_iterator(into)) {
        const auto t = e.symlink_status().type();
        EXPECT_TRUE(t == fs::file_type::regular || t == fs::file_type::directory) << e.path();
    }
    EXPECT_EQ(lab::read_capped(into / "2026-12-04-10:00/vmcore.lzo", 1 << 20), "KDUMP   ");
}

TEST_F(CaptureArchive, MemberNamesCannotLeaveTheRunDirectory)
{
    // Absolute and ".." names, written with -P so tar keeps them as given.
    const fs::path victim = m_dir / "outside";
    std::ofstream(m_dir / "src/payload") << "guest bytes";
    const fs::path tarball = m_dir / "evil.tar";
    std::string out;
    ASSERT_EQ(lab::run_command({"tar", "-cPf", tarball.string(), "--transform", "s|.*payload|" + victim.string() + "|",
                                (m_dir / "src/payload").string()},
                               &out, 30),
              0)
        << out;
    ASSERT_EQ(lab::run_command({"tar", "-rPf", tarball.string(), "--transform", "s|.*payload|../../outside2|",
                                (m_dir / "src/payload").string()},
                               &out, 30),
              0)
        << out;
    const fs::path into = m_dir / "run/var-crash";
    const auto u = lab::unpack_capture(tarball.string(), into, 30);
    EXPECT_FALSE(fs::exists(victim)) << "an absolute member name was written outside the run directory";
    EXPECT_FALSE(fs::exists(m_dir / "outside2")) << "a .. member name was written outside the run directory";
    EXPECT_NE(u.tar_status, 0) << "tar did not refuse the .. member: " << u.tar_output;
}

TEST_F(CaptureArchive, ReadCappedReadsOnlyRegularFilesAndAtMostTheCap)
{
    std::ofstream(m_dir / "big") << std::string(100000, 'x');
    EXPECT_EQ(lab::read_capped(m_dir / "big", 4096).size(), 4096u);
    fs::create_symlink(m_dir / "big", m_dir / "link");
    EXPECT_EQ(lab::read_capped(m_dir / "link", 4096), "");
    ASSERT_EQ(::mkfifo((m_dir / "fifo").c_str(), 0600), 0);
    EXPECT_EQ(lab::read_capped(m_dir / "fifo", 4096), "");  // returns at once: no writer needed
    EXPECT_EQ(lab::read_capped("/dev/zero", 4096), "");
}
