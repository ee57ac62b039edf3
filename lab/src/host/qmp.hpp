// A QMP client for the lab: QEMU's machine protocol over a Unix socket
// (docs/interop/qmp-spec.rst): the greeting, qmp_capabilities, then one
// command at a time; asynchronous events in between are kept, not answers.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lab {

class Qmp {
public:
    /// Connects to the socket QEMU serves (-qmp unix:PATH,server=on,wait=off),
    /// retrying until `timeout_s`; reads the greeting and enters command
    /// mode. nullopt with `error` set when it cannot.
    static std::optional<Qmp> connect(const std::string& path, double timeout_s, std::string* error);
    Qmp(Qmp&& o) noexcept;
    Qmp& operator=(Qmp&&) = delete;
    Qmp(const Qmp&) = delete;
    ~Qmp();

    /// Sends one command (a JSON object with "execute") and waits up to
    /// `timeout_s` for its answer: the "return" value, or nullopt with
    /// `error` holding QEMU's error class and description (or why no answer
    /// came).
    std::optional<nlohmann::json> execute(const nlohmann::json& command, double timeout_s, std::string* error);

    /// Reads what QEMU sends for `timeout_s` (at least one poll of the
    /// socket), keeping the events; false with `error` set when the
    /// connection failed.
    bool poll_events(double timeout_s, std::string* error);

    /// Events QEMU sent so far ({"event": ..., "data": ..., "timestamp": ...}).
    [[nodiscard]] const std::vector<nlohmann::json>& events() const { return m_events; }

private:
    explicit Qmp(int fd) : m_fd(fd) {}
    std::optional<nlohmann::json> read_message(double timeout_s, std::string* error);
    int m_fd = -1;
    uint64_t m_next_id = 0;  // each command's "id": a late answer to an earlier one is not taken for it
    std::string m_buffer;
    std::vector<nlohmann::json> m_events;
};

}  // namespace lab
