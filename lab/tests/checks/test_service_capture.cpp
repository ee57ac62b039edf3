// --guest debian reads kdump-tools' files back from the guest's disk image
// with debugfs: real ext4 images made here with mkfs.ext4 -d, holding what a
// guest could leave (symlinks to host files, set-id modes, an incomplete
// dump, a dump that is not one, no file system at all). Nothing blocks,
// nothing outside the run directory is read, and each case is a named
// verdict, never an abort.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "process.hpp"
#include "report.hpp"
#include "service_capture.hpp"

namespace fs = std::filesystem;

namespace {

class ServiceCapture : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_dir = fs::temp_directory_path() / ("fadump-service-test-" + std::to_string(getpid()));
        fs::remove_all(m_dir);
        m_stamp = m_dir / "root/var/crash/202612060100";
        fs::create_directories(m_stamp);
        fs::create_directories(m_dir / "root/var/lib/fadump-lab");
        fs::create_directories(m_dir / "run");
    }
    void TearDown() override { fs::remove_all(m_dir); }

    // The guest's disk: an ext4 image of root/, as build-guest makes it.
    std::string image()
    {
        const fs::path img = m_dir / "rootfs.img";
        std::string out;
        EXPECT_EQ(lab::run_command({"truncate", "-s", "16M", img.string()}, &out, 30), 0) << out;
        EXPECT_EQ(lab::run_command({"mkfs.ext4", "-q", "-F", "-d", (m_dir / "root").string(), img.string()}, &out, 60),
                  0)
            << out;
        return img.string();
    }

    lab::Report check(const std::string& img, const std::vector<std::string>& log = {})
    {
        lab::ServiceCaptureInput in;
        in.service_log = log;
        in.image = img;
        in.out_dir = (m_dir / "run").string();
        lab::Report r;
        lab::check_service_capture(in, r);
        return r;
    }

    static const lab::Check* find(const lab::Report& r, const std::string& name)
    {
        for (const auto& c : r.checks()) {
            if (c.name == name) {
                return &c;
            }
        }
        return nullptr;
    }

    fs::path m_dir, m_stamp;
};

}  // namespace

TEST_F(ServiceCapture, ReadsKdumpToolsFilesBackAndRefusesADumpThatIsNotOne)
{
    // The flattened format's signature, then nothing makedumpfile can use.
    std::ofstream(m_stamp / "dump.202612060100") << "makedumpfile" << std::string(4096, '\x7f');
    std::ofstream(m_stamp / "dmesg.202612060100") << "[    1.0] Kernel panic - not syncing: sysrq triggered crash\n";
    std::ofstream(m_dir / "root/var/lib/fadump-lab/vmcore-headers") << std::string(1, 0x7f) << "ELF";
    const auto r = check(image());
    const auto* read = find(r, "service.read_back");
    ASSERT_NE(read, nullptr);
    EXPECT_EQ(read->verdict, lab::Verdict::Pass) << read->detail;
    const auto* saved = find(r, "service.saved");
    ASSERT_NE(saved, nullptr);
    EXPECT_EQ(saved->verdict, lab::Verdict::Pass) << saved->detail;
    EXPECT_NE(saved->detail.find("dump.202612060100 and dmesg.202612060100"), std::string::npos) << saved->detail;
    EXPECT_EQ(r.facts["service_files"]["dump.202612060100"], 4108);
    EXPECT_TRUE(fs::exists(m_dir / "run/var-crash/vmcore-headers"));
    // makedumpfile -R refuses it (or is missing): a failed check either way.
    const auto* re = find(r, "service.rearranged");
    ASSERT_NE(re, nullptr);
    EXPECT_EQ(re->verdict, lab::Verdict::Fail) << re->detail;
    EXPECT_EQ(find(r, "makedumpfile.open"), nullptr);
}

