// The Cycle's proof: the engine's own numbers from its ground truth and
// trace, then the dump the guest saved (the raw vmcore, makedumpfile's
// dumps, the OPAL core) checked against it; the run's files kept or
// deleted.
#include <fmt/format.h>

#include <future>
#include <regex>
#include <sstream>

#include "artifacts.hpp"
#include "console_values.hpp"
#include "cycle.hpp"
#include "cycle_internal.hpp"
#include "dump_access.hpp"
#include "export_checks.hpp"
#include "guest_errors.hpp"
#include "host_cost.hpp"
#include "makedumpfile_capture.hpp"
#include "opalcore_checks.hpp"
#include "scenario_steps.hpp"
#include "service_capture.hpp"
#include "stop_signal.hpp"
#include "stopwatch.hpp"
#include "vmcore_checks.hpp"

namespace fs = std::filesystem;

namespace lab {

using cycle_internal::progress;
using cycle_internal::stopped;

namespace {

// The file named `name` under `root` (the extracted /var/crash), or what
// was not there.
std::string extracted_dump(const fs::path& root, const std::string& name)
{
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().filename() == name) {
            return it->path().string();
        }
    }
    return "none: no " + name + " was extracted from the capture";
}

// Nanoseconds the zero-copy moves took (trace fadump_moves): they run at the
// reset, after the ground truth was written, and are part of the
// preservation.
double moves_ns(const nlohmann::json& facts)
{
    double ns = 0;
    if (facts.contains("platform_events")) {
        const std::regex moved(R"(fadump_moves moved (\d+) bytes in (\d+) ns)");
        for (const auto& e : facts["platform_events"]) {
            std::smatch m;
            const std::string line = e.get<std::string>();
            if (std::regex_search(line, m, moved)) {
                ns += std::stod(m[2].str());
            }
        }
    }
    return ns;
}

}  // namespace

// The engine's own numbers (bytes preserved, time, the ground truth's hash
// time) and the glue's guest-error lines.
void Cycle::engine_numbers()
{
    if (m_plan.ours && fs::exists(m_paths.truth)) {
        try {
            m_truth = load_ground_truth(m_paths.truth);
        } catch (const std::exception& e) {
            m_report.fail("ground_truth.load", e.what());
        }
    }
    if (m_truth && !m_truth->dump) {
        m_report.fail("ground_truth.load", "the ground truth holds no dump statistics");
    } else if (m_truth) {
        auto& facts = m_report.facts;
        const double moves = moves_ns(facts);
        const double ns = static_cast<double>(m_truth->dump->preserve_ns) + moves;
        facts["bytes_preserved"] = m_truth->dump->bytes_preserved;
        facts["engine_preserve_ms"] = ns / 1e6;
        facts["engine_moves_ms"] = moves / 1e6;
        facts["ground_truth_hash_ms"] = static_cast<double>(m_truth->hash_ns) / 1e6;
        const double gib = static_cast<double>(m_truth->dump->bytes_preserved) / (1ULL << 30);
        facts["engine_gib_per_s"] = gib / (ns / 1e9);
    }
    resident_growth();
    std::istringstream gl(m_qemu_log);
    const std::string glue_errors = glue_guest_errors(gl);
    m_report.expect("qemu.no_fadump_guest_errors", glue_errors.empty(),
                    glue_errors.empty() ? "no fadump:/mpipl: LOG_GUEST_ERROR lines" : glue_errors);
}

// QEMU's resident memory at registration, at the reboot after the dump and
// at the capture kernel's /proc/vmcore (facts); the dump's own growth,
// registration to reboot, judged for a zero-copy dump (host_cost.hpp).
void Cycle::resident_growth()
{
    if (!m_rss_registered || !m_rss_reboot) {
        return;
    }
    const auto mib = [](double b) { return b / (1 << 20); };
    const auto rss = [](const Resident& r) { return static_cast<double>(r.rss); };
    const Resident& before = *m_rss_registered;
    const Resident& reboot = *m_rss_reboot;
    auto& facts = m_report.facts["qemu_rss_mib"];
    facts = {{"registered", mib(rss(before))},
             {"reboot", mib(rss(reboot))},
             {"dump_growth", mib(rss(reboot) - rss(before))},
             {"dump_anon_growth", mib(static_cast<double>(reboot.anon) - static_cast<double>(before.anon))}};
    if (m_rss_ready) {
        facts["vmcore_ready"] = mib(rss(*m_rss_ready));
        facts["capture_boot_growth"] = mib(rss(*m_rss_ready) - rss(reboot));
    }
    if (!m_opt.zero_copy || !m_truth || !m_truth->dump) {
        return;  // a copying dump grows by what it copies, by design
    }
    const auto& p = m_report.facts.value("preservation", nlohmann::json::object());
    const uint64_t copied = p.value("copied_bytes", uint64_t{0});
    if (const auto j = judge_rss_growth(before, reboot, m_plan.ram_bytes, m_truth->dump->bytes_preserved, copied)) {
        m_report.expect("qemu.rss_growth", j->ok, j->detail);
    }
}

