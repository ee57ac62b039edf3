#include "cycle_internal.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "stop_signal.hpp"

namespace lab::cycle_internal {

void progress(const std::string& msg)
{
    std::cerr << "fadump-lab: " << msg << std::endl;
}

std::string first_line(const std::string& s)
{
    return s.substr(0, s.find('\n'));
}

std::string last_line_with(const std::vector<std::string>& lines, const std::string& needle)
{
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {  // NOLINT(modernize-loop-convert): backwards
        if (const auto p = it->find(needle); p != std::string::npos) {
            return it->substr(p);
        }
    }
    return {};
}

void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines)
{
    std::ofstream f(path);
    for (const auto& l : lines) {
        f << l << "\n";
    }
}

int stopped(Report& r, const std::string& where)
{
    const int sig = stop_signal();
    r.fail("lab.stopped", fmt::format("stopped by {} while {}", signal_name(sig), where));
    return 128 + sig;
}

}  // namespace lab::cycle_internal
