#include "artifacts.hpp"

#include <cstdlib>

#include "process.hpp"

namespace lab {

std::string source_root()
{
    const char* env = std::getenv("FADUMP_ROOT");
    return env != nullptr && *env != '\0' ? env : FADUMP_SOURCE_DIR;
}

std::optional<std::string> run_script(const std::string& name, std::string* error)
{
    std::string out;
    // stderr of the script streams to ours (progress); stdout is the result.
    const int rc = run_command({source_root() + "/scripts/" + name}, &out, 3 * 3600, false);
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
