#include "matrix.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <list>
#include <map>

#include "artifacts.hpp"
#include "matrix_junit.hpp"
#include "matrix_report.hpp"
#include "memory_shape.hpp"
#include "process.hpp"
#include "run_options.hpp"
#include "scenarios.hpp"
#include "stop_signal.hpp"

namespace fs = std::filesystem;

namespace lab {
namespace {

void progress(const std::string& msg)
{
    std::cerr << "fadump-lab matrix: " << msg << std::endl;
}

std::string now_utc()
{
    char buf[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

nlohmann::json to_json(const CellResult& c)
{
    return {{"scenario", c.scenario},         {"machine", c.machine}, {"kernel", c.kernel},   {"status", c.status},
            {"exit_code", c.exit_code},       {"wall_s", c.wall_s},   {"run_dir", c.run_dir}, {"failed", c.failed},
            {"known_reason", c.known_reason}, {"resumed", c.resumed}, {"report", c.report}};
}

struct Cell {  // NOLINT(bugprone-exception-escape): as CellResult (matrix.hpp)
    CellResult result;
    std::string id;
    uint64_t mem = 0;  // guest RAM it takes
};

// The guest RAM a cell's run takes (its scenario's -m, else the default).
uint64_t cell_mem(const Scenario& s)
{
    const auto m = mem_bytes(s.mem.empty() ? RunOptions{}.mem : s.mem);
    return m.value_or(2ULL << 30) + s.added_ram_bytes;
}

// The cell's result from what its run left: the report, the exit code.
void finish(Cell& c, const std::string& report_path, int status, double wall)
{
    auto& r = c.result;
    r.wall_s = wall;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream f(report_path);
    r.report = nlohmann::json::parse(f, nullptr, false);
    if (r.report.is_discarded() || !r.report.is_object()) {
        r.report = nlohmann::json::object();
        r.failed.push_back(fmt::format("lab.report: no report from the run (exit code {})", r.exit_code));
    } else {
        for (const auto& ch : r.report.value("checks", nlohmann::json::array())) {
            if (ch.value("result", "") == "fail") {
                r.failed.push_back(ch.value("name", "?") + ": " + ch.value("detail", ""));
            }
        }
        r.run_dir = r.report.value("run_dir", "");
    }
    if (r.exit_code != 0 && r.failed.empty()) {
        r.failed.push_back(fmt::format("lab.exit: the run exited {} without a failed check", r.exit_code));
    }
    r.status = cell_status(r.scenario, r.machine, r.kernel, r.failed, &r.known_reason);
}

// A failed cell's other failed checks (its line shows the first; QEMU's
// guest errors are among them) and its console on the dump's path (its
// report's console_excerpt), under its line: a CI log keeps them when the
// run's directory is gone with the machine.
void print_excerpt(const CellResult& r)
{
    constexpr size_t MORE_CHECKS = 10;
    for (size_t i = 1; i < r.failed.size() && i <= MORE_CHECKS; ++i) {
        std::cerr << "    also failed: " << r.failed[i].substr(0, 300) << "\n";
    }
    for (const auto& l : console_excerpt_of(r.report)) {
        std::cerr << "    | " << l << "\n";
    }
    std::cerr << std::flush;
}

}  // namespace

ScaleSize scale_size(const std::string& machine)
{
    if (machine == "pseries") {
        return {"64G", "32"};
    }
    return {"32G", "8,sockets=2,cores=2,threads=2"};
}

const std::vector<std::string>& scale_machines()
{
    static const std::vector<std::string> machines = {"pseries+scale", "powernv10+scale"};
    return machines;
}

std::variant<MatrixMachine, std::string> parse_matrix_machine(const std::string& text)
{
    MatrixMachine m;
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
        const size_t plus = text.find('+', start);
        parts.push_back(text.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
        if (plus == std::string::npos) {
            break;
        }
        start = plus + 1;
    }
    m.machine = parts[0];
    if (!machine_names().contains(m.machine)) {
        std::vector<std::string> known;
        for (const auto& [name, value] : machine_names()) {
            known.push_back(name);
        }
        return fmt::format("no machine {} ({}, each with +numaN, +BACKEND and +scale)", text, fmt::join(known, ", "));
    }
    const auto& backends = memory_backends();
    for (size_t i = 1; i < parts.size(); ++i) {
        const std::string& p = parts[i];
        if (p.rfind("numa", 0) == 0 && p.size() > 4 && m.numa == 0) {
            const std::string n = p.substr(4);
            if (n.size() != 1 || n[0] < '2' || n[0] > '8') {
                return fmt::format("{}: {} wants 2 to 8 NUMA nodes", text, p);
            }
            m.numa = static_cast<unsigned>(n[0] - '0');
        } else if (m.backend.empty() && std::find(backends.begin(), backends.end(), p) != backends.end()) {
            m.backend = p;
        } else if (p == "scale" && !m.scale) {
            m.scale = true;
        } else {
            return fmt::format("{}: {} is not +numaN (2 to 8), a backend ({}) or +scale, or is given twice", text, p,
                               fmt::join(backends, ", "));
        }
    }
    if (m.numa > 0 && m.machine != "pseries") {
        return fmt::format("{}: QEMU's PowerNV machines have no NUMA", text);
    }
    return m;
}

namespace {

// The scenarios to run: those named, or every one (nullopt after saying
// which name is unknown).
std::optional<std::vector<const Scenario*>> choose_scenarios(const MatrixOptions& opt)
{
    std::vector<const Scenario*> chosen;
    if (opt.scenarios.empty()) {
        for (const auto& s : scenarios()) {
            chosen.push_back(&s);
        }
    }
    for (const auto& name : opt.scenarios) {
        const auto* s = find_scenario(name);
        if (s == nullptr) {
            std::cerr << "fadump-lab matrix: no scenario " << name << "\n";
            return std::nullopt;
        }
        chosen.push_back(s);
    }
    return chosen;
}

// Every cell, kernel by machine by scenario ("n/a" where the scenario does
// not run on the machine).
std::vector<Cell> plan_cells(const MatrixOptions& opt, const std::vector<const Scenario*>& chosen,
                             const std::map<std::string, MatrixMachine>& shapes)
{
    std::vector<Cell> cells;
    for (const auto& k : opt.kernels) {
        for (const auto& m : opt.machines) {
            for (const auto* s : chosen) {
                Cell c;
                c.result.scenario = s->name;
                c.result.machine = m;
                c.result.kernel = k;
                c.id = matrix_cell_id(s->name, m, k);
                const MatrixMachine& shape = shapes.at(m);
                c.mem = shape.scale ? mem_bytes(scale_size(shape.machine).mem).value_or(0) : cell_mem(*s);
                const bool debian_cell = s->name == "sysrq" && shape.machine == "pseries";  // what --guest debian runs
                if (!s->runs_on(shape.machine) || (opt.guest == Guest::Debian && (!debian_cell || shape.scale)) ||
                    (shape.scale && s->name != "sysrq")) {
                    c.result.status = "n/a";
                }
                cells.push_back(std::move(c));
            }
        }
    }
    return cells;
}

// The (kernel package, page size) pairs the cells that run need built.
std::map<std::pair<std::string, std::string>, bool> needed_kernels(const std::vector<Cell>& cells)
{
    std::map<std::pair<std::string, std::string>, bool> kernels;
    for (const auto& c : cells) {
        if (c.result.status != "n/a") {
            kernels[{c.result.kernel, find_scenario(c.result.scenario)->page_size}] = true;
        }
    }
    return kernels;
}

// Passed, known and failed cells; failed is any status but pass, known and
// n/a (a cell that never finished included).
struct Tally {
    size_t passed = 0, known = 0, failed = 0;
    void add(const std::string& status)
    {
        passed += status == "pass";
        known += status == "known";
        failed += status != "pass" && status != "known" && status != "n/a";
    }
};

// The artefacts every cell shares, made once and one at a time (two cells
// must not build the same kernel at once). 0, or the matrix's exit code.
int prepare_artefacts(const MatrixOptions& opt, const std::map<std::pair<std::string, std::string>, bool>& kernels,
                      bool scale)
{
    setenv("FADUMP_LIB", engine_library().c_str(), 0);
    std::vector<std::pair<std::string, std::vector<std::string>>> setup = {
        {"build-qemu", {"--qemu-version", to_string(opt.qemu_version)}},
        {"fetch-firmware", {}},
        {"build-initramfs", {"base"}},
        {"fetch-crash", {}}};
    if (opt.capture == Capture::Makedumpfile || scale) {  // scale cells capture with it
        setup.push_back({"build-initramfs", {"makedumpfile"}});
    }
    const bool debian = opt.guest == Guest::Debian;
    if (debian) {
        setup.push_back({"build-guest", {"debian", DEBIAN_GUEST_SUITE}});
    }
    for (const auto& [k, _] : kernels) {
        setup.push_back({"build-kernel", {k.first, k.second, debian ? "distro" : "lab"}});
    }
    for (const auto& [script, args] : setup) {
        std::string what = script;
        for (const auto& a : args) {
            what += " " + a;
        }
        progress("preparing: " + what);
        std::string err;
        if (!run_script(script, &err, args)) {
            if (stop_signal() != 0) {
                return 128 + stop_signal();
            }
            std::cerr << "fadump-lab matrix: " << what << " failed:\n" << err << "\n";
            return 1;
        }
    }
    return 0;
}

// --resume: a cell whose report from an earlier run passed (or failed only
// for a known reason) is taken as it is, with its wall time from the last
// matrix.json. Returns how many were kept.
size_t resume_cells(const fs::path& out, std::vector<Cell>& cells)
{
    std::ifstream f(out / "matrix.json");
    const auto earlier_wall = cell_times(nlohmann::json::parse(f, nullptr, false));  // cell id -> seconds
    size_t resumed = 0;
    for (auto& c : cells) {
        const fs::path report = out / "cells" / (c.id + ".json");
        if (c.result.status == "n/a" || !fs::exists(report)) {
            continue;
        }
        Cell earlier = c;
        finish(earlier, report.string(), 0, 0);
        if (earlier.result.status == "pass" || earlier.result.status == "known") {
            const auto w = earlier_wall.find(c.id);
            earlier.result.wall_s =
                w != earlier_wall.end()
                    ? w->second
                    : earlier.result.report.value("phases_s", nlohmann::json::object()).value("total", 0.0);
            earlier.result.resumed = true;
            c = std::move(earlier);
            ++resumed;
        }
    }
    return resumed;
}

// matrix.json, its page and, when asked, its JUnit XML.
void write_outputs(const nlohmann::json& j, const fs::path& out, const std::string& junit)
{
    std::ofstream(out / "matrix.json") << j.dump(1) << "\n";
    std::ofstream(out / "matrix.html") << matrix_html(j);
    if (!junit.empty()) {
        std::ofstream(junit) << matrix_junit(j);
    }
}

// Keeps this shard's cells (all of them for 1/1); false when the times
// file is unreadable JSON.
bool keep_shard(const MatrixOptions& opt, std::vector<Cell>& cells)
{
    if (opt.shard.count <= 1) {
        return true;
    }
    std::map<std::string, double> times;
    if (std::ifstream f(opt.times_file); f) {
        const auto j = nlohmann::json::parse(f, nullptr, false);
        if (j.is_discarded()) {
            std::cerr << "fadump-lab matrix: --times " << opt.times_file << " is not JSON\n";
            return false;
        }
        times = cell_times(j);
    }
    std::vector<std::string> ids;
    std::vector<bool> runs;
    for (const auto& c : cells) {
        ids.push_back(c.id);
        runs.push_back(c.result.status != "n/a");
    }
    const auto shard = assign_shards(ids, runs, times, opt.shard.count);
    std::vector<Cell> mine;
    for (size_t i = 0; i < cells.size(); ++i) {
        if (shard[i] + 1 == opt.shard.index) {
            mine.push_back(std::move(cells[i]));
        }
    }
    cells = std::move(mine);
    progress(fmt::format("shard {}/{}: {} cell(s), balanced by {} measured time(s) from {}", opt.shard.index,
                         opt.shard.count, cells.size(), times.size(), opt.times_file));
    return true;
}

// The matrix so far: matrix.json and its page.
void write_matrix(const MatrixOptions& opt, const fs::path& out, const std::string& started,
                  std::chrono::steady_clock::time_point t0, const std::vector<const Scenario*>& chosen,
                  const std::vector<Cell>& cells)
{
    nlohmann::json j = {{"started", started},
                        {"wall_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()},
                        {"jobs", opt.jobs},
                        {"out_dir", out.string()},
                        {"capture", to_string(opt.capture)},
                        {"guest", to_string(opt.guest)},
                        {"machines", opt.machines},
                        {"kernels", opt.kernels},
                        {"shard", {{"index", opt.shard.index}, {"count", opt.shard.count}}},
                        {"cells", nlohmann::json::array()}};
    nlohmann::json names = nlohmann::json::array();
    for (const auto* s : chosen) {
        names.push_back({{"name", s->name}, {"summary", s->summary}});
    }
    j["scenarios"] = names;
    for (const auto& c : cells) {
        j["cells"].push_back(to_json(c.result));
    }
    write_outputs(j, out, opt.junit);
}

}  // namespace

std::vector<std::string> cell_argv(const MatrixOptions& opt, const MatrixMachine& shape, const std::string& scenario,
                                   const std::string& kernel, const std::string& runs_dir, const std::string& report)
{
    std::vector<std::string> argv = {opt.self,          "run",
                                     "--machine",       shape.machine,
                                     "--scenario",      scenario,
                                     "--kernel-source", kernel,
                                     "--capture",       to_string(shape.scale ? Capture::Makedumpfile : opt.capture),
                                     "--guest",         to_string(opt.guest),
                                     "--qemu-version",  to_string(opt.qemu_version),
                                     "--timeout",       fmt::format("{}", opt.timeout_s),
                                     "--out-dir",       runs_dir,
                                     "--report",        report};
    if (shape.numa > 0) {
        argv.insert(argv.end(), {"--numa", std::to_string(shape.numa)});
    }
    if (!shape.backend.empty()) {
        argv.insert(argv.end(), {"--memory-backend", shape.backend});
    }
    if (shape.scale) {
        const ScaleSize size = scale_size(shape.machine);
        argv.insert(argv.end(), {"--mem", size.mem, "--smp", size.smp});
    }
    return argv;
}

int run_matrix(const MatrixOptions& opt)
{
    const auto chosen = choose_scenarios(opt);
    if (!chosen) {
        return 2;
    }
    std::map<std::string, MatrixMachine> shapes;
    for (const auto& m : opt.machines) {
        auto parsed = parse_matrix_machine(m);
        if (const auto* why = std::get_if<std::string>(&parsed)) {
            std::cerr << "fadump-lab matrix: " << *why << "\n";
            return 2;
        }
        shapes[m] = std::get<MatrixMachine>(parsed);
    }
    const fs::path out = fs::absolute(opt.out_dir);
    fs::create_directories(out / "cells");
    const auto t0 = std::chrono::steady_clock::now();
    const std::string started = now_utc();
    std::vector<Cell> cells = plan_cells(opt, *chosen, shapes);
    if (!keep_shard(opt, cells)) {
        return 2;
    }
    const bool scale = std::any_of(shapes.begin(), shapes.end(), [](const auto& s) { return s.second.scale; });
    if (const int rc = prepare_artefacts(opt, needed_kernels(cells), scale); rc != 0) {
        return rc;
    }
    if (opt.resume) {
        if (const size_t resumed = resume_cells(out, cells); resumed != 0) {
            progress(fmt::format("--resume: {} cell(s) kept from earlier runs", resumed));
        }
    }
    auto write = [&] { write_matrix(opt, out, started, t0, *chosen, cells); };

    struct Running {
        size_t cell;
        Child child;
        std::chrono::steady_clock::time_point start;
    };
    std::list<Running> running;  // Child cannot be move-assigned: no vector
    size_t next = 0;
    uint64_t mem_in_use = 0;
    const unsigned jobs = std::max(1U, opt.jobs);
    auto pending = [&] {
        while (next < cells.size() && (cells[next].result.status == "n/a" || cells[next].result.resumed)) {
            ++next;
        }
        return next < cells.size();
    };
    while ((pending() || !running.empty()) && stop_signal() == 0) {
        while (pending() && running.size() < jobs &&
               (running.empty() || mem_in_use + cells[next].mem <= opt.mem_budget)) {
            auto& c = cells[next];
            const fs::path report = out / "cells" / (c.id + ".json");
            fs::remove(report);
            const auto argv = cell_argv(opt, shapes.at(c.result.machine), c.result.scenario, c.result.kernel,
                                        (out / "runs").string(), report.string());
            std::string err;
            auto child = Child::spawn(argv, (out / "cells" / (c.id + ".log")).string(), false, &err);
            if (!child) {
                c.result.status = "fail";
                c.result.failed.push_back("lab.start: " + err);
                ++next;
                continue;
            }
            progress(fmt::format("started {} ({} running)", c.id, running.size() + 1));
            mem_in_use += c.mem;
            running.push_back(Running{next, std::move(*child), std::chrono::steady_clock::now()});
            ++next;
        }
        for (auto it = running.begin(); it != running.end();) {
            int status = 0;
            if (!it->child.wait_exit(0.2, &status)) {
                ++it;
                continue;
            }
            auto& c = cells[it->cell];
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->start).count();
            finish(c, (out / "cells" / (c.id + ".json")).string(), status, wall);
            progress(fmt::format("{}: {} in {:.0f} s{}", c.id, c.result.status, wall,
                                 c.result.failed.empty() ? "" : " (" + c.result.failed.front().substr(0, 120) + ")"));
            if (c.result.status == "fail") {
                print_excerpt(c.result);
            }
            mem_in_use -= c.mem;
            it = running.erase(it);
            write();
        }
    }
    if (stop_signal() != 0) {
        running.clear();  // each Child stops its run (SIGTERM: the run stops its QEMU)
        write();
        return 128 + stop_signal();
    }
    write();
    Tally tally;
    for (const auto& c : cells) {
        tally.add(c.result.status);
    }
    progress(fmt::format("{} passed, {} known, {} failed in {:.0f} s: {}", tally.passed, tally.known, tally.failed,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                         (out / "matrix.html").string()));
    return tally.failed == 0 ? 0 : 1;
}

int merge_matrix(const MergeOptions& opt)
{
    std::vector<nlohmann::json> shards;
    for (const auto& d : opt.shard_dirs) {
        std::ifstream f(fs::path(d) / "matrix.json");
        auto j = nlohmann::json::parse(f, nullptr, false);
        if (!f || j.is_discarded()) {
            std::cerr << "fadump-lab matrix merge: no readable matrix.json in " << d << "\n";
            return 2;
        }
        shards.push_back(std::move(j));
    }
    auto merged = merge_matrices(shards);
    if (const auto* why = std::get_if<std::string>(&merged)) {
        std::cerr << "fadump-lab matrix merge: " << *why << "\n";
        return 2;
    }
    auto& j = std::get<nlohmann::json>(merged);
    const fs::path out = fs::absolute(opt.out_dir);
    fs::create_directories(out);
    j["out_dir"] = out.string();
    write_outputs(j, out, opt.junit);
    Tally tally;
    for (const auto& c : j["cells"]) {
        tally.add(c.value("status", ""));
    }
    std::cerr << fmt::format("fadump-lab matrix merge: {} shard(s), {} passed, {} known, {} failed: {}\n",
                             shards.size(), tally.passed, tally.known, tally.failed, (out / "matrix.html").string());
    return tally.failed == 0 ? 0 : 1;
}

}  // namespace lab
