#include "makedumpfile_capture.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "capture_archive.hpp"
#include "dump_access.hpp"
#include "elf_file.hpp"
#include "filtered_dump.hpp"
#include "process.hpp"
#include "vmcore_checks.hpp"

namespace fs = std::filesystem;

namespace lab {
namespace {

// The capture's text files (logs, the dmesg) are the guest's: read at most
// this much of each, and only regular files.
constexpr size_t MAX_CAPTURE_TEXT = 16 << 20;

std::string read_file(const fs::path& p)
{
    return read_capped(p, MAX_CAPTURE_TEXT);
}

const GuestFacts::Task* crasher(const GuestFacts& f)
{
    return f.task("crasher");
}

}  // namespace

Judgement judge_dmesg(const std::string& dmesg, const GuestFacts& facts, const Downfall& how)
{
    if (how.firmware_initiated || how.hang()) {
        // No panic: the lines that say how the kernel went down, compared
        // without makedumpfile's caller field.
        const std::regex caller_re(R"(^(\[[ 0-9.]+\] )\[ *[TC]\d+\] (.*)$)");
        std::vector<std::string> lines;
        std::istringstream in(dmesg);
        for (std::string l; std::getline(in, l);) {
            std::smatch m;
            lines.push_back(std::regex_match(l, m, caller_re) ? m[1].str() + m[2].str() : l);
        }
        return judge_downfall_lines(lines, "dmesg", facts, how);
    }
    if (!facts.panic_line) {
        return {false, "the console showed no \"Kernel panic - not syncing\" line"};
    }
    // "[    1.957628] [     T63] Kernel panic - ..." -> stamp, caller, text.
    const std::regex caller_re(R"(^(\[[ 0-9.]+\] )\[ *([TC])(\d+)\] (.*)$)");
    std::istringstream in(dmesg);
    std::string seen;
    for (std::string l; std::getline(in, l);) {
        if (l == *facts.panic_line) {
            return {true, "dmesg holds the console's \"" + l + "\""};
        }
        std::smatch m;
        if (std::regex_match(l, m, caller_re) && m[1].str() + m[4].str() == *facts.panic_line) {
            const auto* c = crasher(facts);
            if (c != nullptr && (m[2] != "T" || m[3] != std::to_string(c->pid))) {
                return {false, fmt::format("dmesg's panic line \"{}\" names caller {}{}, not the crasher (pid {})", l,
                                           m[2].str(), m[3].str(), c->pid)};
            }
            return {true,
                    "dmesg holds the console's panic line, printed by " + m[2].str() + m[3].str() + ": \"" + l + "\""};
        }
        if (seen.empty() && l.find("Kernel panic") != std::string::npos) {
            seen = l;
        }
    }
    return {false, "dmesg lacks the console's \"" + *facts.panic_line + "\"" +
                       (seen.empty() ? std::string(" (no panic line at all)") : "; it has \"" + seen + "\"")};
}

std::vector<std::string> makedumpfile_warnings(const std::string& log)
{
    std::vector<std::string> out;
    // The progress meter redraws with '\r'; a warning is a line of its own.
    std::string text = log;
    std::replace(text.begin(), text.end(), '\r', '\n');
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l.find("not supported") != std::string::npos || l.find("may be incomplete") != std::string::npos ||
            l.find("WARNING") != std::string::npos || l.find("Attempt to read") != std::string::npos ||
            l.find("failed") != std::string::npos) {
            if (std::find(out.begin(), out.end(), l) == out.end()) {
                out.push_back(l);
            }
        }
    }
    return out;
}

