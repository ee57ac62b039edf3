// A QEMU's dump, black box: from ibm,os-term with a registered fdm to QEMU's
// RESET event (the dump and the start of the memory-preserving reboot), for
// one RMR section of N MiB into a destination the guest never touched
// (Linux reserves the destination; with fadump=nocma, or on a large guest,
// nothing writes it before the dump). pseries under TCG with the vCPUs held
// (-S); the harness is the guest, over qtest: it fills the section, writes
// the fdm as Linux 6.12 lays it out, registers and calls os-term. Any
// qemu-system-ppc64 with a pseries fadump works (ours, upstream's).
//
// Time: os-term sent (host clock) to the RESET event's timestamp (QEMU's,
// the same clock), manual time, the mean of the iterations. Counters:
// rss_before_mib (QEMU's resident memory once the section is filled, before
// the dump) and rss_growth_mib (after the reset, minus before); and, for a
// QEMU with our glue (its fadump_moves trace), moves_ms (the engine's moves
// at the reset) against bare_mremap_ms: one mremap(MREMAP_DONTUNMAP) of the
// same bytes in the same layout, done by this process in the same
// iteration (an anonymous mapping advised for transparent huge pages as
// QEMU advises guest RAM, the source 2 MiB-aligned as QEMU's RAM block,
// filled; the destination as far past it as the RMR's, untouched), and
// moves_vs_bare, their ratio (issue 22: at most 1.5).
//
//   FADUMP_QEMU=... FADUMP_FIRMWARE=... [FADUMP_MACHINE_OPTS=,x-fadump-zero-copy=off]
//     [FADUMP_QEMU_ARGS="-trace spapr_fadump_* -trace fadump_*"] build/lab/bench/qemu_dump_bench
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fadump/fadump.h"
#include "fake_guest.hpp"
#include "proc_status.hpp"
#include "qmp.hpp"
#include "qtest_child.hpp"

namespace fs = std::filesystem;

namespace {

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
}

std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

double now_s()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// QEMU's resident memory in bytes (/proc/PID/status VmRSS).
double rss_bytes(pid_t pid)
{
    const auto r = lab::resident(pid);
    return r ? static_cast<double>(r->rss) : 0;
}

// One QEMU under qtest (stdin/stdout), with a QMP socket.
class Qemu {
public:
    Qemu(uint64_t ram_mib, const std::string& dir) : m_child(argv(ram_mib, dir), dir + "/stderr.log")
    {
        std::string error;
        if (auto c = lab::Qmp::connect(dir + "/qmp.sock", 30, &error)) {
            m_qmp.emplace(std::move(*c));
        }
    }
    [[nodiscard]] bool ok() const { return m_child.ok() && m_qmp.has_value(); }
    [[nodiscard]] pid_t pid() const { return m_child.pid(); }
    lab::Qmp& qmp() { return *m_qmp; }
    // One qtest command; its answer line ("" when QEMU gave none in 120 s).
    std::string cmd(const std::string& line) { return m_child.cmd(line, 120).value_or(""); }

private:
    static std::vector<std::string> argv(uint64_t ram_mib, const std::string& dir)
    {
        std::vector<std::string> a =
            lab::qtest_argv(env("FADUMP_QEMU"), "pseries,x-vof=on" + env("FADUMP_MACHINE_OPTS"), "tcg",
                            std::to_string(ram_mib) + "M", "1", env("FADUMP_FIRMWARE"), dir + "/qmp.sock");
        a.emplace_back("-S");  // the harness is the guest: no vCPU runs
        for (const char* w : {"-trace", "fadump_moves", "-D"}) {
            a.emplace_back(w);
        }
        a.push_back(dir + "/qemu.log");
        std::istringstream more(env("FADUMP_QEMU_ARGS"));  // e.g. "-trace spapr_fadump_*"
        for (std::string w; more >> w;) {
            a.push_back(w);
        }
        return a;
    }
    lab::QtestChild m_child;
    std::optional<lab::Qmp> m_qmp;
};

// One bare mremap(MREMAP_DONTUNMAP) of `size` filled bytes from offset 0
// to `dst_off` of a fresh anonymous mapping whose start is 2 MiB-aligned
// and advised for huge pages (as QEMU's guest RAM); milliseconds, or -1.
double bare_mremap_ms(uint64_t size, uint64_t dst_off)
{
    constexpr uint64_t HUGE = 2ULL << 20;
    const uint64_t len = dst_off + size + HUGE;
    void* raw = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        return -1;
    }
    auto* base = reinterpret_cast<std::byte*>((reinterpret_cast<uintptr_t>(raw) + HUGE - 1) & ~(HUGE - 1));
    ::madvise(base, dst_off + size, MADV_HUGEPAGE);
    std::memset(base, 0x5a, size);
    const auto t0 = std::chrono::steady_clock::now();
    constexpr int DONTUNMAP = 4;  // MREMAP_DONTUNMAP, Linux 5.7
    void* r = ::mremap(base, size, size, MREMAP_MAYMOVE | MREMAP_FIXED | DONTUNMAP, base + dst_off);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ::munmap(raw, len);
    return r == MAP_FAILED ? -1 : ms;
}

