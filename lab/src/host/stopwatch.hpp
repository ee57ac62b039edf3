// Wall time on the steady clock, in seconds: how the lab times its phases,
// proofs and checks (report facts proof_s, vmcore_check_s, ...).
#pragma once

#include <chrono>

namespace lab {

/// Started when made; seconds() since then, lap() since the last lap (or
/// the start) and restarts there.
class Stopwatch {
public:
    [[nodiscard]] double seconds() const { return since(m_start); }
    double lap()
    {
        const auto now = Clock::now();
        const double s = std::chrono::duration<double>(now - m_lap).count();
        m_lap = now;
        return s;
    }

private:
    using Clock = std::chrono::steady_clock;
    static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
    Clock::time_point m_start = Clock::now();
    Clock::time_point m_lap = m_start;
};

}  // namespace lab
