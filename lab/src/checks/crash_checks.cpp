#include "crash_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include "console_values.hpp"
#include "elf_file.hpp"
#include "process.hpp"
#include "text_file.hpp"

namespace fs = std::filesystem;

namespace lab {
namespace {

std::vector<std::string> split_lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        while (!l.empty() && (l.back() == '\r' || l.back() == ' ' || l.back() == '\t')) {
            l.pop_back();
        }
        out.push_back(l);
    }
    return out;
}

std::string mib(uint64_t bytes)
{
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

// The modules crash warns about when the kernel has none: not the dump's.
// What crash 9.0.2 says when the vmlinux's struct page has no
// compound_head member (memory.c, vm_init), whatever the dump.
const char* const NO_COMPOUND_HEAD_WARNING = "WARNING: SLUB: cannot determine how compound pages are linked";

const char* const NO_MODULE_WARNINGS[] = {
    "WARNING: cannot determine how modules are linked",
    "WARNING: no kernel module access",
};

// crash's "<address>: Task is running in ..." lines: `tail` at the end of
// `line`, with something (the address) before it.
bool says_after_something(std::string_view line, std::string_view tail)
{
    return line.size() > tail.size() && line.ends_with(tail);
}

}  // namespace

const GuestFacts::Task* GuestFacts::task(const std::string& role) const
{
    for (const auto& t : tasks) {
        if (t.role == role) {
            return &t;
        }
    }
    return nullptr;
}

namespace {

// The console line `l` from the kernel text at `p` on, with the kernel's own
// "[ time] " stamp in front of it kept and the lab's before it dropped.
std::string kernel_stamped(const std::string& l, size_t p)
{
    return l.substr(p >= 2 && l.compare(p - 2, 2, "] ") == 0 ? l.rfind('[', p) : p);
}

}  // namespace

GuestFacts guest_facts(const std::vector<std::string>& console_lines)
{
    GuestFacts f;
    const std::regex task_re(R"(FADUMP-LAB: task (\S+) pid (\d+) comm (\S+))");
    const std::regex mem_re(R"(Memory: (\d+)K/(\d+)K available \(.*\b(\d+)K reserved)");
    const std::string panic = "Kernel panic - not syncing";
    bool init_ran = false;
    for (std::string l : console_lines) {
        while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) {
            l.pop_back();
        }
        // After the panic (or once /init ran: a hang has no panic), the
        // next "Linux version" is the capture kernel.
        if ((f.panic_line || init_ran) && l.find("Linux version ") != std::string::npos) {
            break;
        }
        init_ran = init_ran || l.find("FADUMP-LAB: ") != std::string::npos;
        if (const auto p = l.find("lkdtm: Performing direct entry"); p != std::string::npos) {
            f.lkdtm_lines.push_back(kernel_stamped(l, p));
            continue;
        }
        if (const auto p = l.find("fadump-lab: raising S0"); p != std::string::npos && !f.s0_line) {
            f.s0_line = kernel_stamped(l, p);
            continue;
        }
        std::smatch m;
        // Console text is hostile: a number past 2^64 leaves the fact unset,
        // and the check that needs it fails by name.
        if (std::regex_search(l, m, task_re)) {
            if (const auto pid = parse_u64(m[2].str())) {
                f.tasks.push_back({m[1], *pid, m[3]});
            }
        } else if (!f.mem_total_kib && std::regex_search(l, m, mem_re)) {
            const auto avail = parse_u64(m[1].str());
            const auto total = parse_u64(m[2].str());
            const auto reserved = parse_u64(m[3].str());
            if (avail && total && reserved) {
                f.mem_available_kib = avail;
                f.mem_total_kib = total;
                f.mem_reserved_kib = reserved;
            }
        } else if (const auto p = l.find(panic); !f.panic_line && p != std::string::npos) {
            f.panic_line = kernel_stamped(l, p);
        }
    }
    return f;
}

