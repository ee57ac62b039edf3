#include "guest_errors.hpp"

namespace lab {

std::string glue_guest_errors(std::istream& log)
{
    std::string out;
    std::string line;
    while (std::getline(log, line)) {
        for (const auto prefix : GLUE_LOG_PREFIXES) {
            if (line.find(prefix) != std::string::npos) {
                out += line + "; ";
                break;
            }
        }
    }
    return out;
}

}  // namespace lab
