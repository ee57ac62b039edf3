// Report::merge: a proof run beside another into its own report.
#include <gtest/gtest.h>

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
