#include "scenario_steps.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "process.hpp"

namespace fs = std::filesystem;

namespace lab {
namespace {

// Shell-quoted, for the env file /init sources.
std::string quoted(const std::string& s)
{
    std::string out = "'";
    for (const char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// The scenario's shell into `to` (before-crash, before-capture; empty when
// it has none) with every lib/ fragment they may source.
bool copy_scenario_shell(const Scenario& s, const fs::path& to, std::string* error)
{
    for (const auto& [file, as] : {std::pair{s.before_crash, "before-crash"}, {s.before_capture, "before-capture"}}) {
        std::optional<std::string> text = std::string();
        if (!file.empty() && !(text = scenario_shell(file))) {
            *error = "cannot read the scenario's shell " + (fs::path(scenario_shell_dir()) / file).string();
            return false;
        }
        if (!(std::ofstream(to / as) << *text)) {
            *error = "cannot write " + (to / as).string();
            return false;
        }
    }
    std::error_code ec;
    fs::copy(fs::path(scenario_shell_dir()) / "lib", to / "lib", fs::copy_options::recursive, ec);
    if (ec) {
        *error = "cannot copy " + (fs::path(scenario_shell_dir()) / "lib").string() + ": " + ec.message();
        return false;
    }
    return true;
}

}  // namespace

std::string write_scenario_initrd(const Scenario& s, const std::string& base, const std::string& dir,
                                  std::string* error)
{
    const fs::path root = fs::path(dir) / "scenario-root";
    std::error_code ec;
    fs::remove_all(root, ec);
    fs::create_directories(root / "scenario", ec);
    if (ec) {
        *error = "cannot create " + (root / "scenario").string() + ": " + ec.message();
        return {};
    }
    {
        std::ofstream env(root / "scenario" / "env");
        env << "SCENARIO=" << quoted(s.name) << "\n"
            << "REGISTER=" << (s.fadump_arg.empty() ? 0 : 1) << "\n"
            << "TRIGGER=" << trigger_name(s.trigger) << "\n"
            << "CAPTURE_CRASH=" << (s.capture_crash ? 1 : 0) << "\n";
        if (!env) {
            *error = "cannot write the scenario's env file";
            return {};
        }
    }
    if (!copy_scenario_shell(s, root / "scenario", error)) {
        return {};
    }
    const std::string archive = (fs::path(dir) / "scenario.cpio").string();
    std::string out;
    // cpio reads the file list on stdin: a shell pipes it.
    const int rc = run_command(
        {"sh", "-c", "cd \"$1\" && find scenario | cpio -o -H newc --quiet > \"$2\"", "sh", root.string(), archive},
        &out, 60);
    if (rc != 0) {
        *error = "cpio failed: " + out;
        return {};
    }
    std::string initrd = (fs::path(dir) / "initrd.img").string();
    std::ifstream in(base, std::ios::binary);
    std::ofstream o(initrd, std::ios::binary | std::ios::trunc);
    o << in.rdbuf();
    // Each archive starts 4-byte aligned (init/initramfs.c skips zeros).
    const auto size = static_cast<uint64_t>(o.tellp());
    for (uint64_t i = size; i % 4 != 0; ++i) {
        o.put('\0');
    }
    std::ifstream a(archive, std::ios::binary);
    o << a.rdbuf();
    if (!in || !a || !o) {
        *error = "cannot write " + initrd;
        return {};
    }
    fs::remove_all(root, ec);
    return initrd;
}

std::vector<std::vector<std::string>> split_boots(const std::vector<std::string>& lines)
{
    static const std::regex stamp(R"(\[\s*(\d+)\.(\d+)\] )");
    std::vector<std::vector<std::string>> boots(1);
    bool later = false;  // a stamp after zero seen in this boot
    for (const auto& l : lines) {
        // The lab's console.log prefixes its own "[ seconds.mmm] ": the
        // kernel's stamp is the one with microseconds.
        std::optional<bool> zero;
        for (auto it = std::sregex_iterator(l.begin(), l.end(), stamp); it != std::sregex_iterator(); ++it) {
            const std::string frac = (*it)[2];
            if (frac.size() == 6) {
                zero = (*it)[1] == "0" && frac == "000000";
                break;
            }
        }
        if (zero && *zero && later) {
            boots.emplace_back();
            later = false;
        }
        if (zero && !*zero) {
            later = true;
        }
        boots.back().push_back(l);
    }
    return boots;
}

std::vector<std::string> platform_events(std::istream& qemu_log)
{
    std::vector<std::string> out;
    for (std::string l; std::getline(qemu_log, l);) {
        if (l.find("spapr_fadump_") != std::string::npos || l.find("pnv_mpipl_") != std::string::npos ||
            l.find("fadump_preserve") != std::string::npos || l.find("fadump_moves") != std::string::npos ||
            l.find("fadump_export_") != std::string::npos || l.find("fadump_ksm") != std::string::npos ||
            l.find("vhost_dev_st") != std::string::npos) {
            out.push_back(l);
        }
    }
    return out;
}

void check_preservation(const std::vector<std::string>& events, bool zero_copy, Report& r)
{
    static const std::regex line(
        R"(fadump_preserve 0x[0-9a-f]+ -> 0x[0-9a-f]+ \(0x([0-9a-f]+) bytes\): (move|copy) ?(.*)$)");
    uint64_t moved = 0;
    uint64_t copied = 0;
    std::map<std::string, uint64_t> copy_reasons;  // why -> bytes
    for (const auto& e : events) {
        std::smatch m;
        if (!std::regex_search(e, m, line)) {
            continue;
        }
        const uint64_t len = std::stoull(m[1].str(), nullptr, 16);
        if (m[2].str() == "move") {
            moved += len;
        } else {
            copied += len;
            copy_reasons[m[3].str()] += len;
        }
    }
    if (moved + copied == 0) {
        r.skip("qemu.preservation", "no fadump_preserve trace line: nothing was preserved");
        return;
    }
    r.facts["preservation"] = {{"moved_bytes", moved}, {"copied_bytes", copied}};
    std::string detail = "moved " + std::to_string(moved) + " bytes, copied " + std::to_string(copied);
    for (const auto& [why, bytes] : copy_reasons) {
        detail += "; " + std::to_string(bytes) + " copied: " + (why.empty() ? "(no reason given)" : why);
    }
    const std::string off = "x-fadump-zero-copy=off";
    if (zero_copy) {
        const bool switched_off = copy_reasons.contains(off);
        r.expect(
            "qemu.preservation", !switched_off,
            (switched_off ? "zero-copy is QEMU's default but ranges were copied because it was off: " : "") + detail);
    } else {
        r.expect("qemu.preservation", moved == 0,
                 (moved != 0 ? "x-fadump-zero-copy=off but pages were moved: " : "") + detail);
    }
}

void check_scenario_console(const Scenario& s, const std::string& machine,
                            const std::vector<std::vector<std::string>>& boots, Report& r,
                            const std::optional<std::vector<std::string>>& trace)
{
    const std::string platform = machine.rfind("powernv", 0) == 0 ? "powernv" : "pseries";
    for (const auto& e : s.expect) {
        if (!e.platform.empty() && e.platform != platform) {
            continue;
        }
        const std::string name = "scenario." + e.name;
        if (e.platform_trace && !trace) {
            r.skip(name, "no trace of the platform's events (not our QEMU)");
            continue;
        }
        const auto& lines = e.platform_trace ? *trace : (e.boot < boots.size() ? boots[e.boot] : boots.front());
        if (!e.platform_trace && e.boot >= boots.size()) {
            r.fail(name,
                   fmt::format("the console shows {} boot(s), the expectation is about boot {}", boots.size(), e.boot));
            continue;
        }
        const std::regex want(e.regex);
        const std::optional<std::regex> unwanted =
            e.absent_regex.empty() ? std::nullopt : std::optional(std::regex(e.absent_regex));
        unsigned count = 0;
        std::string first, bad;
        for (const auto& l : lines) {
            if (std::regex_search(l, want)) {
                first = first.empty() ? l : first;
                ++count;
            }
            if (unwanted && bad.empty() && std::regex_search(l, *unwanted)) {
                bad = l;
            }
        }
        const std::string where = e.platform_trace ? "the platform's trace" : fmt::format("boot {}", e.boot);
        if (!bad.empty()) {
            r.fail(name, fmt::format("{} shows /{}/: {}", where, e.absent_regex, bad));
        } else if (count < e.min_count) {
            r.fail(name, fmt::format("{}: {} line(s) match /{}/, {} expected ({})", where, count, e.regex, e.min_count,
                                     e.why));
        } else {
            r.pass(name, fmt::format("{}: {}{}{}", e.why, first, count > 1 ? fmt::format(" ({} lines)", count) : "",
                                     unwanted ? fmt::format("; nothing matches /{}/", e.absent_regex) : ""));
        }
    }
}

nlohmann::json scenario_reports(const std::vector<std::string>& first_boot)
{
    nlohmann::json j = nlohmann::json::object();
    static const std::regex report(R"(FADUMP-LAB: report (\S+) ?(.*?)\s*$)");
    static const std::regex region(R"(FADUMP-LAB: region (.*?)\s*$)");
    for (const auto& l : first_boot) {
        std::smatch m;
        if (std::regex_search(l, m, report)) {
            j[m[1].str()] = m[2].str();
        } else if (std::regex_search(l, m, region)) {
            j["regions"].push_back(m[1].str());
        }
    }
    return j;
}

}  // namespace lab