std::vector<CrashBacktrace> parse_bt(const std::string& text)
{
    std::vector<CrashBacktrace> out;
    const std::regex head(R"re(^PID:\s+(\d+)\s+TASK:\s+[0-9a-f]+\s+CPU:\s+(\d+)\s+COMMAND:\s+"(.*)")re");
    const std::regex frame(R"(^\s*#\d+\s+\[[0-9a-f]+\]\s+(\S+)\s+at\s+[0-9a-f]+)");
    const std::regex nip(R"(^\s*NIP:\s+([0-9a-f]+)\s)");
    const std::regex r1(R"(\sR1:\s+([0-9a-f]+)\s)");
    const std::regex nip_sym(R"(^\s*\[NIP\s*:\s*(\S+)\])");
    const std::regex lr_sym(R"(^\s*\[LR\s*:\s*(\S+)\])");
    for (const auto& l : split_lines(text)) {
        std::smatch m;
        if (std::regex_search(l, m, head)) {
            const auto pid = parse_u64(m[1].str());
            const auto cpu = parse_u64(m[2].str());
            if (!pid || !cpu || *cpu > UINT32_MAX) {
                continue;  // a header no number fits: the block is not counted
            }
            out.push_back({*pid, static_cast<unsigned>(*cpu), m[3], {}});
        } else if (out.empty()) {
            continue;
        } else if (std::regex_search(l, m, frame)) {
            out.back().frames.push_back(m[1]);
        } else if (std::regex_search(l, m, r1)) {
            out.back().r1 = parse_u64(m[1].str(), 16).value_or(UINT64_MAX);
        } else if (std::regex_search(l, m, nip)) {
            // An unreadable NIP is never taken for an address inside OPAL.
            out.back().nip = parse_u64(m[1].str(), 16).value_or(UINT64_MAX);
        } else if (std::regex_search(l, m, nip_sym)) {
            out.back().nip_symbol = m[1];
        } else if (std::regex_search(l, m, lr_sym)) {
            out.back().lr_symbol = m[1];
        } else if (says_after_something(l, ": Task is running in OPAL (firmware) context")) {
            out.back().opal_context = true;
        } else if (says_after_something(l, ": Task is running in user space")) {
            out.back().user_space = true;
        } else if (l == "cannot find the stack info.") {
            out.back().stack_unknown = true;
        } else if (l.rfind("bt: cannot determine NT_PRSTATUS ELF note for active task: ", 0) == 0) {
            out.back().no_note_line = l;
        }
    }
    return out;
}

std::vector<CrashTask> parse_ps(const std::string& text)
{
    std::vector<CrashTask> out;
    const std::regex row(R"(^(>?)\s*(\d+)\s+(\d+)\s+(\d+)\s+[0-9a-f]+\s+([A-Z]{2})\s+[\d.]+\s+\d+\s+\d+\s+(.+)$)");
    for (const auto& l : split_lines(text)) {
        std::smatch m;
        if (std::regex_match(l, m, row)) {
            const auto pid = parse_u64(m[2].str());
            const auto ppid = parse_u64(m[3].str());
            const auto cpu = parse_u64(m[4].str());
            if (pid && ppid && cpu && *cpu <= UINT32_MAX) {
                out.push_back({m[1] == ">", *pid, *ppid, static_cast<unsigned>(*cpu), m[5], m[6]});
            }
        }
    }
    return out;
}

std::optional<uint64_t> parse_kmem_total_pages(const std::string& text)
{
    const std::regex total(R"(^\s*TOTAL MEM\s+(\d+)\s)");
    for (const auto& l : split_lines(text)) {
        std::smatch m;
        if (std::regex_search(l, m, total)) {
            return parse_u64(m[1].str());
        }
    }
    return std::nullopt;
}

