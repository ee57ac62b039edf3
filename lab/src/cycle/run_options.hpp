// What `fadump-lab run` is asked to do (its command line, main.cpp), and the
// QEMU size specs it reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "memory_shape.hpp"

namespace lab {

struct RunOptions {
    std::string machine = "pseries";
    std::string firmware = "vof";  // vof | slof
    std::string smp = "2";
    std::string mem = "2G";
    /// NUMA nodes and memory backend of the guest's RAM (memory_shape.hpp).
    MemoryShape memory;
    std::optional<std::string> kernel;                // vmlinux (with DWARF) to boot
    std::string kernel_source = "linux-source-6.12";  // Debian package scripts/build-kernel builds
    std::optional<std::string> qemu;                  // another QEMU, e.g. upstream's
    /// Which of our QEMUs scripts/build-qemu builds when qemu is unset: 10.0
    /// (trixie's, glue/qemu-10.0) or 11.1 (sid's, glue/qemu-11.1).
    std::string qemu_version = "10.0";
    /// Our QEMU moves pages instead of copying where the platform allows
    /// (QEMU's default, x-fadump-zero-copy; false: =off, every range
    /// copied; docs/qemu.md "Zero-copy").
    bool zero_copy = true;
    std::optional<std::string> initrd;        // initramfs to boot (default: scripts/build-initramfs)
    std::optional<std::string> firmware_dir;  // QEMU -L directory (default: scripts/fetch-firmware)
    std::string append;
    /// raw: /init copies /proc/vmcore whole to the host; makedumpfile: it
    /// runs makedumpfile -d 31 like a distribution's kdump service
    /// (makedumpfile_capture.hpp).
    std::string capture = "raw";
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

/// Number of CPUs a QEMU -smp value starts with ("4", "cpus=4,...",
/// "sockets=1,cores=2,threads=2"); nullopt when it cannot tell.
std::optional<unsigned> smp_cpus(const std::string& spec);

/// Bytes in a QEMU -m value ("2G", "1536M", "4096", "2G,slots=2,maxmem=4G").
std::optional<uint64_t> mem_bytes(const std::string& spec);

}  // namespace lab
