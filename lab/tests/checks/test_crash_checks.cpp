// The crash checks' parsers and judgements against real crash 8.0.6 output (the version pinned when they were taken)
// of a pseries fadump vmcore and a powernv10 MPIPL one (data/crash-MACHINE:
// bt -a, ps, kmem -i and the session as crash wrote them, log and
// console.log trimmed to the lines that matter), and against the same output
// mutated the ways a wrong dump would differ.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crash_checks.hpp"

namespace {

std::string data(const std::string& name, const std::string& machine = "pseries")
{
    std::ifstream f(std::string(FADUMP_LAB_TEST_DATA) + "/crash-" + machine + "/" + name);
    EXPECT_TRUE(f) << name;
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        out.push_back(l);
    }
    return out;
}

// `text` with the first occurrence of `from` replaced (which must exist).
std::string mutate(std::string text, const std::string& from, const std::string& to)
{
    const auto p = text.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    if (p != std::string::npos) {
        text.replace(p, from.size(), to);
    }
    return text;
}

// `text` without the lines that contain `what`.
std::string drop_lines(const std::string& text, const std::string& what)
{
    std::string out;
    for (const auto& l : lines(text)) {
        if (l.find(what) == std::string::npos) {
            out += l + "\n";
        }
    }
    EXPECT_NE(out.size(), text.size()) << what;
    return out;
}

lab::GuestFacts facts()
{
    return lab::guest_facts(lines(data("console.log")));
}

constexpr uint64_t PAGE = 65536;
constexpr uint64_t RAM = 2ULL << 30;

}  // namespace

TEST(CrashGuestFacts, ReadsTheFirstBootOnly)
{
    const auto f = facts();
    ASSERT_EQ(f.tasks.size(), 2u);
    ASSERT_NE(f.task("init"), nullptr);
    EXPECT_EQ(f.task("init")->pid, 1u);
    EXPECT_EQ(f.task("init")->comm, "init");
    ASSERT_NE(f.task("crasher"), nullptr);
    EXPECT_EQ(f.task("crasher")->pid, 63u);
    EXPECT_EQ(f.task("crasher")->comm, "sh");
    EXPECT_EQ(f.panic_line, "[    2.433378] Kernel panic - not syncing: sysrq triggered crash");
    // The capture kernel's "Memory: 286464K/2097152K" is not the crashed one's.
    EXPECT_EQ(f.mem_available_kib, 1724800u);
    EXPECT_EQ(f.mem_total_kib, 2097152u);
    EXPECT_EQ(f.mem_reserved_kib, 365760u);
    EXPECT_EQ(f.task("nobody"), nullptr);
}

TEST(CrashGuestFacts, RawConsoleLinesWithoutTheLabStamp)
{
    const auto f = lab::guest_facts({"[    2.433378] Kernel panic - not syncing: sysrq triggered crash",
                                     "Kernel panic - not syncing: a second one"});
    EXPECT_EQ(f.panic_line, "[    2.433378] Kernel panic - not syncing: sysrq triggered crash");
    EXPECT_TRUE(lab::guest_facts({"nothing here"}).tasks.empty());
    EXPECT_FALSE(lab::guest_facts({"nothing here"}).panic_line);
}

TEST(CrashParse, BacktracePerCpu)
{
    const auto bts = lab::parse_bt(data("bt_a.txt"));
    ASSERT_EQ(bts.size(), 2u);
    EXPECT_EQ(bts[0].pid, 0u);
    EXPECT_EQ(bts[0].cpu, 0u);
    EXPECT_EQ(bts[0].command, "swapper/0");
    EXPECT_EQ(bts[0].frames.front(), "__schedule");
    EXPECT_EQ(bts[1].pid, 63u);
    EXPECT_EQ(bts[1].cpu, 1u);
    EXPECT_EQ(bts[1].command, "sh");
    ASSERT_EQ(bts[1].frames.size(), 12u);
    EXPECT_EQ(bts[1].frames[0], "crash_fadump");
    EXPECT_EQ(bts[1].frames[3], "panic");
    EXPECT_EQ(bts[1].frames[4], "sysrq_handle_crash");
}

