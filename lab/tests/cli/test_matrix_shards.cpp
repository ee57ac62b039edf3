// The matrix in shards: K/N parsed, cells split deterministically and
// balanced by their measured times, every cell in exactly one shard, and
// the shards merged back into the matrix one run would have written.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "matrix_shards.hpp"

namespace {

using nlohmann::json;

// A matrix of 2 kernels x 2 machines x 4 scenarios, as run_matrix writes
// it; "only-pnv" is n/a on pseries, sbe on pseries 7.2 is known, and the
// wall times differ from cell to cell.
json full_matrix()
{
    json m = {{"started", "2026-12-05T10:00:00Z"},
              {"wall_s", 400.0},
              {"jobs", 2},
              {"capture", "raw"},
              {"machines", {"pseries", "powernv10"}},
              {"kernels", {"linux-source-6.12", "linux-source-7.2"}},
              {"scenarios", json::array()},
              {"shard", {{"index", 1}, {"count", 1}}},
              {"cells", json::array()}};
    const std::vector<std::string> scenarios = {"sysrq", "nmi", "only-pnv", "sbe"};
    for (const auto& s : scenarios) {
        m["scenarios"].push_back({{"name", s}, {"summary", s + " summary"}});
    }
    double wall = 30;
    for (const auto& k : m["kernels"]) {
        for (const auto& mach : m["machines"]) {
            for (const auto& s : scenarios) {
                const bool na = s == "only-pnv" && mach == "pseries";
                const bool known = s == "sbe" && mach == "pseries" && k == "linux-source-7.2";
                m["cells"].push_back({{"scenario", s},
                                      {"machine", mach},
                                      {"kernel", k},
                                      {"status", na      ? "n/a"
                                                 : known ? "known"
                                                         : "pass"},
                                      {"wall_s", na ? 0.0 : wall},
                                      {"failed", json::array()},
                                      {"known_reason", known ? "the kernel's" : ""}});
                wall += 7;
            }
        }
    }
    return m;
}

std::vector<std::string> ids_of(const json& m)
{
    std::vector<std::string> ids;
    for (const auto& c : m["cells"]) {
        ids.push_back(lab::matrix_cell_id(c["scenario"], c["machine"], c["kernel"]));
    }
    return ids;
}

// The shards of `m` as `count` runs of --shard K/count would write them.
std::vector<json> split(const json& m, unsigned count)
{
    std::vector<bool> runs;
    for (const auto& c : m["cells"]) {
        runs.push_back(c["status"] != "n/a");
    }
    const auto shard = lab::assign_shards(ids_of(m), runs, lab::cell_times(m), count);
    std::vector<json> out(count, m);
    for (unsigned k = 0; k < count; ++k) {
        out[k]["shard"] = {{"index", k + 1}, {"count", count}};
        out[k]["cells"] = json::array();
    }
    for (size_t i = 0; i < shard.size(); ++i) {
        out[shard[i]]["cells"].push_back(m["cells"][i]);
    }
    return out;
}

}  // namespace

TEST(MatrixShards, KOfN)
{
    auto ok = [](const std::string& t) { return std::get<lab::Shard>(lab::parse_shard(t)); };
    EXPECT_EQ(ok("1/1").count, 1u);
    EXPECT_EQ(ok("3/4").index, 3u);
    EXPECT_EQ(ok("3/4").count, 4u);
    for (const char* bad : {"0/4", "5/4", "1/0", "4", "a/b", "1/257", "-1/2", "1/2/3", " 1/2"}) {
        EXPECT_TRUE(std::holds_alternative<std::string>(lab::parse_shard(bad))) << bad;
    }
}