std::optional<PageClasses> crash_page_view(CrashInput ci, const std::optional<std::string>& crash,
                                           const std::string& crash_error, Report& r)
{
    if (!crash) {
        for (const char* c : {".open", ".bt_a", ".log", ".ps", ".kmem"}) {
            r.fail(ci.name + c, "no crash utility: " + crash_error);
        }
        return std::nullopt;
    }
    if (!fs::is_regular_file(ci.vmcore)) {
        r.fail(ci.name + ".open", "no dump " + ci.vmcore + " to open");
        return std::nullopt;
    }
    ci.crash = *crash;
    ci.kernel_has_modules = kernel_has_modules(ci.vmlinux);
    ci.extra_commands = {"kmem -p", "kmem -F"};
    // The page size comes from the dump itself (libkdumpfile).
    KdumpCtx kd;
    std::string err;
    if (kd.open(ci.vmcore, &err)) {
        ci.page_size = kd.number("arch.page_size").value_or(0);
    }
    const auto extra = check_crash(ci, r);
    if (extra.size() != 2 || extra[0].empty()) {
        return std::nullopt;
    }
    return PageClasses(extra[0], extra[1], ci.page_size);
}

std::optional<std::vector<std::pair<uint64_t, uint64_t>>> read_vmcore_ranges(const std::string& headers,
                                                                             const std::string& check, Report& r)
{
    std::string err;
    const auto head = ElfFile::open(headers, &err);
    std::vector<std::pair<uint64_t, uint64_t>> v;
    bool sane = head.has_value();
    for (const auto& seg : head ? head->segments() : std::vector<Segment>{}) {
        uint64_t end = 0;
        if (seg.type == PT_LOAD && seg.filesz > 0) {
            sane = sane && !__builtin_add_overflow(seg.paddr, seg.filesz, &end);
            v.emplace_back(seg.paddr, end);
        }
    }
    r.expect(check, sane && !v.empty(),
             sane && !v.empty() ? fmt::format("/proc/vmcore had {} PT_LOADs", v.size())
             : head             ? "no usable PT_LOAD in " + headers
                                : headers + ": " + err);
    if (!sane || v.empty()) {
        return std::nullopt;
    }
    r.facts["vmcore_pt_loads"] = v.size();
    return v;
}

void check_makedumpfile_capture(const MakedumpfileInput& in, Report& r)
{
    // The archive is the guest's (capture_archive.hpp): unpacked inside the
    // run directory into plain files and directories only.
    const fs::path root = fs::path(in.out_dir) / "var-crash";
    std::error_code ec;
    const UnpackedCapture unpacked = unpack_capture(in.disk, root);
    const int rc = unpacked.tar_status;
    const std::string& out = unpacked.tar_output;
    r.expect("makedumpfile.archive", unpacked.removed.empty(),
             unpacked.removed.empty() ? "regular files and directories only"
                                      : "removed unread: " + fmt::format("{}", fmt::join(unpacked.removed, ", ")));
    fs::path dir;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        if (e.is_directory() && !e.is_symlink()) {
            dir = e.path();
        }
    }
    std::vector<std::string> missing;
    nlohmann::json files = nlohmann::json::object();
    for (const auto& s : CAPTURE_STEPS) {
        const fs::path f = dir / s.file;
        if (dir.empty() || !fs::is_regular_file(fs::symlink_status(f))) {
            missing.emplace_back(s.file);
        } else {
            files[s.file] = fs::file_size(f);
        }
    }
    r.expect("makedumpfile.saved", rc == 0 && !dir.empty() && missing.empty(),
             rc != 0           ? fmt::format("tar exit {}: {}", rc, out.substr(0, 300))
             : dir.empty()     ? "the archive holds no /var/crash/<time>/ directory"
             : missing.empty() ? "/var/crash/" + dir.filename().string() + "/ holds every step's file"
                               : "missing: " + fmt::format("{}", fmt::join(missing, ", ")));
    r.facts["makedumpfile_files"] = files;
    if (!dir.empty()) {
        r.facts["makedumpfile_dir"] = dir.string();
        nlohmann::json warnings = nlohmann::json::object();
        for (const auto& s : CAPTURE_STEPS) {
            const auto w = makedumpfile_warnings(read_file(dir / (std::string(s.name) + ".log")));
            if (!w.empty()) {
                warnings[s.name] = w;
            }
        }
        r.facts["makedumpfile_warnings"] = warnings;
    }

    if (!in.facts) {
        r.skip("makedumpfile.dmesg", "no console facts");
    } else if (!fs::exists(dir / "vmcore-dmesg.txt")) {
        r.fail("makedumpfile.dmesg", "no vmcore-dmesg.txt");
    } else {
        const auto j = judge_dmesg(read_file(dir / "vmcore-dmesg.txt"), *in.facts, in.how);
        r.expect("makedumpfile.dmesg", j.ok, j.detail);
    }

    // crash on the lzo dump (Fedora's default), with its view of every page
    // for the left_out checks.
    const fs::path lzo = dir / "vmcore.lzo";
    CrashInput ci;
    ci.how = in.how;
    ci.vmcore = lzo.string();
    ci.vmlinux = in.vmlinux;
    ci.out_dir = (fs::path(in.out_dir) / "makedumpfile-crash").string();
    ci.name = "makedumpfile.crash";
    ci.cpus = in.cpus.value_or(0);
    ci.online_cpus = in.online_cpus;
    ci.ram_bytes = in.ram_bytes;
    ci.facts = in.facts;
    const auto classes = crash_page_view(ci, in.crash, in.crash_error, r);
    const auto ranges = read_vmcore_ranges((dir / "vmcore-headers").string(), "makedumpfile.vmcore_headers", r);
    for (const auto& [file, name] :
         {std::pair{"vmcore.lzo", "lzo"}, std::pair{"vmcore.zlib", "zlib"}, std::pair{"vmcore.zstd", "zstd"}}) {
        FilteredDumpInput f;
        f.dump = (dir / file).string();
        f.name = std::string("makedumpfile.") + name;
        f.truth = in.truth;
        f.ram_bytes = in.ram_bytes;
        f.cpus = in.cpus;
        f.firmware_reserved = in.firmware_reserved;
        f.classes = classes ? &*classes : nullptr;
        f.vmcore_ranges = ranges;
        check_filtered_dump(f, r);
    }
}

