#include "artifacts.hpp"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "process.hpp"

namespace lab {

std::string built_source_dir()
{
    return FADUMP_SOURCE_DIR;
}

std::string engine_library()
{
    return FADUMP_LIB_PATH;
}

std::string lab_version()
{
    return FADUMP_VERSION;
}

std::string source_root()
{
    const char* env = std::getenv("FADUMP_ROOT");
    return env != nullptr && *env != '\0' ? env : built_source_dir();
}

std::optional<std::string> installed_qemu(const std::string& qemu_version)
{
    constexpr const char* prefix = FADUMP_INSTALLED_QEMU;  // "" for a source build
    if (*prefix == '\0') {
        return std::nullopt;
    }
    return std::string(prefix) + (qemu_version == "10.0" ? "" : "-" + qemu_version);
}

std::optional<std::string> installed_firmware_dir()
{
    constexpr const char* dir = FADUMP_INSTALLED_FIRMWARE;  // "" for a source build
    return *dir == '\0' ? std::nullopt : std::optional<std::string>(dir);
}

nlohmann::json read_downloads(const std::string& file)
{
    nlohmann::json out = nlohmann::json::array();
    std::ifstream in(file);
    std::set<std::string> seen;
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string package;
        std::string version;
        std::string origin;
        std::string pinned;
        std::string extra;
        if (!(fields >> package >> version >> origin >> pinned) || (fields >> extra) || !seen.insert(line).second) {
            continue;
        }
        out.push_back({{"package", package}, {"version", version}, {"origin", origin}, {"pinned_version", pinned}});
    }
    return out;
}

std::optional<std::string> run_script(const std::string& name, std::string* error, const std::vector<std::string>& args)
{
    std::string out;
    std::vector<std::string> argv = {source_root() + "/scripts/" + name};
    argv.insert(argv.end(), args.begin(), args.end());
    // stderr of the script streams to ours (progress); stdout is the result.
    const int rc = run_command(argv, &out, 3 * 3600, false);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
        out.pop_back();
    }
    const auto nl = out.rfind('\n');
    const std::string last = nl == std::string::npos ? out : out.substr(nl + 1);
    if (rc != 0 || last.empty()) {
        *error = "scripts/" + name + " failed (exit " + std::to_string(rc) + ")";
        return std::nullopt;
    }
    return last;
}

}  // namespace lab
