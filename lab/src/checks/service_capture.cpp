#include "service_capture.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "capture_archive.hpp"
#include "disk_image.hpp"
#include "makedumpfile_capture.hpp"
#include "process.hpp"

namespace fs = std::filesystem;

namespace lab {
namespace {

// The directory kdump-tools made (/var/crash/<stamp>/, the newest by
// name: stamps are %Y%m%d%H%M), empty when none.
fs::path newest_stamp_dir(const fs::path& var_crash)
{
    std::error_code ec;
    fs::path best;
    for (const auto& e : fs::directory_iterator(var_crash, ec)) {
        if (e.is_directory() && !e.is_symlink() && (best.empty() || e.path().filename() > best.filename())) {
            best = e.path();
        }
    }
    return best;
}

// The first regular file in `dir` whose name starts with `prefix`.
fs::path file_starting(const fs::path& dir, const std::string& prefix)
{
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.is_regular_file() && !e.is_symlink() && e.path().filename().string().rfind(prefix, 0) == 0) {
            return e.path();
        }
    }
    return {};
}

bool starts_with_bytes(const fs::path& path, const std::string& magic)
{
    const std::string head = read_capped(path, magic.size());
    return head == magic;
}

// /var/crash and the capture unit's vmcore-headers copied out of the image
// with debugfs (read-only: it never writes the image), then made plain.
bool read_back(const ServiceCaptureInput& in, const fs::path& root, Report& r)
{
    std::error_code ec;
    fs::remove_all(root, ec);
    fs::create_directories(root, ec);
    std::string out;
    const bool finished = copy_guest_dir(in.root, in.image, "/var/crash", root.string(), &out);
    copy_guest_file(in.root, in.image, "/var/lib/fadump-lab/vmcore-headers", (root / "vmcore-headers").string(),
                    1U << 20);
    const auto removed = keep_plain_entries(root);
    const bool read = finished && fs::is_directory(root / "crash");
    r.expect("service.read_back", read && removed.empty(),
             !finished                           ? "debugfs did not finish: " + out
             : !fs::is_directory(root / "crash") ? "the image holds no /var/crash: " + out
             : removed.empty()                   ? "/var/crash read from the guest's disk image (debugfs rdump)"
                                                 : fmt::format("removed unread: {}", fmt::join(removed, ", ")));
    return read;
}

// kdump-tools' dump: dump.<stamp> from makedumpfile (`flattened` by its
// -F, rearranged here by makedumpfile -R), else vmcore.<stamp>, the raw
// copy kdump-tools falls back to when makedumpfile fails.
std::optional<fs::path> rearranged_dump(const fs::path& dump, bool flattened, const fs::path& out_dir, Report& r)
{
    if (!flattened) {
        return dump;
    }
    const fs::path kdump = out_dir / "vmcore.kdump";
    std::string out;
    const int rc = run_command(
        {"sh", "-c", "exec makedumpfile -R \"$1\" < \"$2\"", "sh", kdump.string(), dump.string()}, &out, 600);
    const bool ok = rc == 0 && is_kdump_compressed(kdump.string());
    r.expect("service.rearranged", ok,
             ok ? fmt::format("makedumpfile -R: the flattened {} as a kdump-compressed file", dump.filename().string())
                : fmt::format("makedumpfile -R exit {}: {}", rc, out.substr(0, 300)));
    if (!ok) {
        return std::nullopt;
    }
    return kdump;
}

// makedumpfile's own lines in kdump-tools' log (its errors and warnings).
std::string makedumpfile_evidence(const std::vector<std::string>& log)
{
    std::vector<std::string> lines;
    for (const auto& l : log) {
        if (l.find("makedumpfile") != std::string::npos || l.find("not supported") != std::string::npos ||
            l.find("Can't") != std::string::npos || l.find("rror") != std::string::npos) {
            lines.push_back(l);
        }
    }
    return lines.empty() ? "kdump-tools said nothing about makedumpfile" : fmt::format("{}", fmt::join(lines, " | "));
}

}  // namespace