TEST(CrashParse, PsAndKmem)
{
    const auto ps = lab::parse_ps(data("ps.txt"));
    ASSERT_EQ(ps.size(), 40u);
    EXPECT_TRUE(ps[0].active);
    EXPECT_EQ(ps[0].comm, "[swapper/0]");
    EXPECT_EQ(ps[2].pid, 1u);
    EXPECT_EQ(ps[2].comm, "init");
    EXPECT_EQ(ps[2].state, "IN");
    EXPECT_FALSE(ps[2].active);
    EXPECT_EQ(ps.back().pid, 63u);
    EXPECT_EQ(ps.back().ppid, 1u);
    EXPECT_EQ(ps.back().cpu, 1u);
    EXPECT_EQ(ps.back().state, "RU");
    EXPECT_TRUE(ps.back().active);
    EXPECT_EQ(lab::parse_kmem_total_pages(data("kmem_i.txt")), 27084u);
    EXPECT_FALSE(lab::parse_kmem_total_pages(drop_lines(data("kmem_i.txt"), "TOTAL MEM")));
}

TEST(CrashOpen, RealSessionPasses)
{
    const std::vector<std::string> outs = {data("bt_a.txt"), data("log.txt"), data("ps.txt"), data("kmem_i.txt")};
    EXPECT_TRUE(lab::judge_open(0, data("session.txt"), outs, false).ok);
}

TEST(CrashOpen, FailsOnWarningsErrorsAndMissingOutput)
{
    const std::vector<std::string> outs = {data("bt_a.txt"), data("log.txt"), data("ps.txt"), data("kmem_i.txt")};
    const std::string session = data("session.txt");
    // The module warnings are the dump's problem when the kernel has modules.
    EXPECT_FALSE(lab::judge_open(0, session, outs, true).ok);
    EXPECT_FALSE(lab::judge_open(1, session, outs, false).ok);
    EXPECT_FALSE(lab::judge_open(124, session, outs, false).ok);
    EXPECT_FALSE(lab::judge_open(0, session + "WARNING: vmcore: may be truncated or incomplete\n", outs, false).ok);
    EXPECT_FALSE(lab::judge_open(0, "crash: vmlinux and vmcore do not match!\n", outs, false).ok);
    // crash 9.0.2 on kernel 7.2: excused only for a struct page without compound_head.
    const std::string slub = session + "WARNING: SLUB: cannot determine how compound pages are linked\n\n";
    EXPECT_FALSE(lab::judge_open(0, slub, outs, false, true).ok);
    const auto excused = lab::judge_open(0, slub, outs, false, false);
    EXPECT_TRUE(excused.ok) << excused.detail;
    EXPECT_NE(excused.detail.find("compound_info"), std::string::npos) << excused.detail;
    EXPECT_FALSE(
        lab::judge_open(0, slub + "WARNING: SLAB: cannot determine how compound pages are linked\n", outs, false, false)
            .ok);
    auto empty = outs;
    empty[3].clear();
    EXPECT_FALSE(lab::judge_open(0, session, empty, false).ok);
    auto read_error = outs;
    read_error[2] += "ps: read error: kernel virtual address: c000000001ba0e80  type: \"fill_task_struct\"\n";
    EXPECT_FALSE(lab::judge_open(0, session, read_error, false).ok);
    // A kernel message that mentions an error is the kernel's, not crash's.
    auto kernel_says = outs;
    kernel_says[1] += "[    2.5] crash: read error: from the kernel's own log\n";
    EXPECT_TRUE(lab::judge_open(0, session, kernel_says, false).ok);
}

namespace {

// `text` (crash's bt -a) judged as a two-CPU sysrq crash.
lab::Judgement judge2(const std::string& text, const lab::GuestFacts& f)
{
    return lab::judge_bt(lab::parse_bt(text), text, 2, f);
}

// What /init names: itself (pid 1) and the shell that crashed the kernel.
lab::GuestFacts crashed_from(uint64_t crasher_pid)
{
    lab::GuestFacts f;
    f.tasks = {{"init", 1, "init"}, {"crasher", crasher_pid, "sh"}};
    return f;
}

}  // namespace

