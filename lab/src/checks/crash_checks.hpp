// The crash utility's view of a vmcore: crash (scripts/fetch-crash) opens
// the dump with the DWARF vmlinux in batch mode, runs `bt -a`, `log`, `ps`
// and `kmem -i`, and its answers are compared with what the guest printed
// on its console before it crashed (pids, the panic line, its memory).
//
// The parsers and judgements are pure functions of crash's text so that
// lab/tests can hold them to real, and mutated, crash output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report.hpp"

namespace lab {

/// What the crashed kernel and the lab's /init printed on the first boot.
struct GuestFacts {
    struct Task {
        std::string role;  // "init", "crasher" (FADUMP-LAB: task ROLE pid N comm C)
        uint64_t pid = 0;
        std::string comm;
    };
    std::vector<Task> tasks;
    /// The kernel's panic line with its printk time stamp, e.g.
    /// "[    2.433378] Kernel panic - not syncing: sysrq triggered crash".
    std::optional<std::string> panic_line;
    /// "Memory: AK/TK available (..., RK reserved, ...)" of the first boot.
    std::optional<uint64_t> mem_available_kib, mem_total_kib, mem_reserved_kib;
    /// LKDTM's "lkdtm: Performing direct entry ..." lines with their time
    /// stamps: one per CPU a scenario hung (no panic line then).
    std::vector<std::string> lkdtm_lines;
    /// The lab's "fadump-lab: raising S0 ..." kernel log line (written to
    /// /dev/kmsg before the S0) with its time stamp.
    std::optional<std::string> s0_line;

    [[nodiscard]] const Task* task(const std::string& role) const;
};

/// How the first kernel went down when it was not a sysrq panic, as its
/// scenario made it (scenarios.hpp Trigger): what the judges expect instead.
struct Downfall {
    /// A hang the host's NMI ended: the crashing CPU's saved NIP is in
    /// `hang_function`, every CPU's backtrace holds each of `hang_frames`
    /// ("a|b": either), and the log each LKDTM line.
    std::string hang_function;
    std::vector<std::string> hang_frames;
    /// The SBE's S0 (PowerNV), no panic: no CPU in the panic path, the
    /// writer of S0 inside OPAL, every note the firmware's.
    bool firmware_initiated = false;
    /// The host raised S0 (QMP inject-sbe-s0), not the OS: no S0 writer
    /// task, no kernel line about it; every thread stopped where it hung.
    bool s0_from_host = false;