std::vector<std::string> kdump_tools_lines(const std::vector<std::string>& console, size_t max)
{
    std::vector<std::string> out;
    for (const auto& l : console) {
        if (const auto p = l.find("kdump-tools["); p != std::string::npos && out.size() < max) {
            out.push_back(l.substr(p, 300));
        }
    }
    return out;
}

void check_service_capture(const ServiceCaptureInput& in, Report& r)
{
    const fs::path root = fs::path(in.out_dir) / "var-crash";
    if (!read_back(in, root, r)) {
        return;
    }
    const fs::path dir = newest_stamp_dir(root / "crash");
    const fs::path dump = dir.empty() ? fs::path() : file_starting(dir, "dump.");
    const fs::path raw = dir.empty() ? fs::path() : file_starting(dir, "vmcore.");
    const fs::path dmesg = dir.empty() ? fs::path() : file_starting(dir, "dmesg.");
    const bool incomplete = !dir.empty() && (!file_starting(dir, "dump-incomplete").empty() ||
                                             !file_starting(dir, "vmcore-incomplete").empty());
    nlohmann::json files = nlohmann::json::object();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        files[e.path().filename().string()] = e.is_regular_file() ? e.file_size() : 0;
    }
    r.facts["service_files"] = files;
    const fs::path saved = !dump.empty() ? dump : raw;
    r.expect("service.saved", !saved.empty() && !dmesg.empty() && !incomplete,
             dir.empty()     ? "kdump-tools left no /var/crash/<stamp>/"
             : saved.empty() ? "no dump.* or vmcore.* in /var/crash/" + dir.filename().string()
             : dmesg.empty() ? "no dmesg.* in /var/crash/" + dir.filename().string()
             : incomplete    ? "an incomplete dump is left in /var/crash/" + dir.filename().string()
             : dump.empty()  ? "kdump-tools saved the raw vmcore (makedumpfile failed): " + raw.filename().string()
                             : fmt::format("/var/crash/{}/: {} and {}", dir.filename().string(),
                                           dump.filename().string(), dmesg.filename().string()));
    // makedumpfile's output starts with its flattened header or the
    // kdump-compressed signature; kdump-tools pipes it through its
    // compressor (cat by default) and judges the pipe by the last command,
    // so a failed makedumpfile can leave an empty dump.* it calls saved.
    const bool flattened = !dump.empty() && starts_with_bytes(dump, "makedumpfile");
    const bool from_makedumpfile = flattened || (!dump.empty() && is_kdump_compressed(dump.string()));
    if (!saved.empty()) {
        r.expect(
            "service.makedumpfile", from_makedumpfile,
            from_makedumpfile ? "kdump-tools saved makedumpfile's dump (" + dump.filename().string() + ")"
            : !dump.empty()
                ? fmt::format("{} is {} bytes and not makedumpfile's output, yet kdump-tools said it saved "
                              "it: {}",
                              dump.filename().string(), fs::file_size(dump, ec), makedumpfile_evidence(in.service_log))
                : "makedumpfile failed and kdump-tools copied the raw vmcore instead: " +
                      makedumpfile_evidence(in.service_log));
    }
    if (!dmesg.empty() && in.check.guest) {
        const auto j = judge_dmesg(read_capped(dmesg, 64U << 20), *in.check.guest, in.check.how);
        r.expect("service.dmesg", j.ok, j.detail);
    }
    // Only makedumpfile's dump, or the raw copy kdump-tools falls back to,
    // is a dump to read.
    const fs::path readable = from_makedumpfile ? dump : dump.empty() ? raw : fs::path();
    if (readable.empty()) {
        return;
    }
    const auto file = rearranged_dump(readable, flattened, in.out_dir, r);
    if (!file) {
        return;
    }
    CheckInput c = in.check;
    c.vmcore = file->string();
    if (is_kdump_compressed(c.vmcore)) {
        const fs::path headers = root / "vmcore-headers";
        check_filtered_file(c, fs::exists(headers) ? std::optional(headers.string()) : std::nullopt, r);
    } else {
        check_vmcore(c, r);
    }
}

}  // namespace lab
