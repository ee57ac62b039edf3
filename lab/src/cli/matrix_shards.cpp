#include "matrix_shards.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>
#include <regex>
#include <set>

namespace lab {
namespace {

constexpr unsigned MAX_SHARDS = 256;
constexpr double UNMEASURED_S = 60;

std::string short_kernel(const std::string& pkg)
{
    const std::string prefix = "linux-source-";
    return pkg.rfind(prefix, 0) == 0 ? pkg.substr(prefix.size()) : pkg;
}

// A shard JSON's K and N (1/1 when it says none).
Shard shard_of(const nlohmann::json& m)
{
    const auto s = m.value("shard", nlohmann::json::object());
    return {s.value("index", 1U), s.value("count", 1U)};
}

// Why the shards are not of one matrix, or "".
std::string mismatch(const std::vector<nlohmann::json>& shards)
{
    const auto& first = shards.front();
    std::set<unsigned> seen;
    for (size_t i = 0; i < shards.size(); ++i) {
        const auto& m = shards[i];
        if (!m.is_object() || !m.contains("cells")) {
            return fmt::format("shard {} of the list is not a matrix.json", i + 1);
        }
        for (const char* key : {"machines", "kernels", "scenarios", "capture"}) {
            if (m.value(key, nlohmann::json()) != first.value(key, nlohmann::json())) {
                return fmt::format("shard {} of the list is of another matrix: its {} differ", i + 1, key);
            }
        }
        const Shard s = shard_of(m);
        if (s.count != shard_of(first).count || s.index < 1 || s.index > s.count) {
            return fmt::format("shard {} of the list says {}/{}, the first {}/{}", i + 1, s.index, s.count,
                               shard_of(first).index, shard_of(first).count);
        }
        if (!seen.insert(s.index).second) {
            return fmt::format("shard {}/{} is given twice", s.index, s.count);
        }
    }
    return {};
}

}  // namespace

std::variant<Shard, std::string> parse_shard(const std::string& text)
{
    std::smatch m;
    if (!std::regex_match(text, m, std::regex(R"((\d{1,3})/(\d{1,3}))"))) {
        return "--shard takes K/N, e.g. 2/4: " + text;
    }
    const unsigned k = static_cast<unsigned>(std::stoul(m[1]));
    const unsigned n = static_cast<unsigned>(std::stoul(m[2]));
    if (n < 1 || n > MAX_SHARDS || k < 1 || k > n) {
        return fmt::format("--shard {}: K must be 1..N and N 1..{}", text, MAX_SHARDS);
    }
    return Shard{k, n};
}

std::string matrix_cell_id(const std::string& scenario, const std::string& machine, const std::string& kernel)
{
    return fmt::format("{}.{}.{}", scenario, machine, short_kernel(kernel));
}

std::map<std::string, double> cell_times(const nlohmann::json& matrix)
{
    std::map<std::string, double> out;
    if (!matrix.is_object()) {
        return out;
    }
    for (const auto& c : matrix.value("cells", nlohmann::json::array())) {
        const auto wall = c.is_object() ? c.value("wall_s", 0.0) : 0.0;
        if (wall > 0) {
            out[matrix_cell_id(c.value("scenario", ""), c.value("machine", ""), c.value("kernel", ""))] = wall;
        }
    }
    return out;
}

std::vector<unsigned> assign_shards(const std::vector<std::string>& ids, const std::vector<bool>& runs,
                                    const std::map<std::string, double>& times, unsigned count)
{
    std::vector<double> measured;
    measured.reserve(times.size());
    for (const auto& [id, t] : times) {
        measured.push_back(t);
    }
    std::sort(measured.begin(), measured.end());
    const double fallback = measured.empty() ? UNMEASURED_S : measured[measured.size() / 2];
    auto weight = [&](size_t i) {
        const auto t = times.find(ids[i]);
        return t != times.end() ? t->second : fallback;
    };
    std::vector<size_t> order;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (runs[i]) {
            order.push_back(i);
        }
    }
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return weight(a) != weight(b) ? weight(a) > weight(b) : ids[a] < ids[b]; });
    std::vector<unsigned> shard(ids.size(), 0);
    std::vector<double> total(std::max(1U, count), 0.0);
    for (const size_t i : order) {
        const auto least = std::min_element(total.begin(), total.end()) - total.begin();
        shard[i] = static_cast<unsigned>(least);
        total[static_cast<size_t>(least)] += weight(i);
    }
    return shard;
}

std::variant<nlohmann::json, std::string> merge_matrices(const std::vector<nlohmann::json>& shards)
{
    if (shards.empty()) {
        return std::string("no shard to merge");
    }
    if (std::string why = mismatch(shards); !why.empty()) {
        return why;
    }
    std::map<std::string, nlohmann::json> by_id;
    std::vector<unsigned> given;
    double wall = 0;
    std::string started = shards.front().value("started", "");
    for (const auto& m : shards) {
        given.push_back(shard_of(m).index);
        wall = std::max(wall, m.value("wall_s", 0.0));
        started = std::min(started, m.value("started", started));
        for (const auto& c : m.at("cells")) {
            const auto id = matrix_cell_id(c.value("scenario", ""), c.value("machine", ""), c.value("kernel", ""));
            if (!by_id.emplace(id, c).second) {
                return fmt::format("cell {} is in two shards", id);
            }
        }
    }
    std::sort(given.begin(), given.end());
    const auto& first = shards.front();
    const unsigned count = shard_of(first).count;
    nlohmann::json out = {{"started", started},
                          {"wall_s", wall},
                          {"jobs", first.value("jobs", 1)},
                          {"capture", first.value("capture", "")},
                          {"machines", first.value("machines", nlohmann::json::array())},
                          {"kernels", first.value("kernels", nlohmann::json::array())},
                          {"scenarios", first.value("scenarios", nlohmann::json::array())},
                          {"merged_shards", {{"count", count}, {"given", given}}},
                          {"cells", nlohmann::json::array()}};
    for (const auto& k : out["kernels"]) {
        for (const auto& mach : out["machines"]) {
            for (const auto& s : out["scenarios"]) {
                const auto scenario = s.value("name", "");
                const auto id = matrix_cell_id(scenario, mach.get<std::string>(), k.get<std::string>());
                auto it = by_id.find(id);
                if (it != by_id.end()) {
                    out["cells"].push_back(it->second);
                    by_id.erase(it);
                    continue;
                }
                out["cells"].push_back({{"scenario", scenario},
                                        {"machine", mach},
                                        {"kernel", k},
                                        {"status", "fail"},
                                        {"exit_code", 0},
                                        {"wall_s", 0.0},
                                        {"failed",
                                         {fmt::format("matrix.merge: no shard holds this cell (shards given: {} of {})",
                                                      fmt::join(given, ","), count)}}});
            }
        }
    }
    if (!by_id.empty()) {
        return fmt::format("cell {} is not one of the matrix's", by_id.begin()->first);
    }
    return out;
}

}  // namespace lab