TEST_F(ServiceCapture, GuestSymlinksAndSetIdModesDoNotReachTheHost)
{
    std::ofstream(m_stamp / "dump.202612060100") << "KDUMP   ";
    fs::create_symlink("/etc/shadow", m_stamp / "dmesg.202612060100");
    std::ofstream(m_stamp / "setuid") << "#!/bin/sh\n";
    fs::permissions(m_stamp / "setuid", fs::perms(04755), fs::perm_options::replace);
    const auto r = check(image());
    const auto* read = find(r, "service.read_back");
    ASSERT_NE(read, nullptr);
    EXPECT_EQ(read->verdict, lab::Verdict::Fail);
    EXPECT_NE(read->detail.find("crash/202612060100/dmesg.202612060100 (symlink)"), std::string::npos) << read->detail;
    const fs::path copied = m_dir / "run/var-crash/crash/202612060100";
    EXPECT_FALSE(fs::exists(fs::symlink_status(copied / "dmesg.202612060100")));
    ASSERT_TRUE(fs::is_regular_file(copied / "setuid"));
    EXPECT_EQ(fs::status(copied / "setuid").permissions(), fs::perms(0644));
    const auto* saved = find(r, "service.saved");
    ASSERT_NE(saved, nullptr);
    EXPECT_EQ(saved->verdict, lab::Verdict::Fail);
    EXPECT_NE(saved->detail.find("no dmesg.*"), std::string::npos) << saved->detail;
}

// kdump-tools 1:1.8.1 on Linux 7.2: makedumpfile 1.7.2 fails, the pipe into
// the compressor succeeds, and an empty dump.<stamp> is "saved".
TEST_F(ServiceCapture, AnEmptyDumpKdumpToolsCalledSavedFailsWithMakedumpfilesWords)
{
    std::ofstream(m_stamp / "dump.202612060100").close();
    std::ofstream(m_stamp / "dmesg.202612060100") << "log\n";
    const auto r =
        check(image(), {"kdump-tools[165]: __exclude_unnecessary_pages: Can't read the buffer of struct page.",
                        "kdump-tools[165]: makedumpfile Failed.",
                        "kdump-tools[117]: kdump-tools: saved vmcore in /var/crash/202612060100."});
    const auto* saved = find(r, "service.saved");
    ASSERT_NE(saved, nullptr);
    EXPECT_EQ(saved->verdict, lab::Verdict::Pass) << saved->detail;
    const auto* m = find(r, "service.makedumpfile");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->verdict, lab::Verdict::Fail);
    EXPECT_NE(m->detail.find("dump.202612060100 is 0 bytes and not makedumpfile's output"), std::string::npos)
        << m->detail;
    EXPECT_NE(m->detail.find("makedumpfile Failed."), std::string::npos) << m->detail;
    EXPECT_NE(m->detail.find("Can't read the buffer of struct page"), std::string::npos) << m->detail;
    EXPECT_EQ(m->detail.find("saved vmcore"), std::string::npos) << m->detail;
    // Nothing reads the empty file as a dump.
    EXPECT_EQ(find(r, "service.rearranged"), nullptr);
    EXPECT_EQ(find(r, "vmcore.elf_header"), nullptr);
}

TEST_F(ServiceCapture, AnIncompleteDumpIsNamed)
{
    std::ofstream(m_stamp / "dump.202612060100") << "KDUMP   ";
    std::ofstream(m_stamp / "dmesg.202612060100") << "log\n";
    std::ofstream(m_stamp / "dump-incomplete") << "KDUMP";
    const auto r = check(image());
    const auto* saved = find(r, "service.saved");
    ASSERT_NE(saved, nullptr);
    EXPECT_EQ(saved->verdict, lab::Verdict::Fail);
    EXPECT_NE(saved->detail.find("incomplete"), std::string::npos) << saved->detail;
}

TEST_F(ServiceCapture, NoVarCrashAndNoFileSystemAreVerdicts)
{
    fs::remove_all(m_dir / "root/var/crash");
    auto r = check(image());
    const auto* read = find(r, "service.read_back");
    ASSERT_NE(read, nullptr);
    EXPECT_EQ(read->verdict, lab::Verdict::Fail);
    EXPECT_EQ(find(r, "service.saved"), nullptr);

    const fs::path junk = m_dir / "junk.img";
    std::ofstream(junk) << std::string(1 << 20, 'x');
    r = check(junk.string());
    read = find(r, "service.read_back");
    ASSERT_NE(read, nullptr);
    EXPECT_EQ(read->verdict, lab::Verdict::Fail) << read->detail;
}