Judgement judge_open(int exit_code, const std::string& session, const std::vector<std::string>& command_outputs,
                     bool kernel_has_modules, bool page_has_compound_head,
                     const std::vector<std::string>& excused_lines)
{
    auto excused = [&](const std::string& l) {
        return std::find(excused_lines.begin(), excused_lines.end(), l) != excused_lines.end();
    };
    if (exit_code != 0) {
        return {false, fmt::format("crash exited {}{}: {}", exit_code, exit_code == 124 ? " (timeout)" : "",
                                   session.substr(0, 400))};
    }
    // Every command writes to its own file, so crash's own output is only
    // what it says about the kernel and the dump.
    std::string said;
    unsigned tolerated = 0;
    bool compound = false;
    for (const auto& l : split_lines(session)) {
        if (l.empty()) {
            continue;
        }
        bool ok = false;
        for (const char* w : NO_MODULE_WARNINGS) {
            ok = ok || (!kernel_has_modules && l == w);
        }
        if (ok) {
            ++tolerated;
        } else if (excused(l)) {
            continue;
        } else if (!page_has_compound_head && l == NO_COMPOUND_HEAD_WARNING) {
            compound = true;
        } else {
            said += (said.empty() ? "" : "; ") + l;
        }
    }
    if (!said.empty()) {
        return {false, "crash said: " + said};
    }
    const std::regex error_line(R"(^(crash|bt|log|ps|kmem): |^\S.*read error: )");
    for (size_t i = 0; i < command_outputs.size(); ++i) {
        if (command_outputs[i].empty()) {
            return {false, fmt::format("command {} wrote no output", i + 1)};
        }
        for (const auto& l : split_lines(command_outputs[i])) {
            if (!l.empty() && l[0] != '[' && !excused(l) && std::regex_search(l, error_line)) {
                return {false, fmt::format("command {}: {}", i + 1, l)};
            }
        }
    }
    return {true,
            fmt::format("crash opened the dump with the DWARF vmlinux and ran {} commands without a warning or "
                        "error{}",
                        command_outputs.size(),
                        tolerated ? " (the kernel has no modules: crash's 2 module warnings are not the dump's)" : "") +
                (excused_lines.empty() ? ""
                                       : fmt::format("; {} offline CPU(s) without a note, as the kernel writes none "
                                                     "(crash.bt_a)",
                                                     excused_lines.size())) +
                (compound ? "; crash's SLUB compound-page warning is its own: the vmlinux's struct page has no "
                            "compound_head (renamed compound_info in 7.x), which crash looks up in the DWARF, "
                            "not in the dump"
                          : "")};
}

bool notes_map_to_online_cpus(size_t notes, const std::vector<unsigned>& online)
{
    return online.empty() || notes == 0 || notes == online.size();
}

std::vector<std::string> offline_no_note_lines(const std::vector<CrashBacktrace>& bts,
                                               const std::vector<unsigned>& online)
{
    std::vector<std::string> out;
    for (const auto& b : bts) {
        if (!online.empty() && !b.no_note_line.empty() &&
            std::find(online.begin(), online.end(), b.cpu) == online.end() && b.pid == 0 &&
            b.command == fmt::format("swapper/{}", b.cpu) && b.frames.empty()) {
            out.push_back(b.no_note_line);
        }
    }
    return out;
}

namespace {

// Why a CPU crash shows without frames is the dump's truth and not a failed
// unwind ("(...)" for the summary), or nullopt when it is a failed unwind.
std::optional<std::string> frameless_reason(const CrashBacktrace& b)
{
    // Stopped inside OPAL: the NIP is skiboot's (real mode, no kernel
    // symbol) and the kernel's return point from OPAL is in LR.
    const bool in_opal = b.nip_symbol.empty() && (b.nip >> 60) == 0 && (b.lr_symbol == "opal_return" || b.opal_context);
    if (in_opal) {
        return b.lr_symbol == "opal_return"
                   ? fmt::format("(stopped in OPAL: NIP {:#x}, LR opal_return, no kernel frames)", b.nip)
                   : fmt::format("(stopped in OPAL: NIP {:#x}, crash: running in OPAL context)", b.nip);
    }
    // On an IRQ/softirq stack: crash's ppc64 unwinder knows IRQ stacks
    // only through `struct irq_ctx`, which ppc64 kernels no longer have,
    // and says "cannot find the stack info." (ppc64.c). The registers
    // are still the dump's (registers.match_ground_truth compares them).
    // Stopped at an interrupt handler's first instructions (__do_irq+8,
    // the stack just switched by call_do_irq) crash names no LR either.
    if (b.stack_unknown && (b.nip >> 60) == 0xc && !b.nip_symbol.empty()) {
        return fmt::format("(on an interrupt stack crash cannot unwind: NIP {}, LR {})", b.nip_symbol,
                           b.lr_symbol.empty() ? "not named by crash" : b.lr_symbol);
    }
    // Stopped in user space (the firmware saved the registers of a task
    // running its own code: MSR PR, crash says so): a user NIP and stack,
    // no kernel frame to unwind. Never the task that panicked (judged
    // below: its backtrace must reach the panic).
    if (b.user_space && (b.nip >> 60) == 0 && (b.r1 >> 60) == 0 && b.pid != 0) {
        return fmt::format("(running in user space: NIP {:#x}, R1 {:#x}, the task's own code and stack)", b.nip, b.r1);
    }
    // Stopped at an exception vector's first instructions, entered from
    // user space (a system call's sc at 0x4c00, an interrupt): R1 is
    // still the user's stack, so there is no kernel frame to unwind.
    // The vectors are fixed at 0x100-0x7000 above the kernel's base
    // (arch/powerpc/kernel/exceptions-64s.S OPEN_FIXED_SECTION).
    const uint64_t kernel_base = 0xc000000000000000ULL;
    if (b.nip >= kernel_base + 0x100 && b.nip < kernel_base + 0x7000 && (b.r1 >> 60) == 0 && b.r1 != 0 && b.pid != 0) {
        return fmt::format(
            "(entering the kernel at vector {:#x} from user space, R1 {:#x} still the user's stack: no kernel "
            "frame yet)",
            b.nip - kernel_base, b.r1);
    }
    return std::nullopt;
}

}  // namespace

