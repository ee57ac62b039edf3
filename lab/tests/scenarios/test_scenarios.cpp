// The scenario table's shape, and the scenario steps against real consoles
// of scenario runs (data/scenarios: pseries VOF, kernel 6.12, taken from
// fadump-lab run --scenario NAME): each expectation passes on its own
// scenario's console and fails on a console where the scenario did not
// happen.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "process.hpp"
#include "scenario_steps.hpp"
#include "scenarios.hpp"

namespace {

std::vector<std::string> console(const std::string& name)
{
    std::ifstream f(std::string(FADUMP_LAB_TEST_DATA) + "/scenarios/" + name + "-console.log");
    std::vector<std::string> lines;
    for (std::string l; std::getline(f, l);) {
        lines.push_back(l);
    }
    EXPECT_FALSE(lines.empty()) << name;
    return lines;
}

// The checks check_scenario_console recorded: name -> verdict.
std::map<std::string, lab::Verdict> judge(const std::string& scenario, const std::string& console_name,
                                          const std::string& machine = "pseries")
{
    lab::Report r;
    lab::check_scenario_console(*lab::find_scenario(scenario), machine, lab::split_boots(console(console_name)), r);
    std::map<std::string, lab::Verdict> out;
    for (const auto& c : r.checks()) {
        out[c.name] = c.verdict;
    }
    return out;
}

bool all_pass(const std::map<std::string, lab::Verdict>& m)
{
    bool ok = !m.empty();
    for (const auto& [_, v] : m) {
        ok = ok && v == lab::Verdict::Pass;
    }
    return ok;
}

}  // namespace

TEST(Scenarios, TableIsWellFormed)
{
    std::set<std::string> names;
    for (const auto& s : lab::scenarios()) {
        EXPECT_TRUE(names.insert(s.name).second) << "duplicate " << s.name;
        EXPECT_FALSE(s.summary.empty()) << s.name;
        EXPECT_TRUE(s.pseries || s.powernv) << s.name;
        EXPECT_TRUE(s.page_size == "64k" || s.page_size == "4k") << s.name;
        for (const auto* boots : {&s.pseries_boots, &s.powernv_boots}) {
            ASSERT_FALSE(boots->empty()) << s.name;
            // The last boot ends the run: a capture (the dump is proven), a
            // plain boot (no dump) or, PowerNV only, the OPAL core alone; a
            // capture or an OPAL core is always the last.
            EXPECT_TRUE(boots->back() == lab::Boot::Capture || boots->back() == lab::Boot::Plain ||
                        boots->back() == lab::Boot::OpalCore)
                << s.name;
            EXPECT_TRUE(boots->back() != lab::Boot::OpalCore || (boots == &s.powernv_boots && !s.pseries)) << s.name;
            for (size_t i = 0; i + 1 < boots->size(); ++i) {
                EXPECT_NE((*boots)[i], lab::Boot::Capture) << s.name;
                EXPECT_NE((*boots)[i], lab::Boot::OpalCore) << s.name;
                EXPECT_NE((*boots)[i], lab::Boot::Crash) << s.name;
            }
        }
        for (const auto& e : s.expect) {
            EXPECT_NO_THROW(std::regex{e.regex}) << s.name << " " << e.name;
            EXPECT_FALSE(e.why.empty()) << s.name << " " << e.name;
            EXPECT_TRUE(e.platform.empty() || e.platform == "pseries" || e.platform == "powernv") << s.name;
        }
        for (const auto& q : s.qmp) {
            const auto j = nlohmann::json::parse(q, nullptr, false);
            EXPECT_TRUE(!j.is_discarded() && j.contains("execute")) << s.name << ": " << q;
        }
        // A hang ends only through the host (NMI or S0), and the host's
        // triggers act on a hang.
        const bool host = s.trigger == lab::Trigger::HostNmi || s.trigger == lab::Trigger::HostS0;
        EXPECT_EQ(host, !s.hang_function.empty()) << s.name;
        EXPECT_TRUE(s.trigger != lab::Trigger::HostS0 || !s.pseries) << s.name << ": S0 is PowerNV's";
        EXPECT_TRUE(s.migrate == lab::Migrate::Never || !s.powernv) << s.name << ": PowerNV does not migrate";
        const auto before_crash = s.before_crash.empty() ? "" : lab::scenario_shell(s.before_crash).value_or("");
        EXPECT_EQ(s.qmp.empty(), before_crash.find("host-step") == std::string::npos) << s.name;
    }
    EXPECT_NE(lab::find_scenario("sysrq"), nullptr);
    EXPECT_EQ(lab::find_scenario("no-such"), nullptr);
    EXPECT_FALSE(lab::find_scenario("bootargs-append")->runs_on("powernv10"));
    EXPECT_TRUE(lab::find_scenario("bootargs-append")->runs_on("pseries"));
}

