#include "console_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>

namespace lab {
namespace {

// Lines are quoted in errors, shortened: a garbled console can be long.
std::string quote(const std::string& line)
{
    constexpr size_t MAX = 120;
    return "\"" + (line.size() > MAX ? line.substr(0, MAX) + "..." : line) + "\"";
}

// The largest CPU count a cpus-online list may describe (Linux NR_CPUS on
// ppc64 is at most 8192).
constexpr uint64_t MAX_CPUS = 8192;

}  // namespace

std::optional<uint64_t> parse_u64(std::string_view s, int base)
{
    if (s.empty() || !(std::isxdigit(static_cast<unsigned char>(s.front())))) {
        return std::nullopt;
    }
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

ConsoleValue<uint64_t> last_value(const std::vector<std::string>& lines, const std::string& key)
{
    ConsoleValue<uint64_t> out;
    for (const auto& l : lines) {
        const auto p = l.find(key);
        if (p == std::string::npos) {
            continue;
        }
        const auto start = p + key.size();
        const auto stop = l.find_first_of(" \t", start);
        const std::string_view text =
            std::string_view(l).substr(start, stop == std::string::npos ? stop : stop - start);
        out.value = parse_u64(text);
        out.error = out.value ? "" : fmt::format("{}: not a decimal number in {}", key, quote(l));
    }
    return out;
}

namespace {

// The CPU list after "FADUMP-LAB: cpus-online " in `l` ("0-3,6"), or why
// it is not one.
ConsoleValue<std::vector<unsigned>> parse_cpu_list(const std::string& l, std::string_view list)
{
    std::vector<unsigned> ids;
    size_t pos = 0;
    while (pos <= list.size()) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        const std::string_view part = list.substr(pos, comma - pos);
        const size_t dash = part.find('-');
        const auto lo = parse_u64(part.substr(0, dash));
        const auto hi = dash == std::string_view::npos ? lo : parse_u64(part.substr(dash + 1));
        if (!lo || !hi || *hi < *lo || *hi >= MAX_CPUS || ids.size() + (*hi - *lo + 1) > MAX_CPUS ||
            (!ids.empty() && *lo <= ids.back())) {
            return {std::nullopt, "not a CPU list: " + quote(l)};
        }
        for (uint64_t c = *lo; c <= *hi; ++c) {
            ids.push_back(static_cast<unsigned>(c));
        }
        pos = comma + 1;
    }
    return {std::move(ids), ""};
}

const std::string CPUS_TAG = "FADUMP-LAB: cpus-online ";

}  // namespace

ConsoleValue<std::vector<unsigned>> cpus_online_list(const std::vector<std::string>& lines)
{
    ConsoleValue<std::vector<unsigned>> out;
    for (const auto& l : lines) {
        if (out.value && (l.find("FADUMP-LAB: crashing") != std::string::npos ||
                          l.find("FADUMP-LAB: hanging") != std::string::npos ||
                          l.find("FADUMP-LAB: raising S0") != std::string::npos)) {
            break;  // the first kernel goes down with this set online
        }
        const auto p = l.find(CPUS_TAG);
        if (p == std::string::npos) {
            continue;
        }
        auto list = parse_cpu_list(l, std::string_view(l).substr(p + CPUS_TAG.size()));
        if (!list.value) {
            return list;
        }
        out = std::move(list);
    }
    return out;
}

ConsoleValue<unsigned> cpus_at_boot(const std::vector<std::string>& lines)
{
    for (const auto& l : lines) {
        if (const auto p = l.find(CPUS_TAG); p != std::string::npos) {
            const auto list = parse_cpu_list(l, std::string_view(l).substr(p + CPUS_TAG.size()));
            if (!list.value) {
                return {std::nullopt, list.error};
            }
            return {static_cast<unsigned>(list.value->size()), ""};
        }
    }
    return {};
}

ConsoleValue<unsigned> cpus_online(const std::vector<std::string>& lines)
{
    const auto list = cpus_online_list(lines);
    if (!list.value) {
        return {std::nullopt, list.error};
    }
    return {static_cast<unsigned>(list.value->size()), ""};
}

ConsoleValue<std::vector<std::pair<uint64_t, uint64_t>>> reserved_ranges(const std::vector<std::string>& lines)
{
    ConsoleValue<std::vector<std::pair<uint64_t, uint64_t>>> out;
    const std::string tag = "FADUMP-LAB: reserved-ranges ";
    for (const auto& l : lines) {
        const auto p = l.find(tag);
        if (p == std::string::npos) {
            continue;
        }
        const std::string_view hex = std::string_view(l).substr(p + tag.size());
        if (hex.size() % 32 != 0) {
            return {std::nullopt, "reserved-ranges is not whole 16-byte pairs: " + quote(l)};
        }
        auto& v = out.value ? *out.value : out.value.emplace();
        for (size_t i = 0; i < hex.size(); i += 32) {
            const auto a = parse_u64(hex.substr(i, 16), 16);
            const auto n = parse_u64(hex.substr(i + 16, 16), 16);
            if (!a || !n || *n > UINT64_MAX - *a) {
                return {std::nullopt,
                        fmt::format("reserved-ranges pair {}: not hex or past 2^64: {}", i / 32, quote(l))};
            }
            v.emplace_back(*a, *a + *n);
        }
    }
    return out;
}

std::string reserved_names(const std::vector<std::string>& lines)
{
    const std::string tag = "FADUMP-LAB: reserved-names ";
    std::string names;
    for (const auto& l : lines) {
        const auto p = l.find(tag);
        if (p != std::string::npos) {
            names = l.substr(p + tag.size());
        }
    }
    return names;
}

std::vector<std::string> skiboot_log_tail(const std::string& bytes, size_t n)
{
    std::vector<std::pair<double, std::string>> stamped;
    const std::regex stamp(R"(^\[\s*(\d{1,9})\.(\d{1,9}),\d\])");
    std::string line;
    auto end_line = [&] {
        std::smatch m;
        if (std::regex_search(line, m, stamp)) {
            stamped.emplace_back(std::stod(m[1].str() + "." + m[2].str()), line.substr(0, 200));
        }
        line.clear();
    };
    for (const char c : bytes) {
        if (c >= ' ' && c <= '~') {
            if (line.size() < 200) {
                line += c;
            }
        } else {
            end_line();
        }
    }
    end_line();
    std::stable_sort(stamped.begin(), stamped.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (size_t i = stamped.size() > n ? stamped.size() - n : 0; i < stamped.size(); ++i) {
        out.push_back(stamped[i].second);
    }
    return out;
}

namespace {

// Console lines on the dump's path (dump_path_excerpt).
bool on_dump_path(const std::string& l)
{
    static const char* const MARKS[] = {
        "FADUMP-LAB:",  "DUMP:", "MPIPL", "SBE",     "fadump",  "Falling back", "OPAL v",      "Linux version",
        "Kernel panic", "Oops",  "BUG:",  "reboot:", "Reboot:", "ibm,os-term",  "qemu-system", "watchdog"};
    // skiboot's errors: "[   97.1,3] hiomap_reset failed: 1" (log levels 0-3).
    static const std::regex SKIBOOT_ERROR(R"(\[\s*\d+\.\d+,[0-3]\])");
    return std::any_of(std::begin(MARKS), std::end(MARKS),
                       [&l](const char* m) { return l.find(m) != std::string::npos; }) ||
           std::regex_search(l, SKIBOOT_ERROR);
}

bool is_trigger(const std::string& l)
{
    return l.find("FADUMP-LAB: crashing") != std::string::npos || l.find("FADUMP-LAB: hanging") != std::string::npos ||
           l.find("FADUMP-LAB: raising S0") != std::string::npos;
}

}  // namespace

std::vector<std::string> dump_path_excerpt(const std::vector<std::string>& lines, size_t max)
{
    constexpr size_t TAIL = 8;
    const auto trigger = std::find_if(lines.begin(), lines.end(), is_trigger);
    const size_t from = trigger == lines.end() ? 0 : static_cast<size_t>(trigger - lines.begin());
    const size_t tail = lines.size() > TAIL ? lines.size() - TAIL : 0;
    std::vector<std::string> picked;
    for (size_t i = std::min(from, tail); i < lines.size(); ++i) {
        if (i >= tail || (i >= from && on_dump_path(lines[i]))) {
            picked.push_back(lines[i].substr(0, 200));
        }
    }
    const size_t cap = std::max<size_t>(max, 3);
    if (picked.size() <= cap) {
        return picked;
    }
    const size_t head = cap / 2;
    const size_t last = cap - head - 1;  // one line says what was left out
    std::vector<std::string> out(picked.begin(), picked.begin() + static_cast<std::ptrdiff_t>(head));
    out.push_back(fmt::format("... {} lines left out ...", picked.size() - head - last));
    out.insert(out.end(), picked.end() - static_cast<std::ptrdiff_t>(last), picked.end());
    return out;
}

}  // namespace lab
