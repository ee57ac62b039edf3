// The artefacts a run needs, built or fetched once by the project's scripts
// (scripts/*) and cached under ~/.cache/fadump.
#pragma once

#include <optional>
#include <string>

namespace lab {

struct Artifacts {
    std::string kernel_dir;     // vmlinux, vmlinux.strip, version
    std::string vmlinux;        // with DWARF
    std::string boot_kernel;    // stripped, booted
    std::string kernel_version;
    std::string initramfs;
    std::string firmware_dir;   // for -L
    std::string qemu;
};

/// Root of the source tree (FADUMP_ROOT, else the configured source dir).
std::string source_root();

/// Runs one of scripts/<name>; returns its last stdout line (a path) or
/// nullopt, with the script's error output in `error`.
std::optional<std::string> run_script(const std::string& name, std::string* error);

}  // namespace lab