    [[nodiscard]] bool hang() const { return !hang_frames.empty(); }
};

/// Reads the facts from console lines (raw, or as console.log stores them
/// with the lab's "[ seconds] " prefix). Only the first boot counts: the
/// capture kernel's lines (from its "Linux version" after the panic or
/// after /init's first line) are ignored.
GuestFacts guest_facts(const std::vector<std::string>& console_lines);

/// One task block of `bt -a`: "PID: N TASK: X CPU: C COMMAND: "name"" and
/// its frames "#k [sp] function at address".
struct CrashBacktrace {
    uint64_t pid = 0;
    unsigned cpu = 0;
    std::string command;
    std::vector<std::string> frames;  // function names, innermost first
    uint64_t nip = 0;                 // the saved registers crash shows
    uint64_t r1 = 0;                  // the stack pointer crash shows
    std::string nip_symbol;           // "crash_fadump+552"; empty outside the kernel
    std::string lr_symbol;            // "opal_return"
    bool stack_unknown = false;       // crash said "cannot find the stack info."
    /// crash said "ADDR: Task is running in OPAL (firmware) context" (its
    /// NIP lies in OPAL's image).
    bool opal_context = false;
    /// crash said "ADDR: Task is running in user space" (the saved MSR has
    /// PR set: the CPU was stopped in the task's own code).
    bool user_space = false;
    /// crash's "bt: cannot determine NT_PRSTATUS ELF note for active task:
    /// ADDR" in this block (the CPU has no note), verbatim.
    std::string no_note_line;
};
std::vector<CrashBacktrace> parse_bt(const std::string& text);

/// One line of `ps`.
struct CrashTask {
    bool active = false;  // ">": the task running on its CPU
    uint64_t pid = 0, ppid = 0;
    unsigned cpu = 0;
    std::string state;  // RU, IN, UN, ID...
    std::string comm;   // "[kthreadd]" for kernel threads, as crash prints it
};
std::vector<CrashTask> parse_ps(const std::string& text);

/// The PAGES column of kmem -i's "TOTAL MEM" line.
std::optional<uint64_t> parse_kmem_total_pages(const std::string& text);

struct Judgement {
    bool ok = false;
    std::string detail;
};

/// crash.open: crash exited 0, ran every command (each output file is
/// non-empty) and said nothing about the dump: its session output has no
/// WARNING or error line, except the two module warnings of a kernel built
/// without modules (`kernel_has_modules` false) and crash's SLUB
/// compound-page warning for a vmlinux whose struct page has no
/// compound_head (`page_has_compound_head` false: 7.x renamed it; crash
/// decides that from the DWARF alone), and no command output has
/// a crash error line (read errors, invalid addresses).
Judgement judge_open(int exit_code, const std::string& session, const std::vector<std::string>& command_outputs,
                     bool kernel_has_modules, bool page_has_compound_head = true,
                     const std::vector<std::string>& excused_lines = {});

/// crash.bt_a: one backtrace per online CPU, on distinct CPUs, each with
/// frames; exactly one through sysrq_handle_crash and panic (vpanic on
/// kernels whose sysrq crash calls it directly, 7.x), that of the
/// crasher the guest named (pid and comm) when it named one. A CPU the
/// firmware stopped inside an OPAL call (PowerNV) has no kernel frames for
/// crash to unwind: its block passes without frames only when its NIP is a
/// real-mode address outside the kernel and its LR the kernel's
/// opal_return or crash itself says the task runs in OPAL context (deeper
/// in skiboot, LR is skiboot's too), and it is not the crashing one. Neither has a CPU caught on
/// its IRQ or softirq stack, which crash's ppc64 unwinder cannot find on
/// current kernels ("cannot find the stack info."): it passes without
/// frames when crash still symbolises its NIP and LR in the kernel.
/// After a hang (`how.hang()`, a host NMI, no sysrq): every CPU's
/// backtrace holds each of `how.hang_frames` instead ("a|b": either).
/// After the SBE's S0 (`how.firmware_initiated`, no panic): no backtrace
/// goes through a panic, and the task that wrote S0 (the guest's
/// "s0-writer") is on a CPU, stopped inside OPAL's XSCOM write.
/// A CPU that was offline (not in `online`, when given) and is shown
/// anyway with its idle task (swapper/N) and no note is not counted: the
/// kernel writes notes for online CPUs only (rtas-fadump.c / opal-fadump.c
/// skip the others) and crash 9.0.2's `bt -a` still walks every CPU below
/// the highest online one.
Judgement judge_bt(const std::vector<CrashBacktrace>& bts, const std::string& bt_text, unsigned cpus,
                   const GuestFacts& facts, const Downfall& how = {}, const std::vector<unsigned>& online = {});

/// Whether crash can give each of `notes` NT_PRSTATUS notes to its CPU:
/// crash hands them to the online CPUs in order (netdump.c
/// map_cpus_to_prstatus), right when there is one per online CPU (or
/// nothing is known). A PowerNV dump with offline threads has one per thread
/// (opal-fadump.c), and crash then shows other threads' registers.
bool notes_map_to_online_cpus(size_t notes, const std::vector<unsigned>& online);

/// The no-note lines of offline CPUs' idle tasks (see judge_bt): what
/// crash.open does not count against the dump.
std::vector<std::string> offline_no_note_lines(const std::vector<CrashBacktrace>& bts,
                                               const std::vector<unsigned>& online);

/// crash.log: `log` holds the panic line the console showed, time stamp
/// and all; after a hang, every LKDTM line the console showed; after the
/// SBE's S0, the lab's "raising S0" line.
Judgement judge_log(const std::string& log_text, const GuestFacts& facts, const Downfall& how = {});

/// After a hang or the SBE's S0 (no panic line): every kernel line that says
/// how the kernel went down (`how`: each LKDTM line after a hang, the lab's
/// "raising S0" line after S0), time stamp and text as the console showed
/// them, is one of `kernel_log`'s lines (`where` names it in the detail).
Judgement judge_downfall_lines(const std::vector<std::string>& kernel_log, const std::string& where,
                               const GuestFacts& facts, const Downfall& how);

/// crash.ps: every task the guest named is in `ps` with its pid and comm;
/// the crasher, each hanger and the S0 writer are active (">", RU) and
/// children of init.
Judgement judge_ps(const std::vector<CrashTask>& tasks, const GuestFacts& facts);

/// crash.kmem: kmem -i's total memory (pages x `page_size`, the kernel's
/// totalram) is the guest's RAM less at most what the booting kernel
/// reserved ("Memory: ...K/...K available (..., RK reserved": its image,
/// early allocations, struct pages, the fadump area): within
/// [RAM - reserved, RAM]. totalram only grows after that line (init memory
/// and the initrd are freed into it), never beyond the RAM.
Judgement judge_kmem(std::optional<uint64_t> total_pages, uint64_t page_size, uint64_t ram_bytes,
                     const GuestFacts& facts);

/// Whether the kernel `vmlinux` has a `modules` list (CONFIG_MODULES):
/// without one crash warns twice about modules, which is not the dump's
/// fault. False when the file cannot be read.
bool kernel_has_modules(const std::string& vmlinux);

/// Whether the vmlinux's struct page has a compound_head member (gdb's
/// ptype from the DWARF); true when gdb cannot tell, so nothing is excused.
bool struct_page_has_compound_head(const std::string& vmlinux);

/// Where crash's files go: `given` when not empty, else a fresh directory
/// under /tmp, removed with this object. path() is empty when none could be
/// made.
class CrashOutDir {
public:
    explicit CrashOutDir(std::string given);
    CrashOutDir(const CrashOutDir&) = delete;
    CrashOutDir& operator=(const CrashOutDir&) = delete;
    ~CrashOutDir();
    [[nodiscard]] const std::string& path() const { return m_path; }

private:
    std::string m_path;
    bool m_temporary = false;
};

struct CrashInput {
    std::string crash;  // the wrapper scripts/fetch-crash printed
    std::string vmcore;
    std::string vmlinux;                // with DWARF
    std::string out_dir;                // crash-*.txt go here
    unsigned cpus = 0;                  // online at crash time
    uint64_t page_size = 0;             // the kernel's (VMCOREINFO PAGESIZE)
    std::optional<uint64_t> ram_bytes;  // guest RAM (-m); else the console's
    bool kernel_has_modules = true;
    std::optional<GuestFacts> facts;  // nullopt: no console log
    double timeout_s = 600;
    std::string name = "crash";         // prefix of the checks and of the phase
    Downfall how;                       // not a sysrq panic: what the judges expect instead
    std::vector<unsigned> online_cpus;  // logical ids online at the crash (empty: unknown)
    size_t notes = 0;                   // NT_PRSTATUS notes in the dump (0: unknown)
    /// More commands to run in the same session ("kmem -p"): their output
    /// is returned, not judged.
    std::vector<std::string> extra_commands;
};

/// Runs crash once and records NAME.open, NAME.bt_a, NAME.log, NAME.ps
/// and NAME.kmem (with crash's run time in report.phases[NAME]). Returns
/// the output of each extra command (empty when crash did not run).
std::vector<std::string> check_crash(const CrashInput& in, Report& report);

}  // namespace lab
