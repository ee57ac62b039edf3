// What the C boundaries of libfadump (capi.cpp) and of its ground truth
// (truth/capi_truth.cpp) share: the handle types behind the C API's opaque
// pointers and the firewall every entry point runs its body in.
#pragma once

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <string_view>
#include <utility>

#include "fadump/fadump.h"
#include "fadump/opal/mpipl.hpp"
#include "fadump/papr/spapr_fadump.hpp"

struct FadumpSpapr {
    fadump::papr::SpaprFadump engine;
};

struct FadumpMpipl {
    fadump::opal::Mpipl engine;
};

namespace fadump::capi {

// Writes `a` then `b` into msg as one NUL-terminated line, truncated to
// msg_len. Takes views so that reporting an error never allocates (and so
// never throws).
inline void put_msg(char* msg, size_t msg_len, std::string_view a, std::string_view b = {}) noexcept
{
    if (msg == nullptr || msg_len == 0) {
        return;
    }
    const size_t na = std::min(a.size(), msg_len - 1);
    const size_t nb = std::min(b.size(), msg_len - 1 - na);
    if (na != 0) {
        std::memcpy(msg, a.data(), na);
    }
    if (nb != 0) {
        std::memcpy(msg + na, b.data(), nb);
    }
    msg[na + nb] = '\0';
}

// The firewall every entry point runs its body in: an exception (an
// allocation failure, a formatting error, a library bug) becomes `on_error`
// and, where the caller gave a buffer, the reason in `msg`.
template <typename R, typename Body>
R firewall(R on_error, char* msg, size_t msg_len, Body&& body) noexcept
{
    try {
        return body();
    } catch (const std::bad_alloc&) {
        put_msg(msg, msg_len, "internal error: out of memory");
    } catch (const std::exception& e) {
        put_msg(msg, msg_len, "internal error: ", e.what());
    } catch (...) {
        put_msg(msg, msg_len, "internal error");
    }
    return on_error;
}

template <typename R, typename Body>
R firewall(R on_error, Body&& body) noexcept
{
    return firewall(on_error, nullptr, 0, std::forward<Body>(body));
}

}  // namespace fadump::capi
