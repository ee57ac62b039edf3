// Preservation speed: the engine copying a 1 GiB section (host pointers,
// memmove) against a plain memmove of the same host buffers; and the same
// copy through the bounce-buffer path a VMM without host pointers gets.
// Then a section into a destination the host never touched (what a dump
// often meets: Linux reserves the destination and nothing writes it), copied
// and moved (zero-copy, preserve.hpp), 256 MiB to 4 GiB: time and the
// growth of the process's resident memory (counter rss_growth_mib).
// Run: build/lib/bench/fadump_bench  (reports bytes_per_second)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "fadump/preserve.hpp"
#include "fake_guest.hpp"

using namespace fadump;

namespace {

constexpr uint64_t SECTION = 1ULL << 30;

test::FakeGuest& guest()
{
    // Source at 0, destination at 1 GiB; both touched once so page faults
    // are not measured.
    static test::FakeGuest g = [] {
        test::FakeGuest x(2 * SECTION);
        std::memset(x.at(0), 0x5A, 2 * SECTION);
        return x;
    }();
    return g;
}

void BM_PlainMemmove(benchmark::State& state)
{
    auto& g = guest();
    for (auto _ : state) {
        std::memmove(g.at(SECTION), g.at(0), SECTION);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * SECTION));
}

void BM_EnginePreserve(benchmark::State& state)
{
    auto& g = guest();
    g.give_host_ptr = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(preserve_range(g, GuestAddr{0}, GuestAddr{SECTION}, ByteLen{SECTION}));
        g.dirty.clear();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * SECTION));
}

void BM_EnginePreserveBounce(benchmark::State& state)
{
    auto& g = guest();
    g.give_host_ptr = false;
    for (auto _ : state) {
        benchmark::DoNotOptimize(preserve_range(g, GuestAddr{0}, GuestAddr{SECTION}, ByteLen{SECTION}));
    }
    g.give_host_ptr = true;
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * SECTION));
}

// Resident set size of this process in bytes (/proc/self/statm).
uint64_t rss_bytes()
{
    std::ifstream f("/proc/self/statm");
    uint64_t size = 0;
    uint64_t resident = 0;
    f >> size >> resident;
    return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// One fresh guest per iteration: source touched, destination never.
void fresh_preserve(benchmark::State& state, bool move)
{
    const uint64_t size = static_cast<uint64_t>(state.range(0)) << 20;
    double growth = 0;
    for (auto _ : state) {
        state.PauseTiming();
        test::FakeGuest g(2 * size);
        std::memset(g.at(0), 0x5A, size);
        g.movable = move ? static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
        const uint64_t before = rss_bytes();
        state.ResumeTiming();
        benchmark::DoNotOptimize(preserve_range(g, GuestAddr{0}, GuestAddr{size}, ByteLen{size},
                                                move ? MovePolicy::allow() : MovePolicy::copy("bench")));
        state.PauseTiming();
        growth = static_cast<double>(rss_bytes()) - static_cast<double>(before);
        state.ResumeTiming();
    }
    state.counters["rss_growth_mib"] = growth / (1 << 20);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

void BM_CopyIntoUntouched(benchmark::State& state)
{
    fresh_preserve(state, false);
}
void BM_MoveIntoUntouched(benchmark::State& state)
{
    fresh_preserve(state, true);
}

}  // namespace

BENCHMARK(BM_CopyIntoUntouched)->Arg(256)->Arg(1024)->Arg(4096)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MoveIntoUntouched)->Arg(256)->Arg(1024)->Arg(4096)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlainMemmove)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_EnginePreserve)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_EnginePreserveBounce)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_MAIN();