bool is_kdump_compressed(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    char sig[8] = {};
    return f.read(sig, sizeof sig) && std::string(sig, sizeof sig) == "KDUMP   ";
}

void check_filtered_file(const CheckInput& in, const std::optional<std::string>& vmcore_headers, Report& r,
                         const std::string& prefix)
{
    std::optional<GroundTruthDoc> truth;
    if (in.ground_truth) {
        try {
            truth = load_ground_truth(*in.ground_truth);
        } catch (const std::exception& e) {
            r.fail("ground_truth.load", e.what());
        }
    }
    uint64_t ram = in.ram_bytes.value_or(0);
    if (ram == 0 && in.guest && in.guest->mem_total_kib) {
        ram = *in.guest->mem_total_kib * 1024;
    }
    if (ram == 0) {
        r.fail("lab.options", "the guest's RAM is unknown: give --mem or --console");
        return;
    }
    const CrashOutDir out(in.scratch_dir);
    if (out.path().empty()) {
        r.fail(prefix + "crash.open", "cannot make a scratch directory");
        return;
    }
    CrashInput ci;
    ci.name = prefix + "crash";
    ci.how = in.how;
    ci.vmcore = in.vmcore;
    ci.vmlinux = in.vmlinux;
    ci.cpus = in.expected_cpus.value_or(0);
    ci.ram_bytes = ram;
    ci.facts = in.guest;
    ci.out_dir = out.path();
    const auto classes = crash_page_view(ci, in.crash, in.crash_error, r);
    std::optional<std::vector<std::pair<uint64_t, uint64_t>>> ranges;
    if (vmcore_headers) {
        ranges = read_vmcore_ranges(*vmcore_headers, prefix + "makedumpfile.vmcore_headers", r);
    }
    FilteredDumpInput f;
    f.dump = in.vmcore;
    f.name = prefix + "makedumpfile";
    f.truth = truth ? &*truth : nullptr;
    f.ram_bytes = ram;
    f.cpus = in.expected_cpus;
    f.firmware_reserved = in.firmware_reserved;
    f.classes = classes ? &*classes : nullptr;
    f.vmcore_ranges = ranges;
    check_filtered_dump(f, r);
}

}  // namespace lab