TEST(Scenarios, EveryShellFileIsAScenariosAndEveryFragmentItSourcesExists)
{
    namespace fs = std::filesystem;
    std::set<std::string> named;
    for (const auto& s : lab::scenarios()) {
        for (const auto& [file, kind] :
             {std::pair{s.before_crash, ".before-crash.sh"}, {s.before_capture, ".before-capture.sh"}}) {
            if (file.empty()) {
                continue;
            }
            EXPECT_EQ(file, s.name + kind) << s.name;
            const auto text = lab::scenario_shell(file);
            ASSERT_TRUE(text.has_value()) << file;
            named.insert(file);
            // Each `. /scenario/lib/X` names a fragment of lib/.
            static const std::regex source(R"(^\. /scenario/(lib/[a-z0-9-]+\.sh)$)");
            std::istringstream lines(*text);
            for (std::string l; std::getline(lines, l);) {
                std::smatch m;
                if (std::regex_match(l, m, source)) {
                    EXPECT_TRUE(lab::scenario_shell(m[1].str()).has_value()) << file << ": " << l;
                }
            }
        }
    }
    for (const auto& e : fs::directory_iterator(lab::scenario_shell_dir())) {
        if (e.is_regular_file()) {
            EXPECT_TRUE(named.contains(e.path().filename().string())) << e.path() << " belongs to no scenario";
        }
    }
    EXPECT_FALSE(lab::scenario_shell("no-such.before-crash.sh").has_value());
}

TEST(ScenarioSteps, SplitsTheConsoleIntoBoots)
{
    const auto boots = lab::split_boots(console("pseries-sysrq"));
    ASSERT_EQ(boots.size(), 2u);
    auto has = [](const std::vector<std::string>& b, const std::string& s) {
        return std::any_of(b.begin(), b.end(), [&](const std::string& l) { return l.find(s) != std::string::npos; });
    };
    EXPECT_TRUE(has(boots[0], "sysrq: Trigger a crash"));
    EXPECT_FALSE(has(boots[0], "Firmware-assisted dump is active"));
    EXPECT_TRUE(has(boots[1], "Firmware-assisted dump is active"));
    EXPECT_TRUE(has(boots[1], "FADUMP-LAB: released"));
    // The kernel's early lines before its banner belong to it.
    EXPECT_TRUE(has(boots[1], "fadump: Reserving"));
    EXPECT_EQ(lab::split_boots({}).size(), 1u);
    EXPECT_EQ(lab::split_boots({"[    0.000000] a", "[    1.000000] b", "[    0.000000] c"}).size(), 2u);
    EXPECT_EQ(lab::split_boots({"[    0.000000] a", "[    0.000000] b"}).size(), 1u);
}

TEST(ScenarioSteps, ExpectationsPassOnTheirScenarioAndFailElsewhere)
{
    EXPECT_TRUE(all_pass(judge("nocma", "pseries-nocma")));
    EXPECT_TRUE(all_pass(judge("reregister", "pseries-reregister")));
    EXPECT_TRUE(all_pass(judge("bootargs-append", "pseries-bootargs-append")));
    // fadump=on lends the area to CMA ("cma area" line): nocma fails there.
    EXPECT_EQ(judge("nocma", "pseries-sysrq").at("scenario.no_cma_area"), lab::Verdict::Fail);
    for (const auto& [name, v] : judge("reregister", "pseries-sysrq")) {
        EXPECT_EQ(v, lab::Verdict::Fail) << name;
    }
    EXPECT_EQ(judge("bootargs-append", "pseries-reregister").at("scenario.capture_cmdline"), lab::Verdict::Fail);
    // The marker on the first kernel's line only is not enough: boot 1.
    auto lines = console("pseries-sysrq");
    for (auto& l : lines) {
        if (l.find("Kernel command line:") != std::string::npos && l.find("] [    0.000000]") != std::string::npos) {
            l += " fadump_lab_marker=bootargs-append-ok";
            break;
        }
    }
    lab::Report r;
    lab::check_scenario_console(*lab::find_scenario("bootargs-append"), "pseries", lab::split_boots(lines), r);
    EXPECT_EQ(r.checks().at(0).verdict, lab::Verdict::Fail);
}

