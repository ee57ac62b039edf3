// Report::merge: a proof run beside another into its own report; a failed
// run's console excerpt in the printed report and the JSON.
#include <gtest/gtest.h>

#include <sstream>

#include "report.hpp"

TEST(Report, MergeAppendsChecksAndMergesFactsKeyByKey)
{
    lab::Report main;
    main.pass("vmcore.elf_header", "ok");
    main.facts["proof_s"]["capture"] = 2.0;
    main.facts["machine"] = "pseries";
    main.phases["crash"] = 1.5;
    lab::Report exported;
    exported.fail("export.written", "refused");
    exported.facts["proof_s"]["export"] = 3.0;
    exported.facts["export_ms"] = 12;
    exported.phases["export.kdump.crash"] = 1.6;
    main.merge(exported);
    ASSERT_EQ(main.checks().size(), 2u);
    EXPECT_EQ(main.checks()[0].name, "vmcore.elf_header");
    EXPECT_EQ(main.checks()[1].name, "export.written");
    EXPECT_FALSE(main.passed());
    EXPECT_EQ(main.facts["proof_s"]["capture"], 2.0);
    EXPECT_EQ(main.facts["proof_s"]["export"], 3.0);
    EXPECT_EQ(main.facts["machine"], "pseries");
    EXPECT_EQ(main.facts["export_ms"], 12);
    EXPECT_EQ(main.phases.at("crash"), 1.5);
    EXPECT_EQ(main.phases.at("export.kdump.crash"), 1.6);
}

TEST(Report, AConsoleExcerptIsPrintedBeforeTheVerdictAndSaved)
{
    lab::Report r;
    r.fail("guest.vmcore_ready", "failure seen after 88.2 s: FADUMP-LAB: plain boot: no dump");
    std::ostringstream none;
    r.print(none);
    EXPECT_EQ(none.str().find("console on the dump's path"), std::string::npos);
    EXPECT_FALSE(r.to_json().contains("console_excerpt"));
    r.console_excerpt = {"Performing MPIPL", "FADUMP-LAB: plain boot: no dump"};
    std::ostringstream out;
    r.print(out);
    const std::string text = out.str();
    const auto at = text.find("  console on the dump's path:\n    | Performing MPIPL\n    | FADUMP-LAB: plain boot");
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_LT(at, text.find("  verdict: FAIL"));
    EXPECT_EQ(r.to_json()["console_excerpt"], nlohmann::json(r.console_excerpt));
}
