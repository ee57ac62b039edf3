// Allocation-failure injection for the tests: alloc_fail.cpp replaces the
// global operator new (the library's allocations go through it too), and
// can make the Nth allocation from now throw std::bad_alloc.
#pragma once

#include <cstdint>

namespace fadump::test {

/// Makes the allocation `n` allocations from now (0 = the next one) throw
/// std::bad_alloc; a negative `n` disarms. Not thread-safe (tests only).
void fail_allocation_in(int64_t n);
/// True while an armed failure has not been consumed yet.
bool allocation_failure_pending();

/// Runs `call` once per allocation it makes, failing a different one each
/// time (the 1st, the 2nd, ...), after `setup` with injection off; stops
/// when a run completes without consuming the failure. Returns the number
/// of allocations the successful run made.
template <typename Setup, typename Call>
int64_t fail_each_allocation(Setup setup, Call call)
{
    for (int64_t k = 0;; ++k) {
        setup();
        fail_allocation_in(k);
        call();
        const bool untouched = allocation_failure_pending();
        fail_allocation_in(-1);
        if (untouched) {
            return k;
        }
    }
}

}  // namespace fadump::test