TEST(ScenarioSteps, PlatformExpectationsApplyToTheirPlatformOnly)
{
    // double-crash's INVALIDATE is a pseries trace event: judged (here
    // skipped: no trace given) on pseries only.
    EXPECT_TRUE(judge("double-crash", "pseries-sysrq", "pseries").contains("scenario.dump_invalidated"));
    EXPECT_FALSE(judge("double-crash", "pseries-sysrq", "powernv10").contains("scenario.dump_invalidated"));
    lab::Report r;
    lab::check_scenario_console(
        *lab::find_scenario("double-crash"), "pseries", {{}}, r,
        std::vector<std::string>{"1@2.3:spapr_fadump_configure cmd 1 fdm 0x1 len 0x2 status 0"});
    EXPECT_EQ(r.checks().at(0).verdict, lab::Verdict::Fail);
    lab::Report ok;
    lab::check_scenario_console(
        *lab::find_scenario("double-crash"), "pseries", {{}}, ok,
        std::vector<std::string>{"1@2.3:spapr_fadump_configure cmd 3 fdm 0x1 len 0x2 status 0"});
    EXPECT_EQ(ok.checks().at(0).verdict, lab::Verdict::Pass);
}

TEST(ScenarioSteps, TheVhostUserDiskMustBeReadWhollyByTheCaptureKernel)
{
    const auto& sc = *lab::find_scenario("vhost-user-reads");
    const std::vector<std::string> first = {"FADUMP-LAB: report vhost_user_disk /dev/vdc",
                                            "FADUMP-LAB: report vhost_user_reads_last_second 1282"};
    const std::vector<std::string> started = {
        "vhost_dev_start 0x5:virtio-blk vrings:1", "spapr_fadump_os_term dump triggered by cpu 1",
        "vhost_dev_stop 0x5:virtio-blk vrings:1", "vhost_dev_start 0x5:virtio-blk vrings:1"};
    const auto verdicts = [&](const std::string& capture_line, const std::vector<std::string>& trace) {
        lab::Report r;
        lab::check_scenario_console(sc, "pseries", {first, {capture_line}}, r, trace);
        std::map<std::string, lab::Verdict> v;
        for (const auto& c : r.checks()) {
            v[c.name] = c.verdict;
        }
        return v;
    };
    const auto ok = verdicts("FADUMP-LAB: report vhost_user_capture_read 1221632 of 1221632", started);
    EXPECT_TRUE(all_pass(ok));
    EXPECT_EQ(ok.size(), 4u);
    // A short read (the back-end gone after the dump), or a prefix of the size.
    EXPECT_EQ(verdicts("FADUMP-LAB: report vhost_user_capture_read 0 of 1221632", started)
                  .at("scenario.vhost_user_capture_read"),
              lab::Verdict::Fail);
    EXPECT_EQ(verdicts("FADUMP-LAB: report vhost_user_capture_read 122163 of 1221632", started)
                  .at("scenario.vhost_user_capture_read"),
              lab::Verdict::Fail);
    // The rings never started again in the capture kernel.
    EXPECT_EQ(
        verdicts("FADUMP-LAB: report vhost_user_capture_read 1221632 of 1221632", {started.begin(), started.end() - 1})
            .at("scenario.vhost_user_restarted"),
        lab::Verdict::Fail);
    // QEMU 11.1 names the event vhost_dev_start_in.
    EXPECT_TRUE(all_pass(
        verdicts("FADUMP-LAB: report vhost_user_capture_read 1221632 of 1221632",
                 {"vhost_dev_start_in 0x5:virtio-blk vrings:1", "vhost_dev_start_in 0x5:virtio-blk vrings:1"})));
    // QEMU's own vhost events reach the platform's trace.
    std::istringstream log("vhost_dev_start 0x5:virtio-blk vrings:1\nvirtio_set_status vdev 0x1 val 0\n");
    EXPECT_EQ(lab::platform_events(log), std::vector<std::string>{"vhost_dev_start 0x5:virtio-blk vrings:1"});
}

TEST(ScenarioSteps, ReportsComeFromTheFirstBoot)
{
    const auto j = lab::scenario_reports({"[ 1.0] FADUMP-LAB: report cpus_offline 1,3",
                                          "[ 1.1] FADUMP-LAB: region DUMP: Src: 0x0, Dest: 0x1",
                                          "[ 1.2] FADUMP-LAB: region DUMP: Src: 0x2, Dest: 0x3", "noise"});
    EXPECT_EQ(j.at("cpus_offline"), "1,3");
    EXPECT_EQ(j.at("regions").size(), 2u);
    EXPECT_TRUE(lab::scenario_reports({"nothing"}).empty());
}

