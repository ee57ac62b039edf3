// The matrix's machines and the command line of a cell.
#include <gtest/gtest.h>

#include <algorithm>

#include "matrix.hpp"

TEST(Matrix, MachinesWithMemoryShapes)
{
    auto ok = [](const std::string& text) {
        auto r = lab::parse_matrix_machine(text);
        EXPECT_TRUE(std::holds_alternative<lab::MatrixMachine>(r)) << text << ": " << std::get<std::string>(r);
        return std::holds_alternative<lab::MatrixMachine>(r) ? std::get<lab::MatrixMachine>(r) : lab::MatrixMachine{};
    };
    auto why = [](const std::string& text) {
        auto r = lab::parse_matrix_machine(text);
        return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string("accepted");
    };
    auto m = ok("pseries");
    EXPECT_EQ(m.machine, "pseries");
    EXPECT_EQ(m.numa, 0u);
    EXPECT_EQ(m.backend, "");
    m = ok("pseries+numa2");
    EXPECT_EQ(m.numa, 2u);
    m = ok("pseries+numa4+memfd");
    EXPECT_EQ(m.numa, 4u);
    EXPECT_EQ(m.backend, "memfd");
    m = ok("powernv10+file");
    EXPECT_EQ(m.machine, "powernv10");
    EXPECT_EQ(m.backend, "file");
    EXPECT_NE(why("powernv10+numa2").find("no NUMA"), std::string::npos);
    EXPECT_NE(why("pseries+numa1").find("2 to 8"), std::string::npos);
    EXPECT_NE(why("pseries+numa12").find("2 to 8"), std::string::npos);
    EXPECT_NE(why("pseries+shm").find("is not +numaN"), std::string::npos);
    EXPECT_NE(why("pseries+memfd+ram").find("given twice"), std::string::npos);
    EXPECT_NE(why("pseries+numa2+numa4").find("given twice"), std::string::npos);
    EXPECT_NE(why("g5+numa2").find("no machine"), std::string::npos);
    EXPECT_NE(why("pseries+").find("is not"), std::string::npos);
}

TEST(Matrix, ACellRunsTheLabWithItsMachinesShape)
{
    lab::MatrixOptions opt;
    opt.self = "/x/fadump-lab";
    opt.capture = lab::Capture::Raw;
    opt.qemu_version = lab::QemuVersion::V11_1;
    opt.timeout_s = 90;
    const auto shape = std::get<lab::MatrixMachine>(lab::parse_matrix_machine("pseries+numa2+memfd"));
    const std::vector<std::string> want = {"/x/fadump-lab",  "run",     "--machine",        "pseries",
                                           "--scenario",     "sysrq",   "--kernel-source",  "linux-source-6.12",
                                           "--capture",      "raw",     "--guest",          "busybox",
                                           "--qemu-version", "11.1",    "--timeout",        "90",
                                           "--out-dir",      "/o/runs", "--report",         "/o/cells/c.json",
                                           "--numa",         "2",       "--memory-backend", "memfd"};
    EXPECT_EQ(lab::cell_argv(opt, shape, "sysrq", "linux-source-6.12", "/o/runs", "/o/cells/c.json"), want);
    // A plain machine adds neither.
    const auto plain = std::get<lab::MatrixMachine>(lab::parse_matrix_machine("powernv10"));
    const auto argv = lab::cell_argv(opt, plain, "sysrq", "linux-source-6.12", "/o/runs", "/o/cells/c.json");
    EXPECT_EQ(argv.size(), 20u);
    EXPECT_EQ(argv[3], "powernv10");
    opt.guest = lab::Guest::Debian;
    const auto deb = lab::cell_argv(opt, shape, "sysrq", "linux-source-7.2", "/o/runs", "/o/cells/c.json");
    EXPECT_EQ(std::find(deb.begin(), deb.end(), "--guest")[1], "debian");
}

TEST(Matrix, AScaleCellRunsAPartitionSizedGuestWithMakedumpfile)
{
    lab::MatrixOptions opt;
    opt.self = "/x/fadump-lab";
    opt.capture = lab::Capture::Raw;
    auto after = [](const std::vector<std::string>& argv, const std::string& flag) {
        const auto it = std::find(argv.begin(), argv.end(), flag);
        return it == argv.end() ? std::string("absent") : it[1];
    };
    const auto ps = std::get<lab::MatrixMachine>(lab::parse_matrix_machine("pseries+scale"));
    EXPECT_TRUE(ps.scale);
    auto argv = lab::cell_argv(opt, ps, "sysrq", "linux-source-6.12", "/o/runs", "/o/cells/c.json");
    EXPECT_EQ(after(argv, "--mem"), "64G");
    EXPECT_EQ(after(argv, "--smp"), "32");
    EXPECT_EQ(after(argv, "--capture"), "makedumpfile");
    const auto pnv = std::get<lab::MatrixMachine>(lab::parse_matrix_machine("powernv10+memfd+scale"));
    argv = lab::cell_argv(opt, pnv, "sysrq", "linux-source-6.12", "/o/runs", "/o/cells/c.json");
    EXPECT_EQ(after(argv, "--mem"), "32G");
    EXPECT_EQ(after(argv, "--smp"), "8,sockets=2,cores=2,threads=2");
    EXPECT_EQ(after(argv, "--memory-backend"), "memfd");
    EXPECT_TRUE(std::holds_alternative<std::string>(lab::parse_matrix_machine("pseries+scale+scale")));
    // A plain cell has neither.
    const auto plain = std::get<lab::MatrixMachine>(lab::parse_matrix_machine("pseries"));
    EXPECT_EQ(after(lab::cell_argv(opt, plain, "sysrq", "k", "/r", "/c"), "--mem"), "absent");
}