TEST(CrashBt, RealOutputPasses)
{
    const std::string bt = data("bt_a.txt");
    const auto j = lab::judge_bt(lab::parse_bt(bt), bt, 2, facts());
    EXPECT_TRUE(j.ok) << j.detail;
    // Without the console's crasher it still needs one panicking backtrace.
    EXPECT_TRUE(lab::judge_bt(lab::parse_bt(bt), bt, 2, lab::GuestFacts{}).ok);
}

// Kernel 7.2 (crash 9.0.2): sysrq's crash reaches vpanic() through
// do_panic_on_target_cpu(), with no panic() frame.
TEST(CrashBt, Kernel72PanicsThroughVpanic)
{
    const std::string bt = data("bt_a.txt", "pseries-7.2");
    const auto f = crashed_from(60);
    const auto j = judge2(bt, f);
    EXPECT_TRUE(j.ok) << j.detail;
    EXPECT_NE(j.detail.find("vpanic < do_panic_on_target_cpu < sysrq_handle_crash"), std::string::npos) << j.detail;
    EXPECT_FALSE(judge2(drop_lines(bt, "] vpanic at"), f).ok);
}

// crash 9.0.2 on a pseries SLOF dump whose CPU 1 was stopped in
// handle_softirqs on its softirq stack: "cannot find the stack info."
TEST(CrashBt, CpuOnAnInterruptStack)
{
    const std::string bt = data("bt_a.txt", "pseries-irqstack");
    const auto f = crashed_from(63);
    const auto j = judge2(bt, f);
    EXPECT_TRUE(j.ok) << j.detail;
    EXPECT_NE(j.detail.find("interrupt stack"), std::string::npos) << j.detail;
    // Without crash's reason, or without a kernel NIP, a frameless block fails.
    EXPECT_FALSE(judge2(drop_lines(bt, "cannot find the stack info."), f).ok);
    EXPECT_FALSE(judge2(drop_lines(bt, "[NIP  : arch_local_irq_restore"), f).ok);
}

// crash 9.0.2 on a pseries dump (net-flood, CI) whose CPU 0 was stopped at
// __do_irq+8, just after call_do_irq switched to the IRQ stack: "cannot
// find the stack info." and no LR line. Failed the judge before it
// excused an IRQ stack without a named LR.
TEST(CrashBt, CpuAtAnInterruptHandlersEntry)
{
    const std::string bt = data("bt_a.txt", "pseries-irqentry");
    const auto f = crashed_from(72);
    const auto j = judge2(bt, f);
    EXPECT_TRUE(j.ok) << j.detail;
    EXPECT_NE(j.detail.find("NIP __do_irq+8, LR not named by crash"), std::string::npos) << j.detail;
    EXPECT_FALSE(judge2(drop_lines(bt, "cannot find the stack info."), f).ok);
    EXPECT_FALSE(judge2(drop_lines(bt, "[NIP  : __do_irq+8]"), f).ok);
}

// crash 9.0.2 on a pseries dump (vhost-user-reads, the full matrix of
// 2026-12-06) whose CPU 0 was stopped in init's own code (MSR PR: crash
// says "Task is running in user space", NIP 0x10131460, R1 the user's
// stack): no kernel frame, which failed the judge until it knew the case.
TEST(CrashBt, CpuStoppedInUserSpace)
{
    const std::string bt = data("bt_a.txt", "pseries-userspace");
    const auto bts = lab::parse_bt(bt);
    ASSERT_EQ(bts.size(), 2u);
    EXPECT_TRUE(bts[0].user_space);
    EXPECT_FALSE(bts[1].user_space);
    const auto f = crashed_from(463);
    const auto j = judge2(bt, f);
    EXPECT_TRUE(j.ok) << j.detail;
    EXPECT_NE(j.detail.find("running in user space: NIP 0x10131460"), std::string::npos) << j.detail;
    // Without crash's word, or with a kernel NIP, it is no user task.
    EXPECT_FALSE(judge2(drop_lines(bt, "Task is running in user space"), f).ok);
    EXPECT_FALSE(judge2(mutate(bt, "NIP: 0000000010131460", "NIP: c000000000131460"), f).ok);
}

