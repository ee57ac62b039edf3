// Proofs that start while QEMU still runs (issue 22: a verified cycle no
// slower than an unverified one): each reads a file that is whole when it
// starts, from inputs the main thread copied in, into its own Report that
// prove() merges where the proof used to run. Each runs at nice 10 (its
// tools too): the guest's boot and copy-out keep the host's cores first.
//   the export's filtered dump  once QEMU's trace says the export (written
//                               at the reset after the dump) is done:
//                               during the capture kernel's boot and copy
//                               (pseries from the capture kernel's first
//                               line, PowerNV from /proc/vmcore ready)
//   the vmcore's proof, run on  pseries with the raw capture, the same
//   QEMU's export               time: the raw vmcore takes its results at
//                               "copied" when the two files are equal byte
//                               for byte (the guest's copy-out is its last
//                               act: nothing of it is left after QEMU exits)
//   the raw vmcore              once the guest said "copied" (after its
//                               fsync), when it differs from the export or
//                               none was proven: during the release, the
//                               OPAL core's copy, PowerNV's linger and the
//                               power-off
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "artifacts.hpp"
#include "cycle.hpp"
#include "cycle_internal.hpp"
#include "export_checks.hpp"
#include "stopwatch.hpp"
#include "text_file.hpp"

namespace fs = std::filesystem;

namespace lab {

using cycle_internal::progress;

namespace {

// An early proof's thread, and the tools it starts (a child inherits its
// thread's nice value), yield the host's cores to QEMU's vCPUs: the guest
// still boots and copies, and a proof only fills the time it leaves idle.
void yield_to_the_guest()
{
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
}

// The fadump_export_done line of QEMU's logs `logs` for exactly `path` (a
// QMP export on demand writes another file of the same name).
std::optional<ExportTrace> trace_of(const std::vector<fs::path>& logs, const std::string& path)
{
    std::string mine;
    for (const auto& log : logs) {
        std::istringstream in(read_text(log));
        for (std::string line; std::getline(in, line);) {
            if (line.find("fadump_export_done ") != std::string::npos) {
                mine += line + "\n";
            }
        }
    }
    return export_trace(mine, path);
}

}  // namespace

// Waits (polling QEMU's logs `logs`) until the export at `path` is done,
// QEMU is gone or `timeout_s` passed: true when it was written whole, as far
// as its trace and size tell (export.written judges it again after QEMU
// exits).
bool Cycle::export_done(const std::vector<fs::path>& logs, const std::string& path, double timeout_s) const
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        const bool gone = m_qemu_gone.load();  // read before the logs: their last state counts
        if (const auto t = trace_of(logs, path)) {
            std::error_code ec;
            return t->ok && fs::file_size(path, ec) == t->file_bytes && !ec;
        }
        if (gone || std::chrono::steady_clock::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// The crash utility, fetched once: before QEMU starts when the scenario
// expects a dump (run_phases), else when a proof is about to open one.
void Cycle::ensure_crash()
{
    if (!m_crash_fetched) {
        m_crash = run_script("fetch-crash", &m_crash_error);
        m_crash_fetched = true;
    }
}

// At /proc/vmcore ready (the console holds the first boot's account and
// the capture kernel's reserved ranges): makedumpfile over the export and
// its dump proven, once QEMU says the export is done.
void Cycle::start_export_proof()
{
    if (!m_plan.ours || !m_times.crash || m_early_export.valid()) {
        return;
    }
    ensure_crash();
    const std::string path = exported_vmcore();
    CheckInput filtered = vmcore_check_input("", m_paths.export_dir, console_now(nullptr));
    const double timeout_s = m_opt.timeout_s;
    // The logs as they are now, copied: the QEMU that took the dump writes
    // the export, and the main thread adds a destination's log when a
    // migration with the dump active follows.
    m_early_export =
        std::async(std::launch::async, [this, logs = m_qemu_logs, path, filtered = std::move(filtered), timeout_s] {
            yield_to_the_guest();
            EarlyProof p;
            if (export_done(logs, path, timeout_s)) {
                p.ran = true;
                prove_export_filtered(path, filtered, p.report);
            }
            return p;
        });
}

std::string Cycle::exported_vmcore() const
{
    return (fs::path(m_paths.export_dir) / "vmcore").string();
}

// From the capture kernel's first line, pseries with the raw capture: the
// vmcore's proof run on QEMU's export (the same dump, written at the reset),
// once QEMU says it is done, while the capture kernel boots and copies
// /proc/vmcore out. The raw
// copy takes these results only where it equals the export byte for byte
// (start_capture_proof); PowerNV's may differ in the firmware's memory.
void Cycle::start_proof_on_export()
{
    if (!m_plan.ours || m_plan.pnv || m_plan.own_disk || m_plan.makedumpfile || !m_times.crash ||
        m_early_on_export.valid()) {
        return;
    }
    ensure_crash();
    const std::string path = exported_vmcore();
    const fs::path scratch = m_paths.dir / "proof-on-export";
    std::error_code ec;
    fs::create_directories(scratch, ec);
    CheckInput in = vmcore_check_input(path, scratch.string(), console_now(nullptr));
    const double timeout_s = m_opt.timeout_s;
    m_early_on_export = std::async(std::launch::async, [this, logs = m_qemu_logs, path, in = std::move(in), timeout_s] {
        yield_to_the_guest();
        EarlyProof p;
        if (export_done(logs, path, timeout_s)) {
            p.ran = true;
            const Stopwatch t;
            check_vmcore(in, p.report);
            p.report.facts["proof_s"]["capture_on_export"] = t.seconds();
        }
        return p;
    });
}

// At "copied": the raw vmcore, cut to its size, proven while the guest
// releases the memory and powers off: by the proof on the export when the
// two files are equal byte for byte, else on its own.
void Cycle::start_capture_proof()
{
    if (!m_times.copied || m_plan.own_disk || m_plan.makedumpfile || m_early_capture.valid()) {
        return;
    }
    const Console console = console_now(nullptr);
    if (console.vmcore_size.value_or(0) == 0) {
        return;  // prove() says why there is nothing to prove
    }
    ensure_crash();
    fs::resize_file(m_paths.vmcore_disk, *console.vmcore_size);
    CheckInput in = vmcore_check_input(m_paths.vmcore_disk, m_paths.dir.string(), console);
    const std::string exported = exported_vmcore();
    m_early_capture =
        std::async(std::launch::async, [this, in = std::move(in), exported, bytes = *console.vmcore_size] {
            yield_to_the_guest();
            EarlyProof on_export = m_early_on_export.valid() ? m_early_on_export.get() : EarlyProof{};
            if (on_export.ran) {
                const auto why = not_the_same_file(exported, in.vmcore, bytes);
                if (!why) {
                    progress("the vmcore is the export byte for byte: its proof is the export's");
                    on_export.report.facts["vmcore_proven_on"] =
                        fmt::format("{} (equal to this vmcore byte for byte: {} bytes compared)", exported, bytes);
                    return on_export;
                }
                progress("the vmcore differs from the export (" + *why + "): proving it on its own");
            }
            EarlyProof p;
            p.ran = true;
            progress("checking the vmcore (while the guest finishes)");
            const Stopwatch t;
            check_vmcore(in, p.report);
            p.report.facts["proof_s"]["capture"] = t.seconds();
            return p;
        });
}

}  // namespace lab