// The engine's moves as our glue traces them (fadump_moves moved N bytes in
// T ns), summed over QEMU's log; -1 when the QEMU traces none (upstream's).
double traced_moves_ms(const fs::path& log)
{
    static const std::regex moves(R"(fadump_moves moved (\d+) bytes in (\d+) ns)");
    std::ifstream in(log);
    double ms = -1;
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, moves)) {
            ms = std::max(ms, 0.0) + std::stod(m[2]) / 1e6;
        }
    }
    return ms;
}

constexpr uint64_t ARGS = 0x1000;
constexpr uint64_t RETS = 0x1100;
constexpr uint64_t MESSAGE = 0x1200;
constexpr uint64_t FDM = 0x10000;

void os_term_to_reset(benchmark::State& state)
{
    if (env("FADUMP_QEMU").empty() || env("FADUMP_FIRMWARE").empty()) {
        state.SkipWithError("set FADUMP_QEMU and FADUMP_FIRMWARE");
        return;
    }
    const uint64_t size = static_cast<uint64_t>(state.range(0)) << 20;
    const uint64_t cpu = fadump_spapr_cpu_state_size(1);
    // Linux's layout: the CPU state area, then the RMR's copy 64 KiB on.
    const uint64_t dest = size;
    const uint64_t rmr_dest = dest + ((cpu + 0xFFFF) & ~uint64_t{0xFFFF});
    // pseries wants RAM in multiples of 256 MiB.
    const uint64_t ram_mib = (((rmr_dest + size) >> 20) + 256 + 255) / 256 * 256;
    const fs::path dir = fs::temp_directory_path() / ("fadump-bench-" + std::to_string(getpid()));
    double rss_before = 0;
    double rss_growth = 0;
    double moves = 0;
    double bare = 0;
    for (auto _ : state) {
        fs::create_directories(dir);
        fs::remove(dir / "qemu.log");
        Qemu q(ram_mib, dir.string());
        if (!q.ok()) {
            state.SkipWithError(("QEMU did not start (see its stderr in " + dir.string() + ")").c_str());
            return;
        }
        // The section's bytes, as a running kernel leaves them touched.
        if (q.cmd("memset 0x0 " + hex(size) + " 0x5a") != "OK") {
            state.SkipWithError("qtest memset failed");
            return;
        }
        fadump::test::FdmBuilder b;
        b.section(0x0001, 0, cpu, dest).section(0x0002, 0, 0, dest + cpu).section(0x0011, 0, size, rmr_dest);
        std::string bytes;
        for (auto c : b.bytes()) {
            char h[3];
            std::snprintf(h, sizeof h, "%02x", static_cast<unsigned>(c));
            bytes += h;
        }
        q.cmd("write " + hex(FDM) + " " + std::to_string(b.bytes().size()) + " 0x" + bytes);
        q.cmd("writel " + hex(ARGS) + " 1");
        q.cmd("writel " + hex(ARGS + 4) + " " + hex(FDM));
        q.cmd("writel " + hex(ARGS + 8) + " " + hex(b.bytes().size()));
        q.cmd("rtas ibm,configure-kernel-dump 3 " + hex(ARGS) + " 1 " + hex(RETS));
        if (q.cmd("readl " + hex(RETS)) != "OK 0x0000000000000000") {
            state.SkipWithError("the registration failed");
            return;
        }
        rss_before = rss_bytes(q.pid());
        q.cmd("writel " + hex(ARGS) + " " + hex(MESSAGE));
        const double t0 = now_s();
        q.cmd("rtas ibm,os-term 1 " + hex(ARGS) + " 1 " + hex(RETS));
        double reset = 0;
        std::string error;
        for (int i = 0; i < 600 && reset == 0; ++i) {
            if (!q.qmp().poll_events(0.1, &error)) {
                break;
            }
            for (const auto& e : q.qmp().events()) {
                if (e.value("event", "") == "RESET") {
                    reset =
                        e["timestamp"]["seconds"].get<double>() + e["timestamp"]["microseconds"].get<double>() / 1e6;
                }
            }
        }
        if (reset == 0) {
            state.SkipWithError("no RESET event within 60 s of os-term");
            return;
        }
        rss_growth = rss_bytes(q.pid()) - rss_before;
        // The section's bytes must be at the destination (a dump happened).
        if (q.cmd("readl " + hex(rmr_dest + (size / 2))) != "OK 0x000000005a5a5a5a") {
            state.SkipWithError("the destination does not hold the section after the reset: no dump");
            return;
        }
        state.SetIterationTime(reset - t0);
        state.PauseTiming();
        moves = traced_moves_ms(dir / "qemu.log");
        bare = bare_mremap_ms(size, rmr_dest);
        state.ResumeTiming();
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    state.counters["rss_before_mib"] = rss_before / (1 << 20);
    state.counters["rss_growth_mib"] = rss_growth / (1 << 20);
    if (moves >= 0 && bare > 0) {  // the last iteration's: both measured on the same host state
        state.counters["moves_ms"] = moves;
        state.counters["bare_mremap_ms"] = bare;
        state.counters["moves_vs_bare"] = moves / bare;
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

}  // namespace

BENCHMARK(os_term_to_reset)
    ->Name("BM_OsTermToReset")
    ->Arg(32)
    ->Arg(1024)
    ->Arg(4096)
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
