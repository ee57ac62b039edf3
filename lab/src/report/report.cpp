#include "report.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ostream>

namespace lab {

const char* to_string(Verdict v)
{
    switch (v) {
        case Verdict::Pass:
            return "pass";
        case Verdict::Fail:
            return "fail";
        case Verdict::Skip:
            return "skip";
    }
    return "?";
}

void Report::add(std::string name, Verdict v, std::string detail)
{
    m_checks.push_back(Check{std::move(name), v, std::move(detail)});
}

void Report::merge(const Report& other)
{
    m_checks.insert(m_checks.end(), other.m_checks.begin(), other.m_checks.end());
    facts.merge_patch(other.facts);
    for (const auto& [name, s] : other.phases) {
        phases[name] = s;
    }
    console_excerpt.insert(console_excerpt.end(), other.console_excerpt.begin(), other.console_excerpt.end());
}

bool Report::passed() const
{
    bool any = false;
    for (const auto& c : m_checks) {
        if (c.verdict == Verdict::Fail) {
            return false;
        }
        any = any || c.verdict == Verdict::Pass;
    }
    return any;
}

nlohmann::json Report::to_json() const
{
    nlohmann::json j = facts;
    j["verdict"] = passed() ? "pass" : "fail";
    j["phases_s"] = phases;
    auto& arr = j["checks"] = nlohmann::json::array();
    for (const auto& c : m_checks) {
        arr.push_back({{"name", c.name}, {"result", to_string(c.verdict)}, {"detail", c.detail}});
    }
    if (!console_excerpt.empty()) {
        j["console_excerpt"] = console_excerpt;
    }
    return j;
}

void Report::print(std::ostream& out) const
{
    out << "\n== fadump-lab report ==\n";
    for (const auto& [k, v] : facts.items()) {
        out << fmt::format("  {:<22} {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
    }
    if (!phases.empty()) {
        out << "  phases (s):\n";
        for (const auto& [k, v] : phases) {
            out << fmt::format("    {:<26} {:8.2f}\n", k, v);
        }
    }
    int n_pass = 0;
    int n_fail = 0;
    int n_skip = 0;
    out << "  checks:\n";
    for (const auto& c : m_checks) {
        out << fmt::format("    [{}] {:<30} {}\n", to_string(c.verdict), c.name, c.detail);
        n_pass += c.verdict == Verdict::Pass;
        n_fail += c.verdict == Verdict::Fail;
        n_skip += c.verdict == Verdict::Skip;
    }
    if (!console_excerpt.empty()) {
        out << "  console on the dump's path:\n";
        for (const auto& l : console_excerpt) {
            out << "    | " << l << "\n";
        }
    }
    out << fmt::format("  verdict: {} ({} passed, {} failed, {} skipped)\n", passed() ? "PASS" : "FAIL", n_pass, n_fail,
                       n_skip);
}

bool write_report(const Report& report, const std::string& path, std::string* error)
{
    const std::string text = report.to_json().dump(2) + "\n";
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) {
        *error = "cannot write the report " + path + ": " + std::strerror(errno);
        return false;
    }
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
    const int write_errno = errno;
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed) {
        *error = "cannot write the report " + path + ": " + std::strerror(written ? errno : write_errno);
        return false;
    }
    return true;
}

}  // namespace lab
