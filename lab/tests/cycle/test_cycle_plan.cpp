// plan_cycle: the options a run refuses before it starts, and what the
// scenario's size and memory decide.
#include <gtest/gtest.h>

#include <variant>

#include "cycle_plan.hpp"

namespace {

// The refusal for `opt`, or "" when plan_cycle makes a plan.
std::string refusal(const lab::RunOptions& opt, const std::string& meminfo = "")
{
    const auto p = lab::plan_cycle(opt, meminfo, 0);
    const auto* why = std::get_if<std::string>(&p);
    return why != nullptr ? *why : "";
}

lab::CyclePlan plan(const lab::RunOptions& opt)
{
    const auto p = lab::plan_cycle(opt, "", 0);
    EXPECT_TRUE(std::holds_alternative<lab::CyclePlan>(p)) << refusal(opt);
    return std::holds_alternative<lab::CyclePlan>(p) ? std::get<lab::CyclePlan>(p) : lab::CyclePlan{};
}

}  // namespace

TEST(CyclePlan, DefaultRunIsPseriesVofOnOurQemu)
{
    const auto p = plan(lab::RunOptions{});
    ASSERT_NE(p.scenario, nullptr);
    EXPECT_EQ(p.scenario->name, "sysrq");
    EXPECT_TRUE(p.ours);
    EXPECT_FALSE(p.pnv);
    EXPECT_FALSE(p.makedumpfile);
    EXPECT_EQ(p.firmware, "vof");
    EXPECT_EQ(p.machine, "pseries");
    EXPECT_EQ(p.boot_ram_bytes, 2ULL << 30);
    EXPECT_EQ(p.ram_bytes, 2ULL << 30);
    EXPECT_EQ(p.cpus, 2u);
    EXPECT_EQ(p.run_name, "pseries-vof");
}

TEST(CyclePlan, PowerNvBootsSkibootWhateverTheFirmwareOption)
{
    lab::RunOptions opt;
    opt.machine = lab::Machine::Powernv10;
    opt.firmware = lab::Firmware::Slof;
    opt.qemu = "/usr/bin/qemu-system-ppc64";
    opt.capture = lab::Capture::Makedumpfile;
    const auto p = plan(opt);
    EXPECT_TRUE(p.pnv);
    EXPECT_FALSE(p.ours);
    EXPECT_TRUE(p.makedumpfile);
    EXPECT_EQ(p.firmware, "skiboot");
    EXPECT_EQ(p.machine, "powernv10");
    EXPECT_EQ(p.run_name, "powernv10-skiboot");
}

TEST(CyclePlan, ScenarioSizeAndBackendWinOverTheRunsAndNameTheRun)
{
    lab::RunOptions opt;
    opt.scenario = "hotplug-mem";
    opt.mem = "8G";
    auto p = plan(opt);
    EXPECT_EQ(p.mem_spec, "2G,slots=2,maxmem=4G");
    EXPECT_EQ(p.boot_ram_bytes, 2ULL << 30);
    EXPECT_EQ(p.ram_bytes, 3ULL << 30);  // the DIMM the scenario plugs in
    EXPECT_EQ(p.run_name, "pseries-vof-hotplug-mem");

    opt = lab::RunOptions{};
    opt.scenario = "smt";
    EXPECT_EQ(plan(opt).cpus, 4u);

    opt = lab::RunOptions{};
    opt.scenario = "vhost-user-reads";
    EXPECT_EQ(plan(opt).memory.backend, "memfd");
    opt.memory.backend = "file";  // the run's own backend is kept
    EXPECT_EQ(plan(opt).memory.backend, "file");
}

TEST(CyclePlan, OptionsThatCannotMakeARunAreRefusedWithTheReason)
{
    lab::RunOptions opt;
    opt.scenario = "no-such";
    EXPECT_EQ(refusal(opt), "no scenario no-such (fadump-lab scenarios lists them)");
    opt = lab::RunOptions{};
    opt.mem = "lots";
    EXPECT_EQ(refusal(opt), "cannot read --mem lots");
    opt = lab::RunOptions{};
    opt.machine = lab::Machine::Powernv9;
    opt.memory.numa = 2;
    EXPECT_NE(refusal(opt).find("--numa/--memory-backend: "), std::string::npos) << refusal(opt);
}

