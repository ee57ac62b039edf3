// The matrix's report: verdicts (known reasons) and its HTML page.
#include <gtest/gtest.h>

#include "matrix_report.hpp"

TEST(MatrixReport, CellStatus)
{
    std::string why;
    EXPECT_EQ(lab::cell_status("sysrq", "pseries", "linux-source-6.12", {}, &why), "pass");
    EXPECT_EQ(lab::cell_status("sysrq", "pseries", "linux-source-6.12", {"crash.bt_a: x"}, &why), "fail");
    // Every known reason names its checks: a cell failing one of them, and
    // nothing else, is known; with any other failure it is a failure.
    for (const auto& k : lab::known_reasons()) {
        ASSERT_FALSE(k.checks.empty());
        EXPECT_FALSE(k.reason.empty());
        const std::string machine =
            k.machine_prefix.empty() ? "pseries" : k.machine_prefix + (k.machine_prefix == "powernv" ? "10" : "");
        const std::vector<std::string> scenarios =
            k.scenarios.empty() ? std::vector<std::string>{"sysrq"} : k.scenarios;
        const std::string kernel = k.kernel.empty() ? "linux-source-6.12" : k.kernel;
        std::vector<std::string> failed;
        for (const auto& c : k.checks) {
            failed.push_back(c + ": detail" + k.detail_contains);
        }
        for (const auto& scenario : scenarios) {
            EXPECT_EQ(lab::cell_status(scenario, machine, kernel, failed, &why), "known") << scenario;
            EXPECT_NE(why.find(k.reason), std::string::npos);
            auto more = failed;
            more.push_back("registers.match_ground_truth: cpu1 r1 differs");
            EXPECT_EQ(lab::cell_status(scenario, machine, kernel, more, &why), "fail");
            if (!k.detail_contains.empty()) {
                // The same check failing in another way is not explained.
                std::vector<std::string> other;
                for (const auto& c : k.checks) {
                    other.push_back(c + ": 7 differ (first at 0x10000)");
                }
                EXPECT_EQ(lab::cell_status(scenario, machine, kernel, other, &why), "fail");
            }
        }
        if (!k.scenarios.empty()) {
            // A scenario the entry does not name is not covered by it.
            EXPECT_EQ(lab::cell_status("no-such-scenario", machine, kernel, failed, &why), "fail");
        }
    }
}

TEST(MatrixReport, FailuresExplainedByTwoReasonsAreKnownWithBoth)
{
    // The Debian guest on 7.2: bookworm's makedumpfile fails in the guest,
    // and sid's 1.7.8 drops pages of the export's filtered copy on the host.
    std::string why;
    const std::vector<std::string> failed = {
        "service.makedumpfile: makedumpfile Failed.",
        "export.kdump.makedumpfile.left_out: 12 left out that -d 31 must keep: 0x2090000"};
    EXPECT_EQ(lab::cell_status("sysrq", "pseries", "linux-source-7.2", failed, &why), "known");
    EXPECT_NE(why.find("bookworm's makedumpfile 1.7.2"), std::string::npos);
    EXPECT_NE(why.find("makedumpfile 1.7.8"), std::string::npos);
    EXPECT_EQ(why.find("makedumpfile 1.7.8"), why.rfind("makedumpfile 1.7.8"));  // named once
    // On 6.12 neither applies.
    EXPECT_EQ(lab::cell_status("sysrq", "pseries", "linux-source-6.12", failed, &why), "fail");
    // One of them explained, the other not: a failure.
    EXPECT_EQ(lab::cell_status("sysrq", "pseries", "linux-source-7.2",
                               {failed[1], "export.kdump.makedumpfile.kept_pages: 3 differ"}, &why),
              "fail");
}

TEST(MatrixReport, HtmlShowsEveryCellAndEscapes)
{
    const auto m = nlohmann::json::parse(R"json({
      "started": "2026-12-02T03:00:00Z", "wall_s": 100.0, "jobs": 2, "capture": "raw", "out_dir": "/x",
      "machines": ["pseries", "powernv10"], "kernels": ["linux-source-6.12"],
      "scenarios": [{"name": "sysrq", "summary": "s"}, {"name": "bootargs-append", "summary": "b"}],
      "cells": [
        {"scenario": "sysrq", "machine": "pseries", "kernel": "linux-source-6.12", "status": "pass",
         "wall_s": 50.0, "run_dir": "/x/runs/a", "failed": [],
         "report": {"phases_s": {"boot_to_registered": 1.5, "crash": 20.0}}},
        {"scenario": "sysrq", "machine": "powernv10", "kernel": "linux-source-6.12", "status": "fail",
         "wall_s": 60.0, "run_dir": "/elsewhere/b", "failed": ["crash.bt_a: <pid> & \"x\""], "report": {}},
        {"scenario": "bootargs-append", "machine": "powernv10", "kernel": "linux-source-6.12", "status": "n/a"}
      ]})json");
    const std::string h = lab::matrix_html(m);
    EXPECT_NE(h.find("<td class=\"pass\""), std::string::npos);
    EXPECT_NE(h.find("<td class=\"fail\""), std::string::npos);
    EXPECT_NE(h.find("<td class=\"na\">n/a</td>"), std::string::npos);
    EXPECT_NE(h.find("crash.bt_a: &lt;pid&gt; &amp; &quot;x&quot;"), std::string::npos);
    EXPECT_EQ(h.find("<pid>"), std::string::npos);
    EXPECT_NE(h.find("href=\"runs/a\""), std::string::npos);  // under the matrix: relative
    EXPECT_NE(h.find("href=\"file:///elsewhere/b\""), std::string::npos);
    EXPECT_NE(h.find("title=\"boot_to_registered 1.5 s\""), std::string::npos);
    // bootargs-append x pseries has no cell yet: an empty one, not a crash.
    EXPECT_NE(h.find("<td class=\"pending\"></td>"), std::string::npos);
}

