#include "matrix_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace lab {
namespace {

std::string html_escape(const std::string& s)
{
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace

// makedumpfile 1.7.8 over Linux 7.2's dump (the export's, host-side; the
// capture kernel's /proc/vmcore is the same bytes), seen here on 2026-12-06
// on pseries (12-14 pages) and powernv10 (20 pages).
const char* const MAKEDUMPFILE_7_2_USER_PAGES =
    "makedumpfile 1.7.8 (sid's, the newest) on Linux 7.2 says \"The kernel version is not supported.\" and "
    "its -d 8 (user pages) leaves out about a dozen pages that are no user pages: crash's kmem -p shows their "
    "struct page mapping as ffffffff (no anon_vma pointer; flags decode as locked/writeback), and one is "
    "a task's kernel stack (crash's bt then says \"read of stack at c000000002390000 failed\"). -d 2 and "
    "-d 16 alone pass every check on the same export; the export itself equals the capture kernel's "
    "/proc/vmcore byte for byte and passes every check. On 6.12 -d 31 passes. powernv10 on 7.2 fails the "
    "same check the same way (20 pages; its export equals /proc/vmcore but in skiboot's memory).";

// The same makedumpfile on a 4 KiB-page Linux 7.2, seen here on
// 2026-12-06 (4k-pages.pseries.7.2, 4k-pages.powernv10.7.2).
const char* const MAKEDUMPFILE_7_2_CACHE_PAGES =
    "makedumpfile 1.7.8 on a 4 KiB-page Linux 7.2 leaves out the kernel data page holding __cpu_online_mask "
    "(physical 0xa08000 on pseries, value 3 in the export): the struct page it reads for that page holds no page "
    "state (crash's kmem -p shows mapping fb610048fb410040, flags lru/active/writeback), so -d 2 and -d 4 drop it "
    "as page cache. crash then cannot start on the -d 31 dump (\"cannot read cpu_online_map\"); in the same "
    "export -d 1, -d 8 and -d 16 keep the page (crash rd reads 3), and the export itself passes every check.";

// The same makedumpfile's -d 8 on an S0 dump of Linux 7.2 (no panic task:
// crash looks for one among every task), seen here on 2026-12-06
// (sbe-s0.powernv10.7.2 and host-s0.powernv10.7.2, in two full matrices).
const char* const MAKEDUMPFILE_7_2_USER_PAGES_S0 =
    "makedumpfile 1.7.8 on Linux 7.2 (\"The kernel version is not supported.\") over an S0 dump: crash 9.0.2 stops "
    "while \"determining panic task\" (an S0 dump has none) and exits 1 from main.c's setjmp(pc->main_loop_env) "
    "without a message, only its SLUB warning printed. On the same export, makedumpfile -c -d 1, -d 2, -d 4 and "
    "-d 16 each give a dump crash starts on; -d 8 (user pages) alone does not: the pages -d 8 wrongly leaves out "
    "on 7.2 (MAKEDUMPFILE_7_2_USER_PAGES: task stacks among them). The export equals the capture kernel's "
    "/proc/vmcore and passes every check; crash reads the raw vmcore of the same run.";

// crash could not start on the export's filtered dump: the checks that
// read crash's view of it did not run. Known only where that start is.
const char* const CRASH_DID_NOT_START =
    "crash could not start on the export's filtered dump (export.kdump.crash.open, explained by its own reason), "
    "so the checks that read crash's view of that dump did not run.";

// crash 9.0.2 on a kdump-compressed fadump dump with offline CPUs, seen
// here on 2026-12-06 (smt.pseries.6.12).
const char* const CRASH_KDUMP_OFFLINE_CPUS =
    "With CPUs 1 and 3 offline, crash 9.0.2 reads the export as ELF right (export.* and crash.* pass: its ELF "
    "reader gives the 2 NT_PRSTATUS notes to the online CPUs 0 and 2) but the same dump after makedumpfile -c -d "
    "31 wrong: 'WARNING: pt_regs not available for cpu 2', offline CPU 1 shown with the crashing CPU's registers "
    "(NIP crash_fadump), or CPU 2's registers shown on CPU 1, and 3 backtraces for 2 online CPUs. Its "
    "compressed-kdump reader remaps notes to online CPUs only through the kernel's per-CPU crash_notes buffers "
    "(diskdump.c map_cpus_to_prstatus_kdump_cmprs), which kdump's crash path fills and fadump's does not (its "
    "notes come from the firmware's save area). The notes in the compressed file are the ELF's, byte for byte "
    "(4304 bytes, checked).";

const std::vector<KnownReason>& known_reasons()
{
    static const std::vector<KnownReason> reasons = {
        {.scenarios = {"smt"},
         .machine_prefix = "powernv",
         .checks = {"crash.open", "crash.bt_a", "crash.log", "crash.ps", "crash.kmem", "export.kdump.crash.open",
                    "export.kdump.crash.bt_a", "export.kdump.crash.log", "export.kdump.crash.ps",
                    "export.kdump.crash.kmem"},
         .reason = "Linux's opal-fadump.c writes an NT_PRSTATUS note for every thread of an active core, offline "
                   "threads included (rtas-fadump.c on pseries keeps only the crash-time online CPUs), while crash "
                   "(netdump.c map_cpus_to_prstatus) hands the notes to the online CPUs in order: with threads 1 "
                   "and 3 offline crash shows CPU 2 with CPU 1's registers, and when the panic ran on CPU 2 it "
                   "stops with 'cannot determine NT_PRSTATUS ELF note for panic task'. The dump itself is right: "
                   "4 notes, each equal to the engine's registers (registers.match_ground_truth passes)."},
        {.scenarios = {"4k-pages"},
         .machine_prefix = "powernv",
         .checks = {"memory.pt_load_hashes"},
         .detail_contains = " 1 differ (first at 0x0)",
         .reason = "skiboot writes a free-region header (holding 0x800000000958fc00, the value of the footer it "
                   "writes at the end of RAM) at the first byte after its reservations, ibm,firmware-allocs-memory "
                   "ending at 0x35382000, on every boot, the MPIPL boot included. A 4 KiB-page kernel places its "
                   "dump destination exactly there (64 KiB kernels align past it), so skiboot overwrites the "
                   "first destination page, the copy of physical page 0, after the dump: the vmcore's page 0 "
                   "starts with that header. Only this one page differs."},
        {.scenarios = {"sysrq"},
         .machine_prefix = "pseries",
         .kernel = "linux-source-7.2",
         .checks = {"service.makedumpfile"},
         .detail_contains = "makedumpfile Failed.",
         .reason = "--guest debian on Linux 7.2: bookworm's makedumpfile 1.7.2 cannot read 7.2's struct page "
                   "(\"readmem: type_addr: 0, addr:c00c000000000000\", \"__exclude_unnecessary_pages: Can't read "
                   "the buffer of struct page.\", \"makedumpfile Failed.\") and kdump-tools 1:1.8.1 runs it as "
                   "'makedumpfile -F -c -d 31 /proc/vmcore | compress > dump-incomplete', which takes the "
                   "compressor's (cat's) exit status: it renames the empty file dump.<stamp>, says \"saved vmcore\" "
                   "and never falls back to copying the raw vmcore. The platform's dump is whole: the capture "
                   "kernel's /proc/vmcore held it (vmcore_size), and the export of the same dump passes every "
                   "check (export.*). The configuration that works: MAKEDUMP_ARGS=\"-c -d 1\" (zero pages only, "
                   "no struct page read), --guest-file /etc/default/kdump-tools="
                   "lab/guest/debian/examples/kdump-tools-d1: every check passes (docs/lab.md)."},
        {.scenarios = {"smt"},
         .machine_prefix = "pseries",
         .checks = {"export.kdump.crash.open"},
         .detail_contains = "pt_regs not available for cpu",
         .reason = CRASH_KDUMP_OFFLINE_CPUS},
        {.scenarios = {"smt"},
         .machine_prefix = "pseries",
         .checks = {"export.kdump.crash.bt_a"},
         .detail_contains = "distinct CPUs for 2 online CPUs",
         .reason = CRASH_KDUMP_OFFLINE_CPUS},
        {.kernel = "linux-source-7.2",
         .checks = {"export.kdump.makedumpfile.left_out"},
         .detail_contains = "that -d 31 must keep",
         .reason = MAKEDUMPFILE_7_2_USER_PAGES},
        {.kernel = "linux-source-7.2",
         .checks = {"export.kdump.crash.open", "export.kdump.crash.bt_a"},
         .detail_contains = "read of stack at",
         .reason = MAKEDUMPFILE_7_2_USER_PAGES},
        {.scenarios = {"4k-pages"},
         .kernel = "linux-source-7.2",
         .checks = {"export.kdump.crash.open"},
         .detail_contains = "cannot read cpu_online_map",
         .reason = MAKEDUMPFILE_7_2_CACHE_PAGES},
        {.scenarios = {"sbe-s0", "host-s0"},
         .machine_prefix = "powernv",
         .kernel = "linux-source-7.2",
         .checks = {"export.kdump.crash.open"},
         .detail_contains = "crash exited 1: WARNING: SLUB: cannot determine how compound pages are linked\n\n",
         .reason = MAKEDUMPFILE_7_2_USER_PAGES_S0},
        {.kernel = "linux-source-7.2",
         .checks = {"export.kdump.crash.bt_a", "export.kdump.crash.log", "export.kdump.crash.ps",
                    "export.kdump.crash.kmem"},
         .detail_contains = "crash did not run (see export.kdump.crash.open)",
         .reason = CRASH_DID_NOT_START},
        {.kernel = "linux-source-7.2",
         .checks = {"export.kdump.makedumpfile.left_out", "export.kdump.makedumpfile.free_left_out"},
         .detail_contains = "no crash view of the pages",
         .reason = CRASH_DID_NOT_START},
    };
    return reasons;
}

std::string cell_status(const std::string& scenario, const std::string& machine, const std::string& kernel,
                        const std::vector<std::string>& failed_checks, std::string* reason)
{
    if (failed_checks.empty()) {
        return "pass";
    }
    // Each failed check must be explained by a reason that applies to the
    // cell; the cell's reason is theirs, each named once, in table order.
    std::vector<const KnownReason*> used;
    for (const auto& f : failed_checks) {
        const auto colon = f.find(": ");
        const std::string name = f.substr(0, colon);
        const std::string detail = colon == std::string::npos ? "" : f.substr(colon + 2);
        const KnownReason* why = nullptr;
        for (const auto& k : known_reasons()) {
            const bool covers_scenario =
                k.scenarios.empty() || std::find(k.scenarios.begin(), k.scenarios.end(), scenario) != k.scenarios.end();
            if (!covers_scenario || machine.rfind(k.machine_prefix, 0) != 0 ||
                (!k.kernel.empty() && k.kernel != kernel)) {
                continue;
            }
            if (std::find(k.checks.begin(), k.checks.end(), name) != k.checks.end() &&
                (k.detail_contains.empty() || detail.find(k.detail_contains) != std::string::npos)) {
                why = &k;
                break;
            }
        }
        if (why == nullptr) {
            return "fail";
        }
        if (std::find(used.begin(), used.end(), why) == used.end()) {
            used.push_back(why);
        }
    }
    std::sort(used.begin(), used.end());
    reason->clear();
    for (const auto* k : used) {
        if (reason->find(k->reason) == std::string::npos) {
            *reason += (reason->empty() ? "" : "\n") + k->reason;
        }
    }
    return "known";
}

std::vector<std::string> console_excerpt_of(const nlohmann::json& report)
{
    std::vector<std::string> lines;
    if (!report.is_object()) {
        return lines;
    }
    for (const auto& l : report.value("console_excerpt", nlohmann::json::array())) {
        lines.push_back(l.is_string() ? l.get<std::string>() : l.dump());
    }
    return lines;
}

std::string matrix_html(const nlohmann::json& m)
{
    // Columns: machine x kernel; rows: scenarios.
    std::vector<std::pair<std::string, std::string>> cols;
    for (const auto& k : m.value("kernels", nlohmann::json::array())) {
        for (const auto& mach : m.value("machines", nlohmann::json::array())) {
            cols.emplace_back(mach.get<std::string>(), k.get<std::string>());
        }
    }
    std::map<std::tuple<std::string, std::string, std::string>, const nlohmann::json*> at;
    double longest = 1;
    const nlohmann::json cells = m.value("cells", nlohmann::json::array());  // `at` points into it
    for (const auto& c : cells) {
        at[{c.value("scenario", ""), c.value("machine", ""), c.value("kernel", "")}] = &c;
        longest = std::max(longest, c.value("wall_s", 0.0));
    }
    // The phases drawn as bars, in the order a cycle goes through them.
    const std::vector<std::pair<const char*, const char*>> phases = {{"boot_to_registered", "#6a8caf"},
                                                                     {"crash_to_capture_kernel", "#c98f4a"},
                                                                     {"capture_to_vmcore_ready", "#8fb07a"},
                                                                     {"vmcore_copy_out", "#9c7ab0"},
                                                                     {"crash", "#b0a47a"},
                                                                     {"gdb", "#7ab0aa"}};
    std::string h;
    h += "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>fadump scenario matrix</title>\n<style>\n"
         "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}"
         "th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top}th{background:#eee}"
         "td.pass{background:#d8f0d0}td.fail{background:#f6c9c4}td.known{background:#f8e6b0}"
         "td.na{background:#f4f4f4;color:#999}td.pending{background:#fff}"
         "summary{cursor:pointer;font-weight:bold}.bar{display:flex;height:8px;margin-top:3px;background:#eee}"
         ".bar span{display:block;height:8px}.why{font-size:85%;max-width:40em;white-space:pre-wrap}"
         ".legend span{display:inline-block;width:1em;height:.7em;margin:0 .3em 0 1em}small{color:#555}\n"
         "</style></head><body>\n<h1>fadump scenario matrix</h1>\n";
    h += fmt::format(
        "<p>Started {} UTC; {:.0f} s wall with {} job(s); capture: {}. Click a cell for its failed "
        "checks and phase times; hover for a summary.</p>\n",
        html_escape(m.value("started", "")), m.value("wall_s", 0.0), m.value("jobs", 1),
        html_escape(m.value("capture", "")));
    h += "<p class=\"legend\">";
    for (const auto& [name, color] : phases) {
        h += fmt::format("<span style=\"background:{}\"></span>{}", color, name);
    }
    h += "</p>\n<table>\n<tr><th>scenario</th>";
    for (const auto& [mach, k] : cols) {
        h += fmt::format("<th>{}<br><small>{}</small></th>", html_escape(mach), html_escape(k));
    }
    h += "</tr>\n";
    for (const auto& s : m.value("scenarios", nlohmann::json::array())) {
        const std::string name = s.value("name", "");
        h += fmt::format("<tr><th title=\"{}\">{}</th>", html_escape(s.value("summary", "")), html_escape(name));
        for (const auto& [mach, k] : cols) {
            const auto it = at.find({name, mach, k});
            if (it == at.end()) {
                h += "<td class=\"pending\"></td>";
                continue;
            }
            const auto& c = *it->second;
            std::string status = c.value("status", "");
            if (status.empty()) {
                h += "<td class=\"pending\">running or queued</td>";
                continue;
            }
            if (status == "n/a") {
                h += "<td class=\"na\">n/a</td>";
                continue;
            }
            std::string title = fmt::format("{} in {:.0f} s{}", status, c.value("wall_s", 0.0),
                                            c.value("resumed", false) ? " (kept from an earlier run, --resume)" : "");
            for (const auto& f : c.value("failed", nlohmann::json::array())) {
                title += "\n" + f.get<std::string>().substr(0, 300);
            }
            if (!c.value("known_reason", "").empty()) {
                title += "\nknown: " + c.value("known_reason", "");
            }
            h += fmt::format("<td class=\"{}\" title=\"{}\"><details><summary>{} {:.0f} s</summary>", status,
                             html_escape(title), status, c.value("wall_s", 0.0));
            const auto& report = c.value("report", nlohmann::json::object());
            const auto& ph = report.value("phases_s", nlohmann::json::object());
            h += "<div class=\"bar\">";
            for (const auto& [p, color] : phases) {
                const double v = ph.value(p, 0.0);
                if (v > 0) {
                    h += fmt::format("<span style=\"width:{:.1f}%;background:{}\" title=\"{} {:.1f} s\"></span>",
                                     100.0 * v / longest, color, p, v);
                }
            }
            h += "</div><div class=\"why\">";
            for (const auto& [p, color] : phases) {
                if (ph.contains(p)) {
                    h += fmt::format("{} {:.1f} s\n", p, ph.value(p, 0.0));
                }
            }
            for (const auto& f : c.value("failed", nlohmann::json::array())) {
                h += "FAILED " + html_escape(f.get<std::string>()) + "\n";
            }
            if (!c.value("known_reason", "").empty()) {
                h += "KNOWN: " + html_escape(c.value("known_reason", "")) + "\n";
            }
            for (const auto& l : console_excerpt_of(report)) {
                h += "| " + html_escape(l) + "\n";
            }
            if (std::string dir = c.value("run_dir", ""); !dir.empty()) {
                // Relative when the run is under the matrix's directory, so
                // the page can move with it.
                const std::string base = m.value("out_dir", "") + "/";
                const std::string href = dir.rfind(base, 0) == 0 ? dir.substr(base.size()) : "file://" + dir;
                h += fmt::format("<a href=\"{}\">run directory</a>", html_escape(href));
            }
            h += "</div></details></td>";
        }
        h += "</tr>\n";
    }
    h += "</table>\n</body></html>\n";
    return h;
}

}  // namespace lab