Judgement judge_bt(const std::vector<CrashBacktrace>& bts_in, const std::string& bt_text, unsigned cpus,
                   const GuestFacts& facts, const Downfall& how, const std::vector<unsigned>& online)
{
    const auto& hang_frames = how.hang_frames;
    const auto excused = offline_no_note_lines(bts_in, online);
    for (const auto& l : split_lines(bt_text)) {
        if (l.rfind("bt: ", 0) == 0 && std::find(excused.begin(), excused.end(), l) == excused.end()) {
            return {false, l};
        }
    }
    std::vector<CrashBacktrace> bts;
    std::string offline;
    for (const auto& b : bts_in) {
        if (!b.no_note_line.empty() && std::find(excused.begin(), excused.end(), b.no_note_line) != excused.end()) {
            offline += fmt::format("{}{}", offline.empty() ? "" : ", ", b.cpu);
        } else {
            bts.push_back(b);
        }
    }
    std::set<unsigned> on;
    std::string where = offline.empty() ? "" : "offline CPU(s) " + offline + " shown without a note (none written); ";
    for (const auto& b : bts) {
        on.insert(b.cpu);
        where += fmt::format("{}CPU {} pid {} \"{}\" ", where.empty() || where.back() == ' ' ? "" : ", ", b.cpu, b.pid,
                             b.command);
        if (!b.frames.empty()) {
            where += fmt::format("({} frames)", b.frames.size());
            continue;
        }
        const auto why = frameless_reason(b);
        if (!why) {
            return {false,
                    fmt::format("pid {} on CPU {}: no frames (NIP {:#x} {}, LR {})", b.pid, b.cpu, b.nip,
                                b.nip_symbol.empty() ? "?" : b.nip_symbol, b.lr_symbol.empty() ? "?" : b.lr_symbol)};
        }
        where += *why;
    }
    if (bts.size() != cpus || on.size() != cpus) {
        return {false, fmt::format("{} backtraces on {} distinct CPUs for {} online CPUs: {}", bts.size(), on.size(),
                                   cpus, where)};
    }
    if (!hang_frames.empty()) {
        // A hang the host's NMI ended: each CPU, the one the firmware dumped
        // from included, shows the system reset over where it hung.
        std::string want;
        for (const auto& h : hang_frames) {
            want += (want.empty() ? "" : ", ") + h;
        }
        for (const auto& b : bts) {
            for (const auto& h : hang_frames) {
                // "a|b": either frame.
                bool found = false;
                for (size_t from = 0; from <= h.size();) {
                    const size_t bar = std::min(h.find('|', from), h.size());
                    found = found ||
                            std::find(b.frames.begin(), b.frames.end(), h.substr(from, bar - from)) != b.frames.end();
                    from = bar + 1;
                }
                if (!found) {
                    std::string chain;
                    for (const auto& f : b.frames) {
                        chain += (chain.empty() ? "" : " < ") + f;
                    }
                    return {false, fmt::format("CPU {} pid {} \"{}\" lacks {}: {}", b.cpu, b.pid, b.command, h,
                                               chain.empty() ? "no frames" : chain)};
                }
            }
        }
        return {true, fmt::format("{}; every CPU shows {}", where, want)};
    }
    const auto* crasher = facts.task("crasher");
    if (how.firmware_initiated) {
        const auto* writer = facts.task("s0-writer");
        for (const auto& b : bts) {
            const bool panicked = std::find(b.frames.begin(), b.frames.end(), "panic") != b.frames.end() ||
                                  std::find(b.frames.begin(), b.frames.end(), "vpanic") != b.frames.end();
            if (panicked) {
                return {false, fmt::format("CPU {} pid {} went through panic, but S0 (no panic) stopped the kernel: {}",
                                           b.cpu, b.pid, where)};
            }
        }
        if (writer == nullptr) {
            return {false, "the console names no S0 writer (FADUMP-LAB: task s0-writer ...)"};
        }
        for (const auto& b : bts) {
            if (b.pid == writer->pid && b.command == writer->comm && b.opal_context) {
                return {true, fmt::format("{}; no panic: the S0 writer pid {} \"{}\" on CPU {}", where, b.pid,
                                          b.command, b.cpu)};
            }
        }
        return {false, fmt::format("no CPU runs the S0 writer pid {} \"{}\" in OPAL context (its XSCOM write): {}",
                                   writer->pid, writer->comm, where)};
    }
    std::vector<const CrashBacktrace*> through;
    for (const auto& b : bts) {
        auto has = [&](const char* f) { return std::find(b.frames.begin(), b.frames.end(), f) != b.frames.end(); };
        // panic() or, from 7.x on where sysrq's crash calls it directly
        // (through do_panic_on_target_cpu), vpanic().
        if (has("sysrq_handle_crash") && (has("panic") || has("vpanic"))) {
            through.push_back(&b);
        }
    }
    if (through.size() != 1) {
        return {false, fmt::format("{} backtraces through sysrq_handle_crash and panic, 1 expected: {}", through.size(),
                                   where)};
    }
    const auto& c = *through.front();
    if (crasher && (c.pid != crasher->pid || c.command != crasher->comm)) {
        return {false, fmt::format("the panicking task is pid {} \"{}\" on CPU {}; the guest crashed from pid {} "
                                   "\"{}\"",
                                   c.pid, c.command, c.cpu, crasher->pid, crasher->comm)};
    }
    std::string chain;
    for (const auto& f : c.frames) {
        chain += (chain.empty() ? "" : " < ") + f;
        if (f == "sysrq_handle_crash") {
            break;
        }
    }
    return {true, fmt::format("{}; CPU {} pid {} \"{}\"{}: {}", where, c.cpu, c.pid, c.command,
                              crasher ? " (the crasher the guest named)" : "", chain)};
}

