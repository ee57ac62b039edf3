// The capture a distribution's own dump service made (--guest debian):
// Debian's kdump-tools, after a fadump, runs in the same kernel's full boot
// and saves /proc/vmcore with its own makedumpfile command line
// (MAKEDUMP_ARGS, default "-c -d 31" plus -F: the flattened format) as
// /var/crash/<stamp>/dump.<stamp>, with dmesg.<stamp> (kdump-tools'
// /usr/sbin/kdump-config, kdump_save_core). The lab reads those files back
// from the guest's disk image after QEMU is gone.
#pragma once

#include <string>
#include <vector>

#include "crash_checks.hpp"
#include "disk_image.hpp"
#include "report.hpp"
#include "vmcore_checks.hpp"

namespace lab {

struct ServiceCaptureInput {
    /// The run's copy of the guest's raw ext4 image (the guest wrote it:
    /// hostile). Read with e2fsprogs' debugfs, never mounted.
    std::string image;
    /// Its root file system (the whole image by default, or a partition).
    RootFs root;
    /// The run directory: var-crash/ (what was read back) and
    /// vmcore.kdump (the dump rearranged) go there.
    std::string out_dir;
    /// What the filtered dump's checks need (vmlinux, ground truth, crash,
    /// CPUs, RAM, the console's facts); `vmcore` is set here.
    CheckInput check;
    /// The service's own console lines ("kdump-tools[PID]: ..."), as the
    /// evidence of a fallback.
    std::vector<std::string> service_log;
};

/// The console lines of kdump-tools' service (journal+console:
/// "kdump-tools[PID]: ..."), at most `max` of them, each at most 300 bytes.
std::vector<std::string> kdump_tools_lines(const std::vector<std::string>& console, size_t max = 80);

/// Records service.read_back (debugfs copied /var/crash out; entries that
/// are not plain files or directories removed, named), service.saved (a
/// /var/crash/<stamp>/ with dump.* and dmesg.*, no dump-incomplete),
/// service.makedumpfile (the dump is makedumpfile's dump.*, not the raw
/// vmcore.* kdump-tools copies when makedumpfile fails: then it fails with
/// makedumpfile's lines of `service_log`),
/// service.rearranged (makedumpfile -R, when the dump is flattened),
/// service.dmesg (the panic in kdump-tools' dmesg file), and the filtered
/// dump's crash.* and makedumpfile.* checks (check_filtered_file) on it,
/// limited to the ranges of /proc/vmcore's headers the lab's capture unit
/// kept (/var/lib/fadump-lab/vmcore-headers). Facts: service_files (name:
/// bytes).
void check_service_capture(const ServiceCaptureInput& in, Report& report);

}  // namespace lab
