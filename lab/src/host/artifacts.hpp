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

/// The configured source dir (CMake FADUMP_DATA_DIR): the checkout for a
/// source build, /usr/share/fadump for the package. FADUMP_ROOT does not
/// move it (source_root() below does).
std::string built_source_dir();

/// The libfadump.a this lab was built with (scripts/build-qemu links it).
std::string engine_library();

/// What `fadump-lab --version` prints after the name (CMake FADUMP_VERSION:
/// the package version, "(source build)" otherwise).
std::string lab_version();

/// Root of the source tree (FADUMP_ROOT, else the configured source dir):
/// the checkout for a source build, /usr/share/fadump for the fadump-lab
/// package (scripts/, lab/guest/, lab/data/ below it).
std::string source_root();

/// The installed QEMU with our glue for `qemu_version` ("10.0", "11.1") when
/// fadump-lab was built for the packages (CMake FADUMP_INSTALLED_QEMU, e.g.
/// /usr/bin/qemu-system-ppc64-fadump: that path for 10.0, the path with
/// "-<version>" appended for the others); nullopt for a source build, whose
/// QEMU scripts/build-qemu builds. The path may not exist (fadump-qemu not
/// installed): the caller says so.
std::optional<std::string> installed_qemu(const std::string& qemu_version);

/// The firmware directory (for -L) of a packaged build (CMake
/// FADUMP_INSTALLED_FIRMWARE: Debian's qemu-system-data, /usr/share/qemu);
/// nullopt for a source build, which uses scripts/fetch-firmware.
std::optional<std::string> installed_firmware_dir();

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
