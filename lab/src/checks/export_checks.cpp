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

#include "dump_access.hpp"
#include "makedumpfile_capture.hpp"
#include "process.hpp"

namespace lab {

std::optional<ExportTrace> export_trace(const std::string& qemu_log)
{
    static const std::regex done(R"(fadump_export_done ok (\d) (\S*): (\d+) bytes, (\d+) written in (\d+) ns ?(.*))");
    std::optional<ExportTrace> last;
    std::istringstream in(qemu_log);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, done)) {
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

// The first offset at or after `off` that may hold data in `fd` (a hole
// reads as zeros), `size` when none does. A file system without holes
// answers `off` itself: every byte is then read.
uint64_t next_data(int fd, uint64_t off, uint64_t size)
{
    const off_t d = lseek(fd, static_cast<off_t>(off), SEEK_DATA);
    return d < 0 ? size : std::min(size, static_cast<uint64_t>(d));
}

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
    constexpr size_t CHUNK = 1U << 20;
    std::vector<char> ba(CHUNK);
    std::vector<char> bb(CHUNK);
    uint64_t off = from;
    while (off < limit) {
        off = std::min({next_data(fa.fd, off, size_a), next_data(fb.fd, off, size_b), limit});
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

std::vector<std::pair<uint64_t, uint64_t>> file_ranges_of(const std::string& path,
                                                          const std::vector<std::pair<uint64_t, uint64_t>>& phys)
{
    std::vector<std::pair<uint64_t, uint64_t>> out;
    const Fd fd(path);
    elf_version(EV_CURRENT);
    Elf* e = fd.fd < 0 || phys.empty() ? nullptr : elf_begin(fd.fd, ELF_C_READ, nullptr);
    size_t n = 0;
    if (e == nullptr || elf_getphdrnum(e, &n) != 0) {
        n = 0;
    }
    for (size_t i = 0; i < n; ++i) {
        GElf_Phdr ph{};
        if (gelf_getphdr(e, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_LOAD) {
            continue;
        }
        for (const auto& [s, end] : phys) {
            const uint64_t lo = std::max<uint64_t>(s, ph.p_paddr);
            const uint64_t hi = std::min<uint64_t>(end, ph.p_paddr + ph.p_filesz);
            if (lo < hi) {
                out.emplace_back(ph.p_offset + (lo - ph.p_paddr), ph.p_offset + (hi - ph.p_paddr));
            }
        }
    }
    if (e != nullptr) {
        elf_end(e);
    }
    std::sort(out.begin(), out.end());
    return out;
}

namespace {

// Where firmware-owned memory lies in the file, and whether `off` is in it.
struct FirmwareBytes {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;  // file offsets, sorted
    [[nodiscard]] std::optional<std::pair<uint64_t, uint64_t>> at(uint64_t off) const
    {
        for (const auto& r : ranges) {
            if (off >= r.first && off < r.second) {
                return r;
            }
        }
        return std::nullopt;
    }
};

// The physical address file offset `off` of the ELF vmcore `path` holds,
// with the file offset where its PT_LOAD starts and ends.
struct LoadAt {
    uint64_t paddr = 0, file_start = 0, file_end = 0, load_paddr = 0;
};
std::optional<LoadAt> load_at(const std::string& path, uint64_t off)
{
    const Fd fd(path);
    elf_version(EV_CURRENT);
    Elf* e = fd.fd < 0 ? nullptr : elf_begin(fd.fd, ELF_C_READ, nullptr);
    size_t n = 0;
    std::optional<LoadAt> at;
    for (size_t i = 0; e != nullptr && elf_getphdrnum(e, &n) == 0 && i < n && !at; ++i) {
        GElf_Phdr ph{};
        if (gelf_getphdr(e, static_cast<int>(i), &ph) != nullptr && ph.p_type == PT_LOAD && off >= ph.p_offset &&
            off < ph.p_offset + ph.p_filesz) {
            at = LoadAt{ph.p_paddr + (off - ph.p_offset), ph.p_offset, ph.p_offset + ph.p_filesz, ph.p_paddr};
        }
    }
    if (e != nullptr) {
        elf_end(e);
    }
    return at;
}

// How the export's page around file offset `off` of `path` stands to the
// ground truth: equal to the crash-time page, or that page but for
// skiboot's free-region footer in the last 8 bytes of RAM (written on
// every boot: both files hold one, maybe not the same). With the end of
// that page in the file; nullopt when neither (or a page not wholly in
// one PT_LOAD).
struct PageJudgement {
    bool footer = false;  // only the footer differs
    uint64_t end = 0;
};
std::optional<PageJudgement> judge_page(const std::string& path, uint64_t off, const fadump::GroundTruthDoc& truth)
{
    const auto at = load_at(path, off);
    const uint64_t ps = truth.page_size;
    if (!at || ps == 0) {
        return std::nullopt;
    }
    const uint64_t page = at->paddr / ps * ps;
    if (page < at->load_paddr || page + ps > at->load_paddr + (at->file_end - at->file_start) ||
        page / ps >= truth.pages()) {
        return std::nullopt;
    }
    const uint64_t file_off = at->file_start + (page - at->load_paddr);
    std::vector<unsigned char> buf(ps);
    const Fd fd(path);
    if (fd.fd < 0 || pread(fd.fd, buf.data(), ps, static_cast<off_t>(file_off)) != static_cast<ssize_t>(ps)) {
        return std::nullopt;
    }
    std::string detail;
    if (TruthPages(truth).matches(page / ps, buf.data(), buf.size())) {
        return PageJudgement{.footer = false, .end = file_off + ps};
    }
    if (at->paddr + 8 >= truth.ram_size && only_skiboot_footer_differs(truth, page, ps, buf.data(), &detail)) {
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
        const FirmwareBytes fw{file_ranges_of(in.export_path, in.firmware_reserved)};
        uint64_t from = 0;
        uint64_t fw_ranges = 0;     // firmware ranges (in the file) holding a difference
        uint64_t fw_differ = 0;     // and their bytes
        uint64_t export_right = 0;  // pages where only the export equals the ground truth
        uint64_t footers = 0;       // the last page of RAM, differing in skiboot's footer only
        std::optional<uint64_t> diff;
        while ((diff = first_difference(in.export_path, *in.proc_vmcore, in.proc_vmcore_bytes, from))) {
            if (const auto range = fw.at(*diff)) {
                ++fw_ranges;
                fw_differ += range->second - range->first;
                from = range->second;
                continue;
            }
            const auto judged = in.truth ? judge_page(in.export_path, *diff, *in.truth) : std::nullopt;
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
        } else if (fw_differ == 0 && export_right == 0 && footers == 0) {
            report.pass("export.equals_proc_vmcore",
                        fmt::format("{} bytes equal to the capture kernel's /proc/vmcore", in.proc_vmcore_bytes));
        } else if (export_right != 0 || footers != 0) {
            report.pass("export.equals_proc_vmcore",
                        fmt::format("{} bytes equal to the capture kernel's /proc/vmcore but in {} range(s) of "
                                    "firmware-owned memory ({} bytes), {} page(s) where the export equals the "
                                    "ground truth and /proc/vmcore does not (skiboot wrote them after the MPIPL "
                                    "boot, after the export read them){}",
                                    in.proc_vmcore_bytes, fw_ranges, fw_differ, export_right,
                                    footers != 0 ? " and skiboot's free-region footer in the last 8 bytes of RAM, "
                                                   "written on every boot"
                                                 : ""));
        } else {
            report.pass("export.equals_proc_vmcore",
                        fmt::format("{} bytes equal to the capture kernel's /proc/vmcore but in {} range(s) of "
                                    "firmware-owned memory ({} bytes), which skiboot rewrote after the MPIPL boot "
                                    "between the export's read and the capture kernel's (neither copy is the "
                                    "crash-time content there: skiboot's own MDST range preserved that)",
                                    in.proc_vmcore_bytes, fw_ranges, fw_differ));
        }
    } catch (const std::exception& e) {
        report.fail("export.equals_proc_vmcore", e.what());
    }
}

}  // namespace

bool check_export(const ExportInput& in, Report& report)
{
    const auto t = export_trace(in.qemu_log);
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
