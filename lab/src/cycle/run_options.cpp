#include "run_options.hpp"

#include <cctype>
#include <regex>

#include "console_values.hpp"

namespace lab {
namespace {

std::optional<unsigned> small_count(const std::string& digits)
{
    const auto v = parse_u64(digits);
    return v && *v <= UINT32_MAX ? std::optional<unsigned>(static_cast<unsigned>(*v)) : std::nullopt;
}

}  // namespace

std::optional<unsigned> smp_cpus(const std::string& spec)
{
    std::smatch m;
    if (std::regex_search(spec, m, std::regex(R"((?:^|,)cpus=(\d+))"))) {
        return small_count(m[1]);
    }
    if (std::regex_search(spec, m, std::regex(R"(^(\d+))"))) {
        return small_count(m[1]);
    }
    unsigned product = 1;
    bool any = false;
    for (const char* k : {"sockets", "dies", "clusters", "cores", "threads"}) {
        if (std::regex_search(spec, m, std::regex(std::string(R"((?:^|,))") + k + R"(=(\d+))"))) {
            const auto n = small_count(m[1]);
            if (!n || *n == 0 || product > UINT32_MAX / *n) {
                return std::nullopt;
            }
            product *= *n;
            any = true;
        }
    }
    return any ? std::optional<unsigned>(product) : std::nullopt;
}

std::optional<uint64_t> mem_bytes(const std::string& spec)
{
    std::smatch m;
    const std::string size = spec.substr(0, spec.find(','));
    if (!std::regex_match(size, m, std::regex(R"((\d+)([KMGT]?)i?B?)", std::regex::icase))) {
        return std::nullopt;
    }
    const auto v = parse_u64(m[1].str());
    const std::string unit = m[2];
    const auto index = std::string("KMGT").find(static_cast<char>(std::toupper(unit[0] ? unit[0] : 'M')));
    const int shift = unit.empty() ? 20 : static_cast<int>(index) * 10 + 10;
    if (!v || *v > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return *v << shift;
}

}  // namespace lab