Judgement judge_downfall_lines(const std::vector<std::string>& kernel_log, const std::string& where,
                               const GuestFacts& facts, const Downfall& how)
{
    std::vector<std::string> want;
    if (how.hang()) {
        if (facts.lkdtm_lines.empty()) {
            return {false, "the console showed no \"lkdtm: Performing direct entry\" line"};
        }
        want = facts.lkdtm_lines;
    }
    if (how.firmware_initiated && !how.s0_from_host) {
        if (!facts.s0_line) {
            return {false, "the console showed no \"fadump-lab: raising S0\" kernel line"};
        }
        want.push_back(*facts.s0_line);
    }
    if (want.empty()) {
        return {false, "not a hang or an S0: the kernel panicked"};
    }
    for (const auto& w : want) {
        if (std::find(kernel_log.begin(), kernel_log.end(), w) == kernel_log.end()) {
            return {false, fmt::format("{} lacks the console's \"{}\"", where, w)};
        }
    }
    return {true, fmt::format("{} holds the console's {} line(s), time stamps and all, e.g. \"{}\"", where, want.size(),
                              want.front())};
}

Judgement judge_log(const std::string& log_text, const GuestFacts& facts, const Downfall& how)
{
    if (how.firmware_initiated || how.hang()) {
        return judge_downfall_lines(split_lines(log_text), "log", facts, how);
    }
    if (!facts.panic_line) {
        return {false, "the console showed no \"Kernel panic - not syncing\" line"};
    }
    std::string seen;
    for (const auto& l : split_lines(log_text)) {
        if (l == *facts.panic_line) {
            return {true, "log holds the console's \"" + l + "\""};
        }
        if (seen.empty() && l.find("Kernel panic") != std::string::npos) {
            seen = l;
        }
    }
    return {false, "log lacks the console's \"" + *facts.panic_line + "\"" +
                       (seen.empty() ? std::string(" (no panic line at all)") : "; it has \"" + seen + "\"")};
}

