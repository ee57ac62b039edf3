// The built fadump-lab on hostile input: a garbled guest console and a
// hostile vmcore become failed named checks in a report that is still
// written; a report that cannot be written is an error.
#include "lab_binary.hpp"

namespace {

using lab::test::SyntheticCore;
namespace fs = std::filesystem;

class LabCli : public lab::test::LabBinary {};

TEST_F(LabCli, GarbledConsoleValuesAreFailedChecksInAWrittenReport)
{
    const auto qemu = fake_qemu(
        "echo 'fadump: Registration is successful'\n"
        "echo 'sysrq: Trigger a crash'\n"
        "echo 'Linux version 6.1.0 (fake capture kernel)'\n"
        "echo 'Firmware-assisted dump is active'\n"
        "echo 'FADUMP-LAB: cpus-online 0-zz'\n"
        "echo 'FADUMP-LAB: capture vmcore_size=?'\n"
        "echo 'FADUMP-LAB: copied'\n"
        "echo 'FADUMP-LAB: released'\n");
    start_run(qemu);
    const auto status = wait_lab(60);
    ASSERT_TRUE(status) << log();
    EXPECT_TRUE(WIFEXITED(*status)) << "the lab died of a signal\n" << log();
    EXPECT_EQ(WEXITSTATUS(*status), 1) << log();
    EXPECT_EQ(check_result("console.vmcore_size"), "fail") << log();
    EXPECT_EQ(check_result("console.cpus_online"), "fail") << log();
}

TEST_F(LabCli, GarbledVmcoreinfoPagesizeIsAFailedCheckInAWrittenReport)
{
    SyntheticCore core;
    core.vmcoreinfo = "OSRELEASE=6.1.0-test\nPAGESIZE=zz\n";
    core.write((m_dir / "vmcore").string());
    auto truth = nlohmann::json::parse(
        R"({"version": 4, "page_size": 4096, "ram_size": 0, "hash_ns": 0, "trigger_cpu_index": 0, "cpus": []})");
    truth["page_xxh3_128"] = nlohmann::json::binary({});
    const auto cbor = nlohmann::json::to_cbor(truth);  // as the engine writes it
    std::ofstream(m_dir / "truth.cbor", std::ios::binary)
        .write(reinterpret_cast<const char*>(cbor.data()), static_cast<std::streamsize>(cbor.size()));
    m_lab = spawn({FADUMP_LAB_BINARY, "check", (m_dir / "vmcore").string(), "--vmlinux", (m_dir / "vmlinux").string(),
                   "--ground-truth", (m_dir / "truth.cbor").string(), "--report", report_path().string()});
    const auto status = wait_lab(60);
    ASSERT_TRUE(status) << log();
    EXPECT_TRUE(WIFEXITED(*status)) << "the lab died of a signal\n" << log();
    EXPECT_EQ(WEXITSTATUS(*status), 1) << log();
    EXPECT_EQ(check_result("vmcore.vmcoreinfo_pagesize"), "fail") << log();
}

TEST_F(LabCli, AReportThatCannotBeWrittenIsAnError)
{
    SyntheticCore().write((m_dir / "vmcore").string());
    for (const std::string& target :
         std::vector<std::string>{"/dev/full", (m_dir / "no-such-dir" / "report.json").string()}) {
        m_lab = spawn({FADUMP_LAB_BINARY, "check", (m_dir / "vmcore").string(), "--vmlinux",
                       (m_dir / "vmlinux").string(), "--report", target});
        const auto status = wait_lab(60);
        ASSERT_TRUE(status) << log();
        EXPECT_TRUE(WIFEXITED(*status)) << log();
        EXPECT_EQ(WEXITSTATUS(*status), 3) << target << "\n" << log();
        EXPECT_NE(log().find("cannot write the report " + target), std::string::npos) << log();
    }
}

// git bisect run: a kernel tree that does not build is skipped (125), not
// called bad; when the report cannot be written the bisection stops (255).
TEST_F(LabCli, AKernelTreeThatDoesNotBuildIsSkippedByBisect)
{
    fs::create_directories(m_dir / "tree");  // not a Linux tree: scripts/build-kernel-tree refuses it
    const auto qemu = fake_qemu("exit 0\n");
    for (const auto& [report, code] :
         {std::pair{report_path().string(), 125}, std::pair{std::string("/dev/full"), 255}}) {
        m_lab = spawn({FADUMP_LAB_BINARY, "run",
                       "--machine",       "pseries",
                       "--mem",           "64M",
                       "--qemu",          qemu.string(),
                       "--kernel-tree",   (m_dir / "tree").string(),
                       "--initrd",        (m_dir / "initrd.cpio").string(),
                       "--firmware-dir",  (m_dir / "fw").string(),
                       "--out-dir",       (m_dir / "out").string(),
                       "--report",        report,
                       "--timeout",       "60"});
        const auto status = wait_lab(60);
        ASSERT_TRUE(status) << log();
        EXPECT_TRUE(WIFEXITED(*status)) << log();
        EXPECT_EQ(WEXITSTATUS(*status), code) << report << "\n" << log();
    }
    EXPECT_EQ(check_result("setup.kernel"), "fail") << log();
}

}  // namespace
