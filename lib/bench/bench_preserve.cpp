// Preservation speed: the engine copying a 1 GiB section (host pointers,
// memmove) against a plain memmove of the same host buffers; and the same
// copy through the bounce-buffer path a VMM without host pointers gets.
// Then a section into a destination the host never touched (what a dump
// often meets: Linux reserves the destination and nothing writes it), copied
// and moved (zero-copy, preserve.hpp), 256 MiB to 4 GiB: time and the
// growth of the process's resident memory (counter rss_growth_mib).
// Run: build/lib/bench/fadump_bench  (reports bytes_per_second)
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <optional>

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

// One fresh guest per iteration: source touched, destination never, in the
// layout a dump meets in QEMU: guest RAM advised for transparent huge pages
// (as QEMU advises it), the destination 64 KiB past a 2 MiB boundary
// relative to the source (Linux puts the RMR's copy after the CPU state
// area), so page tables cannot move whole and THPs are split. The guest is
// made and freed with the timer paused (freeing 1 GiB of pages costs more
// than moving them). `bare`: one mremap(MREMAP_DONTUNMAP) of the same
// page-aligned middle instead of the engine, the floor it is held to.
void fresh_preserve(benchmark::State& state, bool move, bool bare = false)
{
    const uint64_t size = static_cast<uint64_t>(state.range(0)) << 20;
    constexpr uint64_t HUGE = 2ULL << 20;
    constexpr uint64_t SKEW = 64ULL << 10;
    const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    double growth = 0;
    std::optional<test::FakeGuest> g;
    for (auto _ : state) {
        state.PauseTiming();
        g.reset();
        g.emplace(2 * size + 2 * HUGE + SKEW);
        // The source from the first 2 MiB boundary of the allocation.
        const uint64_t src = (HUGE - reinterpret_cast<uintptr_t>(g->at(0)) % HUGE) % HUGE;
        const uint64_t dst = src + size + HUGE + SKEW;
        ::madvise(g->at(src), dst + size - src, MADV_HUGEPAGE);
        std::memset(g->at(src), 0x5A, size);
        g->movable = move ? page : 0;
        const uint64_t before = rss_bytes();
        state.ResumeTiming();
        if (bare) {
            benchmark::DoNotOptimize(detail::move_pages(g->at(src), g->at(dst), size));
        } else {
            benchmark::DoNotOptimize(preserve_range(*g, GuestAddr{src}, GuestAddr{dst}, ByteLen{size},
                                                    move ? MovePolicy::allow() : MovePolicy::copy("bench")));
        }
        state.PauseTiming();
        growth = static_cast<double>(rss_bytes()) - static_cast<double>(before);
        state.ResumeTiming();
    }
    g.reset();  // the loop ended: not timed
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
void BM_BareMremapIntoUntouched(benchmark::State& state)
{
    fresh_preserve(state, true, true);
}

}  // namespace

BENCHMARK(BM_CopyIntoUntouched)->Arg(256)->Arg(1024)->Arg(4096)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MoveIntoUntouched)->Arg(256)->Arg(1024)->Arg(4096)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BareMremapIntoUntouched)->Arg(256)->Arg(1024)->Arg(4096)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlainMemmove)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_EnginePreserve)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_EnginePreserveBounce)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_MAIN();
