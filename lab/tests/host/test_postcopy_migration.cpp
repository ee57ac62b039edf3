// The postcopy destination's command line: the source's, with its own QMP
// socket and log, listening for the migration with postcopy allowed.
#include <gtest/gtest.h>

#include "postcopy_migration.hpp"

TEST(PostcopyMigration, TheDestinationIsTheSourceListeningWithItsOwnQmpAndLog)
{
    const std::vector<std::string> source = {
        "qemu-system-ppc64", "-M",   "pseries", "-qmp", "unix:/run/q.sock,server=on,wait=off", "-D",
        "/run/errors.log",   "-smp", "1"};
    const auto dest = lab::postcopy_destination_argv(source, "/run/q.sock-d", "/run/dest.log", "unix:/run/q.sock-m");
    const std::vector<std::string> want = {
        "qemu-system-ppc64", "-M",   "pseries", "-qmp",    "unix:/run/q.sock-d,server=on,wait=off", "-D",
        "/run/dest.log",     "-smp", "1",       "-global", "migration.x-postcopy-ram=on",           "-incoming",
        "unix:/run/q.sock-m"};
    EXPECT_EQ(dest, want);
}

// A destination started after the source quit keeps the QMP socket.
TEST(PostcopyMigration, AFileMigrationsDestinationKeepsTheQmpSocket)
{
    const std::vector<std::string> source = {"qemu", "-qmp", "unix:/run/q.sock,server=on,wait=off", "-D", "/run/e.log"};
    const std::vector<std::string> want = {"qemu", "-qmp", "unix:/run/q.sock,server=on,wait=off", "-D", "/run/d.log"};
    EXPECT_EQ(lab::destination_argv(source, "/run/d.log", ""), want);
}