// crash 9.0.2 on a pseries dump (-smp 4,cores=2,threads=2) whose CPUs 1
// and 3 were offline: the kernel wrote notes for CPUs 0 and 2 only and
// crash still shows CPU 1's idle task, without a note.
TEST(CrashBt, OfflineCpuWithoutANote)
{
    const std::string bt = data("bt_a.txt", "pseries-smt");
    const std::string session = data("session.txt", "pseries-smt");
    const auto facts = lab::guest_facts(lines(data("console.log", "pseries-smt")));
    const auto bts = lab::parse_bt(bt);
    const std::vector<unsigned> online = {0, 2};
    const auto j = lab::judge_bt(bts, bt, 2, facts, {}, online);
    EXPECT_TRUE(j.ok) << j.detail;
    EXPECT_NE(j.detail.find("offline CPU(s) 1 shown without a note"), std::string::npos) << j.detail;
    const auto excused = lab::offline_no_note_lines(bts, online);
    ASSERT_EQ(excused.size(), 1u);
    EXPECT_TRUE(lab::judge_open(0, session, {bt, "x", "x", "x"}, true, true, excused).ok);
    // Unknown or claimed online, CPU 1 without a note fails both checks.
    EXPECT_FALSE(lab::judge_bt(bts, bt, 2, facts).ok);
    EXPECT_FALSE(lab::judge_bt(bts, bt, 3, facts, {}, {0, 1, 2}).ok);
    EXPECT_TRUE(lab::offline_no_note_lines(bts, {0, 1, 2}).empty());
    EXPECT_FALSE(lab::judge_open(0, session, {bt, "x", "x", "x"}, true, true, {}).ok);
    // Only an idle task is excused: a real task there fails.
    std::string busy = bt;
    busy.replace(busy.find("COMMAND: \"swapper/1\""), 21, "COMMAND: \"sh\"");
    EXPECT_FALSE(lab::judge_bt(lab::parse_bt(busy), busy, 2, facts, {}, online).ok);
}

TEST(CrashBt, FailsOnMutatedOutput)
{
    const std::string bt = data("bt_a.txt");
    auto judge = [](const std::string& text, unsigned cpus, const lab::GuestFacts& f) {
        return lab::judge_bt(lab::parse_bt(text), text, cpus, f).ok;
    };
    EXPECT_FALSE(judge(bt, 3, facts()));                                    // a CPU missing
    EXPECT_FALSE(judge(bt, 1, facts()));                                    // one too many
    EXPECT_FALSE(judge(mutate(bt, "CPU: 0 ", "CPU: 1 "), 2, facts()));      // same CPU twice
    EXPECT_FALSE(judge(drop_lines(bt, "sysrq_handle_crash"), 2, facts()));  // not through sysrq
    EXPECT_FALSE(judge(drop_lines(bt, "] panic at"), 2, facts()));          // not through panic
    EXPECT_FALSE(judge(mutate(bt, "PID: 63 ", "PID: 64 "), 2, facts()));    // another task
    EXPECT_FALSE(judge(mutate(bt, "COMMAND: \"sh\"", "COMMAND: \"ash\""), 2, facts()));
    EXPECT_FALSE(judge(bt + "bt: cannot determine starting stack frame for task c000000001ba0e80\n", 2, facts()));
    auto f = facts();
    f.tasks[1].pid = 64;  // the console named another crasher
    EXPECT_FALSE(judge(bt, 2, f));
    // A CPU block without frames.
    EXPECT_FALSE(judge(bt + "PID: 5 TASK: c000000001243a00  CPU: 2    COMMAND: \"x\"\n", 3, facts()));
}

TEST(CrashLog, HoldsTheConsolePanicLine)
{
    EXPECT_TRUE(lab::judge_log(data("log.txt"), facts()).ok);
    // Another time stamp is another panic.
    EXPECT_FALSE(lab::judge_log(mutate(data("log.txt"), "2.433378] Kernel", "2.433379] Kernel"), facts()).ok);
    EXPECT_FALSE(lab::judge_log(drop_lines(data("log.txt"), "Kernel panic"), facts()).ok);
    EXPECT_FALSE(lab::judge_log(data("log.txt"), lab::GuestFacts{}).ok);
}