// Matrix machines may carry a memory shape, which reaches each cell's run.

// makedumpfile 1.7.8's 7.2 dumps that crash cannot even start on (seen in
// the full matrix of 2026-12-06): the checks that needed crash are known
// only with the start's own failure explained.
TEST(MatrixReport, ChecksCrashNeverRanAreKnownOnlyWithItsStartExplained)
{
    const std::vector<std::string> after = {
        "export.kdump.crash.bt_a: crash did not run (see export.kdump.crash.open)",
        "export.kdump.crash.log: crash did not run (see export.kdump.crash.open)",
        "export.kdump.crash.ps: crash did not run (see export.kdump.crash.open)",
        "export.kdump.crash.kmem: crash did not run (see export.kdump.crash.open)",
        "export.kdump.makedumpfile.left_out: no crash view of the pages (see makedumpfile.crash.open)",
        "export.kdump.makedumpfile.free_left_out: no crash view of the pages (see makedumpfile.crash.open)"};
    auto with = [&after](const std::string& open) {
        auto v = after;
        v.insert(v.begin(), "export.kdump.crash.open: " + open);
        return v;
    };
    std::string why;
    const auto stack = with(
        "crash exited 1: WARNING: SLUB: cannot determine how compound pages are linked\n\n\n"
        "crash: read of stack at c000000004210000 failed\n");
    EXPECT_EQ(lab::cell_status("hotplug-cpu", "pseries", "linux-source-7.2", stack, &why), "known");
    EXPECT_NE(why.find("makedumpfile 1.7.8 (sid's"), std::string::npos) << why;
    EXPECT_NE(why.find("crash could not start"), std::string::npos) << why;
    EXPECT_EQ(lab::cell_status("hotplug-cpu", "pseries", "linux-source-6.12", stack, &why), "fail");
    const auto mask = with("crash exited 1: WARNING: cannot read cpu_online_map\n");
    EXPECT_EQ(lab::cell_status("4k-pages", "pseries", "linux-source-7.2", mask, &why), "known");
    EXPECT_NE(why.find("__cpu_online_mask"), std::string::npos) << why;
    EXPECT_EQ(lab::cell_status("sysrq", "pseries", "linux-source-7.2", mask, &why), "fail");
    EXPECT_EQ(lab::cell_status("hotplug-cpu", "pseries", "linux-source-7.2",
                               with("crash exited 139: Segmentation fault"), &why),
              "fail");
    // An S0 dump: crash stops looking for the panic task, saying nothing.
    const auto s0 = with("crash exited 1: WARNING: SLUB: cannot determine how compound pages are linked\n\n");
    for (const char* scenario : {"sbe-s0", "host-s0"}) {
        EXPECT_EQ(lab::cell_status(scenario, "powernv10", "linux-source-7.2", s0, &why), "known");
        EXPECT_NE(why.find("determining panic task"), std::string::npos) << why;
        EXPECT_EQ(lab::cell_status(scenario, "powernv10", "linux-source-6.12", s0, &why), "fail");
    }
    EXPECT_EQ(lab::cell_status("sysrq", "powernv10", "linux-source-7.2", s0, &why), "fail");
}

// A shard's matrix.json is read back as it is: a report that is no object,
// no excerpt, or a line that is no string.
TEST(MatrixReport, ConsoleExcerptOfAnyReport)
{
    EXPECT_TRUE(lab::console_excerpt_of(nlohmann::json::array()).empty());
    EXPECT_TRUE(lab::console_excerpt_of(nlohmann::json::object()).empty());
    const nlohmann::json report = {{"console_excerpt", {"Performing MPIPL", 42, "plain boot: no dump"}}};
    EXPECT_EQ(lab::console_excerpt_of(report),
              (std::vector<std::string>{"Performing MPIPL", "42", "plain boot: no dump"}));
}
