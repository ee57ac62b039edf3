// The matrix as JUnit XML, read back with pugixml: a testcase per cell,
// failures with their checks, known and n/a cells skipped, text escaped.
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "matrix_junit.hpp"

TEST(MatrixJunit, EachCellATestcase)
{
    const nlohmann::json m = {
        {"cells",
         {{{"scenario", "sysrq"},
           {"machine", "pseries"},
           {"kernel", "linux-source-6.12"},
           {"status", "pass"},
           {"wall_s", 40.5},
           {"run_dir", "/r/pseries-vof"}},
          {{"scenario", "nmi"},
           {"machine", "powernv10"},
           {"kernel", "linux-source-7.2"},
           {"status", "fail"},
           {"wall_s", 12.25},
           {"failed", {"crash.bt_a: <no frames> & \"NIP\" ?", "memory.pt_load_hashes: 3 differ"}}},
          {{"scenario", "sbe"},
           {"machine", "pseries"},
           {"kernel", "linux-source-7.2"},
           {"status", "known"},
           {"wall_s", 30.0},
           {"known_reason", "makedumpfile 1.7.8 on 7.2"}},
          {{"scenario", "only-pnv"}, {"machine", "pseries"}, {"kernel", "linux-source-6.12"}, {"status", "n/a"}},
          {{"scenario", "gone"}, {"machine", "pseries"}, {"kernel", "linux-source-6.12"}, {"status", ""}}}}};
    pugi::xml_document doc;
    const std::string xml = lab::matrix_junit(m);
    ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
    const auto suite = doc.child("testsuites").child("testsuite");
    EXPECT_STREQ(suite.attribute("name").value(), "fadump-lab matrix");
    EXPECT_EQ(suite.attribute("tests").as_int(), 5);
    EXPECT_EQ(suite.attribute("failures").as_int(), 2);  // the failed cell and the one with no result
    EXPECT_EQ(suite.attribute("skipped").as_int(), 2);
    EXPECT_DOUBLE_EQ(suite.attribute("time").as_double(), 82.75);
    std::vector<pugi::xml_node> cases;
    for (auto tc : suite.children("testcase")) {
        cases.push_back(tc);
    }
    ASSERT_EQ(cases.size(), 5u);
    EXPECT_STREQ(cases[0].attribute("name").value(), "sysrq");
    EXPECT_STREQ(cases[0].attribute("classname").value(), "pseries.linux-source-6.12");
    EXPECT_FALSE(cases[0].child("failure"));
    EXPECT_STREQ(cases[0].child("system-out").text().get(), "run directory: /r/pseries-vof");
    const auto failure = cases[1].child("failure");
    ASSERT_TRUE(failure);
    EXPECT_STREQ(failure.attribute("message").value(), "crash.bt_a: <no frames> & \"NIP\" ?");
    EXPECT_STREQ(failure.text().get(), "crash.bt_a: <no frames> & \"NIP\" ?\nmemory.pt_load_hashes: 3 differ\n");
    EXPECT_NE(xml.find("&lt;no frames&gt; &amp;"), std::string::npos);
    EXPECT_STREQ(cases[2].child("skipped").attribute("message").value(),
                 "known, not this project's: makedumpfile 1.7.8 on 7.2");
    EXPECT_STREQ(cases[3].child("skipped").attribute("message").value(), "n/a: the scenario does not run on pseries");
    EXPECT_TRUE(cases[4].child("failure"));
}

// A failed cell's console on the dump's path follows its checks, so a CI
// engine's test page shows why without the run's directory.
TEST(MatrixJunit, AFailureCarriesTheConsoleExcerpt)
{
    const nlohmann::json m = {
        {"cells",
         {{{"scenario", "reads-in-flight"},
           {"machine", "powernv10"},
           {"kernel", "linux-source-6.12"},
           {"status", "fail"},
           {"failed", {"guest.vmcore_ready: failure seen after 88.2 s: FADUMP-LAB: plain boot: no dump"}},
           {"report",
            {{"console_excerpt",
              {"Reboot: OS reported error. Performing MPIPL", "FADUMP-LAB: plain boot: no dump"}}}}}}}};
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(lab::matrix_junit(m).c_str()));
    EXPECT_STREQ(doc.child("testsuites").child("testsuite").child("testcase").child("failure").text().get(),
                 "guest.vmcore_ready: failure seen after 88.2 s: FADUMP-LAB: plain boot: no dump\n"
                 "console on the dump's path:\n"
                 "| Reboot: OS reported error. Performing MPIPL\n"
                 "| FADUMP-LAB: plain boot: no dump\n");
}