TEST(CrashPs, ListsTheGuestsTasks)
{
    const std::string ps = data("ps.txt");
    const auto j = lab::judge_ps(lab::parse_ps(ps), facts());
    EXPECT_TRUE(j.ok) << j.detail;
    auto judge = [](const std::string& text, const lab::GuestFacts& f) {
        return lab::judge_ps(lab::parse_ps(text), f).ok;
    };
    EXPECT_FALSE(judge(drop_lines(ps, "  sh"), facts()));                          // crasher gone
    EXPECT_FALSE(judge(mutate(ps, "  init", "  ini2"), facts()));                  // init renamed
    EXPECT_FALSE(judge(mutate(ps, ">      63", "       63"), facts()));            // not running
    EXPECT_FALSE(judge(mutate(ps, "63       1   1", "63       2   1"), facts()));  // another parent
    EXPECT_FALSE(judge(mutate(ps, "RU   0.1     3328", "IN   0.1     3328"), facts()));
    auto f = facts();
    f.tasks[1].pid = 64;  // a wrong pid on the console
    EXPECT_FALSE(judge(ps, f));
    f = facts();
    f.tasks.pop_back();
    EXPECT_FALSE(judge(ps, f));
}

TEST(CrashKmem, TotalWithinWhatTheKernelReserved)
{
    const auto pages = lab::parse_kmem_total_pages(data("kmem_i.txt"));
    const auto j = lab::judge_kmem(pages, PAGE, RAM, facts());
    EXPECT_TRUE(j.ok) << j.detail;
    EXPECT_FALSE(lab::judge_kmem(pages, PAGE, 1ULL << 30, facts()).ok);  // a 1 GiB guest
    EXPECT_FALSE(lab::judge_kmem(pages, PAGE, 4ULL << 30, facts()).ok);  // a 4 GiB guest
    EXPECT_FALSE(lab::judge_kmem(pages, 4096, RAM, facts()).ok);         // 4 KiB pages: far too little
    EXPECT_FALSE(lab::judge_kmem(32769, PAGE, RAM, facts()).ok);         // more than the RAM
    EXPECT_TRUE(lab::judge_kmem(32768, PAGE, RAM, facts()).ok);          // all of it
    // 2097152K - 365760K reserved = 1731392K = 27053 pages of 64 KiB.
    EXPECT_TRUE(lab::judge_kmem(27053, PAGE, RAM, facts()).ok);
    EXPECT_FALSE(lab::judge_kmem(27052, PAGE, RAM, facts()).ok);
    auto f = facts();
    f.mem_reserved_kib = 3u << 20;  // more than the RAM
    EXPECT_FALSE(lab::judge_kmem(pages, PAGE, RAM, f).ok);
    EXPECT_FALSE(lab::judge_kmem(std::nullopt, PAGE, RAM, facts()).ok);
    EXPECT_FALSE(lab::judge_kmem(pages, PAGE, RAM, lab::GuestFacts{}).ok);
}

// powernv10: the non-crashing CPU was inside an OPAL call when the SBE
// stopped it (NIP in skiboot, LR opal_return): crash shows its registers
// and no kernel frames.
TEST(CrashPowerNV, ACpuStoppedInOpal)
{
    const std::string bt = data("bt_a.txt", "powernv10");
    const auto f = lab::guest_facts(lines(data("console.log", "powernv10")));
    const auto bts = lab::parse_bt(bt);
    ASSERT_EQ(bts.size(), 2u);
    EXPECT_EQ(bts[1].nip, 0x300037c4u);
    EXPECT_EQ(bts[1].nip_symbol, "");
    EXPECT_EQ(bts[1].lr_symbol, "opal_return");
    EXPECT_TRUE(bts[1].frames.empty());
    EXPECT_EQ(bts[0].nip_symbol, "crash_fadump+552");
    const auto j = lab::judge_bt(bts, bt, 2, f);
    EXPECT_TRUE(j.ok) << j.detail;
    auto judge = [&](const std::string& text) { return lab::judge_bt(lab::parse_bt(text), text, 2, f).ok; };
    // Frameless anywhere but inside OPAL is a failed unwind.
    EXPECT_FALSE(judge(mutate(bt, "[LR   : opal_return]", "[LR   : pnv_smp_cpu_kill_self+40]")));
    EXPECT_FALSE(judge(drop_lines(bt, "[LR   : opal_return]")));
    EXPECT_FALSE(judge(mutate(bt, "NIP: 00000000300037c4", "NIP: c0000000000037c4")));
    EXPECT_FALSE(judge(mutate(bt, "[LR   : opal_return]", "[NIP  : pnv_idle+12]\n [LR   : opal_return]")));
}

