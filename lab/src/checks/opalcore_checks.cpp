#include "opalcore_checks.hpp"

#include <fmt/format.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "console_values.hpp"
#include "dump_access.hpp"
#include "process.hpp"

namespace lab {

std::map<uint64_t, std::map<std::string, uint64_t>> parse_gdb_thread_registers(const std::string& text)
{
    // "Thread 2 (LWP 101):" then "pc             0x30011a4c          0x30011a4c".
    const std::regex thread_re(R"(^Thread \d+ \(LWP (\d+)\))");
    const std::regex reg_re(R"(^(\w+)\s+0x([0-9a-fA-F]+)\b)");
    std::map<uint64_t, std::map<std::string, uint64_t>> out;
    std::optional<uint64_t> pid;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        if (std::regex_search(l, m, thread_re)) {
            pid = parse_u64(m[1].str());
            if (pid) {
                out[*pid];
            }
        } else if (pid && std::regex_search(l, m, reg_re)) {
            if (const auto v = parse_u64(m[2].str(), 16)) {
                out[*pid][m[1]] = *v;
            }
        }
    }
    return out;
}

Judgement judge_opalcore_registers(const std::map<uint64_t, std::map<std::string, uint64_t>>& threads,
                                   const fadump::GroundTruthDoc& truth)
{
    std::vector<std::string> bad;
    size_t matched = 0;
    const auto& cpus = truth.cpus;
    for (const auto& c : cpus) {
        const uint64_t pid = uint64_t{c.pir} + 100;
        const auto t = threads.find(pid);
        if (t == threads.end()) {
            bad.push_back(fmt::format("no thread LWP {} (PIR {:#x})", pid, pid - 100));
            continue;
        }
        const std::pair<const char*, uint64_t> want[] = {{"pc", c.nip}, {"lr", c.lr}, {"r1", c.gpr[1]}};
        bool ok = true;
        for (const auto& [name, value] : want) {
            const auto r = t->second.find(name);
            if (r == t->second.end() || r->second != value) {
                ok = false;
                bad.push_back(fmt::format("PIR {:#x} {} {} != {:#x}", pid - 100, name,
                                          r == t->second.end() ? "missing" : fmt::format("{:#x}", r->second), value));
            }
        }
        matched += ok ? 1 : 0;
    }
    if (threads.size() != cpus.size()) {
        bad.push_back(fmt::format("gdb shows {} threads for {} CPUs", threads.size(), cpus.size()));
    }
    if (bad.empty() && matched > 0) {
        return {true, fmt::format("gdb-multiarch reads {} threads; each thread's pc, lr and r1 equal its CPU's "
                                  "registers when the vCPUs stopped",
                                  matched)};
    }
    std::string detail;
    for (size_t i = 0; i < bad.size() && i < 6; ++i) {
        detail += (i ? "; " : "") + bad[i];
    }
    return {false, bad.empty() ? "no thread compared" : detail};
}

void check_opalcore_gdb(const std::string& opalcore, const fadump::GroundTruthDoc& truth, const std::string& out_dir,
                        Report& r)
{
    std::string out;
    const int rc = run_command(
        {"gdb-multiarch", "-nx", "-batch", "-ex", "set pagination off", "-ex", "set architecture powerpc:common64",
         "-ex", "core-file " + opalcore, "-ex", "info threads", "-ex", "thread apply all info registers pc lr r1"},
        &out, 300);
    std::ofstream(out_dir + "/gdb-opalcore.txt") << out;
    if (rc != 0) {
        r.fail("opalcore.gdb_registers", fmt::format("gdb-multiarch exit {} (see gdb-opalcore.txt)", rc));
        return;
    }
    const auto j = judge_opalcore_registers(parse_gdb_thread_registers(out), truth);
    r.expect("opalcore.gdb_registers", j.ok, j.detail);
}

}  // namespace lab
