// The platform's own vmcore (QEMU's fadump-export, issue 23) judged against
// what the capture kernel exported from the same dump: written, and equal
// to /proc/vmcore byte for byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fadump/ground_truth.hpp"
#include "report.hpp"

namespace lab {

/// The glue's account of an export (trace fadump_export_done).
struct ExportTrace {
    bool ok = false;
    std::string path;
    uint64_t file_bytes = 0;
    uint64_t data_bytes = 0;
    uint64_t ns = 0;
    std::string why;  ///< when not ok
};

/// The last fadump_export_done line of QEMU's log for exactly `path`, as
/// the platform was given it (DIR/vmcore, DIR/opalcore; a QMP export on
/// demand writes a file of the same name elsewhere), if any.
[[nodiscard]] std::optional<ExportTrace> export_trace(const std::string& qemu_log, const std::string& path);

/// The first offset in [from, bytes) where files `a` and `b` differ (a
/// file shorter than `bytes` differs where it ends); nullopt when equal.
/// Throws std::runtime_error when one cannot be read.
[[nodiscard]] std::optional<uint64_t> first_difference(const std::string& a, const std::string& b, uint64_t bytes,
                                                       uint64_t from = 0);

/// Why files `a` and `b` are not both exactly `bytes` bytes long and equal
/// byte for byte ("N bytes against M, B expected", "first difference at
/// byte 0x..", or why one cannot be read); nullopt when they are. The
/// lab's proof of a vmcore stands for another file only when this is
/// nullopt (the raw vmcore proven on QEMU's export, cycle_early_proofs.cpp).
[[nodiscard]] std::optional<std::string> not_the_same_file(const std::string& a, const std::string& b, uint64_t bytes);

/// What lies at `offset` of the ELF vmcore `path`: "ELF header and program
/// headers", "notes", "PT_LOAD i (paddr 0x...)" or "padding".
[[nodiscard]] std::string vmcore_part(const std::string& path, uint64_t offset);

struct ExportInput {
    std::string qemu_log;
    std::string export_path;  ///< where the export must be
    /// The capture kernel's raw /proc/vmcore as copied out, and its size;
    /// nullopt when the capture saved something else (makedumpfile's dump)
    /// or nothing.
    std::optional<std::string> proc_vmcore;
    uint64_t proc_vmcore_bytes = 0;
    /// PowerNV: the firmware's memory ([start, end), physical), which
    /// skiboot rewrites after the MPIPL boot: the export reads it at the
    /// reset, /proc/vmcore when the capture kernel copies it, so they may
    /// differ there (and neither is the crash-time content).
    std::vector<std::pair<uint64_t, uint64_t>> firmware_reserved;
    /// The engine's ground truth: a difference outside `firmware_reserved`
    /// passes when the export's page equals the crash-time page there (and
    /// /proc/vmcore's does not: skiboot wrote it after the MPIPL boot).
    const fadump::GroundTruthDoc* truth = nullptr;
};

/// export.written (facts export_bytes, export_written_bytes, export_ms,
/// export_ms_per_gib) and export.equals_proc_vmcore (byte for byte, but in
/// `firmware_reserved`, whose differing ranges it counts: fact
/// export_firmware_bytes_differ, and pages where the ground truth says the
/// export is right: fact export_pages_right_proc_wrong); true when the
/// export was written whole (export.written passed).
bool check_export(const ExportInput& in, Report& report);

/// PowerNV: skiboot's OPAL core as the platform wrote it beside the vmcore.
struct OpalCoreExportInput {
    std::string qemu_log;
    std::string export_path;  ///< where it must be (DIR/opalcore)
    /// The capture kernel's /sys/firmware/opal/mpipl/core as copied out, and
    /// its size; nullopt when it copied none.
    std::optional<std::string> capture;
    uint64_t capture_bytes = 0;
};

/// export.opalcore.written (the trace's file, whole; facts
/// export_opalcore_bytes, export_opalcore_ms) and, with the capture's copy,
/// export.opalcore.equals_capture (byte for byte; else the first offset
/// that differs and which part of the ELF file it is in). True when
/// written.
bool check_export_opalcore(const OpalCoreExportInput& in, Report& report);

/// makedumpfile over the export on the host (issue 23: the kdump-compressed
/// copy distributions keep, made by makedumpfile itself, not by us).
struct ExportFilterInput {
    std::string makedumpfile;  ///< scripts/fetch-makedumpfile's wrapper
    std::string export_path;   ///< the export (ELF)
    std::string out;           ///< the kdump-compressed file to write (replaced)
    double timeout_s = 900;
};

/// Runs `makedumpfile -c -d 31 EXPORT OUT` (zlib, dump level 31, as
/// Debian's kdump-tools does), its log in OUT.log; records export.kdump.written
/// (exit 0 and a file that starts "KDUMP   "; facts export_kdump_bytes,
/// export_kdump_ms, export_kdump_warnings). True when it passed.
bool filter_export(const ExportFilterInput& in, Report& report);

}  // namespace lab
