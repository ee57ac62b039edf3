// Reading a flattened device tree QEMU dumped (QMP dumpdtb) with libfdt:
// what the guest was given on a boot.
#pragma once

#include <optional>
#include <string>

namespace lab {

/// Whether node `path` of the dtb file `file` has property `name`; nullopt
/// (with `error`) when the file is not a device tree or has no such node.
std::optional<bool> dtb_has_property(const std::string& file, const std::string& path, const std::string& name,
                                     std::string* error);

}  // namespace lab