// vhost-user-reads on powernv10 (CI, stop 29): the SBE stopped a reader on
// the first instruction of the system call vector (0x4c00, entered by sc
// from user space), so R1 and LR are still the user's and crash shows no
// kernel frame. The registers are the dump's; the unwind has nothing to do.
TEST(CrashPowerNV, ACpuStoppedAtASystemCallVector)
{
    const auto f = lab::guest_facts(lines(data("console.log", "powernv10")));
    auto at = [](const std::string& nip, const std::string& r1, const std::string& pid) {
        std::string bt = data("bt_a.txt", "powernv10");
        bt = mutate(bt, "PID: 0        TASK: c0000000013a0000  CPU: 1    COMMAND: \"swapper/1\"",
                    "PID: " + pid + "       TASK: c0000000013a0000  CPU: 1    COMMAND: \"reader\"");
        bt = mutate(bt, "NIP: 00000000300037c4", "NIP: " + nip);
        bt = mutate(bt, "R1:  c00000007bf57d50", "R1:  " + r1);
        return drop_lines(bt, "[LR   : opal_return]");
    };
    auto judge = [&](const std::string& text) { return lab::judge_bt(lab::parse_bt(text), text, 2, f); };
    const std::string bt = at("c000000000004c00", "00007fffe8a23800", "81");
    const auto bts = lab::parse_bt(bt);
    ASSERT_EQ(bts.size(), 2u);
    EXPECT_EQ(bts[1].r1, 0x7fffe8a23800u);
    EXPECT_EQ(bts[0].r1, 0xc000000001c5fa00u);
    const auto j = judge(bt);
    EXPECT_TRUE(j.ok) << j.detail;
    EXPECT_NE(j.detail.find("vector 0x4c00 from user space"), std::string::npos) << j.detail;
    // R1 on a kernel stack at a vector: crash should have unwound it.
    EXPECT_FALSE(judge(at("c000000000004c00", "c00000007bf57d50", "81")).ok);
    // Past the fixed vectors (0x7000) is kernel text, not a vector.
    EXPECT_FALSE(judge(at("c000000000007000", "00007fffe8a23800", "81")).ok);
    EXPECT_FALSE(judge(at("c000000000000000", "00007fffe8a23800", "81")).ok);
    // The idle task never enters from user space.
    EXPECT_FALSE(judge(at("c000000000004c00", "00007fffe8a23800", "0")).ok);
    EXPECT_FALSE(judge(at("c000000000004c00", "0000000000000000", "81")).ok);
}

TEST(CrashPowerNV, TheOtherChecks)
{
    const auto f = lab::guest_facts(lines(data("console.log", "powernv10")));
    EXPECT_EQ(f.task("crasher")->pid, 70u);
    EXPECT_EQ(f.mem_reserved_kib, 975424u);  // not the capture kernel's 1412480K
    const std::vector<std::string> outs = {data("bt_a.txt", "powernv10"), data("log.txt", "powernv10"),
                                           data("ps.txt", "powernv10"), data("kmem_i.txt", "powernv10")};
    EXPECT_TRUE(lab::judge_open(0, data("session.txt", "powernv10"), outs, false).ok);
    EXPECT_TRUE(lab::judge_log(outs[1], f).ok);
    EXPECT_TRUE(lab::judge_ps(lab::parse_ps(outs[2]), f).ok);
    const auto pages = lab::parse_kmem_total_pages(outs[3]);
    EXPECT_EQ(pages, 17558u);
    EXPECT_TRUE(lab::judge_kmem(pages, PAGE, RAM, f).ok);
    // The pseries console's facts do not fit this dump.
    EXPECT_FALSE(lab::judge_log(outs[1], facts()).ok);
    EXPECT_FALSE(lab::judge_ps(lab::parse_ps(outs[2]), facts()).ok);
    EXPECT_FALSE(lab::judge_kmem(pages, PAGE, RAM, facts()).ok);
}