TEST(CyclePlan, ScenarioThatDoesNotRunOnTheMachineIsRefused)
{
    for (const auto& sc : lab::scenarios()) {
        if (!sc.runs_on("pseries")) {
            lab::RunOptions opt;
            opt.scenario = sc.name;
            EXPECT_EQ(refusal(opt), "scenario " + sc.name + " does not run on pseries");
            return;
        }
    }
    GTEST_SKIP() << "every scenario runs on pseries";
}

TEST(CyclePlan, HugetlbRamTheHostCannotHoldIsRefused)
{
    lab::RunOptions opt;
    opt.memory.backend = "hugetlb";
    const std::string few = "HugePages_Free:       4\nHugepagesize:       2048 kB\n";
    EXPECT_NE(refusal(opt, few).find("--memory-backend hugetlb: "), std::string::npos) << refusal(opt, few);
    const std::string plenty = "HugePages_Free:    2048\nHugepagesize:       2048 kB\n";
    EXPECT_EQ(refusal(opt, plenty), "");
}

TEST(RunOptionNames, EveryValueHasTheNameItIsParsedFrom)
{
    for (const auto& [name, m] : lab::machine_names()) {
        EXPECT_EQ(lab::to_string(m), name);
    }
    for (const auto& [name, f] : lab::firmware_names()) {
        EXPECT_EQ(lab::to_string(f), name);
    }
    for (const auto& [name, c] : lab::capture_names()) {
        EXPECT_EQ(lab::to_string(c), name);
    }
    for (const auto& [name, v] : lab::qemu_version_names()) {
        EXPECT_EQ(lab::to_string(v), name);
    }
    EXPECT_EQ(lab::machine_names().size(), 4u);
    EXPECT_EQ(lab::to_string(lab::Machine::Powernv11), "powernv11");
    EXPECT_EQ(lab::to_string(lab::QemuVersion::V11_1), "11.1");
}

// Power11 is QEMU 11.1's: our 10.0 refuses it before anything starts.
TEST(CyclePlan, Powernv11NeedsQemu11)
{
    lab::RunOptions opt;
    opt.machine = lab::Machine::Powernv11;
    EXPECT_NE(refusal(opt).find("powernv11 needs --qemu-version 11.1"), std::string::npos) << refusal(opt);
    opt.qemu_version = lab::QemuVersion::V11_1;
    const auto p = plan(opt);
    EXPECT_TRUE(p.pnv);
    EXPECT_EQ(p.machine, "powernv11");
    EXPECT_EQ(p.firmware, "skiboot");
    EXPECT_EQ(p.run_name, "powernv11-skiboot");
}

// git bisect run reads 0 good, 1-127 bad except 125 (skip), and stops on
// anything above 127: a tree that did not boot is skipped, not called bad,
// and the lab's own trouble stops the bisection.
TEST(BisectExitCode, GoodBadSkipAndStop)
{
    EXPECT_EQ(lab::bisect_exit_code(0, true), 0);
    EXPECT_EQ(lab::bisect_exit_code(1, true), 1);      // booted, a dump check failed
    EXPECT_EQ(lab::bisect_exit_code(1, false), 125);   // did not build, start or boot
    EXPECT_EQ(lab::bisect_exit_code(2, false), 255);   // bad options
    EXPECT_EQ(lab::bisect_exit_code(3, true), 255);    // report not written
    EXPECT_EQ(lab::bisect_exit_code(130, true), 130);  // SIGINT
}

