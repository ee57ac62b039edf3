#include "qmp.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace lab {
namespace {

using Clock = std::chrono::steady_clock;

// read_message's error when nothing came in time (poll_events expects it).
constexpr const char* NO_ANSWER = "no answer from QMP in time";

template <class TimePoint>
double left(TimePoint deadline)
{
    return std::chrono::duration<double>(deadline - Clock::now()).count();
}

}  // namespace

std::optional<Qmp> Qmp::connect(const std::string& path, double timeout_s, std::string* error)
{
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) {
        *error = "QMP socket path too long: " + path;
        return std::nullopt;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    std::string last;
    do {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            *error = std::string("socket: ") + std::strerror(errno);
            return std::nullopt;
        }
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
            Qmp q(fd);
            const auto greeting = q.read_message(left(deadline), error);
            if (!greeting) {
                return std::nullopt;
            }
            if (!greeting->contains("QMP")) {
                *error = "no QMP greeting: " + greeting->dump();
                return std::nullopt;
            }
            if (!q.execute({{"execute", "qmp_capabilities"}}, left(deadline), error)) {
                return std::nullopt;
            }
            return q;
        }
        last = std::strerror(errno);
        ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (Clock::now() < deadline);
    *error = "cannot connect to QMP at " + path + ": " + last;
    return std::nullopt;
}

Qmp::Qmp(Qmp&& o) noexcept : m_fd(o.m_fd), m_buffer(std::move(o.m_buffer)), m_events(std::move(o.m_events))
{
    o.m_fd = -1;
}

Qmp::~Qmp()
{
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::optional<nlohmann::json> Qmp::read_message(double timeout_s, std::string* error)
{
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        if (const auto nl = m_buffer.find('\n'); nl != std::string::npos) {
            const std::string line = m_buffer.substr(0, nl);
            m_buffer.erase(0, nl + 1);
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_discarded() || !j.is_object()) {
                *error = "QEMU sent a line that is no JSON object: " + line.substr(0, 200);
                return std::nullopt;
            }
            return j;
        }
        const double rest = left(deadline);
        if (rest <= 0) {
            *error = NO_ANSWER;
            return std::nullopt;
        }
        pollfd p{m_fd, POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(rest * 1000) + 1);
        if (n < 0 && errno != EINTR) {
            *error = std::string("poll: ") + std::strerror(errno);
            return std::nullopt;
        }
        if (n <= 0) {
            continue;
        }
        char buf[4096];
        const ssize_t got = ::read(m_fd, buf, sizeof buf);
        if (got <= 0) {
            *error = got == 0 ? "QEMU closed the QMP socket" : std::string("read: ") + std::strerror(errno);
            return std::nullopt;
        }
        m_buffer.append(buf, static_cast<size_t>(got));
    }
}

bool Qmp::poll_events(double timeout_s, std::string* error)
{
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        std::string e;
        auto m = read_message(std::max(left(deadline), 0.001), &e);
        if (!m) {
            if (e == NO_ANSWER) {
                return true;
            }
            *error = e;
            return false;
        }
        if (m->contains("event")) {
            m_events.push_back(std::move(*m));
        }
    }
}

std::optional<nlohmann::json> Qmp::execute(const nlohmann::json& command, double timeout_s, std::string* error)
{
    nlohmann::json tagged = command;
    const uint64_t id = ++m_next_id;
    tagged["id"] = id;
    const std::string text = tagged.dump() + "\n";
    size_t sent = 0;
    while (sent < text.size()) {
        const ssize_t n = ::send(m_fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            *error = std::string("cannot send to QMP: ") + std::strerror(errno);
            return std::nullopt;
        }
        sent += static_cast<size_t>(n);
    }
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        auto m = read_message(left(deadline), error);
        if (!m) {
            return std::nullopt;
        }
        if (m->contains("event")) {
            m_events.push_back(std::move(*m));
            continue;
        }
        if (m->contains("id") && (*m)["id"] != nlohmann::json(id)) {
            continue;  // the answer to an earlier command that timed out
        }
        if (m->contains("return")) {
            return (*m)["return"];
        }
        if (m->contains("error")) {
            const auto& e = (*m)["error"];
            *error = e.value("class", std::string("?")) + ": " + e.value("desc", std::string("?"));
            return std::nullopt;
        }
        *error = "unexpected QMP message: " + m->dump();
        return std::nullopt;
    }
}

}  // namespace lab
