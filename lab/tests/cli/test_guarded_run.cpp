// The last-resort handler: an exception escaping a command is a failed
// check in a report that is still printed and written, and the exit code
// is non-zero; an unwritable report is its own exit code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "guarded_run.hpp"

namespace {

namespace fs = std::filesystem;

fs::path temp_report()
{
    return fs::temp_directory_path() / ("fadump-guarded-" + std::to_string(getpid()) + ".json");
}

TEST(GuardedRun, AnEscapingExceptionIsAFailedCheckInAWrittenReport)
{
    const fs::path path = temp_report();
    fs::remove(path);
    lab::Report report;
    report.pass("earlier.check", "ran before the exception");
    std::ostringstream out;
    std::ostringstream err;
    const int rc = lab::run_guarded(
        report, path.string(), []() -> int { throw std::out_of_range("stoull"); }, out, err);
    EXPECT_EQ(rc, 1);
    std::ifstream f(path);
    const auto j = nlohmann::json::parse(f);
    fs::remove(path);
    EXPECT_EQ(j["verdict"], "fail");
    ASSERT_EQ(j["checks"].size(), 2u);
    EXPECT_EQ(j["checks"][1]["name"], "lab.internal_error");
    EXPECT_EQ(j["checks"][1]["result"], "fail");
    EXPECT_NE(j["checks"][1]["detail"].get<std::string>().find("stoull"), std::string::npos);
    EXPECT_NE(out.str().find("lab.internal_error"), std::string::npos);
}

TEST(GuardedRun, AnExceptionOfAnyTypeIsCaught)
{
    lab::Report report;
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(lab::run_guarded(
                  report, "", []() -> int { throw 42; }, out, err),
              1);
    ASSERT_EQ(report.checks().size(), 1u);
    EXPECT_EQ(report.checks()[0].name, "lab.internal_error");
}

TEST(GuardedRun, PassingChecksAndAWrittenReportExitZero)
{
    const fs::path path = temp_report();
    lab::Report report;
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(lab::run_guarded(
                  report, path.string(),
                  [&] {
                      report.pass("a", "ok");
                      return 0;
                  },
                  out, err),
              0);
    EXPECT_TRUE(fs::exists(path));
    fs::remove(path);
    EXPECT_TRUE(err.str().empty());
}

TEST(GuardedRun, AnUnwritableReportIsAnError)
{
    for (const std::string& path : {std::string("/dev/full"), (temp_report() / "no-such-dir" / "r.json").string()}) {
        lab::Report report;
        std::ostringstream out;
        std::ostringstream err;
        EXPECT_EQ(lab::run_guarded(
                      report, path,
                      [&] {
                          report.pass("a", "ok");
                          return 0;
                      },
                      out, err),
                  lab::EXIT_REPORT_NOT_WRITTEN)
            << path;
        EXPECT_NE(err.str().find("cannot write the report " + path), std::string::npos) << err.str();
    }
}

}  // namespace