TEST(CyclePlan, DebianGuestRunsTheSysrqCycleOnPseriesWithItsOwnCapture)
{
    lab::RunOptions opt;
    opt.guest = lab::Guest::Debian;
    const auto p = plan(opt);
    EXPECT_TRUE(p.own_disk);
    EXPECT_FALSE(p.makedumpfile);
    EXPECT_EQ(p.run_name, "pseries-vof-debian");
    opt.firmware = lab::Firmware::Slof;
    EXPECT_EQ(plan(opt).run_name, "pseries-slof-debian");

    auto o = opt;
    o.scenario = "reregister";
    EXPECT_NE(refusal(o).find("sysrq scenario only"), std::string::npos) << refusal(o);
    o = opt;
    o.capture = lab::Capture::Makedumpfile;
    EXPECT_NE(refusal(o).find("no --capture"), std::string::npos) << refusal(o);
    o = opt;
    o.initrd = "/tmp/initramfs";
    EXPECT_NE(refusal(o).find("no --initrd"), std::string::npos) << refusal(o);
    o = opt;
    o.machine = lab::Machine::Powernv10;
    EXPECT_NE(refusal(o).find("pseries only"), std::string::npos) << refusal(o);
    EXPECT_EQ(lab::to_string(lab::Guest::Debian), "debian");

    lab::RunOptions d;
    d.disk = "/images/user.qcow2";
    const auto pd = plan(d);
    EXPECT_TRUE(pd.own_disk);
    EXPECT_TRUE(pd.user_disk);
    EXPECT_EQ(pd.run_name, "pseries-vof-disk");
    d.guest = lab::Guest::Debian;
    EXPECT_NE(refusal(d).find("one of them"), std::string::npos) << refusal(d);
    d.guest = lab::Guest::Busybox;
    d.scenario = "reregister";
    EXPECT_NE(refusal(d).find("--disk runs the sysrq scenario only"), std::string::npos) << refusal(d);
    EXPECT_EQ(lab::guest_names().at("busybox"), lab::Guest::Busybox);
}

TEST(GuestFileOption, AbsoluteGuestPathAndAHostFile)
{
    const auto ok = lab::parse_guest_file("/etc/default/kdump-tools=conf/kdump=tools");
    ASSERT_TRUE(std::holds_alternative<lab::GuestFile>(ok)) << std::get<std::string>(ok);
    EXPECT_EQ(std::get<lab::GuestFile>(ok).guest, "/etc/default/kdump-tools");
    EXPECT_EQ(std::get<lab::GuestFile>(ok).host, "conf/kdump=tools");  // split at the first '='

    for (const char* bad : {"/etc/default/kdump-tools", "etc/x=f", "/=f", "/etc/=f", "/etc//x=f", "/etc/../x=f",
                            "/etc/./x=f", "/etc/x=", "/etc/\"x=f", "/etc/x=f\"", "/etc/x\n=f", "=f"}) {
        const auto r = lab::parse_guest_file(bad);
        EXPECT_TRUE(std::holds_alternative<std::string>(r)) << bad;
    }
}

TEST(CyclePlan, GuestFilesNeedAGuestDisk)
{
    lab::RunOptions opt;
    opt.guest_files.push_back({"/etc/default/kdump-tools", "/tmp/kdump-tools"});
    EXPECT_NE(refusal(opt).find("with --guest debian or --disk"), std::string::npos) << refusal(opt);
    opt.guest = lab::Guest::Debian;
    EXPECT_TRUE(plan(opt).own_disk);
    opt.guest = lab::Guest::Busybox;
    opt.disk = "/images/user.qcow2";
    EXPECT_TRUE(plan(opt).user_disk);
}

TEST(CyclePlan, RamPastTheHostsIsMappedWithoutReserveUnlessStrict)
{
    const std::string meminfo =
        "MemTotal:       24000000 kB\nSwapTotal:             0 kB\nCommitLimit:    12000000 kB\n"
        "Committed_AS:      60000 kB\n";
    lab::RunOptions opt;
    opt.mem = "64G";
    auto p = lab::plan_cycle(opt, meminfo, 0);
    ASSERT_TRUE(std::holds_alternative<lab::CyclePlan>(p));
    EXPECT_TRUE(std::get<lab::CyclePlan>(p).memory.noreserve);
    opt.mem = "16G";
    p = lab::plan_cycle(opt, meminfo, 0);
    ASSERT_TRUE(std::holds_alternative<lab::CyclePlan>(p));
    EXPECT_FALSE(std::get<lab::CyclePlan>(p).memory.noreserve);
    opt.mem = "64G";
    p = lab::plan_cycle(opt, meminfo, 2);
    ASSERT_TRUE(std::holds_alternative<std::string>(p));
    EXPECT_NE(std::get<std::string>(p).find("strict overcommit"), std::string::npos) << std::get<std::string>(p);
}
