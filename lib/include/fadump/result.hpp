// Errors as values for libfadump.
//
// Errc maps 1:1 to the status codes of the firmware interface the guest sees:
// the RTAS status of ibm,configure-kernel-dump (LoPAR "ibm,configure-kernel-dump"
// call table: 0, -1, -2, -3, -9, -10). Every failing path returns exactly one
// Error carrying the code and a human-readable message meant for a
// LOG_GUEST_ERROR line; nothing in the library throws on guest input.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace fadump {

/// Architected status codes (RTAS; LoPAR table "ibm,configure-kernel-dump").
enum class Errc : int32_t {
    Success = 0,
    HardwareError = -1,
    Busy = -2,
    ParamError = -3,
    DumpAlreadyRegistered = -9,
    DumpActive = -10,
};

/// A failure: the architected code plus a message for the log.
struct Error {
    Errc code;
    std::string message;
};

/// Builds an Error; `fail(Errc::ParamError, "section 3: ...")`.
[[nodiscard]] inline Error fail(Errc code, std::string message)
{
    return Error{code, std::move(message)};
}

/// Minimal expected-like holder (std::expected is C++23).
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : m_v(std::move(error)) {}  // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] T& value() & { return std::get<0>(m_v); }
    [[nodiscard]] const T& value() const& { return std::get<0>(m_v); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(m_v)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    [[nodiscard]] const Error& error() const { return std::get<1>(m_v); }
    [[nodiscard]] Errc code() const { return ok() ? Errc::Success : error().code; }

private:
    std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_err(std::move(error)), m_failed(true) {}  // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] const Error& error() const { return m_err; }
    [[nodiscard]] Errc code() const { return m_failed ? m_err.code : Errc::Success; }

private:
    Error m_err{Errc::Success, {}};
    bool m_failed = false;
};

}  // namespace fadump
