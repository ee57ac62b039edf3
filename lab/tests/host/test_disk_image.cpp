// A guest's own disk on the host, with the real tools (mkfs.ext4 -d, sfdisk,
// qemu-img, partx, debugfs): a GPT disk whose root is its second partition,
// the same disk as qcow2, files written into and read out of the file system
// without mounting it, and what a hostile image cannot make the lab do.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "disk_image.hpp"
#include "process.hpp"

namespace fs = std::filesystem;

namespace {

class DiskImage : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_dir = fs::temp_directory_path() / ("fadump-disk-test-" + std::to_string(getpid()));
        fs::remove_all(m_dir);
        fs::create_directories(m_dir / "root/usr/lib");
        fs::create_directories(m_dir / "root/etc/systemd/system");
        fs::create_directories(m_dir / "root/var/lib/dpkg");
        std::ofstream(m_dir / "root/usr/lib/os-release") << "PRETTY_NAME=\"Test OS\"\n";
        fs::create_symlink("../usr/lib/os-release", m_dir / "root/etc/os-release");
    }
    void TearDown() override { fs::remove_all(m_dir); }

    void run(const std::vector<std::string>& argv)
    {
        std::string out;
        ASSERT_EQ(lab::run_command(argv, &out, 120), 0) << argv.front() << ": " << out;
    }

    // A 48 MiB GPT disk: partition 1 (1 MiB at 1 MiB) holds nothing, the
    // root file system is partition 2 at 4 MiB.
    std::string gpt_disk()
    {
        const std::string fsimg = (m_dir / "fs.img").string();
        const std::string disk = (m_dir / "disk.raw").string();
        run({"truncate", "-s", "40M", fsimg});
        run({"mkfs.ext4", "-q", "-F", "-d", (m_dir / "root").string(), fsimg});
        run({"truncate", "-s", "48M", disk});
        run({"sh", "-c", "printf 'label: gpt\\nstart=2048, size=2048\\nstart=8192\\n' | sfdisk -q \"$1\"", "sh", disk});
        run({"dd", "if=" + fsimg, "of=" + disk, "bs=1M", "seek=4", "conv=notrunc,sparse", "status=none"});
        return disk;
    }

    fs::path m_dir;
};

}  // namespace

TEST_F(DiskImage, FindsTheRootInTheSecondPartitionOfAQcow2Disk)
{
    const std::string disk = gpt_disk();
    const std::string qcow2 = (m_dir / "disk.qcow2").string();
    run({"qemu-img", "convert", "-f", "raw", "-O", "qcow2", disk, qcow2});
    const std::string copy = (m_dir / "copy.img").string();
    std::string err;
    ASSERT_TRUE(lab::raw_copy(qcow2, copy, &err)) << err;
    EXPECT_EQ(fs::file_size(copy), 48U << 20);
    const auto root = lab::find_root_fs(copy, &err);
    ASSERT_TRUE(root) << err;
    EXPECT_EQ(root->device, "/dev/vda2");
    EXPECT_EQ(root->offset, 8192U * 512);
    EXPECT_EQ(lab::read_guest_file(*root, copy, "/usr/lib/os-release", 4096), "PRETTY_NAME=\"Test OS\"\n");
    // A symlink is not read through, a file past the limit not at all.
    EXPECT_FALSE(lab::read_guest_file(*root, copy, "/etc/os-release", 4096));
    EXPECT_FALSE(lab::read_guest_file(*root, copy, "/usr/lib/os-release", 8));
}

TEST_F(DiskImage, AWholeDiskFileSystemIsVda)
{
    const std::string img = (m_dir / "whole.img").string();
    run({"truncate", "-s", "40M", img});
    run({"mkfs.ext4", "-q", "-F", "-d", (m_dir / "root").string(), img});
    std::string err;
    const auto root = lab::find_root_fs(img, &err);
    ASSERT_TRUE(root) << err;
    EXPECT_EQ(root->device, "/dev/vda");
    EXPECT_EQ(root->offset, 0U);
}

