// The lab's report: named checks with pass/fail/skip and detail, phase
// times, and the facts of the run; printed for people and saved as JSON.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lab {

enum class Verdict { Pass, Fail, Skip };

struct Check {
    std::string name;
    Verdict verdict;
    std::string detail;
};

class Report {
public:
    void add(std::string name, Verdict v, std::string detail);
    void pass(std::string name, std::string detail) { add(std::move(name), Verdict::Pass, std::move(detail)); }
    void fail(std::string name, std::string detail) { add(std::move(name), Verdict::Fail, std::move(detail)); }
    void skip(std::string name, std::string detail) { add(std::move(name), Verdict::Skip, std::move(detail)); }
    void expect(std::string name, bool ok, std::string detail)
    {
        add(std::move(name), ok ? Verdict::Pass : Verdict::Fail, std::move(detail));
    }

    /// Appends `other`'s checks after this report's, and merges its facts
    /// (objects key by key, RFC 7396) and phases.
    void merge(const Report& other);

    /// True when at least one check ran and none failed.
    [[nodiscard]] bool passed() const;
    [[nodiscard]] const std::vector<Check>& checks() const { return m_checks; }

    nlohmann::json facts = nlohmann::json::object();  // machine, versions, paths...
    std::map<std::string, double> phases;             // seconds
    /// A failed run's console lines on the dump's path (dump_path_excerpt,
    /// checks/console_values.hpp): printed after the checks, saved as
    /// "console_excerpt"; empty when the run passed.
    std::vector<std::string> console_excerpt;

    [[nodiscard]] nlohmann::json to_json() const;
    void print(std::ostream& out) const;

private:
    std::vector<Check> m_checks;
};

const char* to_string(Verdict v);

/// Writes `report` as JSON to `path`; false with `error` set ("cannot write
/// the report PATH: reason") when the file cannot be written completely.
bool write_report(const Report& report, const std::string& path, std::string* error);

}  // namespace lab