// Numbers past 2^64 in the guest's console or crash's output are no
// exception: the fact or row is left out and the check that needs it fails.
TEST(CrashHostileNumbers, NoThrowAndTheCheckFails)
{
    const std::string huge = "123456789012345678901234567890";
    const std::string bt = data("bt_a.txt", "powernv10");
    const auto f = lab::guest_facts(lines(data("console.log", "powernv10")));
    std::vector<std::string> console = lines(data("console.log", "powernv10"));
    for (auto& l : console) {
        if (l.find("FADUMP-LAB: task crasher pid ") != std::string::npos) {
            l = "FADUMP-LAB: task crasher pid " + huge + " comm sh";
        }
        if (l.find("Memory: ") != std::string::npos && l.find("K reserved") != std::string::npos) {
            l = "Memory: " + huge + "K/2097152K available (1K kernel code, 1K reserved)";
        }
    }
    lab::GuestFacts bad;
    ASSERT_NO_THROW(bad = lab::guest_facts(console));
    EXPECT_EQ(bad.task("crasher"), nullptr);
    EXPECT_FALSE(bad.mem_reserved_kib);
    EXPECT_FALSE(lab::judge_ps(lab::parse_ps(data("ps.txt", "powernv10")), bad).ok);

    const std::string bt_huge_pid = mutate(bt, "PID: 0 ", "PID: " + huge + " ");
    std::vector<lab::CrashBacktrace> bts;
    ASSERT_NO_THROW(bts = lab::parse_bt(bt_huge_pid));
    EXPECT_FALSE(lab::judge_bt(bts, bt_huge_pid, 2, f).ok);
    // An unreadable NIP on the CPU stopped in OPAL is not taken for an OPAL address.
    const std::string bt_huge_nip = mutate(bt, "NIP: 00000000300037c4", "NIP: 00000000300037c4" + huge);
    ASSERT_NO_THROW(bts = lab::parse_bt(bt_huge_nip));
    EXPECT_FALSE(lab::judge_bt(bts, bt_huge_nip, 2, f).ok);

    const std::string ps = data("ps.txt", "powernv10");
    ASSERT_NO_THROW((void)lab::parse_ps(mutate(ps, "      1       0", "      " + huge + "       0")));
    EXPECT_FALSE(lab::judge_ps(lab::parse_ps(mutate(ps, "      1       0", "      " + huge + "       0")), f).ok);
    EXPECT_FALSE(lab::parse_kmem_total_pages("    TOTAL MEM    " + huge + "       1.7 GB         ----\n"));
}

// crash 9.0.2 on a pseries dump of a hang: both CPUs in LKDTM HARDLOCKUP
// with interrupts off, ended by QMP inject-nmi. CPU 1 took the NMI first
// (its note: the registers the NMI interrupted), CPU 0 waits in
// crash_fadump under system_reset_exception.
TEST(CrashHang, EveryCpuWhereItHung)
{
    const std::string bt = data("bt_a.txt", "pseries-nmi");
    const auto facts = lab::guest_facts(lines(data("console.log", "pseries-nmi")));
    EXPECT_FALSE(facts.panic_line);
    ASSERT_EQ(facts.lkdtm_lines.size(), 2u);
    const std::vector<std::string> frames = {"direct_entry", "lkdtm_HARDLOCKUP|system_reset_exception"};
    const auto j = lab::judge_bt(lab::parse_bt(bt), bt, 2, facts, {.hang_frames = frames});
    EXPECT_TRUE(j.ok) << j.detail;
    // As a sysrq crash it fails; a CPU that was not hung fails.
    EXPECT_FALSE(lab::judge_bt(lab::parse_bt(bt), bt, 2, facts).ok);
    const std::string idle = drop_lines(bt, "direct_entry at");
    EXPECT_FALSE(lab::judge_bt(lab::parse_bt(idle), idle, 2, facts, {.hang_frames = frames}).ok);
    // log: each LKDTM line the console showed, time stamps and all.
    const std::string log = data("log.txt", "pseries-nmi");
    EXPECT_TRUE(lab::judge_log(log, facts, {.hang_frames = frames}).ok)
        << lab::judge_log(log, facts, {.hang_frames = frames}).detail;
    EXPECT_FALSE(lab::judge_log(log, facts).ok);
    auto shifted = facts;
    shifted.lkdtm_lines.back()[5] = shifted.lkdtm_lines.back()[5] == '9' ? '8' : '9';
    EXPECT_FALSE(lab::judge_log(log, shifted, {.hang_frames = frames}).ok);
    // ps: init and both hangers, running on their CPUs.
    const auto ps = lab::judge_ps(lab::parse_ps(data("ps.txt", "pseries-nmi")), facts);
    EXPECT_TRUE(ps.ok) << ps.detail;
}

