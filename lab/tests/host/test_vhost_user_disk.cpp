// The vhost-user disk: the back-end's command line, QEMU's device, and a
// back-end that fails or never listens said as such (the real back-end
// serving a guest is the vhost-user-reads scenario).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vhost_user_disk.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
    TempDir() : path(fs::temp_directory_path() / ("vhost-user-disk-test-" + std::to_string(getpid())))
    {
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    fs::path path;
};

}  // namespace

TEST(VhostUserDisk, TheBackEndServesTheImageReadOnly)
{
    const auto argv = lab::VhostUserDisk::backend_argv("/b/vhost-user-blk", "/run/initrd.img", "/run/vu.sock");
    const std::vector<std::string> want = {"/b/vhost-user-blk", "--socket-path",   "/run/vu.sock",
                                           "--blk-file",        "/run/initrd.img", "--read-only"};
    EXPECT_EQ(argv, want);
}

TEST(VhostUserDisk, ABackEndThatExitsIsSaidWithItsLastLine)
{
    TempDir dir;
    std::string err;
    const auto disk = lab::VhostUserDisk::start("/bin/false", (dir.path / "image").string(),
                                                (dir.path / "vu.sock").string(), (dir.path / "log").string(), 30, &err);
    EXPECT_EQ(disk, nullptr);
    EXPECT_NE(err.find("the vhost-user back-end exited"), std::string::npos) << err;
}

TEST(VhostUserDisk, ABackEndThatNeverListensTimesOut)
{
    TempDir dir;
    std::string err;
    // A shell that stays alive without making the socket.
    const fs::path fake = dir.path / "silent-backend";
    {
        std::ofstream f(fake);
        f << "#!/bin/sh\nexec sleep 30\n";
    }
    fs::permissions(fake, fs::perms::owner_all);
    const auto disk =
        lab::VhostUserDisk::start(fake.string(), (dir.path / "image").string(), (dir.path / "vu.sock").string(),
                                  (dir.path / "log").string(), 0.3, &err);
    EXPECT_EQ(disk, nullptr);
    EXPECT_NE(err.find("made no socket"), std::string::npos) << err;
}

TEST(VhostUserDisk, QemuGetsOneQueueOnTheBackEndsSocket)
{
    TempDir dir;
    const fs::path fake = dir.path / "listening-backend";
    {
        // Makes the socket path (a plain file is enough for start()) and stays.
        std::ofstream f(fake);
        f << "#!/bin/sh\n: > \"$2\"\nexec sleep 30\n";
    }
    fs::permissions(fake, fs::perms::owner_all);
    std::string err;
    const auto sock = (dir.path / "vu.sock").string();
    const auto disk = lab::VhostUserDisk::start(fake.string(), (dir.path / "image").string(), sock,
                                                (dir.path / "log").string(), 30, &err);
    ASSERT_NE(disk, nullptr) << err;
    const auto args = disk->qemu_args("bus=pcie.3,addr=0x0");
    const std::vector<std::string> want = {"-chardev", "socket,id=vhostuser0,path=" + sock, "-device",
                                           "vhost-user-blk-pci,chardev=vhostuser0,num-queues=1,bus=pcie.3,addr=0x0"};
    EXPECT_EQ(args, want);
}
