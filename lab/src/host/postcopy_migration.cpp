// A postcopy live migration for the lab (postcopy_migration.hpp).
#include "postcopy_migration.hpp"

#include <fmt/format.h>

#include <chrono>

namespace lab {

namespace {

double since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// QMP `command` on `q`; false with `why` naming the command.
bool run(Qmp& q, const nlohmann::json& command, std::string* why)
{
    std::string err;
    if (!q.execute(command, 30, &err)) {
        *why = command.value("execute", std::string("?")) + ": " + err;
        return false;
    }
    return true;
}

// query-migrate's status on `q` (empty with `why` when QMP fails), with the
// error description appended when the migration failed.
std::string migrate_status(Qmp& q, std::string* why)
{
    std::string err;
    const auto st = q.execute({{"execute", "query-migrate"}}, 30, &err);
    if (!st) {
        *why = "query-migrate: " + err;
        return "";
    }
    std::string s = st->value("status", "");
    if (s == "failed") {
        s += ": " + st->value("error-desc", std::string("no reason given"));
    }
    return s;
}

}  // namespace

std::vector<std::string> destination_argv(std::vector<std::string> argv, const std::string& log,
                                          const std::string& qmp_path)
{
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == "-qmp" && !qmp_path.empty()) {
            argv[i + 1] = "unix:" + qmp_path + ",server=on,wait=off";
        } else if (argv[i] == "-D") {
            argv[i + 1] = log;
        }
    }
    return argv;
}

std::vector<std::string> postcopy_destination_argv(const std::vector<std::string>& argv, const std::string& qmp_path,
                                                   const std::string& log, const std::string& uri)
{
    auto dest = destination_argv(argv, log, qmp_path);
    dest.insert(dest.end(), {"-global", "migration.x-postcopy-ram=on", "-incoming", uri});
    return dest;
}

std::optional<Qmp> migrate_postcopy(Child& child, Qmp& source, const PostcopyPlan& plan, double timeout_s,
                                    std::string* why)
{
    const auto t0 = std::chrono::steady_clock::now();
    const nlohmann::json caps = {
        {"execute", "migrate-set-capabilities"},
        {"arguments", {{"capabilities", {{{"capability", "postcopy-ram"}, {"state", true}}}}}}};
    const nlohmann::json params = {{"execute", "migrate-set-parameters"},
                                   {"arguments", {{"max-postcopy-bandwidth", plan.postcopy_bytes_per_s}}}};
    if (!run(source, caps, why) || !run(source, params, why) || !child.hand_over(plan.argv, why)) {
        return std::nullopt;
    }
    auto dest = Qmp::connect(plan.qmp_path, timeout_s, why);
    if (!dest || !run(source, {{"execute", "migrate"}, {"arguments", {{"uri", plan.uri}}}}, why)) {
        return std::nullopt;
    }
    // Postcopy as soon as the migration runs: little of RAM went before.
    std::string status;
    bool asked = false;
    while (since(t0) < timeout_s && status != "postcopy-active") {
        status = migrate_status(source, why);
        if (status.empty()) {
            return std::nullopt;  // `why` says what QMP answered
        }
        if (status.starts_with("failed") || status == "cancelled" || status == "completed") {
            *why = "the migration ended before postcopy ran: " + status;
            return std::nullopt;
        }
        if (status == "active" && !asked) {
            if (!run(source, {{"execute", "migrate-start-postcopy"}}, why)) {
                return std::nullopt;
            }
            asked = true;
        }
        child.wait_for({}, {}, 0.05);  // keeps the console flowing
    }
    while (since(t0) < timeout_s) {
        std::string err;
        const auto st = dest->execute({{"execute", "query-status"}}, 30, &err);
        if (st && st->value("status", "") == "running") {
            return dest;
        }
        child.wait_for({}, {}, 0.05);
    }
    *why = fmt::format("the destination did not run within {:.0f} s (source: {})", timeout_s, status);
    return std::nullopt;
}

}  // namespace lab