void Cycle::prove()
{
    // Each proof's wall time (report fact proof_s): where a verified
    // cycle's time goes after QEMU exits (issue 22).
    auto timed = [this](const char* name, auto&& proof) {
        const Stopwatch t;
        proof();
        m_report.facts["proof_s"][name] = t.seconds();
    };
    // What both proofs below share, made once before they run: the crash
    // utility when a dump is there to open, the raw vmcore cut to its size
    // (unless its proof started before QEMU exited), the firmware's ranges.
    const bool raw =
        m_times.copied && !m_plan.own_disk && !m_plan.makedumpfile && m_console.vmcore_size.value_or(0) > 0;
    if (m_times.copied || m_times.opal || (m_plan.ours && m_times.crash)) {
        ensure_crash();
    }
    if (raw && !m_early_capture.valid()) {
        fs::resize_file(m_paths.vmcore_disk, *m_console.vmcore_size);
    }
    if (m_plan.pnv) {
        m_report.facts["firmware_reserved"] = reserved_names(m_child->lines());
    }
    timed("opal_core", [this] { prove_opal_core(); });
    // The capture's proof and the export's (the platform's own file) read
    // different files with different tools: side by side, on the host's
    // cores, each into its own report and scratch directory.
    const Stopwatch both;
    Report exported;
    auto export_proof = std::async(std::launch::async, [this, &exported] {
        const Stopwatch t;
        prove_export(exported, m_early_export);
        exported.facts["proof_s"]["export_after_qemu"] = t.seconds();
    });
    timed("capture_after_qemu", [this, raw] {
        if (m_times.copied && m_plan.own_disk) {
            prove_service_capture();
        } else if (m_times.copied && m_plan.makedumpfile) {
            prove_makedumpfile();
        } else if (raw) {
            prove_vmcore();
        }
    });
    export_proof.get();
    m_report.merge(exported);
    m_report.facts["proof_s"]["capture_and_export_after_qemu"] = both.seconds();
    timed("export_opalcore", [this] { prove_export_opalcore(); });
    if (m_flood) {
        m_report.facts["net_flood_frames_sent"] = m_flood->sent();
        m_flood.reset();
    }
}

// PowerNV's OPAL core, when the guest copied one out.
void Cycle::prove_opal_core()
{
    const uint64_t opal_size = m_console.opal_size.value_or(0);
    if (!m_times.opal || opal_size == 0) {
        return;
    }
    fs::resize_file(m_paths.opal_disk, opal_size);
    m_report.facts["opalcore_bytes"] = opal_size;
    CheckInput oc;
    oc.vmcore = m_paths.opal_disk;
    oc.vmlinux = m_art.vmlinux;
    oc.scratch_dir = m_paths.dir.string();
    if (m_plan.ours) {
        oc.ground_truth = m_paths.truth;
    }
    oc.crash = m_crash;
    oc.crash_error = m_crash_error;
    check_opalcore(oc, m_report);
}

// What makedumpfile saved in the capture kernel, each dump against the
// ground truth.
void Cycle::prove_makedumpfile()
{
    progress("checking makedumpfile's dumps");
    m_report.facts["vmcore_bytes"] = m_console.vmcore_size.value_or(0);
    MakedumpfileInput m;
    m.disk = m_paths.vmcore_disk;
    m.out_dir = m_paths.dir.string();
    m.vmlinux = m_art.vmlinux;
    m.ram_bytes = m_plan.ram_bytes;
    m.how = m_console.how;
    m.cpus = m_console.expected_cpus;
    m.online_cpus = m_console.online_cpus;
    m.facts = guest_facts(m_child->lines());
    m.truth = m_truth ? &*m_truth : nullptr;
    if (m_plan.pnv) {
        m.firmware_reserved = m_console.reserved.value_or(std::vector<std::pair<uint64_t, uint64_t>>{});
    }
    m.crash = m_crash;
    m.crash_error = m_crash_error;
    check_makedumpfile_capture(m, m_report);
}

