// Preservation speed: the engine copying a 1 GiB section (host pointers,
// memmove) against a plain memmove of the same host buffers; and the same
// copy through the bounce-buffer path a VMM without host pointers gets.
// Run: build/lib/bench/fadump_bench  (reports bytes_per_second)
#include <benchmark/benchmark.h>

#include <cstring>

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

}  // namespace

BENCHMARK(BM_PlainMemmove)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_EnginePreserve)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_EnginePreserveBounce)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_MAIN();