TEST(ScenarioSteps, InitrdCarriesTheScenarioAfterTheBaseArchive)
{
    const auto dir = std::filesystem::temp_directory_path() / ("fadump-scen-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto base = dir / "base.cpio.gz";
    std::ofstream(base) << "12345";  // 5 bytes: padded to 8
    std::string err;
    const auto initrd = lab::write_scenario_initrd(*lab::find_scenario("disabled"), base.string(), dir.string(), &err);
    ASSERT_FALSE(initrd.empty()) << err;
    std::ifstream f(initrd, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string bytes = ss.str();
    EXPECT_EQ(bytes.substr(0, 5), "12345");
    EXPECT_EQ(bytes.substr(5, 3), std::string(3, '\0'));
    EXPECT_EQ(bytes.substr(8, 6), "070701");  // newc magic, 4-byte aligned
    std::string listing;
    ASSERT_EQ(lab::run_command({"sh", "-c", "tail -c +9 \"$1\" | cpio -t --quiet", "sh", initrd}, &listing, 30), 0);
    EXPECT_NE(listing.find("scenario/env"), std::string::npos) << listing;
    EXPECT_NE(listing.find("scenario/before-crash"), std::string::npos) << listing;
    std::string env;
    ASSERT_EQ(lab::run_command({"sh", "-c", "cd \"$2\" && tail -c +9 \"$1\" | cpio -i --quiet && cat scenario/env",
                                "sh", initrd, dir.string()},
                               &env, 30),
              0);
    EXPECT_NE(env.find("REGISTER=0"), std::string::npos) << env;
    EXPECT_NE(env.find("SCENARIO='disabled'"), std::string::npos) << env;
    std::filesystem::remove_all(dir);
}

namespace {

lab::Verdict preservation(const std::vector<std::string>& events, bool zero_copy, nlohmann::json* facts = nullptr)
{
    lab::Report r;
    lab::check_preservation(events, zero_copy, r);
    EXPECT_EQ(r.checks().size(), 1U);
    if (facts != nullptr) {
        *facts = r.facts;
    }
    return r.checks().at(0).verdict;
}

}  // namespace

TEST(ScenarioSteps, InitrdCarriesTheScenariosShellAndItsFragments)
{
    const auto dir = std::filesystem::temp_directory_path() / ("fadump-scen-sh-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto base = dir / "base.cpio.gz";
    std::ofstream(base) << "1234";
    std::string err;
    const auto& sc = *lab::find_scenario("migrate-postcopy");
    const auto initrd = lab::write_scenario_initrd(sc, base.string(), dir.string(), &err);
    ASSERT_FALSE(initrd.empty()) << err;
    std::string out;
    ASSERT_EQ(lab::run_command({"sh", "-c",
                                "cd \"$2\" && tail -c +5 \"$1\" | cpio -i -d --quiet && cat scenario/before-crash && "
                                "test -s scenario/lib/migrate.sh && test -s scenario/lib/fill-64-mib.sh",
                                "sh", initrd, dir.string()},
                               &out, 30),
              0)
        << out;
    EXPECT_EQ(out, lab::scenario_shell(sc.before_crash).value());
    // Without the source tree's shell the initramfs is refused, saying which file.
    setenv("FADUMP_ROOT", dir.c_str(), 1);
    EXPECT_TRUE(lab::write_scenario_initrd(sc, base.string(), dir.string(), &err).empty());
    unsetenv("FADUMP_ROOT");
    EXPECT_NE(err.find("migrate-postcopy.before-crash.sh"), std::string::npos) << err;
    std::filesystem::remove_all(dir);
}

TEST(ScenarioSteps, PreservationFollowsTheZeroCopySwitch)
{
    // Lines as our QEMU traced them (pseries VOF, QEMU 11.1, 2 GiB).
    const std::string moved = "4242@1764698300.123456:fadump_preserve 0x0 -> 0x14010000 (0x14000000 bytes): move ";
    const std::string partial =
        "4242@1764698300.123500:fadump_preserve 0x30000000 -> 0x50000100 (0x1000 bytes): copy "
        "source and destination are not page-aligned alike";
    const std::string off =
        "4242@1764698300.123456:fadump_preserve 0x0 -> 0x14010000 (0x14000000 bytes): copy x-fadump-zero-copy=off";
    nlohmann::json facts;
    EXPECT_EQ(preservation({"noise", moved, partial}, true, &facts), lab::Verdict::Pass);
    EXPECT_EQ(facts.at("preservation").at("moved_bytes"), 0x14000000U);
    EXPECT_EQ(facts.at("preservation").at("copied_bytes"), 0x1000U);
    // The default did not hold: a range copied because the switch was off.
    EXPECT_EQ(preservation({moved, off}, true), lab::Verdict::Fail);
    // Switched off, nothing may move.
    EXPECT_EQ(preservation({off}, false), lab::Verdict::Pass);
    EXPECT_EQ(preservation({off, moved}, false), lab::Verdict::Fail);
    // No dump, no judgement.
    EXPECT_EQ(preservation({"spapr_fadump_reset dump reboot 0 rma_size 0x80000000"}, true), lab::Verdict::Skip);
}
