// The QEMU command line of a run, in named pieces (the Cycle assembles them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenarios.hpp"

namespace lab {

/// What our QEMU is told beyond the machine: the ground truth's file, the
/// directory of the platform's own vmcore (fadump-export; pseries only,
/// empty: none) and whether pages move (zero-copy).
struct OurProperties {
    std::string truth;
    std::string export_dir;
    bool zero_copy = true;
};

/// A run's -M value: PowerNV's machine as named, or pseries with the
/// Spectre capabilities TCG cannot give off and, for `firmware` "vof",
/// VOF; with our QEMU (`ours`) the ground-truth file, on pseries the
/// export's directory and, unless zero_copy, x-fadump-zero-copy=off; then
/// the memory shape's suffix.
std::string machine_option(const std::string& machine, const std::string& firmware,
                           const std::optional<OurProperties>& ours, const std::string& shape_suffix);

/// The guest's kernel command line: console=hvc0, the scenario's fadump
/// argument and arguments, the makedumpfile capture's marker when
/// `makedumpfile`, then the user's `extra`.
std::string kernel_append(const Scenario& sc, bool makedumpfile, const std::string& extra);

/// The run's disks and consoles: on pseries no default devices, the
/// serial console, the vmcore and state disks; on PowerNV the default PHBs
/// kept, the NIC and monitor dropped, the `pnor` flash and the vmcore,
/// OPAL core and state disks on PHBs 0 to 2.
std::vector<std::string> disk_args(bool pnv, const std::string& vmcore, const std::string& state,
                                   const std::string& pnor, const std::string& opalcore);

/// The kernel arguments of a guest on its own disk (--guest debian, --disk;
/// pseries): the root at `device` (/dev/vda or a partition of it), mounted
/// read-write (so systemd does not fsck it), waited for.
std::string disk_root_args(const std::string& device);

/// A guest on its own disk (pseries): no default devices, the serial
/// console, the raw image `image` as the only virtio disk (/dev/vda).
std::vector<std::string> root_disk_args(const std::string& image);

/// `a` and `b` joined by a space; either may be empty.
std::string join_words(const std::string& a, const std::string& b);

}  // namespace lab