Judgement judge_ps(const std::vector<CrashTask>& tasks, const GuestFacts& facts)
{
    const auto* init = facts.task("init");
    std::vector<const GuestFacts::Task*> wanted;
    bool goer = false;  // a task that took the kernel down: the crasher or a hanger
    for (const auto& t : facts.tasks) {
        wanted.push_back(&t);
        goer = goer || t.role == "crasher" || t.role == "hanger" || t.role == "s0-writer";
    }
    if (init == nullptr || !goer) {
        return {false, "the console names no init and crasher (hanger, S0 writer) task (FADUMP-LAB: task ...)"};
    }
    std::string detail = fmt::format("{} tasks", tasks.size());
    for (const auto* want : wanted) {
        const CrashTask* got = nullptr;
        for (const auto& t : tasks) {
            if (t.pid == want->pid) {
                got = &t;
            }
        }
        if (got == nullptr) {
            return {false, fmt::format("ps has no pid {} ({} \"{}\" on the console); {}", want->pid, want->role,
                                       want->comm, detail)};
        }
        if (got->comm != want->comm) {
            return {false,
                    fmt::format("ps shows pid {} as \"{}\", the console as \"{}\"", got->pid, got->comm, want->comm)};
        }
        if (want->role != "init" && (!got->active || got->state != "RU" || got->ppid != init->pid)) {
            return {false,
                    fmt::format("the {} pid {} is {}{} with parent {}, expected active, RU, parent {}", want->role,
                                got->pid, got->active ? "active " : "", got->state, got->ppid, init->pid)};
        }
        detail += fmt::format("; pid {} \"{}\" {} ppid {}{}", got->pid, got->comm, got->state, got->ppid,
                              got->active ? " (active)" : "");
    }
    return {true, detail};
}

Judgement judge_kmem(std::optional<uint64_t> total_pages, uint64_t page_size, uint64_t ram_bytes,
                     const GuestFacts& facts)
{
    if (!total_pages) {
        return {false, "no TOTAL MEM line in kmem -i"};
    }
    if (!facts.mem_reserved_kib) {
        return {false, "the console has no \"Memory: ...K/...K available (... reserved ...)\" line"};
    }
    if (page_size == 0) {
        return {false, "page size unknown"};
    }
    const uint64_t total = *total_pages * page_size;
    const uint64_t reserved = *facts.mem_reserved_kib * 1024;
    if (reserved > ram_bytes) {
        return {false,
                fmt::format("the kernel reserved {}, more than the guest RAM {}", mib(reserved), mib(ram_bytes))};
    }
    const uint64_t low = ram_bytes - reserved;
    const bool ok = total >= low && total <= ram_bytes;
    return {ok, fmt::format("kmem -i TOTAL MEM {} pages of {} KiB = {}; guest RAM {} less the {} the booting kernel "
                            "reserved (Memory: line) = {}; allowed [{}, {}]{}",
                            *total_pages, page_size / 1024, mib(total), mib(ram_bytes), mib(reserved), mib(low),
                            mib(low), mib(ram_bytes),
                            ok ? fmt::format(": {} above the floor (memory freed after boot)", mib(total - low))
                               : ": outside")};
}

CrashOutDir::CrashOutDir(std::string given) : m_path(std::move(given))
{
    if (m_path.empty()) {
        char d[] = "/tmp/fadump-crash-XXXXXX";
        if (mkdtemp(d) != nullptr) {
            m_path = d;
            m_temporary = true;
        }
    }
}

