// The artefacts a run needs, built or fetched once by the project's scripts
// (scripts/*) and cached under ~/.cache/fadump.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lab {

struct Artifacts {
    std::string kernel_dir;   // vmlinux, vmlinux.strip, version
    std::string vmlinux;      // with DWARF
    std::string boot_kernel;  // stripped, booted
    std::string kernel_version;
    std::string initramfs;
    std::string firmware_dir;  // for -L
    std::string qemu;
};

/// Root of the source tree (FADUMP_ROOT, else the configured source dir).
std::string source_root();

/// The downloads scripts/fetch-pinned recorded in `file` (lines "NAME:ARCH
/// VERSION ORIGIN PINNED_VERSION", ORIGIN pinned or fallback:SUITE/ARCH), one
/// object per distinct line: {package, version, origin, pinned_version}.
/// Lines of another shape are skipped. A missing file gives an empty array.
nlohmann::json read_downloads(const std::string& file);

/// Runs one of scripts/<name> with `args`; returns its last stdout line (a
/// path) or nullopt, with the script's error output in `error`.
std::optional<std::string> run_script(const std::string& name, std::string* error,
                                      const std::vector<std::string>& args = {});

}  // namespace lab
