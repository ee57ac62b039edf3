// The "no guest errors" check sees every LOG_GUEST_ERROR prefix the glue
// uses: the prefixes are read from the glue's sources, so a new one cannot
// slip past the check.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "artifacts.hpp"
#include "guest_errors.hpp"

namespace {

namespace fs = std::filesystem;

std::set<std::string> glue_prefixes()
{
    std::set<std::string> out;
    const std::regex re(R"re(LOG_GUEST_ERROR,\s*"([A-Za-z_-]+):)re");
    for (const auto& e : fs::recursive_directory_iterator(fs::path(lab::built_source_dir()) / "glue/shared")) {
        if (e.path().extension() != ".c") {
            continue;
        }
        std::ifstream f(e.path());
        std::stringstream text;
        text << f.rdbuf();
        const std::string s = text.str();
        for (std::sregex_iterator it(s.begin(), s.end(), re), end; it != end; ++it) {
            out.insert((*it)[1]);
        }
    }
    return out;
}

TEST(GuestErrors, EveryGluePrefixIsSeen)
{
    const auto prefixes = glue_prefixes();
    ASSERT_TRUE(prefixes.contains("fadump")) << "the glue sources were not found";
    ASSERT_TRUE(prefixes.contains("mpipl"));
    for (const auto& p : prefixes) {
        std::istringstream log(p + ": something the guest did wrong\n");
        EXPECT_FALSE(lab::glue_guest_errors(log).empty()) << p;
    }
}

TEST(GuestErrors, OtherDevicesAreNotTheDumps)
{
    std::istringstream log(
        "Invalid read at addr 0x1234, size 4, region '(null)', reason: rejected\n"
        "mpipl: S0 on chip 0 but MPIPL is off\n"
        "fadump: configure-kernel-dump with 2 arguments\n");
    EXPECT_EQ(lab::glue_guest_errors(log),
              "mpipl: S0 on chip 0 but MPIPL is off; fadump: configure-kernel-dump with 2 arguments; ");
    std::istringstream empty("");
    EXPECT_EQ(lab::glue_guest_errors(empty), "");
}

}  // namespace
