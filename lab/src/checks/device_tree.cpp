#include "device_tree.hpp"

#include <libfdt.h>

#include <fstream>
#include <iterator>
#include <vector>

namespace lab {

std::optional<bool> dtb_has_property(const std::string& file, const std::string& path, const std::string& name,
                                     std::string* error)
{
    std::ifstream f(file, std::ios::binary);
    const std::vector<char> blob{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    if (blob.size() < sizeof(fdt_header) || fdt_check_full(blob.data(), blob.size()) != 0) {
        *error = file + " is not a valid device tree blob";
        return std::nullopt;
    }
    const int node = fdt_path_offset(blob.data(), path.c_str());
    if (node < 0) {
        *error = file + " has no node " + path;
        return std::nullopt;
    }
    int len = 0;
    return fdt_getprop(blob.data(), node, name.c_str(), &len) != nullptr;
}

}  // namespace lab
