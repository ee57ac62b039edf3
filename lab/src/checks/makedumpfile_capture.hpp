// The lab's distro-style capture (--capture makedumpfile): what the guest's
// /init does in the capture kernel (lab/guest/init), the console lines it
// prints, and the proof of what it saved.
//
// In the capture kernel /init runs, like kdump-tools and kdump-utils,
//   makedumpfile -l -d 31 /proc/vmcore /var/crash/<time>/vmcore.lzo
//   makedumpfile -c -d 31 ... vmcore.zlib,  makedumpfile -z -d 31 ... vmcore.zstd
//   makedumpfile --dump-dmesg /proc/vmcore /var/crash/<time>/vmcore-dmesg.txt
// each a "step" ("FADUMP-LAB: step NAME start|done bytes=N|failed rc=N: ..."),
// then writes /var/crash as a tar archive to the dump disk ("FADUMP-LAB:
// saved"). The host extracts it and checks every file.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crash_checks.hpp"
#include "fadump/ground_truth.hpp"
#include "filtered_dump.hpp"
#include "report.hpp"

namespace lab {

/// The kernel command-line word that selects this capture in /init.
inline constexpr const char* MAKEDUMPFILE_CAPTURE_ARG = "fadump_lab_capture=makedumpfile";

/// One step of /init, in order: its name on the console and the file it writes.
struct CaptureStep {
    const char* name;  // "makedumpfile-l"
    const char* file;  // "vmcore.lzo"
};
inline constexpr CaptureStep CAPTURE_STEPS[] = {
    {"makedumpfile-l", "vmcore.lzo"},
    {"makedumpfile-c", "vmcore.zlib"},
    {"makedumpfile-z", "vmcore.zstd"},
    {"dump-dmesg", "vmcore-dmesg.txt"},
};

/// makedumpfile.dmesg: the dmesg file holds the console's panic line (the
/// kernel's time stamp and text; makedumpfile also prints the printk caller,
/// "[     T63]", which must then name the crashing task's pid). After a hang
/// (`how`) it holds every LKDTM line instead, after the SBE's S0 the lab's
/// "raising S0" line (caller not checked: /init wrote it).
Judgement judge_dmesg(const std::string& dmesg, const GuestFacts& facts, const Downfall& how = {});

/// What makedumpfile warned about the kernel (lines of its log such as "The
/// kernel version is not supported."), for the report.
std::vector<std::string> makedumpfile_warnings(const std::string& log);

struct MakedumpfileInput {
    std::string disk;     // the dump disk: a tar archive of /var/crash
    std::string out_dir;  // the run directory: var-crash/ and crash files go here
    std::string vmlinux;
    uint64_t ram_bytes = 0;
    std::optional<unsigned> cpus;       // CPUs with a note (PowerNV: every thread)
    std::vector<unsigned> online_cpus;  // logical ids online at the crash (empty: unknown)
    std::optional<GuestFacts> facts;
    const fadump::GroundTruthDoc* truth = nullptr;
    std::vector<std::pair<uint64_t, uint64_t>> firmware_reserved;
    std::optional<std::string> crash;  // scripts/fetch-crash's wrapper
    std::string crash_error;
    Downfall how;  // not a sysrq panic (crash_checks.hpp)
};

/// Runs crash on a filtered dump (`ci`: vmcore, vmlinux, out_dir, name,
/// cpus, facts, ram_bytes) with `kmem -p` and `kmem -F`, recording
/// NAME.{open,bt_a,log,ps,kmem}; returns crash's view of the pages, or
/// nullopt when crash is missing or could not tell.
std::optional<PageClasses> crash_page_view(CrashInput ci, const std::optional<std::string>& crash,
                                           const std::string& crash_error, Report& report);

/// The physical ranges ([start, end)) of the PT_LOADs in `headers` (the ELF
/// and program headers of /proc/vmcore); records the check `check`.
std::optional<std::vector<std::pair<uint64_t, uint64_t>>> read_vmcore_ranges(const std::string& headers,
                                                                             const std::string& check, Report& report);

/// Extracts the archive and records makedumpfile.saved (the files of every
/// step are there), makedumpfile.dmesg, the crash utility's checks on the
/// lzo dump (makedumpfile.crash.*), and for each dump file
/// makedumpfile.<lzo|zlib|zstd>.{open,kept_pages,left_out}. Facts: the
/// files and sizes, and makedumpfile's warnings.
void check_makedumpfile_capture(const MakedumpfileInput& in, Report& report);

/// `fadump-lab check` on a makedumpfile dump (kdump-compressed, "KDUMP   "):
/// crash.* (with the page view) and makedumpfile.{open,kept_pages,left_out,
/// free_left_out}; `in.ram_bytes` (else the console's memory) bounds the
/// frames read; `vmcore_headers` (/proc/vmcore's headers) limits the page
/// comparison to what /proc/vmcore held. `prefix` goes before every check's
/// name ("export.kdump." for makedumpfile's filtering of the platform's export).
struct CheckInput;
void check_filtered_file(const CheckInput& in, const std::optional<std::string>& vmcore_headers, Report& report,
                         const std::string& prefix = "");

/// Whether `path` starts with the kdump-compressed signature "KDUMP   ".
bool is_kdump_compressed(const std::string& path);

}  // namespace lab
