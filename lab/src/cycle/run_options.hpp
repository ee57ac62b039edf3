// What `fadump-lab run` is asked to do (its command line, main.cpp), and the
// QEMU size specs it reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "memory_shape.hpp"

namespace lab {

/// The QEMU machine a run takes; to_string gives QEMU's -M name.
/// powernv11 needs QEMU 11.1 (10.0 has no Power11).
enum class Machine { Pseries, Powernv9, Powernv10, Powernv11 };
/// pseries' firmware: VOF (x-vof=on) or SLOF; PowerNV always boots skiboot.
enum class Firmware { Vof, Slof };
/// What the capture kernel does: copy /proc/vmcore whole to the host, or
/// run makedumpfile -d 31 like a distribution's kdump service
/// (makedumpfile_capture.hpp).
enum class Capture { Raw, Makedumpfile };
/// What the guest runs: the lab's busybox initramfs (lab/guest/init: the
/// capture as --capture says), or a Debian system on its own disk
/// (scripts/build-guest debian) whose kdump-tools registers fadump and saves
/// the dump, as on any Debian machine.
enum class Guest { Busybox, Debian };

/// The Debian release --guest debian installs (scripts/build-guest debian
/// SUITE). bookworm: the archive this lab reaches serves trixie's ppc64el
/// index ahead of its pool (libc6 2.41-12+deb13u5 listed, its .deb 404).
inline constexpr const char* DEBIAN_GUEST_SUITE = "bookworm";
/// Our QEMU (scripts/build-qemu --qemu-version): Debian 13's 10.0
/// (glue/qemu-10.0) or sid's 11.1 (glue/qemu-11.1).
enum class QemuVersion { V10_0, V11_1 };

/// The names the command line and the report use: "pseries", "powernv9",
/// "powernv10", "powernv11"; "vof", "slof"; "raw", "makedumpfile"; "10.0", "11.1".
std::string to_string(Machine m);
std::string to_string(Firmware f);
std::string to_string(Capture c);
std::string to_string(Guest g);
std::string to_string(QemuVersion v);
/// Each value by its name, for the command line's parsers (CLI11's
/// CheckedTransform); the streams print the names (CLI11's defaults).
const std::map<std::string, Machine>& machine_names();
const std::map<std::string, Firmware>& firmware_names();
const std::map<std::string, Capture>& capture_names();
const std::map<std::string, Guest>& guest_names();
const std::map<std::string, QemuVersion>& qemu_version_names();
std::ostream& operator<<(std::ostream& os, Machine m);
std::ostream& operator<<(std::ostream& os, Firmware f);
std::ostream& operator<<(std::ostream& os, Capture c);
std::ostream& operator<<(std::ostream& os, Guest g);
std::ostream& operator<<(std::ostream& os, QemuVersion v);

/// One --guest-file GUEST_PATH=FILE: the host's regular file `host` lands
/// at the absolute path `guest` of the guest's root file system (its
/// directory must be there), replacing what was there, with the host
/// file's mode.
struct GuestFile {
    std::string guest;
    std::string host;
};

/// Reads a --guest-file value "GUEST_PATH=FILE" (split at the first '=').
/// The guest path must be absolute, name a file (not "/" nor a path ending
/// in '/'), have no "." or ".." component and no empty one; neither side
/// may hold a double quote or a control character (debugfs takes them
/// quoted). The host file is not looked at here. The reason in words when
/// the value is refused.
std::variant<GuestFile, std::string> parse_guest_file(const std::string& spec);

struct RunOptions {
    Machine machine = Machine::Pseries;
    Firmware firmware = Firmware::Vof;
    std::string smp = "2";
    std::string mem = "2G";
    /// NUMA nodes and memory backend of the guest's RAM (memory_shape.hpp).
    MemoryShape memory;
    std::optional<std::string> kernel;                // vmlinux (with DWARF) to boot
    std::string kernel_source = "linux-source-6.12";  // Debian package scripts/build-kernel builds
    /// A Linux tree of the user's, built by scripts/build-kernel-tree (from
    /// kernel_config, else its ppc64le_defconfig, with the lab's fragment);
    /// the run's exit code then suits git bisect run (bisect_exit_code).
    std::optional<std::string> kernel_tree;
    std::optional<std::string> kernel_config;
    std::optional<std::string> qemu;  // another QEMU, e.g. upstream's
    /// Which of our QEMUs scripts/build-qemu builds when qemu is unset.
    QemuVersion qemu_version = QemuVersion::V10_0;
    /// Our QEMU moves pages instead of copying where the platform allows
    /// (QEMU's default, x-fadump-zero-copy; false: =off, every range
    /// copied; docs/qemu.md "Zero-copy").
    bool zero_copy = true;
    std::optional<std::string> initrd;  // initramfs to boot (default: scripts/build-initramfs)
    /// A disk image of the user's (raw or qcow2; an ext2/3/4 root with
    /// kdump-tools) booted instead of the initramfs, like --guest debian:
    /// the lab writes its driver into a copy and reads the dump back from it.
    std::optional<std::string> disk;
    /// Files written into the guest's disk (a copy of it) before its first
    /// boot, with --guest debian or --disk: its configuration as the user
    /// keeps it (/etc/default/kdump-tools, a udev rule), parse_guest_file.
    std::vector<GuestFile> guest_files;
    std::optional<std::string> firmware_dir;  // QEMU -L directory (default: scripts/fetch-firmware)
    std::string append;
    Capture capture = Capture::Raw;
    Guest guest = Guest::Busybox;
    /// What to do to the guest and what to expect (scenarios.hpp); its
    /// -smp/-m, when it has them, replace `smp` and `mem`.
    std::string scenario = "sysrq";
    std::optional<std::string> report_path;
    std::string out_dir = "lab-out";
    bool keep = false;
    double timeout_s = 180;   // per phase
    double stop_grace_s = 5;  // SIGTERM to SIGKILL when stopping QEMU
    bool verbose = false;
};

/// The exit code of a `run --kernel-tree` for `git bisect run`: 0 (good) and
/// 1 (a dump check failed: bad) as they are; a run that failed before the
/// guest's first boot reached the lab's init (the tree did not build or boot,
/// QEMU did not start) is 125 (skip this commit); any other code (2: bad
/// options, 3: the report could not be written) is 255, which stops the
/// bisection; 128 + signal stays (git bisect run stops on it too).
int bisect_exit_code(int rc, bool guest_booted);

/// Number of CPUs a QEMU -smp value starts with ("4", "cpus=4,...",
/// "sockets=1,cores=2,threads=2"); nullopt when it cannot tell.
std::optional<unsigned> smp_cpus(const std::string& spec);

/// Bytes in a QEMU -m value ("2G", "1536M", "4096", "2G,slots=2,maxmem=4G").
std::optional<uint64_t> mem_bytes(const std::string& spec);

}  // namespace lab
