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
std::optional<uint64_t> first_difference(const std::string& a, const std::string& b, uint64_t bytes)
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
    uint64_t off = 0;
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

namespace {

void check_equal(const ExportInput& in, Report& report)
{
    if (!in.proc_vmcore) {
        report.skip("export.equals_proc_vmcore", "the capture saved no raw /proc/vmcore to compare with");
        return;
    }
    try {
        const auto diff = first_difference(in.export_path, *in.proc_vmcore, in.proc_vmcore_bytes);
        if (!diff) {
            report.pass("export.equals_proc_vmcore",
                        fmt::format("{} bytes equal to the capture kernel's /proc/vmcore", in.proc_vmcore_bytes));
        } else {
            report.fail("export.equals_proc_vmcore",
                        fmt::format("first difference at byte {:#x} of {:#x}: {} of the export", *diff,
                                    in.proc_vmcore_bytes, vmcore_part(in.export_path, *diff)));
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