TEST(MatrixShards, EveryCellOnceBalancedAndTheSameEachTime)
{
    const json m = full_matrix();
    const auto ids = ids_of(m);
    std::vector<bool> runs;
    for (const auto& c : m["cells"]) {
        runs.push_back(c["status"] != "n/a");
    }
    const auto times = lab::cell_times(m);
    EXPECT_EQ(times.size(), 14u);  // the two n/a cells have no time
    const auto a = lab::assign_shards(ids, runs, times, 3);
    EXPECT_EQ(a, lab::assign_shards(ids, runs, times, 3));
    std::vector<double> total(3, 0);
    for (size_t i = 0; i < ids.size(); ++i) {
        ASSERT_LT(a[i], 3u);
        if (!runs[i]) {
            EXPECT_EQ(a[i], 0u) << ids[i];  // n/a cells stay with shard 1
        } else {
            total[a[i]] += times.at(ids[i]);
        }
    }
    // Longest first to the least loaded: no shard exceeds another by more
    // than its longest cell (30..135 s here).
    const auto [lo, hi] = std::minmax_element(total.begin(), total.end());
    EXPECT_LE(*hi - *lo, 135.0);
    EXPECT_GT(*lo, 0.0);
    // Times decide it: reversed times move cells.
    std::map<std::string, double> reversed;
    for (const auto& [id, t] : times) {
        reversed[id] = 200 - t;
    }
    EXPECT_NE(a, lab::assign_shards(ids, runs, reversed, 3));
    // Without times every cell weighs the same: counts differ by at most 1.
    const auto even = lab::assign_shards(ids, runs, {}, 4);
    std::vector<int> n(4, 0);
    for (size_t i = 0; i < ids.size(); ++i) {
        n[even[i]] += runs[i] ? 1 : 0;
    }
    EXPECT_LE(*std::max_element(n.begin(), n.end()) - *std::min_element(n.begin(), n.end()), 1);
    // One shard holds everything.
    const auto one = lab::assign_shards(ids, runs, times, 1);
    EXPECT_TRUE(std::all_of(one.begin(), one.end(), [](unsigned s) { return s == 0; }));
}

TEST(MatrixShards, MergedShardsAreTheMatrixOneRunWrites)
{
    const json m = full_matrix();
    for (unsigned count : {1U, 2U, 3U, 5U, 16U}) {
        auto shards = split(m, count);
        std::reverse(shards.begin(), shards.end());  // the order given does not matter
        auto merged = lab::merge_matrices(shards);
        ASSERT_TRUE(std::holds_alternative<json>(merged)) << std::get<std::string>(merged);
        const auto& j = std::get<json>(merged);
        EXPECT_EQ(j["cells"], m["cells"]) << count;
        EXPECT_EQ(j["machines"], m["machines"]);
        EXPECT_EQ(j["scenarios"], m["scenarios"]);
        EXPECT_EQ(j["merged_shards"]["count"], count);
    }
}

TEST(MatrixShards, AMissingShardFailsItsCellsAndMismatchesAreRefused)
{
    const json m = full_matrix();
    auto shards = split(m, 3);
    auto without = shards;
    const size_t lost = without[1]["cells"].size();
    ASSERT_GT(lost, 0u);
    without.erase(without.begin() + 1);
    auto merged = lab::merge_matrices(without);
    ASSERT_TRUE(std::holds_alternative<json>(merged));
    size_t failed = 0;
    for (const auto& c : std::get<json>(merged)["cells"]) {
        if (c["status"] == "fail") {
            ++failed;
            EXPECT_NE(c["failed"][0].get<std::string>().find("no shard holds this cell (shards given: 1,3 of 3)"),
                      std::string::npos);
        }
    }
    EXPECT_EQ(failed, lost);

    auto why = [](const std::vector<json>& s) {
        auto r = lab::merge_matrices(s);
        return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string("merged");
    };
    EXPECT_NE(why({shards[0], shards[0], shards[2]}).find("given twice"), std::string::npos);
    auto other = shards;
    other[2]["machines"] = {"pseries"};
    EXPECT_NE(why(other).find("machines differ"), std::string::npos);
    other = shards;
    other[2]["shard"]["count"] = 4;
    EXPECT_NE(why(other).find("says 3/4"), std::string::npos);
    other = shards;
    other[2]["cells"].push_back(other[0]["cells"][0]);
    EXPECT_NE(why(other).find("in two shards"), std::string::npos);
    other = shards;
    other[2]["cells"].push_back(
        {{"scenario", "nosuch"}, {"machine", "pseries"}, {"kernel", "linux-source-6.12"}, {"status", "pass"}});
    EXPECT_NE(why(other).find("not one of the matrix's"), std::string::npos);
    EXPECT_NE(why({json::object()}).find("not a matrix.json"), std::string::npos);
    EXPECT_NE(why({}).find("no shard"), std::string::npos);
}
