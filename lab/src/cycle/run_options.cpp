#include "run_options.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

#include "console_values.hpp"

namespace lab {
namespace {

std::optional<unsigned> small_count(const std::string& digits)
{
    const auto v = parse_u64(digits);
    return v && *v <= UINT32_MAX ? std::optional<unsigned>(static_cast<unsigned>(*v)) : std::nullopt;
}

// The name of `v` in `names` (every value has one).
template <typename T>
std::string name_of(const std::map<std::string, T>& names, T v)
{
    for (const auto& [name, value] : names) {
        if (value == v) {
            return name;
        }
    }
    return "?";
}

}  // namespace

const std::map<std::string, Machine>& machine_names()
{
    static const std::map<std::string, Machine> names = {{"pseries", Machine::Pseries},
                                                         {"powernv9", Machine::Powernv9},
                                                         {"powernv10", Machine::Powernv10},
                                                         {"powernv11", Machine::Powernv11}};
    return names;
}

const std::map<std::string, Firmware>& firmware_names()
{
    static const std::map<std::string, Firmware> names = {{"vof", Firmware::Vof}, {"slof", Firmware::Slof}};
    return names;
}

const std::map<std::string, Capture>& capture_names()
{
    static const std::map<std::string, Capture> names = {{"raw", Capture::Raw},
                                                         {"makedumpfile", Capture::Makedumpfile}};
    return names;
}

const std::map<std::string, Guest>& guest_names()
{
    static const std::map<std::string, Guest> names = {{"busybox", Guest::Busybox}, {"debian", Guest::Debian}};
    return names;
}

const std::map<std::string, QemuVersion>& qemu_version_names()
{
    static const std::map<std::string, QemuVersion> names = {{"10.0", QemuVersion::V10_0},
                                                             {"11.1", QemuVersion::V11_1}};
    return names;
}

std::string to_string(Machine m)
{
    return name_of(machine_names(), m);
}
std::string to_string(Firmware f)
{
    return name_of(firmware_names(), f);
}
std::string to_string(Capture c)
{
    return name_of(capture_names(), c);
}
std::string to_string(Guest g)
{
    return name_of(guest_names(), g);
}
std::string to_string(QemuVersion v)
{
    return name_of(qemu_version_names(), v);
}
std::ostream& operator<<(std::ostream& os, Machine m)
{
    return os << to_string(m);
}
std::ostream& operator<<(std::ostream& os, Firmware f)
{
    return os << to_string(f);
}
std::ostream& operator<<(std::ostream& os, Capture c)
{
    return os << to_string(c);
}
std::ostream& operator<<(std::ostream& os, Guest g)
{
    return os << to_string(g);
}
std::ostream& operator<<(std::ostream& os, QemuVersion v)
{
    return os << to_string(v);
}

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

int bisect_exit_code(int rc, bool guest_booted)
{
    if (rc == 0 || rc >= 128) {
        return rc;
    }
    if (rc == 1) {
        return guest_booted ? 1 : 125;
    }
    return 255;
}

std::variant<GuestFile, std::string> parse_guest_file(const std::string& spec)
{
    const auto eq = spec.find('=');
    if (eq == std::string::npos) {
        return "GUEST_PATH=FILE, not '" + spec + "'";
    }
    GuestFile f{spec.substr(0, eq), spec.substr(eq + 1)};
    const auto unquotable = [](const std::string& s) {
        return std::any_of(s.begin(), s.end(),
                           [](char c) { return c == '"' || std::iscntrl(static_cast<unsigned char>(c)); });
    };
    if (unquotable(f.guest) || unquotable(f.host)) {
        return "no double quote or control character in '" + spec + "'";
    }
    if (f.host.empty()) {
        return "'" + spec + "' names no host file";
    }
    if (f.guest.size() < 2 || f.guest[0] != '/' || f.guest.back() == '/') {
        return "'" + f.guest + "' is not an absolute path to a file in the guest";
    }
    std::istringstream parts(f.guest.substr(1));
    for (std::string part; std::getline(parts, part, '/');) {
        if (part.empty() || part == "." || part == "..") {
            return "'" + f.guest + "' has an empty, '.' or '..' component";
        }
    }
    return f;
}

}  // namespace lab
