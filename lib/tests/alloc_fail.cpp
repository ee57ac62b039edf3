// Replaces the global operator new/delete of the test binary so that tests
// can make one allocation fail (alloc_fail.hpp). Every non-aligned form is
// replaced (plain, array, nothrow), all on malloc/free: AddressSanitizer's
// own nothrow form would otherwise pair its allocation with our free.
#include "alloc_fail.hpp"

#include <cstdlib>
#include <new>

namespace {
int64_t g_fail_in = -1;
}

namespace fadump::test {

void fail_allocation_in(int64_t n)
{
    g_fail_in = n < 0 ? -1 : n;
}
bool allocation_failure_pending()
{
    return g_fail_in >= 0;
}

}  // namespace fadump::test

void* operator new(std::size_t n)
{
    if (g_fail_in == 0) {
        g_fail_in = -1;
        throw std::bad_alloc();
    }
    if (g_fail_in > 0) {
        --g_fail_in;
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}

void* operator new[](std::size_t n)
{
    return ::operator new(n);
}

void* operator new(std::size_t n, const std::nothrow_t&) noexcept
{
    try {
        return ::operator new(n);
    } catch (...) {
        return nullptr;
    }
}

void* operator new[](std::size_t n, const std::nothrow_t&) noexcept
{
    return ::operator new(n, std::nothrow);
}

void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept
{
    std::free(p);
}
void operator delete[](void* p) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept
{
    std::free(p);
}