CrashOutDir::~CrashOutDir()
{
    if (m_temporary) {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
}

bool struct_page_has_compound_head(const std::string& vmlinux)
{
    std::string out;
    const int rc = run_command({"gdb-multiarch", "-nx", "-batch", "-ex", "ptype struct page", vmlinux}, &out, 120);
    return rc != 0 || out.find("struct page {") == std::string::npos ||
           out.find(" compound_head;") != std::string::npos;
}

bool kernel_has_modules(const std::string& vmlinux)
{
    std::string err;
    const auto vml = ElfFile::open(vmlinux, &err);
    if (!vml) {
        return false;
    }
    const auto objects = vml->symbols(STT_OBJECT);
    return std::any_of(objects.begin(), objects.end(), [](const Symbol& s) { return s.name == "modules"; });
}

std::vector<std::string> check_crash(const CrashInput& in, Report& r)
{
    std::vector<std::pair<std::string, std::string>> cmds = {
        {"bt -a", "crash-bt_a.txt"}, {"log", "crash-log.txt"}, {"ps", "crash-ps.txt"}, {"kmem -i", "crash-kmem_i.txt"}};
    for (const auto& c : in.extra_commands) {
        // "kmem -p" -> crash-kmem_p.txt
        std::string slug;
        for (const char ch : c) {
            if (std::isalnum(static_cast<unsigned char>(ch)) != 0) {
                slug += ch;
            } else if (ch == ' ') {
                slug += '_';
            }
        }
        cmds.emplace_back(c, "crash-" + slug + ".txt");
    }
    const fs::path dir = in.out_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    {
        std::ofstream script(dir / "crash-commands.txt");
        for (const auto& [command, file] : cmds) {
            fs::remove(dir / file, ec);
            // crash's own redirection (no shell): one file per command.
            script << command << " > " << (dir / file).string() << "\n";
        }
        script << "quit\n";
    }
    std::string session;
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run_command({in.crash, "-s", "-i", (dir / "crash-commands.txt").string(), in.vmlinux, in.vmcore},
                               &session, in.timeout_s);
    r.phases[in.name] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::ofstream(dir / "crash-session.txt") << session;

    std::vector<std::string> outputs;
    outputs.reserve(cmds.size());
    for (const auto& c : cmds) {
        outputs.push_back(read_text(dir / c.second));
    }
    // Only asked when crash said it: gdb reads the whole DWARF (seconds).
    const bool compound_head =
        session.find(NO_COMPOUND_HEAD_WARNING) == std::string::npos || struct_page_has_compound_head(in.vmlinux);
    const auto bts = parse_bt(outputs[0]);
    const auto open = judge_open(rc, session, outputs, in.kernel_has_modules, compound_head,
                                 offline_no_note_lines(bts, in.online_cpus));
    r.expect(in.name + ".open", open.ok, open.detail);
    std::vector<std::string> extra(outputs.begin() + 4, outputs.end());
    if (rc != 0) {
        for (const char* check : {".bt_a", ".log", ".ps", ".kmem"}) {
            r.fail(in.name + check, "crash did not run (see " + in.name + ".open)");
        }
        return std::vector<std::string>(in.extra_commands.size());
    }
    auto bt = judge_bt(bts, outputs[0], in.cpus, in.facts.value_or(GuestFacts{}), in.how, in.online_cpus);
    if (!notes_map_to_online_cpus(in.notes, in.online_cpus)) {
        bt = {false, fmt::format("the dump has {} NT_PRSTATUS notes for {} online CPUs: crash assigns notes to online "
                                 "CPUs in order, so its backtraces after the first offline CPU use another "
                                 "thread's registers ({})",
                                 in.notes, in.online_cpus.size(), bt.detail)};
    }
    r.expect(in.name + ".bt_a", bt.ok, bt.detail);
    if (!in.facts) {
        const char* why = "no console log: the guest's pids, panic line and memory are unknown (check --console)";
        r.skip(in.name + ".log", why);
        r.skip(in.name + ".ps", why);
        r.skip(in.name + ".kmem", why);
        return extra;
    }
    const auto log = judge_log(outputs[1], *in.facts, in.how);
    r.expect(in.name + ".log", log.ok, log.detail);
    const auto ps = judge_ps(parse_ps(outputs[2]), *in.facts);
    r.expect(in.name + ".ps", ps.ok, ps.detail);
    const uint64_t ram = in.ram_bytes.value_or(in.facts->mem_total_kib.value_or(0) * 1024);
    const auto kmem = judge_kmem(parse_kmem_total_pages(outputs[3]), in.page_size, ram, *in.facts);
    r.expect(in.name + ".kmem", kmem.ok, kmem.detail);
    return extra;
}

}  // namespace lab
