// The Cycle's boots: the first (registration, the scenario's host steps,
// the trigger) and those after the crash (the capture kernel's vmcore and
// copy-out, plain boots, OPAL-core-only boots, a capture that crashes).
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "console_values.hpp"
#include "cycle.hpp"
#include "cycle_internal.hpp"
#include "device_tree.hpp"
#include "makedumpfile_capture.hpp"
#include "stop_signal.hpp"
#include "text_file.hpp"

namespace lab {

using cycle_internal::first_line;
using cycle_internal::last_line_with;
using cycle_internal::progress;

namespace {

// Console lines that end the first boot before registration.
const std::vector<std::string> BOOT_FAIL = {"Kernel panic", "FADUMP-LAB: not-registered", "Failed to register",
                                            "qemu-system-ppc64:"};
// ... and after it, before the trigger.
const std::vector<std::string> FIRST_FAIL = {"FADUMP-LAB: not-registered", "qemu-system-ppc64:", "Kernel panic"};

}  // namespace

// A wait that did not match, as a failed check: what ended it, when.
void Cycle::wait_failed(const std::string& check, const WaitResult& w, const char* timeout_text, double at)
{
    const std::string why = w.kind == WaitResult::Failed    ? "failure seen"
                            : w.kind == WaitResult::Timeout ? timeout_text
                            : w.kind == WaitResult::Stopped ? fmt::format("stopped by {}", signal_name(stop_signal()))
                                                            : "QEMU exited";
    m_report.fail(check, fmt::format("{} after {:.1f} s{}", why, at, w.line.empty() ? "" : ": " + w.line));
}

// The console's next line holding one of `ok` (its time), or a failed check
// "guest.NAME" when one of `bad` came first, the phase timed out or QEMU
// exited.
std::optional<double> Cycle::phase(const std::string& name, const std::vector<std::string>& ok,
                                   const std::vector<std::string>& bad)
{
    WaitResult w = m_child->wait_for(ok, bad, m_opt.timeout_s);
    if (w.kind == WaitResult::Matched) {
        return w.at;
    }
    wait_failed("guest." + name, w, "timeout", w.at);
    return std::nullopt;
}

// As phase, and when the console stays silent for STALL_SILENCE_S while
// waiting (firmware or a kernel hung before the next boot; a BMC watchdog
// may reset it later and hide where), every vCPU's registers are saved once
// beside the console (save_stall).
std::optional<double> Cycle::phase_watched(const std::string& name, const std::vector<std::string>& ok,
                                           const std::vector<std::string>& bad)
{
    constexpr double STALL_SILENCE_S = 15;
    const double t0 = m_child->elapsed();
    double last_line_at = t0;
    size_t lines = m_child->lines().size();
    bool saved = false;
    while (true) {
        const double left = m_opt.timeout_s - (m_child->elapsed() - t0);
        WaitResult w = m_child->wait_for(ok, bad, std::max(0.0, std::min(left, 1.0)));
        if (w.kind == WaitResult::Matched) {
            return w.at;
        }
        if (w.kind != WaitResult::Timeout || left <= 1.0) {
            wait_failed("guest." + name, w, "timeout", w.at);
            return std::nullopt;
        }
        if (m_child->lines().size() != lines) {
            lines = m_child->lines().size();
            last_line_at = m_child->elapsed();
        } else if (!saved && m_child->elapsed() - last_line_at >= STALL_SILENCE_S) {
            save_stall(m_child->elapsed() - last_line_at);
            saved = true;
        }
    }
}

// Every vCPU's registers (HMP `info registers -a`) and the interrupt
// controllers' state (`info pic`), from a guest whose console has been
// silent for `silent_s`, into stall-<seconds>.txt in the run directory.
void Cycle::save_stall(double silent_s)
{
    const auto file = m_paths.dir / fmt::format("stall-{:.0f}s.txt", m_child->elapsed());
    std::string text = fmt::format("console silent for {:.1f} s after: {}\n", silent_s,
                                   m_child->lines().empty() ? "(nothing)" : m_child->lines().back());
    for (const char* cmd : {"info registers -a", "info pic"}) {
        std::string err;
        const auto r =
            ensure_qmp(5)
                ? m_qmp->execute({{"execute", "human-monitor-command"}, {"arguments", {{"command-line", cmd}}}}, 30,
                                 &err)
                : std::nullopt;
        text +=
            fmt::format("\n=== {} ===\n{}", cmd,
                        r && r->is_string() ? r->get<std::string>() : "not answered: " + (err.empty() ? m_err : err));
    }
    std::vector<std::string> skiboot;
    if (m_plan.pnv) {
        skiboot = skiboot_log(file.string() + ".memcons");
        text += "\n=== skiboot's memory console, newest lines ===\n";
        for (const auto& l : skiboot) {
            text += l + "\n";
        }
        text +=
            "\n=== skiboot's image, heap and stacks ===\n" + save_firmware_memory(file.string() + ".firmware") + "\n";
    }
    std::ofstream(file) << text;
    m_stalls.push_back(file.string());
    // Where each vCPU is, on the lab's own output too (a CI log keeps it
    // when the run directory is gone): QEMU's "NIP ... LR ... CPU#n" lines.
    std::string where;
    std::istringstream lines(text);
    for (std::string l; std::getline(lines, l);) {
        if (l.rfind("NIP ", 0) == 0) {
            where += "\n  " + l;
        }
    }
    for (size_t i = skiboot.size() > 5 ? skiboot.size() - 5 : 0; i < skiboot.size(); ++i) {
        where += "\n  skiboot: " + skiboot[i];
    }
    const std::string said =
        fmt::format("the console has been silent for {:.0f} s: every vCPU's registers saved in {}{}", silent_s,
                    file.string(), where);
    progress(said);
    // A failed run's report carries it under its console excerpt.
    std::istringstream said_lines(said);
    for (std::string l; std::getline(said_lines, l);) {
        m_stall_notes.push_back("lab: " + l);
    }
}

// PowerNV: skiboot's own memory as a stall leaves it (image, heap, stacks:
// its first MDST range, SKIBOOT_BASE 0x30000000 up to the dump area at
// 0x31c38000, skiboot include/mem-map.h) into `path`, for a look at its
// locks and data offline; what was done, in words.
std::string Cycle::save_firmware_memory(const std::string& path)
{
    constexpr uint64_t SKIBOOT_BASE = 0x30000000;
    constexpr uint64_t SKIBOOT_BYTES = 0x1c38000;
    if (const auto why = save_guest_memory(SKIBOOT_BASE, SKIBOOT_BYTES, path)) {
        return "not saved: " + *why;
    }
    return fmt::format("{:#x} bytes from {:#x} saved in {}", SKIBOOT_BYTES, SKIBOOT_BASE, path);
}

// `size` bytes of guest memory from guest physical address `addr` into
// `path` by QMP pmemsave; nullopt when saved, else why not.
std::optional<std::string> Cycle::save_guest_memory(uint64_t addr, uint64_t size, const std::string& path)
{
    std::string err;
    if (!ensure_qmp(5) ||
        !m_qmp->execute({{"execute", "pmemsave"}, {"arguments", {{"val", addr}, {"size", size}, {"filename", path}}}},
                        30, &err)) {
        return err.empty() ? m_err : err;
    }
    return std::nullopt;
}

// PowerNV: skiboot's in-memory console (INMEM_CON_START, skiboot
// include/mem-map.h, at its relocated base 0x30000000), which keeps the
// debug lines the serial console does not print, saved by QMP pmemsave
// into `path`; its newest 40 stamped lines.
std::vector<std::string> Cycle::skiboot_log(const std::string& path)
{
    constexpr uint64_t INMEM_CON_START = 0x30000000 + 0x01000000;
    constexpr uint64_t INMEM_CON_LEN = 0x100000;
    if (const auto why = save_guest_memory(INMEM_CON_START, INMEM_CON_LEN, path)) {
        return {"not saved: " + *why};
    }
    return skiboot_log_tail(read_text(path), 40);
}

// The QMP session, connected when there is none (false, the reason in
// m_err, when QEMU does not answer within `timeout_s`).
bool Cycle::ensure_qmp(double timeout_s)
{
    if (!m_qmp) {
        if (auto q = Qmp::connect(m_paths.qmp, timeout_s, &m_err)) {
            m_qmp.emplace(std::move(*q));
        }
    }
    return m_qmp.has_value();
}

// One QMP command given as JSON text (a scenario's), a failed check
// "scenario.qmp" when it is not JSON or QEMU refuses it.
bool Cycle::qmp_execute(const std::string& text)
{
    const auto cmd = nlohmann::json::parse(text, nullptr, false);
    if (cmd.is_discarded()) {
        m_report.fail("scenario.qmp", "not JSON: " + text);
        return false;
    }
    if (!ensure_qmp(10)) {
        m_report.fail("scenario.qmp", m_err);
        return false;
    }
    if (!m_qmp->execute(cmd, 30, &m_err)) {
        m_report.fail("scenario.qmp", cmd.value("execute", std::string("?")) + ": " + m_err);
        return false;
    }
    return true;
}

// The platform's own account (our QEMU's QMP query-fadump), kept per phase
// in the report; the session stays open and collects the FADUMP_* events.
std::optional<nlohmann::json> Cycle::query_fadump(const std::string& when)
{
    if (!m_plan.ours) {
        return std::nullopt;
    }
    if (!ensure_qmp(10)) {
        m_report.fail("qmp.query_fadump", when + ": " + m_err);
        return std::nullopt;
    }
    auto v = m_qmp->execute({{"execute", "query-fadump"}}, 30, &m_err);
    if (!v) {
        m_report.fail("qmp.query_fadump", when + ": " + m_err);
        return std::nullopt;
    }
    m_report.facts["query_fadump"][when] = *v;
    return v;
}

// The device tree this boot got, as QEMU shows it (QMP dumpdtb): it must
// have `prop` in `node` (the dump the platform describes).
void Cycle::check_dumped_dtb(const std::string& name, const std::string& node, const std::string& prop)
{
    const std::string file = (m_paths.dir / (name + ".dtb")).string();
    if (!m_qmp || !m_qmp->execute({{"execute", "dumpdtb"}, {"arguments", {{"filename", file}}}}, 30, &m_err)) {
        m_report.fail("qmp.dumpdtb", m_err.empty() ? "no QMP session" : m_err);
        return;
    }
    std::string why;
    const auto has = dtb_has_property(file, node, prop, &why);
    m_report.expect("qmp.dumpdtb", has.value_or(false),
                    has ? (*has ? "dumpdtb shows the boot's " + node + "/" + prop
                                : "dumpdtb's device tree lacks " + node + "/" + prop + ", which this boot was given")
                        : why);
}

// Our pseries QEMU announces the registration itself (QMP
// FADUMP_STATE_CHANGED to "registered"): the lab waits on that event, with
// query-fadump for one sent before the session connected; the console line
// is what it waits on elsewhere (upstream's QEMU has no such event; on
// PowerNV the registration is between kernel and skiboot).
std::optional<double> Cycle::registered_by_event()
{
    if (!ensure_qmp(10)) {
        m_report.fail("guest.fadump_registered", "no QMP session to wait on: " + m_err);
        return std::nullopt;
    }
    const double deadline = m_child->elapsed() + m_opt.timeout_s;
    size_t seen = 0;
    bool asked = false;
    for (;;) {
        // Short turns, QMP then the console: the event is seen within about
        // 50 ms (boot_to_registered is read off it), the console still drained.
        if (!m_qmp->poll_events(0.03, &m_err)) {
            m_report.fail("guest.fadump_registered", "QMP: " + m_err);
            return std::nullopt;
        }
        const auto& ev = m_qmp->events();
        for (; seen < ev.size(); ++seen) {
            if (ev[seen].value("event", "") == "FADUMP_STATE_CHANGED" &&
                ev[seen]["data"].value("state", "") == "registered") {
                return m_child->elapsed();
            }
        }
        if (!asked) {  // once: the event may have gone out before the session existed
            asked = true;
            auto v = m_qmp->execute({{"execute", "query-fadump"}}, 30, &m_err);
            if (v && v->value("state", "") == "registered") {
                return m_child->elapsed();
            }
        }
        WaitResult w = m_child->wait_for({}, BOOT_FAIL, 0.02);
        if (w.kind != WaitResult::Timeout || m_child->elapsed() >= deadline) {
            wait_failed("guest.fadump_registered", w, "timeout (no FADUMP_STATE_CHANGED to registered)",
                        m_child->elapsed());
            return std::nullopt;
        }
    }
}

// Registration (by QMP event on our pseries QEMU, else the console line),
// and the platform's account of it.
void Cycle::wait_registered()
{
    const bool by_event = m_plan.ours && !m_plan.pnv;
    m_times.registered = by_event ? registered_by_event()
                                  : phase("fadump_registered", {"fadump: Registration is successful"}, BOOT_FAIL);
    if (!m_times.registered) {
        return;
    }
    m_rss_registered = resident(m_child->pid());
    m_report.pass("guest.fadump_registered",
                  fmt::format("kernel registered fadump {:.2f} s after QEMU start ({})", *m_times.registered,
                              by_event ? "QMP FADUMP_STATE_CHANGED" : "console"));
    const auto q = query_fadump("registered");
    if (q && !m_plan.pnv) {
        const bool ok = q->value("state", "") == "registered" && q->contains("sections") && !(*q)["sections"].empty();
        m_report.expect("qmp.query_fadump_registered", ok,
                        ok ? fmt::format("query-fadump: registered, fdm at {:#x}, {} sections",
                                         q->value("fdm-address", uint64_t{0}), (*q)["sections"].size())
                           : "query-fadump does not show the registration: " + q->dump());
    } else if (q) {
        const size_t chips = q->contains("stash") ? (*q)["stash"].size() : 0;
        m_report.expect("qmp.query_fadump_registered", chips > 0,
                        chips > 0 ? fmt::format("query-fadump: skiboot's base stashed in {} SBE(s)", chips)
                                  : "query-fadump shows no SBE stash: " + q->dump());
    }
}

// The first boot: registration, the scenario's host steps and migration,
// the trigger.
void Cycle::first_boot()
{
    const Scenario& sc = *m_plan.scenario;
    bool going = true;
    if (!sc.fadump_arg.empty()) {
        wait_registered();
        going = m_times.registered.has_value();
    }
    if (going && !sc.qmp.empty()) {
        going = phase("host_step", {"FADUMP-LAB: host-step"}, FIRST_FAIL).has_value();
        for (size_t i = 0; going && i < sc.qmp.size(); ++i) {
            going = qmp_execute(sc.qmp[i]);
        }
        if (going) {
            m_report.pass("scenario.qmp", fmt::format("{} QMP command(s) done", sc.qmp.size()));
        }
    }
    if (going && (sc.migrate == Migrate::Registered || sc.migrate == Migrate::Postcopy)) {
        going = phase("migrate_request", {"FADUMP-LAB: migrate"}, FIRST_FAIL).has_value() && migrate_guest();
    }
    if (going) {
        trigger();
    }
}

// The crash: the host's NMI or S0 once every CPU hangs, the guest's own S0
// (putscom), or sysrq.
void Cycle::trigger()
{
    const Scenario& sc = *m_plan.scenario;
    if (sc.trigger == Trigger::HostNmi || sc.trigger == Trigger::HostS0) {
        const std::string command = sc.trigger == Trigger::HostS0 ? "inject-sbe-s0" : "inject-nmi";
        progress("waiting for every CPU to hang, then sending " + command);
        if (phase("hanging", {"FADUMP-LAB: hanging"}, FIRST_FAIL)) {
            // The last CPU hangs right after the line: give it time.
            m_child->wait_for({"FADUMP-LAB: still-alive"}, {}, 2.0);
            if (qmp_execute(nlohmann::json{{"execute", command}}.dump())) {
                m_times.crash = m_child->elapsed();
                m_report.pass("guest.crash",
                              fmt::format("QMP {} sent {:.2f} s after QEMU start", command, *m_times.crash));
            }
        }
    } else if (sc.trigger == Trigger::SbeS0) {
        progress("raising S0 on every chip's SBE from the guest (putscom 0x50008)");
        m_times.crash =
            phase("sbe_s0", {"FADUMP-LAB: raising S0"}, {"FADUMP-LAB: sbe-s0 failed", "qemu-system-ppc64:"});
        if (m_times.crash) {
            m_report.pass("guest.crash", first_line(last_line_with(m_child->lines(), "FADUMP-LAB: raising S0")));
        }
    } else {
        progress(m_times.registered ? "fadump registered; crashing the guest"
                                    : "crashing the guest (fadump not registered)");
        m_times.crash =
            phase("crash", {"sysrq: Trigger a crash"}, {"FADUMP-LAB: not-registered", "qemu-system-ppc64:"});
    }
}

// A kernel that panics unregistered calls ibm,os-term, which QEMU reports
// on its stderr ("qemu-system-ppc64: OS terminated: ..."): expected when a
// boot after the crash is a plain one or crashes again; else a failure.
std::vector<std::string> Cycle::with_qemu_error(std::vector<std::string> v) const
{
    const auto& boots = m_plan.scenario->boots_after_crash(m_plan.machine);
    const bool os_term_expected = boots.size() > 1 || boots.back() == Boot::Plain;
    if (!os_term_expected) {
        v.emplace_back("qemu-system-ppc64:");
    }
    return v;
}

// The boots after the crash, as the scenario expects them; then the OPAL
// core's copy on PowerNV.
// The boots after the crash: the scenario's; with --guest debian the
// capture boot, where kdump-tools saves the dump and reboots (which
// invalidates it: arch/powerpc fadump_cleanup), then a plain boot.
const std::vector<Boot>& Cycle::boots_after_crash() const
{
    static const std::vector<Boot> debian = {Boot::Capture, Boot::Plain};
    return m_plan.own_disk ? debian : m_plan.scenario->boots_after_crash(m_plan.machine);
}

void Cycle::after_crash()
{
    const auto& boots = boots_after_crash();
    bool going = m_times.crash.has_value();
    for (size_t b = 0; going && b < boots.size(); ++b) {
        going = boots[b] == Boot::Capture ? capture_boot() : other_boot(b);
    }
    m_report.facts["boots"] = m_boots_seen;
    if (!m_stalls.empty()) {
        m_report.facts["stalls"] = m_stalls;
    }
    if (!m_plan.scenario->outcome_note.empty()) {
        m_report.facts["scenario_outcome"] = m_plan.scenario->outcome_note;
    }
    opal_core();
    export_after_release();
}

// Boot `index` after the crash, one that is not a capture: an OPAL core
// only, a capture kernel that crashes, or a plain boot with no dump.
bool Cycle::other_boot(size_t index)
{
    const Boot kind = boots_after_crash()[index];
    const std::string which = fmt::format("boot{}_{}", index + 2, to_string(kind));
    if (!phase_watched(which + "_kernel", {"Linux version"}, with_qemu_error({"reboot: Power down"}))) {
        return false;
    }
    const auto captured = with_qemu_error({"FADUMP-LAB: capture vmcore_size=", "FADUMP-LAB: plain boot"});
    bool ok = false;
    if (kind == Boot::OpalCore) {
        m_times.opal_only = phase(which, {"FADUMP-LAB: opalcore only"}, captured);
        ok = m_times.opal_only.has_value();
        if (ok) {
            m_report.pass("guest." + which, "the kernel booted after an MPIPL with no kernel dump, only the OPAL core");
        }
    } else if (kind == Boot::CaptureCrash) {
        ok = phase(which, {"FADUMP-LAB: capture crashing"}, captured).has_value();
        if (ok) {
            m_report.pass("guest." + which, "a capture kernel found the dump and crashed before saving it");
        }
    } else {
        m_times.plain =
            phase(which, {"FADUMP-LAB: plain boot: no dump"}, with_qemu_error({"FADUMP-LAB: capture vmcore_size="}));
        ok = m_times.plain.has_value();
        if (ok) {
            m_report.pass("guest." + which, "the kernel booted again and found no dump (no /proc/vmcore)");
        }
    }
    if (ok) {
        m_boots_seen.emplace_back(to_string(kind));
    }
    return ok;
}

// QEMU's resident memory once the dump is taken and the machine reset,
// before the capture boot touches memory: on PowerNV at skiboot's banner
// (Linux prints its first line only once its console is up, after the
// early boot that maps all RAM); on pseries the capture kernel prints
// first and capture_boot samples there. Looks ahead only: the capture
// kernel's phase reads the same lines.
void Cycle::sample_rss_at_reboot()
{
    if (!m_plan.pnv) {
        return;
    }
    const size_t at = m_child->cursor();
    const WaitResult w = m_child->wait_for({"OPAL v"}, {"Linux version", "reboot: Power down"}, m_opt.timeout_s);
    if (w.kind == WaitResult::Matched) {
        m_rss_reboot = resident(m_child->pid());
    }
    m_child->rewind(at);
}

// The capture kernel: its boot, /proc/vmcore ready, the platform's account,
// a migration with the dump active when the scenario asks, the copy-out.
bool Cycle::capture_boot()
{
    sample_rss_at_reboot();
    m_times.capture = phase_watched("capture_kernel_boot", {"Linux version"}, with_qemu_error({"reboot: Power down"}));
    if (!m_times.capture) {
        return false;
    }
    if (!m_rss_reboot) {
        m_rss_reboot = resident(m_child->pid());  // pseries: the capture kernel's first line
    }
    m_boots_seen.emplace_back(to_string(Boot::Capture));
    progress("capture kernel booting");
    if (!m_plan.pnv) {
        // The proofs need nothing of the capture kernel's console on pseries
        // (PowerNV's need the firmware's ranges it prints): under way from
        // here, yielding to the guest's boot and copy.
        start_export_proof();
        start_proof_on_export();
    }
    m_times.ready = phase("vmcore_ready", {"FADUMP-LAB: capture vmcore_size="},
                          {"Kernel panic", "not valid", "incomplete", "FADUMP-LAB: crashing",
                           "FADUMP-LAB: not-registered", "FADUMP-LAB: plain boot"});
    if (!m_times.ready) {
        return false;
    }
    m_rss_ready = resident(m_child->pid());
    start_export_proof();
    start_proof_on_export();
    check_capture_query();
    export_on_demand();
    if (m_plan.scenario->migrate == Migrate::DumpActive &&
        !(phase("migrate_request", {"FADUMP-LAB: migrate"}, {"Kernel panic", "FADUMP-LAB: copied"}) &&
          migrate_guest())) {
        return false;
    }
    copy_out();
    return true;
}

// query-fadump in the capture kernel, the dump's QMP events, the device
// tree the capture kernel got.
void Cycle::check_capture_query()
{
    const auto q = query_fadump("capture");
    if (!q) {
        return;
    }
    const bool pnv = m_plan.pnv;
    // This QEMU took the dump unless the guest came from another.
    const bool here = m_plan.scenario->migrate != Migrate::DumpActive;
    const auto* last = q->contains("last-dump") ? &(*q)["last-dump"] : nullptr;
    const bool state_ok = pnv ? q->value("mpipl-boot", false) : q->value("state", "") == "dump-active";
    const bool last_ok =
        !here || (last != nullptr && last->value("bytes", uint64_t{0}) > 0 && last->value("preserving-boot", false));
    m_report.expect(
        "qmp.query_fadump_capture", state_ok && last_ok,
        state_ok && last_ok
            ? fmt::format("query-fadump in the capture kernel: {}{}", pnv ? "mpipl-boot" : "dump-active",
                          last ? fmt::format(", last dump {} bytes in {:.1f} ms", last->value("bytes", 0ULL),
                                             static_cast<double>(last->value("duration-ns", 0ULL)) / 1e6)
                               : "")
            : "query-fadump does not show the dump: " + q->dump());
    if (here && last != nullptr) {
        uint64_t completed = 0;
        bool started = false;
        for (const auto& e : m_qmp->events()) {
            started = started || e.value("event", "") == "FADUMP_DUMP_STARTED";
            if (e.value("event", "") == "FADUMP_DUMP_COMPLETED") {
                completed = e["data"]["dump"].value("bytes", uint64_t{0});
            }
        }
        const bool ok = started && completed == last->value("bytes", uint64_t{0});
        m_report.expect("qmp.dump_events", ok,
                        ok ? fmt::format("FADUMP_DUMP_STARTED, then FADUMP_DUMP_COMPLETED with {} bytes", completed)
                           : fmt::format("events: started {}, completed with {} bytes (query-fadump: {})", started,
                                         completed, last->value("bytes", uint64_t{0})));
    }
    check_dumped_dtb("capture", pnv ? "/ibm,opal/dump" : "/rtas", pnv ? "mpipl-boot" : "ibm,kernel-dump");
}

// The capture kernel saves the dump: /proc/vmcore copied whole, or
// makedumpfile's steps and the save to disk.
void Cycle::copy_out()
{
    const uint64_t vmcore_size = last_value(m_child->lines(), "vmcore_size=").value.value_or(0);
    if (m_plan.own_disk) {
        progress(fmt::format("/proc/vmcore ready ({} bytes); the guest's kdump-tools saves it", vmcore_size));
        service_saved();
        return;
    }
    if (!m_plan.makedumpfile) {
        progress(fmt::format("/proc/vmcore ready ({} bytes); copying it out", vmcore_size));
        m_times.copied = phase("vmcore_copied", {"FADUMP-LAB: copied"}, {"FADUMP-LAB: copy-failed", "Kernel panic"});
        start_capture_proof();
        return;
    }
    progress(fmt::format("/proc/vmcore ready ({} bytes); makedumpfile -d 31 in the capture kernel", vmcore_size));
    double at = *m_times.ready;
    for (const auto& st : CAPTURE_STEPS) {
        const std::string step = std::string("FADUMP-LAB: step ") + st.name;
        const auto done = phase(st.name, {step + " done"}, {step + " failed", "Kernel panic"});
        if (done) {
            m_report.pass(std::string("guest.") + st.name,
                          first_line(last_line_with(m_child->lines(), step + " done")));
            m_report.phases[st.name] = *done - at;
            at = *done;
        }
    }
    m_times.copied = phase("saved", {"FADUMP-LAB: saved"}, {"FADUMP-LAB: save-failed", "Kernel panic"});
    if (m_times.copied) {
        m_report.phases["save_to_disk"] = *m_times.copied - at;
    }
}

// --guest debian: kdump-tools' own account on the console (its
// kdump-config: "kdump-tools: saved vmcore in /var/crash/<stamp>", or
// "failed to save vmcore"), then its reboot.
void Cycle::service_saved()
{
    const double at = *m_times.ready;
    m_times.copied = phase("saved", {"saved vmcore in"}, {"failed to save vmcore", "Kernel panic"});
    if (m_times.copied) {
        m_report.pass("guest.kdump_tools_saved", first_line(last_line_with(m_child->lines(), "saved vmcore in")));
        m_report.phases["kdump_tools_save"] = *m_times.copied - at;
    }
}

// PowerNV: the OPAL core copied out after the vmcore (or alone), and
// released when it was the only dump.
void Cycle::opal_core()
{
    if (!m_plan.pnv || !(m_times.copied || m_times.opal_only)) {
        return;
    }
    m_times.opal = phase("opalcore_copied", {"FADUMP-LAB: opalcore copied"},
                         {"FADUMP-LAB: opalcore copy-failed", "FADUMP-LAB: released", "FADUMP-LAB: opalcore released"});
    if (m_times.opal && m_times.opal_only &&
        phase("opalcore_released", {"FADUMP-LAB: opalcore released"}, {"FADUMP-LAB: opalcore release-failed"})) {
        m_report.pass("guest.opalcore_released", "/sys/firmware/opal/mpipl/release_core accepted");
    }
}

}  // namespace lab
