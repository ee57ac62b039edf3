#include "proc_status.hpp"

#include <sstream>

#include "text_file.hpp"

namespace lab {

std::optional<Resident> parse_resident(const std::string& status)
{
    Resident r;
    bool rss = false;
    std::istringstream in(status);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string key;
        uint64_t kib = 0;
        if (!(fields >> key >> kib)) {
            continue;
        }
        const uint64_t bytes = kib * 1024;
        if (key == "VmRSS:") {
            r.rss = bytes;
            rss = true;
        } else if (key == "RssAnon:") {
            r.anon = bytes;
        } else if (key == "RssFile:") {
            r.file = bytes;
        } else if (key == "RssShmem:") {
            r.shmem = bytes;
        }
    }
    return rss ? std::optional<Resident>{r} : std::nullopt;
}

std::optional<Resident> resident(pid_t pid)
{
    return parse_resident(read_text("/proc/" + std::to_string(pid) + "/status"));
}

}  // namespace lab