// crash 9.0.2 on a powernv10 dump the SBE's S0 started (sbe-s0 scenario):
// no panic; CPU 0 runs the S0 writer (dd) inside skiboot's XSCOM write
// (crash: "Task is running in OPAL (firmware) context", R3 the XSCOM
// address of 0x50008, R5 the S0 bit), CPU 1 idles.
TEST(CrashSbeS0, NoPanicTheWriterInOpal)
{
    const std::string bt = data("bt_a.txt", "powernv10-sbe-s0");
    const auto facts = lab::guest_facts(lines(data("console.log", "powernv10-sbe-s0")));
    EXPECT_FALSE(facts.panic_line);
    ASSERT_TRUE(facts.s0_line);
    EXPECT_EQ(*facts.s0_line, "[    2.550850] fadump-lab: raising S0 on chips 00000000");
    ASSERT_TRUE(facts.task("s0-writer"));
    const auto bts = lab::parse_bt(bt);
    ASSERT_EQ(bts.size(), 2u);
    EXPECT_TRUE(bts[0].opal_context);
    EXPECT_FALSE(bts[1].opal_context);
    const auto j = lab::judge_bt(bts, bt, 2, facts, {.firmware_initiated = true});
    EXPECT_TRUE(j.ok) << j.detail;
    // As a sysrq crash it fails (nothing panicked); without crash's OPAL
    // context line the writer has no frames and fails; another task as the
    // writer fails; a backtrace through panic fails.
    EXPECT_FALSE(lab::judge_bt(bts, bt, 2, facts).ok);
    const std::string no_ctx = drop_lines(bt, "Task is running in OPAL");
    EXPECT_FALSE(lab::judge_bt(lab::parse_bt(no_ctx), no_ctx, 2, facts, {.firmware_initiated = true}).ok);
    auto other = facts;
    for (auto& t : other.tasks) {
        if (t.role == "s0-writer") {
            t.pid = 76;
        }
    }
    EXPECT_FALSE(lab::judge_bt(bts, bt, 2, other, {.firmware_initiated = true}).ok);
    const std::string panicked = mutate(bt, "#4 [c00000000130fe70] do_idle", "#4 [c00000000130fe70] panic");
    EXPECT_FALSE(lab::judge_bt(lab::parse_bt(panicked), panicked, 2, facts, {.firmware_initiated = true}).ok);
    // log: the lab's kernel line, time stamp and all.
    const std::string log = data("log.txt", "powernv10-sbe-s0");
    EXPECT_TRUE(lab::judge_log(log, facts, {.firmware_initiated = true}).ok)
        << lab::judge_log(log, facts, {.firmware_initiated = true}).detail;
    EXPECT_FALSE(lab::judge_log(log, facts).ok);
    auto shifted = facts;
    (*shifted.s0_line)[5] = (*shifted.s0_line)[5] == '9' ? '8' : '9';
    EXPECT_FALSE(lab::judge_log(log, shifted, {.firmware_initiated = true}).ok);
    // ps: init and the writer, active on its CPU.
    const auto ps = lab::judge_ps(lab::parse_ps(data("ps.txt", "powernv10-sbe-s0")), facts);
    EXPECT_TRUE(ps.ok) << ps.detail;
}

TEST(CrashNotes, MapToOnlineCpusOnlyOneForOne)
{
    EXPECT_TRUE(lab::notes_map_to_online_cpus(2, {0, 2}));   // pseries smt: notes for online CPUs
    EXPECT_FALSE(lab::notes_map_to_online_cpus(4, {0, 2}));  // PowerNV smt: a note per thread
    EXPECT_TRUE(lab::notes_map_to_online_cpus(4, {0, 1, 2, 3}));
    EXPECT_TRUE(lab::notes_map_to_online_cpus(4, {}));  // unknown
    EXPECT_TRUE(lab::notes_map_to_online_cpus(0, {0, 2}));
}
