#include "matrix_junit.hpp"

#include <fmt/format.h>

#include <pugixml.hpp>
#include <sstream>

#include "matrix_report.hpp"

namespace lab {

std::string matrix_junit(const nlohmann::json& matrix)
{
    pugi::xml_document doc;
    auto decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    auto suites = doc.append_child("testsuites");
    auto suite = suites.append_child("testsuite");
    suite.append_attribute("name") = "fadump-lab matrix";
    unsigned tests = 0, failures = 0, skipped = 0;
    double time = 0;
    const nlohmann::json cells = matrix.value("cells", nlohmann::json::array());
    for (const auto& c : cells) {
        if (!c.is_object()) {
            continue;
        }
        const std::string status = c.value("status", "");
        const double wall = c.value("wall_s", 0.0);
        auto tc = suite.append_child("testcase");
        tc.append_attribute("name") = c.value("scenario", "?").c_str();
        tc.append_attribute("classname") =
            fmt::format("{}.{}", c.value("machine", "?"), c.value("kernel", "?")).c_str();
        tc.append_attribute("time") = fmt::format("{:.3f}", wall).c_str();
        ++tests;
        time += wall;
        if (status == "fail") {
            ++failures;
            const nlohmann::json failed = c.value("failed", nlohmann::json::array());
            std::string all;
            for (const auto& f : failed) {
                all += (f.is_string() ? f.get<std::string>() : f.dump()) + "\n";
            }
            const auto excerpt = console_excerpt_of(c.value("report", nlohmann::json::object()));
            if (!excerpt.empty()) {
                all += "console on the dump's path:\n";
                for (const auto& l : excerpt) {
                    all += "| " + l + "\n";
                }
            }
            auto fl = tc.append_child("failure");
            fl.append_attribute("message") =
                failed.empty() || !failed[0].is_string() ? "failed" : failed[0].get<std::string>().c_str();
            fl.text() = all.c_str();
        } else if (status == "known" || status == "n/a") {
            ++skipped;
            const std::string why = status == "known" ? "known, not this project's: " + c.value("known_reason", "")
                                                      : "n/a: the scenario does not run on " + c.value("machine", "?");
            tc.append_child("skipped").append_attribute("message") = why.c_str();
        } else if (status != "pass") {
            ++failures;
            tc.append_child("failure").append_attribute("message") =
                fmt::format("no result (status \"{}\")", status).c_str();
        }
        if (const std::string dir = c.value("run_dir", ""); !dir.empty()) {
            tc.append_child("system-out").text() = ("run directory: " + dir).c_str();
        }
    }
    suite.append_attribute("tests") = tests;
    suite.append_attribute("failures") = failures;
    suite.append_attribute("errors") = 0;
    suite.append_attribute("skipped") = skipped;
    suite.append_attribute("time") = fmt::format("{:.3f}", time).c_str();
    std::ostringstream out;
    doc.save(out, "  ");
    return out.str();
}

}  // namespace lab