TEST_F(DiskImage, AFileSystemThatNeedsJournalRecoveryIsRefused)
{
    const std::string img = (m_dir / "dirty.img").string();
    run({"truncate", "-s", "40M", img});
    run({"mkfs.ext4", "-q", "-F", "-d", (m_dir / "root").string(), img});
    run({"debugfs", "-w", "-R", "feature needs_recovery", img});
    std::string err;
    EXPECT_FALSE(lab::find_root_fs(img, &err));
    EXPECT_NE(err.find("needs journal recovery"), std::string::npos) << err;
    std::string out;  // what the message asks for (0 or 1: the journal replayed)
    EXPECT_LE(lab::run_command({"e2fsck", "-fy", img}, &out, 120), 1) << out;
    EXPECT_TRUE(lab::find_root_fs(img, &err)) << err;
}

TEST_F(DiskImage, NoRootFileSystemIsSaidWithWhatWasLookedAt)
{
    fs::remove(m_dir / "root/usr/lib/os-release");
    fs::remove(m_dir / "root/etc/os-release");
    const std::string disk = gpt_disk();
    std::string err;
    EXPECT_FALSE(lab::find_root_fs(disk, &err));
    EXPECT_NE(err.find("/dev/vda1 (offset 1048576) /dev/vda2 (offset 4194304)"), std::string::npos) << err;
    const std::string junk = (m_dir / "junk.img").string();
    std::ofstream(junk) << std::string(1 << 20, 'x');
    EXPECT_FALSE(lab::find_root_fs(junk, &err));
    EXPECT_NE(err.find("/dev/vda (offset 0)"), std::string::npos) << err;
}

TEST_F(DiskImage, WritesFilesDirectoriesAndLinksIntoTheFileSystem)
{
    const std::string disk = gpt_disk();
    std::string err;
    const auto root = lab::find_root_fs(disk, &err);
    ASSERT_TRUE(root) << err;
    const fs::path unit = m_dir / "x.service";
    std::ofstream(unit) << "[Unit]\n";
    const std::string wants = "/etc/systemd/system/basic.target.wants";
    ASSERT_TRUE(lab::install_guest_files(*root, disk, {wants}, {{"/etc/systemd/system/x.service", unit.string()}},
                                         {{wants + "/x.service", "/etc/systemd/system/x.service"}}, &err))
        << err;
    EXPECT_EQ(lab::read_guest_file(*root, disk, "/etc/systemd/system/x.service", 4096), "[Unit]\n");
    // Written again over itself: replaced, not refused.
    std::ofstream(unit) << "[Unit]\nDescription=again\n";
    ASSERT_TRUE(lab::install_guest_files(*root, disk, {wants}, {{"/etc/systemd/system/x.service", unit.string()}},
                                         {{wants + "/x.service", "/etc/systemd/system/x.service"}}, &err))
        << err;
    EXPECT_EQ(lab::read_guest_file(*root, disk, "/etc/systemd/system/x.service", 4096), "[Unit]\nDescription=again\n");
    // A directory whose parent is missing cannot be made: said, not ignored.
    EXPECT_FALSE(lab::install_guest_files(*root, disk, {"/no/such/parent"}, {}, {}, &err));
    EXPECT_NE(err.find("/no/such/parent"), std::string::npos) << err;
}

TEST(DpkgStatus, VersionsOfInstalledPackagesOnly)
{
    const std::string status =
        "Package: kdump-tools\nStatus: install ok installed\nVersion: 1:1.8.1\n\n"
        "Package: crash\nStatus: deinstall ok config-files\nVersion: 8.0.2-1\n\n"
        "Package: systemd\nStatus: install ok installed\nVersion: 252.39-1~deb12u2\n";
    const auto v = lab::dpkg_versions(status, {"kdump-tools", "crash", "systemd", "makedumpfile"});
    ASSERT_EQ(v.size(), 2U);
    EXPECT_EQ(v[0], (std::pair<std::string, std::string>{"kdump-tools", "1:1.8.1"}));
    EXPECT_EQ(v[1], (std::pair<std::string, std::string>{"systemd", "252.39-1~deb12u2"}));
}