// --guest debian: what kdump-tools saved on the guest's disk, read back.
void Cycle::prove_service_capture()
{
    progress("reading kdump-tools' dump back from the guest's disk and checking it");
    m_report.facts["vmcore_bytes"] = m_console.vmcore_size.value_or(0);
    ServiceCaptureInput s;
    s.image = m_paths.root_disk;
    s.root = m_root_fs;
    s.out_dir = m_paths.dir.string();
    s.check = vmcore_check_input("", m_paths.dir.string());
    s.service_log = kdump_tools_lines(m_child->lines());
    m_report.facts["kdump_tools_log"] = s.service_log;
    check_service_capture(s, m_report);
}

// What check_vmcore needs to prove the vmcore at `path`.
CheckInput Cycle::vmcore_check_input(const std::string& path, const std::string& scratch_dir) const
{
    return vmcore_check_input(path, scratch_dir, m_console);
}

// The same from the console's values `console` (console_now while QEMU
// runs). Reads the console: the main thread's.
CheckInput Cycle::vmcore_check_input(const std::string& path, const std::string& scratch_dir,
                                     const Console& console) const
{
    CheckInput in;
    in.vmcore = path;
    in.vmlinux = m_art.vmlinux;
    if (m_plan.ours) {
        in.ground_truth = m_paths.truth;
    }
    in.expected_cpus = console.expected_cpus;
    in.online_cpus = console.online_cpus;
    in.notes_per_thread = m_plan.pnv;
    in.scratch_dir = scratch_dir;
    // The crash utility (prove fetched it): its checks fail without it, the
    // others still run.
    in.crash = m_crash;
    in.crash_error = m_crash_error;
    in.guest = guest_facts(m_child->lines());
    in.ram_bytes = m_plan.ram_bytes;
    in.how = console.how;
    if (m_plan.scenario->added_ram_bytes != 0) {
        // QEMU places DIMMs at the device memory base: on pseries the
        // first DIMM right after the boot RAM (spapr's device memory
        // starts at the RAM's end, aligned to 256 MiB).
        in.hotplugged_ram = {{m_plan.boot_ram_bytes, m_plan.ram_bytes}};
    }
    if (m_plan.pnv) {
        in.firmware_reserved = console.reserved.value_or(std::vector<std::pair<uint64_t, uint64_t>>{});
    }
    return in;
}

// The raw vmcore the capture kernel copied out: its proof's report when it
// started while QEMU ran, else proven now.
void Cycle::prove_vmcore()
{
    m_report.facts["vmcore_bytes"] = *m_console.vmcore_size;  // the file cut to it
    if (m_early_capture.valid()) {
        m_report.merge(m_early_capture.get().report);
        return;
    }
    progress("checking the vmcore");
    const Stopwatch t;
    check_vmcore(vmcore_check_input(m_paths.vmcore_disk, m_paths.dir.string()), m_report);
    m_report.facts["proof_s"]["capture"] = t.seconds();
}

// The platform's own vmcore (our QEMU): written whole, and equal to the raw
// /proc/vmcore the capture kernel copied out, if it did (on PowerNV but in
// the firmware's memory, which skiboot rewrites after the MPIPL boot).
void Cycle::prove_export(Report& r, std::future<EarlyProof>& early) const
{
    // The filtered dump, proven while QEMU ran if the export was done by
    // then (start_export_proof): waited for first, whatever follows.
    EarlyProof early_filtered = early.valid() ? early.get() : EarlyProof{};
    if (!m_plan.ours || !m_times.crash) {
        return;
    }
    if (m_plan.pnv ? !m_times.registered || m_qemu_log.find("pnv_mpipl_reset mpipl-boot 1") == std::string::npos
                   : m_qemu_log.find("spapr_fadump_dump ") == std::string::npos) {
        r.skip("export.written", "no dump was taken (nothing registered at the crash)");
        return;
    }
    ExportInput in;
    in.qemu_log = m_qemu_log;
    if (m_plan.pnv) {
        in.firmware_reserved = m_console.reserved.value_or(std::vector<std::pair<uint64_t, uint64_t>>{});
        in.truth = m_truth ? &*m_truth : nullptr;
    }
    in.export_path = exported_vmcore();
    // The guest's services filter the dump (makedumpfile -d 31): only the
    // raw copy can equal the export byte for byte.
    const bool filtered = m_plan.makedumpfile || m_plan.own_disk;
    if (m_times.copied && !filtered && m_console.vmcore_size.value_or(0) > 0) {
        in.proc_vmcore = m_paths.vmcore_disk;
        in.proc_vmcore_bytes = *m_console.vmcore_size;
    }
    const bool written = check_export(in, r);
    if (!in.proc_vmcore && (!filtered || m_plan.own_disk) && written) {
        // No vmcore came out of the guest (its capture kernel crashed, say):
        // the export is the dump that survives, proven like one. Beside
        // kdump-tools' filtered dump it is the whole memory, proven too.
        progress("checking the export, the only vmcore");
        Report of_export;
        check_vmcore(vmcore_check_input(in.export_path, m_paths.export_dir), of_export);
        for (const auto& c : of_export.checks()) {
            r.add("export." + c.name, c.verdict, c.detail);
        }
    }
    if (written && early_filtered.ran) {
        r.merge(early_filtered.report);
    } else if (written) {
        prove_export_filtered(in.export_path, vmcore_check_input("", m_paths.export_dir), r);
    }
}

