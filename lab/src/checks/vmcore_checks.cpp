#include "vmcore_checks.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <variant>

#include "console_values.hpp"
#include "dump_access.hpp"
#include "elf_file.hpp"
#include "opalcore_checks.hpp"
#include "process.hpp"
#include "stopwatch.hpp"

namespace lab {
namespace {

constexpr uint32_t NT_PRSTATUS_TYPE = 1;
constexpr size_t PRSTATUS_PID_OFFSET = 32;  // elf_prstatus.pr_pid on ppc64

// pt_regs slots (arch/powerpc/include/uapi/asm/ptrace.h) and the names
// libkdumpfile gives them.
struct RegSlot {
    const char* truth;                  // the ground truth's name
    uint64_t fadump::TruthCpu::*value;  // and field
    const char* kdump;                  // libkdumpfile cpu.N.reg.<name>
};
constexpr RegSlot NAMED_SLOTS[] = {
    {"nip", &fadump::TruthCpu::nip, "pc"},  {"msr", &fadump::TruthCpu::msr, "msr"},
    {"ctr", &fadump::TruthCpu::ctr, "ctr"}, {"lr", &fadump::TruthCpu::lr, "lr"},
    {"xer", &fadump::TruthCpu::xer, "xer"}, {"cr", &fadump::TruthCpu::cr, "ccr"},
    {"dar", &fadump::TruthCpu::dar, "dar"}, {"dsisr", &fadump::TruthCpu::dsisr, "dsisr"},
};

// Functions the crashing CPU's saved registers may point into
// (crash_fadump <- ppc_panic_fadump_handler <- notifier <- panic <- sysrq).
const std::set<std::string> PANIC_PATH = {
    "crash_fadump", "ppc_save_regs", "ppc_panic_fadump_handler", "notifier_call_chain", "atomic_notifier_call_chain",
    "panic",        "vpanic",        "sysrq_handle_crash",       "__handle_sysrq",
};

// VMCOREINFO "PAGESIZE=": the OS page size, a power of two the ppc64 kernel
// can have (4 KiB .. 256 KiB); an error string otherwise.
std::variant<uint64_t, std::string> vmcoreinfo_pagesize(const std::string& vmcoreinfo)
{
    const std::string key = "PAGESIZE=";
    size_t p = vmcoreinfo.rfind(key, 0) == 0 ? 0 : vmcoreinfo.find("\n" + key);
    if (p == std::string::npos) {
        return std::string("no PAGESIZE in VMCOREINFO");
    }
    p += p == 0 ? key.size() : key.size() + 1;
    const std::string text = vmcoreinfo.substr(p, vmcoreinfo.find('\n', p) - p);
    const auto v = parse_u64(text);
    if (!v || *v < 4096 || *v > (256 << 10) || (*v & (*v - 1)) != 0) {
        return "VMCOREINFO PAGESIZE=\"" + text.substr(0, 40) + "\" is not a page size (a power of two, 4 KiB..256 KiB)";
    }
    return *v;
}

// Every PT_LOAD of `core`: each full 4 KiB page equals the guest page the
// engine hashed at the instant the vCPUs stopped.
void check_pt_load_hashes(const ElfFile& core, const GroundTruthDoc& truth, const std::string& name, Report& r,
                          bool by_vaddr = false, const std::vector<std::pair<uint64_t, uint64_t>>& reserved = {},
                          bool allow_skiboot_footer = false,
                          const std::vector<std::pair<uint64_t, uint64_t>>& hotplugged = {})
{
    auto in_hotplugged = [&](uint64_t p, uint64_t len) {
        for (const auto& [a, e] : hotplugged) {
            if (a <= p && p + len <= e) {
                return true;
            }
        }
        return false;
    };
    uint64_t hotplugged_pages = 0;
    // Firmware-owned memory (PowerNV: skiboot, its dump copy, register data)
    // is rewritten by the firmware across the MPIPL; its pre-crash content
    // is proved through the OPAL core instead.
    std::vector<std::pair<uint64_t, uint64_t>> skip = reserved;
    for (const auto& [a, size] : truth.firmware_ranges) {
        skip.emplace_back(a, a + size);
    }
    auto skipped = [&](uint64_t p, uint64_t len) {
        for (const auto& [a, e] : skip) {
            if (p < e && a < p + len) {
                return true;
            }
        }
        return false;
    };
    uint64_t firmware_pages = 0;
    const uint64_t page = truth.page_size;  // a power of two (read_ground_truth)
    std::string tail_detail;
    auto skiboot_footer_only = [&](uint64_t p, const unsigned char* bytes) {
        return allow_skiboot_footer && only_skiboot_footer_differs(truth, p, page, bytes, &tail_detail);
    };
    const TruthPages hashes(truth);
    const std::vector<unsigned char> zeros(page, 0);
    const PageHash zero_hash = page_hash(zeros.data(), zeros.size());
    uint64_t pages = 0;
    uint64_t bad = 0;
    uint64_t partial_bytes = 0;
    uint64_t loads = 0;
    std::string first_bad;
    std::string outside;
    for (const auto& seg : core.segments()) {
        if (seg.type != PT_LOAD || seg.filesz == 0) {
            continue;
        }
        ++loads;
        // The vmcore's headers are the capture kernel's: the segment must lie
        // inside the file and its addresses must not wrap, then every page
        // read below is inside the mapping.
        const uint64_t base = by_vaddr ? seg.vaddr : seg.paddr;
        uint64_t end = 0;
        if (seg.offset > core.size() || seg.filesz > core.size() - seg.offset ||
            __builtin_add_overflow(base, seg.filesz, &end)) {
            if (outside.empty()) {
                outside = fmt::format(
                    "; PT_LOAD at file offset {:#x}, {:#x} bytes, address {:#x} lies outside the "
                    "file ({:#x} bytes) or wraps past 2^64",
                    seg.offset, seg.filesz, base, core.size());
            }
            ++bad;
            continue;
        }
        uint64_t first = base;
        if (base % page != 0 && __builtin_add_overflow(base, page - base % page, &first)) {
            first = end;
        }
        first = std::min(first, end);
        partial_bytes += first - base;
        for (uint64_t p = first; end - p >= page; p += page) {
            if (!by_vaddr && skipped(p, page)) {
                ++firmware_pages;
                continue;
            }
            const uint64_t off = seg.offset + (p - base);
            const uint64_t idx = p / page;
            if (idx >= hashes.count()) {
                // Past the RAM the engine hashed: a DIMM plugged in while
                // the guest ran is not in its ground truth; anything else
                // has no business in the dump.
                if (in_hotplugged(p, page)) {
                    ++hotplugged_pages;
                } else {
                    ++bad;
                }
                continue;
            }
            ++pages;
            // A page in a hole of the file is zeros, compared unread.
            const bool same =
                core.in_hole(off, page) ? hashes.is(idx, zero_hash) : hashes.matches(idx, core.data() + off, page);
            if (!same && !skiboot_footer_only(p, core.data() + off)) {
                if (bad++ == 0) {
                    first_bad = fmt::format("{:#x}", p);
                }
            }
        }
        if (end > first) {
            partial_bytes += end - std::max(first, end / page * page);
        }
    }
    r.expect(
        name, loads > 0 && pages > 0 && bad == 0,
        fmt::format("{} PT_LOAD, {} pages ({:.1f} MiB) compared, {} differ{}{}{}{}", loads, pages,
                    static_cast<double>(pages * page) / (1 << 20), bad,
                    first_bad.empty() ? "" : " (first at " + first_bad + ")",
                    partial_bytes ? fmt::format("; {} bytes in partial edge pages not covered", partial_bytes) : "",
                    firmware_pages ? fmt::format("; {} pages of firmware-owned memory left to the OPAL core "
                                                 "check",
                                                 firmware_pages)
                                   : "",
                    hotplugged_pages ? fmt::format("; {} pages of hot-plugged memory, not in the engine's "
                                                   "ground truth (main RAM only), not compared",
                                                   hotplugged_pages)
                                     : "") +
            tail_detail + outside);
}

// Registers per CPU as libkdumpfile reads them.
struct Cpu {
    std::map<std::string, uint64_t> reg;
};

// Every non-crashing CPU: the vmcore's registers equal the engine's snapshot
// at the instant the vCPUs stopped (`truth` was checked when it was read).
void check_registers(const GroundTruthDoc& truth, std::vector<Cpu>& cpus, std::optional<size_t> crash_idx,
                     const std::function<std::optional<size_t>(size_t)>& note_of, Report& r)
{
    size_t compared = 0;
    std::string mismatches;
    std::string offline;
    for (const auto& tc : truth.cpus) {
        const size_t logical = tc.logical_id;
        const auto note = note_of(logical);
        if (!note) {
            // Offline when the kernel went down: it writes no note for it.
            offline += fmt::format("{}cpu{}", offline.empty() ? "" : ", ", logical);
            continue;
        }
        const size_t id = *note;
        if (crash_idx && id == *crash_idx) {
            continue;
        }
        if (id >= cpus.size()) {
            mismatches += fmt::format("cpu{} missing from the vmcore; ", id);
            continue;
        }
        ++compared;
        auto& reg = cpus[id].reg;
        for (int g = 0; g < 32; ++g) {
            const uint64_t want = tc.gpr[static_cast<size_t>(g)];
            if (reg[fmt::format("r{}", g)] != want) {
                mismatches += fmt::format("cpu{} r{} {:#x}!={:#x}; ", id, g, reg[fmt::format("r{}", g)], want);
            }
        }
        for (const auto& s : NAMED_SLOTS) {
            const uint64_t want = tc.*s.value;
            if (reg[s.kdump] != want) {
                mismatches += fmt::format("cpu{} {} {:#x}!={:#x}; ", id, s.truth, reg[s.kdump], want);
            }
        }
    }
    if (compared == 0 && mismatches.empty()) {
        r.skip("registers.match_ground_truth", "a single CPU: only the crashing CPU, whose registers the kernel saves");
    } else {
        r.expect("registers.match_ground_truth", compared > 0 && mismatches.empty(),
                 mismatches.empty()
                     ? fmt::format("{} non-crashing CPU(s): GPR0-31 NIP MSR CTR LR XER CR DAR DSISR equal{}", compared,
                                   offline.empty() ? "" : "; offline, without a note: " + offline)
                     : (compared == 0 ? "no non-crashing CPU to compare" : mismatches));
    }
}

void check_gdb(const CheckInput& in, const ElfFile& core, const std::vector<Note>& prstatus, Report& r)
{
    // gdb merges NT_PRSTATUS notes whose pid is 0 into one thread: give each
    // CPU its own pid in a scratch copy (as sparse as the vmcore: a copy
    // that wrote its holes out took 4 s for 2 GiB of zeros).
    const std::string scratch = in.scratch_dir + "/gdb-scratch.vmcore";
    std::error_code ec;
    std::string err;
    if (!core.copy_sparse(scratch, &err)) {
        r.fail("gdb.backtrace", "cannot make scratch copy: " + err);
        return;
    }
    {
        std::fstream f(scratch, std::ios::in | std::ios::out | std::ios::binary);
        for (size_t i = 0; i < prstatus.size(); ++i) {
            if (prstatus[i].desc.size() < PRSTATUS_PID_OFFSET + 4) {
                continue;  // too short to be an elf_prstatus; gdb will say so
            }
            const uint32_t pid = 1000 + static_cast<uint32_t>(i);
            unsigned char b[4];
            for (int k = 0; k < 4; ++k) {
                const int shift = core.little_endian() ? 8 * k : 8 * (3 - k);
                b[k] = static_cast<unsigned char>(pid >> shift);
            }
            f.seekp(static_cast<std::streamoff>(prstatus[i].desc_offset + PRSTATUS_PID_OFFSET));
            f.write(reinterpret_cast<const char*>(b), 4);
        }
    }
    std::string out;
    const int rc = run_command({"gdb-multiarch", "-nx", "-batch", "-ex", "set pagination off", "-ex", "info threads",
                                "-ex", "thread apply all bt 30", in.vmlinux, scratch},
                               &out, 300);
    std::filesystem::remove(scratch, ec);
    std::ofstream(in.scratch_dir + "/gdb-backtrace.txt") << out;
    if (in.how.firmware_initiated) {
        // S0: no thread crashed; gdb must still read every thread.
        const bool ok = rc == 0 && out.find("sysrq_handle_crash") == std::string::npos &&
                        out.find("Thread " + std::to_string(prstatus.size()) + " ") != std::string::npos;
        r.expect("gdb.backtrace", ok,
                 ok ? fmt::format("gdb-multiarch unwinds {} threads, none through a panic", prstatus.size())
                    : fmt::format("gdb exit {}; not {} threads, or one through sysrq_handle_crash (see "
                                  "gdb-backtrace.txt)",
                                  rc, prstatus.size()));
        return;
    }
    if (!in.how.hang_function.empty()) {
        // A hang: the crashing thread's note is where it hung.
        const bool ok = rc == 0 && out.find(" " + in.how.hang_function + " ") != std::string::npos;
        r.expect("gdb.backtrace", ok,
                 ok ? "gdb-multiarch shows a thread in " + in.how.hang_function
                    : fmt::format("gdb exit {}; no thread in {} (see gdb-backtrace.txt)", rc, in.how.hang_function));
        return;
    }
    const bool ok =
        rc == 0 && out.find("sysrq_handle_crash") != std::string::npos && out.find("panic") != std::string::npos;
    r.expect("gdb.backtrace", ok,
             ok ? "gdb-multiarch unwinds the crashing thread through sysrq_handle_crash and panic"
                : fmt::format("gdb exit {}; backtrace lacks sysrq_handle_crash/panic (see gdb-backtrace.txt)", rc));
}

}  // namespace

void check_opalcore(const CheckInput& in, Report& r)
{
    std::string err;
    auto core = ElfFile::open(in.vmcore, &err);
    if (!core) {
        r.fail("opalcore.elf_header", err);
        return;
    }
    const GElf_Ehdr& eh = core->header();
    size_t loads = 0;
    for (const auto& s : core->segments()) {
        loads += s.type == PT_LOAD ? 1 : 0;
    }
    const bool shape =
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_type == ET_CORE && eh.e_machine == EM_PPC64 && loads > 0;
    r.expect("opalcore.elf_header", shape,
             fmt::format("class {} type {} machine {} {} PT_LOAD ({})", eh.e_ident[EI_CLASS] == ELFCLASS64 ? 64 : 32,
                         eh.e_type, eh.e_machine, loads, core->little_endian() ? "LE" : "BE"));
    if (!in.ground_truth) {
        r.skip("opalcore.pt_load_hashes", "no ground truth (not recorded by this QEMU)");
        return;
    }
    try {
        const auto truth = load_ground_truth(*in.ground_truth);
        check_pt_load_hashes(*core, truth, "opalcore.pt_load_hashes", r, true);
        if (in.crash) {
            // What the crash utility makes of it (a fact: crash reads Linux
            // kernel dumps only; gdb checks the OPAL core).
            std::string said;
            const int rc = run_command({*in.crash, "-s", in.vmlinux, in.vmcore}, &said, 120);
            std::string last;
            for (std::istringstream lines(said); std::getline(lines, last);) {
                if (last.rfind("crash: ", 0) == 0) {
                    break;
                }
            }
            r.facts["opalcore_in_crash"] = fmt::format("exit {}: {}", rc, last);
        }
        if (!in.scratch_dir.empty()) {
            check_opalcore_gdb(in.vmcore, truth, in.scratch_dir, r);
        }
    } catch (const std::exception& e) {
        r.fail("opalcore.pt_load_hashes", std::string("ground truth: ") + e.what());
    }
}

namespace {

// What the ELF notes say: the NT_PRSTATUS notes, VMCOREINFO's OSRELEASE
// and PAGESIZE (an error string when it is not a page size).
struct NotesFacts {
    std::vector<Note> prstatus;
    std::string osrelease;
    std::variant<uint64_t, std::string> pagesize;
};

// vmcore.elf_header, vmcore.readelf (an independent ELF reader),
// vmcore.prstatus_per_cpu, vmcore.vmcoreinfo, vmcore.vmcoreinfo_pagesize.
NotesFacts check_elf_and_notes(const CheckInput& in, const ElfFile& core, Report& r)
{
    const GElf_Ehdr& eh = core.header();
    const bool shape =
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_type == ET_CORE && eh.e_machine == EM_PPC64 && eh.e_phnum > 0;
    r.expect("vmcore.elf_header", shape,
             fmt::format("class {} type {} machine {} phnum {} ({})", eh.e_ident[EI_CLASS] == ELFCLASS64 ? 64 : 32,
                         eh.e_type, eh.e_machine, eh.e_phnum, core.little_endian() ? "LE" : "BE"));

    std::string ro;
    const int rc = run_command({"readelf", "-h", "-l", "-n", "-W", in.vmcore}, &ro, 120);
    const bool readelf_ok = rc == 0 && ro.find("CORE (Core file)") != std::string::npos &&
                            ro.find("NT_PRSTATUS") != std::string::npos && ro.find("VMCOREINFO") != std::string::npos;
    r.expect("vmcore.readelf", readelf_ok,
             readelf_ok ? "readelf reads the header, program headers and notes (NT_PRSTATUS, VMCOREINFO)"
                        : fmt::format("readelf exit {}", rc));

    NotesFacts f;
    std::string vmcoreinfo;
    for (const auto& n : core.notes()) {
        if (n.name == "CORE" && n.type == NT_PRSTATUS_TYPE) {
            f.prstatus.push_back(n);
        } else if (n.name == "VMCOREINFO") {
            vmcoreinfo.assign(n.desc.begin(), n.desc.end());
        }
    }
    if (in.expected_cpus) {
        r.expect("vmcore.prstatus_per_cpu", f.prstatus.size() == *in.expected_cpus,
                 fmt::format("{} NT_PRSTATUS notes, {} online CPUs", f.prstatus.size(), *in.expected_cpus));
    } else {
        r.expect("vmcore.prstatus_per_cpu", !f.prstatus.empty(),
                 fmt::format("{} NT_PRSTATUS notes", f.prstatus.size()));
    }
    const auto osrel_pos = vmcoreinfo.find("OSRELEASE=");
    f.osrelease = osrel_pos == std::string::npos
                      ? ""
                      : vmcoreinfo.substr(osrel_pos + 10, vmcoreinfo.find('\n', osrel_pos) - osrel_pos - 10);
    r.expect("vmcore.vmcoreinfo", !f.osrelease.empty(),
             f.osrelease.empty() ? "no VMCOREINFO note with OSRELEASE" : "VMCOREINFO OSRELEASE=" + f.osrelease);
    f.pagesize = vmcoreinfo_pagesize(vmcoreinfo);
    r.expect("vmcore.vmcoreinfo_pagesize", std::holds_alternative<uint64_t>(f.pagesize),
             std::holds_alternative<uint64_t>(f.pagesize) ? fmt::format("PAGESIZE={}", std::get<uint64_t>(f.pagesize))
                                                          : std::get<std::string>(f.pagesize));
    return f;
}

// libkdumpfile, the independent dump reader: libkdumpfile.open,
// libkdumpfile.kernel_memory (linux_banner by virtual address, with the
// vmlinux's symbols, whose functions go to `funcs`), and every CPU's
// registers as it reads them.
std::vector<Cpu> check_libkdumpfile(const CheckInput& in, const NotesFacts& notes, std::vector<Symbol>& funcs,
                                    Report& r)
{
    KdumpCtx kd;
    std::string kd_error;
    const bool kd_open = kd.open(in.vmcore, &kd_error);
    const auto kd_cpus = kd_open ? kd.number("cpu.number") : std::nullopt;
    const auto kd_arch = kd_open ? kd.str("arch.name") : std::nullopt;
    const auto kd_osrel = kd_open ? kd.str("linux.vmcoreinfo.lines.OSRELEASE") : std::nullopt;
    const bool kd_ok = kd_open && kd_arch == "ppc64" && kd_cpus == notes.prstatus.size() && kd_osrel == notes.osrelease;
    r.expect("libkdumpfile.open", kd_ok,
             kd_open ? fmt::format("arch {}, {} CPUs, OSRELEASE {}", kd_arch.value_or("?"), kd_cpus.value_or(0),
                                   kd_osrel.value_or("?"))
                     : kd_error);

    std::string err;
    auto vml = ElfFile::open(in.vmlinux, &err);
    if (vml) {
        funcs = vml->symbols(STT_FUNC);
        for (const auto& s : vml->symbols(STT_OBJECT)) {
            if (s.name != "linux_banner") {
                continue;
            }
            char buf[64] = {};
            size_t len = sizeof buf - 1;
            const bool read_ok = kd_open && kdump_read(kd.ctx, KDUMP_KVADDR, s.addr, buf, &len) == KDUMP_OK;
            const std::string banner(buf);
            const bool ok = read_ok && banner.rfind("Linux version " + notes.osrelease, 0) == 0;
            r.expect("libkdumpfile.kernel_memory", ok,
                     ok ? "linux_banner read by virtual address: \"" + banner.substr(0, 40) + "...\""
                        : "cannot read linux_banner through libkdumpfile");
        }
    } else {
        r.fail("vmlinux.symbols", err);
    }

    std::vector<Cpu> cpus;
    for (uint64_t i = 0; kd_open && i < kd_cpus.value_or(0); ++i) {
        Cpu c;
        for (int g = 0; g < 32; ++g) {
            c.reg[fmt::format("r{}", g)] = kd.number(fmt::format("cpu.{}.reg.r{}", i, g)).value_or(~0ULL);
        }
        for (const auto& s : NAMED_SLOTS) {
            c.reg[s.kdump] = kd.number(fmt::format("cpu.{}.reg.{}", i, s.kdump)).value_or(~0ULL);
        }
        cpus.push_back(std::move(c));
    }
    return cpus;
}

// The engine's ground truth when the run recorded one (ground_truth.load
// fails when it cannot be read).
std::optional<GroundTruthDoc> load_truth(const CheckInput& in, Report& r)
{
    if (!in.ground_truth) {
        return std::nullopt;
    }
    if (!std::ifstream(*in.ground_truth)) {
        r.fail("ground_truth.load", "no ground truth file " + *in.ground_truth + " (the engine wrote none)");
        return std::nullopt;
    }
    try {
        return load_ground_truth(*in.ground_truth);
    } catch (const std::exception& e) {
        r.fail("ground_truth.load", e.what());
        return std::nullopt;
    }
}

// registers.crashing_cpu_in_panic_path, by how the kernel went down. The
// crashing CPU (a note index) comes in from the ground truth when known;
// without it, the one CPU in the panic path becomes it.
void check_crashing_cpu(const CheckInput& in, std::vector<Cpu>& cpus, const std::vector<Symbol>& funcs,
                        std::optional<size_t>& crash_idx, Report& r)
{
    std::string detail;
    size_t in_path = 0;
    size_t which = 0;
    for (size_t i = 0; i < cpus.size(); ++i) {
        const std::string nip = symbolize(funcs, cpus[i].reg["pc"]);
        const std::string lr = symbolize(funcs, cpus[i].reg["lr"]);
        if (PANIC_PATH.contains(nip) && PANIC_PATH.contains(lr)) {
            ++in_path;
            which = i;
        }
        detail += fmt::format("cpu{}: nip {} lr {}; ", i, nip, lr);
    }
    bool ok = in_path >= 1;
    if (in.how.s0_from_host) {
        // The host's S0 on a hung kernel: no crashing CPU, every thread
        // stopped where it hung.
        size_t hung = 0;
        for (const auto& c : cpus) {
            hung += symbolize(funcs, c.reg.at("pc")) == in.how.hang_function ? 1 : 0;
        }
        ok = in_path == 0 && hung == cpus.size();
        detail = fmt::format(
            "no CPU in the panic path expected (the host's S0), {} found; {} of {} CPUs in {}: "
            "{}",
            in_path, hung, cpus.size(), in.how.hang_function, detail);
    } else if (in.how.firmware_initiated) {
        // No crashing CPU: the kernel's crash info says unknown and
        // opal-fadump.c takes every thread's registers from the
        // firmware. The CPU that wrote S0 was inside OPAL (real mode).
        const bool writer_in_opal = crash_idx && *crash_idx < cpus.size() && (cpus[*crash_idx].reg["pc"] >> 60) == 0;
        ok = in_path == 0 && writer_in_opal;
        detail = fmt::format(
            "no CPU in the panic path expected (S0), {} found; the S0 writer, CPU {}, inside "
            "OPAL: {}; {}",
            in_path, crash_idx ? std::to_string(*crash_idx) : "?", writer_in_opal ? "yes" : "no", detail);
    } else if (!in.how.hang_function.empty()) {
        // The NMI's system reset handed crash_fadump the registers it
        // interrupted: the crashing CPU was where it hung.
        ok = crash_idx && *crash_idx < cpus.size() &&
             symbolize(funcs, cpus[*crash_idx].reg["pc"]) == in.how.hang_function;
        detail = fmt::format("crashing CPU {} expected in {}: {}", crash_idx ? std::to_string(*crash_idx) : "?",
                             in.how.hang_function, detail);
    } else if (crash_idx) {
        ok = *crash_idx < cpus.size() && PANIC_PATH.contains(symbolize(funcs, cpus[*crash_idx].reg["pc"])) &&
             PANIC_PATH.contains(symbolize(funcs, cpus[*crash_idx].reg["lr"]));
    } else if (in_path == 1) {
        crash_idx = which;
    }
    r.expect("registers.crashing_cpu_in_panic_path", ok, detail);
}

// registers.match_ground_truth and memory.pt_load_hashes: failed when a
// ground truth was named but is unusable, skipped when none was recorded.
void check_against_truth(const CheckInput& in, const ElfFile& core, const std::optional<GroundTruthDoc>& truth,
                         std::vector<Cpu>& cpus, std::optional<size_t> crash_idx,
                         const std::function<std::optional<size_t>(size_t)>& note_of, const NotesFacts& notes,
                         Report& r)
{
    if (!truth) {
        const char* why = in.ground_truth ? "no usable ground truth (see ground_truth.load)"
                                          : "no ground truth (not recorded by this QEMU)";
        for (const char* name : {"registers.match_ground_truth", "memory.pt_load_hashes"}) {
            if (in.ground_truth) {
                r.fail(name, why);
            } else {
                r.skip(name, why);
            }
        }
        return;
    }
    // After S0 every note is the firmware's: the writer's too.
    check_registers(*truth, cpus, in.how.firmware_initiated ? std::nullopt : crash_idx, note_of, r);
    // The OS manages memory in its own pages (VMCOREINFO PAGESIZE): a page
    // the firmware reserves in part is not the OS's at all, and skiboot
    // keeps allocator headers in the rest of it. (A bad PAGESIZE is
    // vmcore.vmcoreinfo_pagesize's failure; 4 KiB here.)
    const uint64_t os_page =
        std::holds_alternative<uint64_t>(notes.pagesize) ? std::get<uint64_t>(notes.pagesize) : 4096;
    auto reserved = in.firmware_reserved;
    for (auto& [a, e] : reserved) {
        a = a / os_page * os_page;
        e = e > UINT64_MAX - (os_page - 1) ? UINT64_MAX : (e + os_page - 1) / os_page * os_page;
    }
    check_pt_load_hashes(core, *truth, "memory.pt_load_hashes", r, false, reserved, !in.firmware_reserved.empty(),
                         in.hotplugged_ram);
}

// vmcore.covers_hotplugged_ram: memory plugged in while the guest ran is
// the crashed kernel's too, so the capture kernel must put it in the dump.
void check_hotplugged_coverage(const CheckInput& in, const ElfFile& core, Report& r)
{
    std::string missing;
    for (const auto& [a, e] : in.hotplugged_ram) {
        uint64_t at = a;
        bool moved = true;
        while (at < e && moved) {
            moved = false;
            for (const auto& seg : core.segments()) {
                if (seg.type == PT_LOAD && seg.paddr <= at && at - seg.paddr < seg.filesz) {
                    at = seg.paddr + seg.filesz;
                    moved = true;
                }
            }
        }
        if (at < e) {
            missing += fmt::format("{}[{:#x}, {:#x}) not covered from {:#x}", missing.empty() ? "" : "; ", a, e, at);
        }
    }
    std::string ranges;
    for (const auto& [a, e] : in.hotplugged_ram) {
        ranges += fmt::format("{}[{:#x}, {:#x})", ranges.empty() ? "" : ", ", a, e);
    }
    r.expect("vmcore.covers_hotplugged_ram", missing.empty(),
             missing.empty() ? "PT_LOADs cover the hot-plugged memory " + ranges : missing);
}

// The crash utility's checks (crash.*), failed without a crash utility.
void run_crash_checks(const CheckInput& in, const NotesFacts& notes, Report& r)
{
    if (!in.crash) {
        for (const char* name : {"crash.open", "crash.bt_a", "crash.log", "crash.ps", "crash.kmem"}) {
            r.fail(name, "no crash utility: " + in.crash_error);
        }
        return;
    }
    CrashInput ci;
    ci.crash = *in.crash;
    ci.vmcore = in.vmcore;
    ci.vmlinux = in.vmlinux;
    const CrashOutDir out(in.scratch_dir);
    if (out.path().empty()) {
        r.fail("crash.open", "cannot make a scratch directory");
        return;
    }
    ci.out_dir = out.path();
    ci.cpus = in.expected_cpus.value_or(static_cast<unsigned>(notes.prstatus.size()));
    // The page size vmcore.vmcoreinfo_pagesize validated; 0 (crash.kmem fails) otherwise.
    ci.page_size = std::holds_alternative<uint64_t>(notes.pagesize) ? std::get<uint64_t>(notes.pagesize) : 0;
    ci.ram_bytes = in.ram_bytes;
    ci.facts = in.guest;
    ci.how = in.how;
    ci.online_cpus = in.online_cpus;
    ci.notes = notes.prstatus.size();
    ci.kernel_has_modules = kernel_has_modules(in.vmlinux);
    check_crash(ci, r);
}

}  // namespace

void check_vmcore(const CheckInput& in, Report& r)
{
    // Each step's wall time (report fact vmcore_check_s), to see where a
    // verified cycle's time goes (issue 22).
    Stopwatch t;
    auto lap = [&r, &t](const char* step) { r.facts["vmcore_check_s"][step] = t.lap(); };
    std::string err;
    auto core = ElfFile::open(in.vmcore, &err);
    if (!core) {
        r.fail("vmcore.elf_header", err);
        return;
    }
    const NotesFacts notes = check_elf_and_notes(in, *core, r);
    lap("elf_and_notes");
    // crash, the longest check, reads the file with its own process: started
    // here, beside the rest and gdb (timed from here; its checks after the
    // others' in the report).
    const Stopwatch both;
    Report by_crash;
    auto crash = std::async(std::launch::async, [&in, &notes, &by_crash, &both] {
        run_crash_checks(in, notes, by_crash);
        by_crash.facts["vmcore_check_s"]["crash"] = both.seconds();
    });
    std::vector<Symbol> funcs;
    std::vector<Cpu> cpus = check_libkdumpfile(in, notes, funcs, r);
    lap("libkdumpfile");
    const std::optional<GroundTruthDoc> truth = load_truth(in, r);
    lap("load_truth");

    // Notes are written for the CPUs online when the kernel went down, in
    // CPU order (rtas-fadump.c / opal-fadump.c build_cpu_notes skip the
    // others): a logical CPU's note index is its place in that list.
    const std::function<std::optional<size_t>(size_t)> note_of = [&](size_t logical) -> std::optional<size_t> {
        if (in.notes_per_thread || in.online_cpus.empty() || in.online_cpus.size() != cpus.size()) {
            return logical;
        }
        const auto it = std::find(in.online_cpus.begin(), in.online_cpus.end(), logical);
        return it == in.online_cpus.end() ? std::nullopt
                                          : std::optional<size_t>(static_cast<size_t>(it - in.online_cpus.begin()));
    };
    // The crashing CPU (as a note index): known from the ground truth, else
    // the one whose saved NIP lies in the panic path.
    std::optional<size_t> crash_idx;
    if (truth) {
        for (const auto& c : truth->cpus) {
            if (c.cpu_index == truth->trigger_cpu_index) {
                crash_idx = note_of(c.logical_id);
            }
        }
    }
    check_crashing_cpu(in, cpus, funcs, crash_idx, r);
    check_against_truth(in, *core, truth, cpus, crash_idx, note_of, notes, r);
    lap("against_truth");
    if (!in.hotplugged_ram.empty()) {
        check_hotplugged_coverage(in, *core, r);
    }
    if (!in.scratch_dir.empty()) {
        check_gdb(in, *core, notes.prstatus, r);
    }
    lap("gdb");
    crash.get();
    r.merge(by_crash);
    r.facts["vmcore_check_s"]["crash_and_the_rest"] = both.seconds();
}

}  // namespace lab
