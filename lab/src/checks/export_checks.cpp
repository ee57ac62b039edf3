#include "export_checks.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "data_extents.hpp"
#include "dump_access.hpp"
#include "elf_file.hpp"
#include "makedumpfile_capture.hpp"
#include "process.hpp"

namespace lab {

std::optional<ExportTrace> export_trace(const std::string& qemu_log, const std::string& path)
{
    static const std::regex done(R"(fadump_export_done ok (\d) (\S*): (\d+) bytes, (\d+) written in (\d+) ns ?(.*))");
    std::optional<ExportTrace> last;
    std::istringstream in(qemu_log);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, done) && m[2] == path) {
            last = ExportTrace{.ok = m[1] == "1",
                               .path = m[2],
                               .file_bytes = std::stoull(m[3]),
                               .data_bytes = std::stoull(m[4]),
                               .ns = std::stoull(m[5]),
                               .why = m[6]};
        }
    }
    return last;
}

namespace {

// Closes a descriptor at scope exit.
struct Fd {
    int fd;
    explicit Fd(const std::string& path) : fd(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd()
    {
        if (fd >= 0) {
            close(fd);
        }
    }
};

}  // namespace

// Both files are read only where one of them holds data: a range that is a
// hole in both is zeros in both (the export and the sparse copy-out are
// mostly holes, 1.8 GB of which 30-40 MB hold data).
std::optional<uint64_t> first_difference(const std::string& a, const std::string& b, uint64_t bytes, uint64_t from)
{
    const Fd fa(a);
    const Fd fb(b);
    struct stat sa {};
    struct stat sb {};
    if (fa.fd < 0 || fb.fd < 0 || fstat(fa.fd, &sa) != 0 || fstat(fb.fd, &sb) != 0) {
        throw std::runtime_error("cannot open " + std::string(fa.fd < 0 ? a : b));
    }
    const auto size_a = static_cast<uint64_t>(sa.st_size);
    const auto size_b = static_cast<uint64_t>(sb.st_size);
    const uint64_t limit = std::min({bytes, size_a, size_b});
    const DataExtents data_a = data_extents(fa.fd, size_a);
    const DataExtents data_b = data_extents(fb.fd, size_b);
    constexpr size_t CHUNK = 1U << 20;
    std::vector<char> ba(CHUNK);
    std::vector<char> bb(CHUNK);
    uint64_t off = from;
    while (off < limit) {
        off = std::min(next_data(data_a, off, limit), next_data(data_b, off, limit));
        if (off >= limit) {
            break;
        }
        const auto want = static_cast<size_t>(std::min<uint64_t>(CHUNK, limit - off));
        const ssize_t ra = pread(fa.fd, ba.data(), want, static_cast<off_t>(off));
        const ssize_t rb = pread(fb.fd, bb.data(), want, static_cast<off_t>(off));
        if (ra < 0 || rb < 0) {
            throw std::runtime_error("cannot read " + std::string(ra < 0 ? a : b));
        }
        const auto got = static_cast<size_t>(std::min(ra, rb));
        const auto m = std::mismatch(ba.begin(), ba.begin() + static_cast<std::ptrdiff_t>(got), bb.begin());
        if (m.first != ba.begin() + static_cast<std::ptrdiff_t>(got)) {
            return off + static_cast<uint64_t>(m.first - ba.begin());
        }
        if (got < want) {
            return off + got;
        }
        off += want;
    }
    if (limit < bytes) {
        return limit;  // one of them ends before `bytes`
    }
    return std::nullopt;
}

std::optional<std::string> not_the_same_file(const std::string& a, const std::string& b, uint64_t bytes)
{
    std::error_code ea;
    std::error_code eb;
    const uint64_t sa = std::filesystem::file_size(a, ea);
    const uint64_t sb = std::filesystem::file_size(b, eb);
    if (ea || eb) {
        return "cannot read the size of " + (ea ? a : b);
    }
    if (sa != bytes || sb != bytes) {
        return fmt::format("{} bytes against {}, {} expected", sa, sb, bytes);
    }
    try {
        if (const auto at = first_difference(a, b, bytes)) {
            return fmt::format("first difference at byte {:#x}", *at);
        }
    } catch (const std::exception& e) {
        return e.what();
    }
    return std::nullopt;
}

std::string vmcore_part(const std::string& path, uint64_t offset)
{
    const Fd fd(path);
    elf_version(EV_CURRENT);
    Elf* e = fd.fd < 0 ? nullptr : elf_begin(fd.fd, ELF_C_READ, nullptr);
    std::string part = "padding";
    size_t n = 0;
    GElf_Ehdr eh{};
    if (e == nullptr || gelf_getehdr(e, &eh) == nullptr || elf_getphdrnum(e, &n) != 0) {
        part = "an unreadable ELF file";
    } else if (offset < eh.e_phoff + n * eh.e_phentsize) {
        part = "ELF header and program headers";
    }
    for (size_t i = 0; e != nullptr && i < n; ++i) {
        GElf_Phdr ph{};
        if (gelf_getphdr(e, static_cast<int>(i), &ph) != nullptr && offset >= ph.p_offset &&
            offset < ph.p_offset + ph.p_filesz) {
            part = ph.p_type == PT_NOTE ? "notes"
                                        : fmt::format("PT_LOAD {} (paddr {:#x})", i, ph.p_paddr + offset - ph.p_offset);
        }
    }
    if (e != nullptr) {
        elf_end(e);
    }
    return part;
}

namespace {

// The file offsets ([start, end)) of the vmcore's PT_LOADs `segs` that hold
// the physical ranges `phys` ([start, end)).
std::vector<std::pair<uint64_t, uint64_t>> file_ranges_of(const std::vector<Segment>& segs,
                                                          const std::vector<std::pair<uint64_t, uint64_t>>& phys)
{
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (const auto& seg : segs) {
        for (const auto& [s, end] : phys) {
            const uint64_t lo = std::max<uint64_t>(s, seg.paddr);
            const uint64_t hi = std::min<uint64_t>(end, seg.paddr + seg.filesz);
            if (seg.type == PT_LOAD && lo < hi) {
                out.emplace_back(seg.offset + (lo - seg.paddr), seg.offset + (hi - seg.paddr));
            }
        }
    }
    return out;
}

// The range of `ranges` holding `off`, if any.
std::optional<std::pair<uint64_t, uint64_t>> range_at(const std::vector<std::pair<uint64_t, uint64_t>>& ranges,
                                                      uint64_t off)
{
    for (const auto& r : ranges) {
        if (off >= r.first && off < r.second) {
            return r;
        }
    }
    return std::nullopt;
}

// How the export's page around file offset `off` stands to the ground
// truth: equal to the crash-time page, or that page but for skiboot's
// free-region footer in the last 8 bytes of RAM (written on every boot:
// both files hold one, maybe not the same). With the end of that page in
// the file; nullopt when neither (or a page not wholly in one PT_LOAD).
struct PageJudgement {
    bool footer = false;  // only the footer differs
    uint64_t end = 0;
};
std::optional<PageJudgement> judge_page(const ElfFile& elf, uint64_t off, const fadump::GroundTruthDoc& truth)
{
    const uint64_t ps = truth.page_size;
    const auto seg = std::find_if(elf.segments().begin(), elf.segments().end(), [&](const Segment& s) {
        return s.type == PT_LOAD && off >= s.offset && off < s.offset + s.filesz;
    });
    if (seg == elf.segments().end() || ps == 0) {
        return std::nullopt;
    }
    const uint64_t paddr = seg->paddr + (off - seg->offset);
    const uint64_t page = paddr / ps * ps;
    if (page < seg->paddr || page + ps > seg->paddr + seg->filesz || page / ps >= truth.pages()) {
        return std::nullopt;
    }
    const uint64_t file_off = seg->offset + (page - seg->paddr);
    if (file_off + ps > elf.size()) {
        return std::nullopt;
    }
    const unsigned char* bytes = elf.data() + file_off;
    std::string detail;
    if (TruthPages(truth).matches(page / ps, bytes, ps)) {
        return PageJudgement{.footer = false, .end = file_off + ps};
    }
    if (paddr + 8 >= truth.ram_size && only_skiboot_footer_differs(truth, page, ps, bytes, &detail)) {
        return PageJudgement{.footer = true, .end = file_off + ps};
    }
    return std::nullopt;
}

void check_equal(const ExportInput& in, Report& report)
{
    if (!in.proc_vmcore) {
        report.skip("export.equals_proc_vmcore", "the capture saved no raw /proc/vmcore to compare with");
        return;
    }
    try {
        // The export's program headers, read once (the mapping costs nothing
        // until a page is judged). Unreadable: no difference is excused.
        std::string err;
        const auto elf = ElfFile::open(in.export_path, &err);
        const auto fw =
            elf ? file_ranges_of(elf->segments(), in.firmware_reserved) : std::vector<std::pair<uint64_t, uint64_t>>{};
        uint64_t from = 0;
        uint64_t fw_ranges = 0;     // firmware ranges (in the file) holding a difference
        uint64_t fw_differ = 0;     // and their bytes
        uint64_t export_right = 0;  // pages where only the export equals the ground truth
        uint64_t footers = 0;       // the last page of RAM, differing in skiboot's footer only
        std::optional<uint64_t> diff;
        while ((diff = first_difference(in.export_path, *in.proc_vmcore, in.proc_vmcore_bytes, from))) {
            if (const auto range = range_at(fw, *diff)) {
                ++fw_ranges;
                fw_differ += range->second - range->first;
                from = range->second;
                continue;
            }
            const auto judged = elf && in.truth ? judge_page(*elf, *diff, *in.truth) : std::nullopt;
            if (!judged) {
                break;
            }
            export_right += judged->footer ? 0 : 1;
            footers += judged->footer ? 1 : 0;
            from = judged->end;
        }
        report.facts["export_firmware_bytes_differ"] = fw_differ;
        report.facts["export_pages_right_proc_wrong"] = export_right;
        if (diff) {
            report.fail("export.equals_proc_vmcore",
                        fmt::format("first difference at byte {:#x} of {:#x}: {} of the export", *diff,
                                    in.proc_vmcore_bytes, vmcore_part(in.export_path, *diff)));
            return;
        }
        // What differs, each part said once (PowerNV: skiboot writes after
        // the MPIPL boot, between the export's read and the capture kernel's).
        std::vector<std::string> but;
        if (fw_ranges != 0) {
            but.push_back(
                fmt::format("{} range(s) of firmware-owned memory ({} bytes), which skiboot rewrote after "
                            "the MPIPL boot (neither copy is the crash-time content there: skiboot's own "
                            "MDST range preserved that)",
                            fw_ranges, fw_differ));
        }
        if (export_right != 0) {
            but.push_back(
                fmt::format("{} page(s) where the export equals the ground truth and /proc/vmcore does not "
                            "(skiboot wrote them after the export read them)",
                            export_right));
        }
        if (footers != 0) {
            but.emplace_back("skiboot's free-region footer in the last 8 bytes of RAM, written on every boot");
        }
        report.pass("export.equals_proc_vmcore",
                    fmt::format("{} bytes equal to the capture kernel's /proc/vmcore{}{}", in.proc_vmcore_bytes,
                                but.empty() ? "" : " but in ", fmt::join(but, "; ")));
    } catch (const std::exception& e) {
        report.fail("export.equals_proc_vmcore", e.what());
    }
}

}  // namespace

bool check_export(const ExportInput& in, Report& report)
{
    const auto t = export_trace(in.qemu_log, in.export_path);
    if (!t) {
        report.fail("export.written", "no fadump_export_done in QEMU's log: the export never ended (QEMU quit first?)");
        return false;
    }
    if (!t->ok) {
        report.fail("export.written", "the platform refused or failed the export: " + t->why);
        return false;
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(in.export_path, ec);
    if (ec || size != t->file_bytes) {
        report.fail("export.written", fmt::format("{}: {} (the trace says {} bytes)", in.export_path,
                                                  ec ? ec.message() : std::to_string(size) + " bytes", t->file_bytes));
        return false;
    }
    auto& facts = report.facts;
    facts["export_bytes"] = t->file_bytes;
    facts["export_written_bytes"] = t->data_bytes;
    facts["export_ms"] = static_cast<double>(t->ns) / 1e6;
    facts["export_ms_per_gib"] =
        static_cast<double>(t->ns) / 1e6 / (static_cast<double>(t->file_bytes) / static_cast<double>(1ULL << 30));
    report.pass("export.written", fmt::format("{} bytes ({} written, the rest holes) in {:.1f} ms", t->file_bytes,
                                              t->data_bytes, static_cast<double>(t->ns) / 1e6));
    check_equal(in, report);
    return true;
}

bool check_export_opalcore(const OpalCoreExportInput& in, Report& report)
{
    const auto t = export_trace(in.qemu_log, in.export_path);
    if (!t || !t->ok) {
        report.fail("export.opalcore.written", t ? "the platform refused or failed the OPAL core: " + t->why
                                                 : "no fadump_export_done for the OPAL core in QEMU's log");
        return false;
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(in.export_path, ec);
    if (ec || size != t->file_bytes) {
        report.fail("export.opalcore.written",
                    fmt::format("{}: {} (the trace says {} bytes)", in.export_path,
                                ec ? ec.message() : std::to_string(size) + " bytes", t->file_bytes));
        return false;
    }
    report.facts["export_opalcore_bytes"] = t->file_bytes;
    report.facts["export_opalcore_ms"] = static_cast<double>(t->ns) / 1e6;
    report.pass("export.opalcore.written", fmt::format("{} bytes ({} written) in {:.1f} ms", t->file_bytes,
                                                       t->data_bytes, static_cast<double>(t->ns) / 1e6));
    if (!in.capture) {
        return true;
    }
    try {
        if (in.capture_bytes != size) {
            report.fail("export.opalcore.equals_capture",
                        fmt::format("{} bytes; the capture kernel's OPAL core has {}", size, in.capture_bytes));
        } else if (const auto at = first_difference(in.export_path, *in.capture, size)) {
            report.fail("export.opalcore.equals_capture", fmt::format("first difference at byte {:#x}, in the {}", *at,
                                                                      vmcore_part(in.export_path, *at)));
        } else {
            report.pass(
                "export.opalcore.equals_capture",
                fmt::format("byte for byte the capture kernel's /sys/firmware/opal/mpipl/core ({} bytes)", size));
        }
    } catch (const std::exception& e) {
        report.fail("export.opalcore.equals_capture", e.what());
    }
    return true;
}

bool filter_export(const ExportFilterInput& in, Report& r)
{
    std::error_code ec;
    std::filesystem::remove(in.out, ec);
    std::string log;
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run_command({in.makedumpfile, "-c", "-d", "31", in.export_path, in.out}, &log, in.timeout_s);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    std::ofstream(in.out + ".log") << log;
    const bool kdump = rc == 0 && is_kdump_compressed(in.out);
    const uint64_t bytes = kdump ? std::filesystem::file_size(in.out, ec) : 0;
    r.facts["export_kdump_bytes"] = bytes;
    r.facts["export_kdump_ms"] = ms.count();
    r.facts["export_kdump_warnings"] = makedumpfile_warnings(log);
    // The last line makedumpfile printed says why it failed.
    std::string last = log.substr(0, log.find_last_not_of(" \n") + 1);
    last = last.substr(last.find_last_of('\n') + 1);
    r.expect("export.kdump.written", kdump,
             kdump     ? fmt::format("makedumpfile -c -d 31 wrote {} bytes in {} ms", bytes, ms.count())
             : rc == 0 ? in.out + " is not kdump-compressed"
                       : fmt::format("makedumpfile exit {}: {}", rc, last));
    return kdump;
}

}  // namespace lab