// PowerNV: skiboot's OPAL core as the platform wrote it at the MPIPL boot:
// equal to the capture kernel's copy when it made one, else (its capture
// kernel died) proven like one against the ground truth.
void Cycle::prove_export_opalcore()
{
    if (!m_plan.ours || !m_plan.pnv || m_qemu_log.find("pnv_mpipl_reset mpipl-boot 1") == std::string::npos) {
        return;
    }
    OpalCoreExportInput in;
    in.qemu_log = m_qemu_log;
    in.export_path = (fs::path(m_paths.export_dir) / "opalcore").string();
    const uint64_t copied = m_times.opal ? m_console.opal_size.value_or(0) : 0;
    if (copied > 0) {
        in.capture = m_paths.opal_disk;
        in.capture_bytes = copied;
    }
    if (!check_export_opalcore(in, m_report) || in.capture) {
        return;
    }
    progress("checking the exported OPAL core, the only one");
    CheckInput oc;
    oc.vmcore = in.export_path;
    oc.vmlinux = m_art.vmlinux;
    oc.scratch_dir = m_paths.dir.string();
    oc.ground_truth = m_paths.truth;
    Report of_export;
    check_opalcore(oc, of_export);
    for (const auto& c : of_export.checks()) {
        m_report.add("export." + c.name, c.verdict, c.detail);
    }
}

// makedumpfile -d 31 over the export on the host, and its dump proven
// like the capture kernel's filtered ones (export.kdump.*): what
// distributions keep, made when the capture kernel could not.
void Cycle::prove_export_filtered(const std::string& export_path, CheckInput in, Report& r)
{
    Stopwatch t;
    std::string error;
    const auto makedumpfile = run_script("fetch-makedumpfile", &error);
    if (!makedumpfile) {
        r.fail("export.kdump.written", "no makedumpfile: " + error);
        return;
    }
    r.facts["proof_s"]["fetch_makedumpfile"] = t.lap();  // a download on a fresh machine
    progress("makedumpfile -d 31 over the export");
    ExportFilterInput f;
    f.makedumpfile = *makedumpfile;
    f.export_path = export_path;
    f.out = export_path + ".kdump";
    const bool filtered = filter_export(f, r);
    r.facts["proof_s"]["export_filter"] = t.lap();
    if (!filtered) {
        return;
    }
    progress("checking the export's filtered dump");
    in.vmcore = f.out;
    check_filtered_file(in, export_path, r, "export.kdump.");
    r.facts["proof_s"]["export_filtered_checks"] = t.lap();
}

// The run's large files deleted unless --keep (the report says where the
// dump is), and the exit code.
int Cycle::finish()
{
    const int stopped_in_checks = stop_signal();
    auto& facts = m_report.facts;
    if (!m_opt.keep) {
        std::error_code ec;
        fs::remove_all(m_paths.export_dir, ec);
        for (const auto& f : {fs::path(m_paths.vmcore_disk), fs::path(m_paths.truth), m_paths.dir / "vmlinux.strip",
                              fs::path(m_paths.opal_disk), fs::path(m_paths.pnor), fs::path(m_paths.root_disk)}) {
            fs::remove(f, ec);
        }
        facts["vmcore"] = "deleted (use --keep)";
    } else if (m_plan.makedumpfile) {
        // The disk holds /var/crash as a tar archive, not a vmcore: name
        // the dump makedumpfile wrote, as the host extracted it.
        facts["capture_disk"] = m_paths.vmcore_disk;
        facts["vmcore"] = extracted_dump(m_paths.dir / "var-crash", CAPTURE_STEPS[0].file);
    } else {
        facts["vmcore"] = m_paths.vmcore_disk;
    }
    if (stopped_in_checks != 0) {
        return stopped(m_report, "checking the dump");
    }
    return m_report.passed() ? 0 : 1;
}

}  // namespace lab
