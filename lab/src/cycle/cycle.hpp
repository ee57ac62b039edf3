// One whole fadump cycle: boot a real kernel under QEMU, wait for fadump to
// register, crash it, boot the capture kernel, copy the vmcore out, prove it.
//
// A Cycle runs its phases in order, each a named member function:
//   prepare         the run directory, the artefacts (kernel, initramfs,
//                   firmware, QEMU; cached by scripts/), their facts
//   start_qemu      the disks, the QEMU command line, the back-ends the
//                   scenario needs (NIC flood, vhost-user disk), QEMU
//   first_boot      registration, the scenario's host steps and
//                   migration, the trigger (cycle_boots.cpp)
//   after_crash     each boot the scenario expects after the crash: the
//                   capture kernel's vmcore and copy, or a plain boot, an
//                   OPAL core only, a capture that crashes (cycle_boots.cpp)
//   end_qemu        QEMU's power-off (or its stop on SIGINT/SIGTERM)
//   read_console    what the guest printed, as hostile values
//   judge_guest     the guest's and scenario's own account, the phases' times
//   engine_numbers  the platform's ground truth and trace (cycle_proof.cpp)
//   prove           the vmcore or makedumpfile's dumps, the OPAL core; the
//                   proofs that started while QEMU ran (cycle_early_proofs.cpp)
//                   waited for and merged
//   finish          keep or delete the dump, the exit code
// The migrations a scenario asks for are in cycle_migration.cpp.
#pragma once

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "artifacts.hpp"
#include "crash_checks.hpp"
#include "cycle_plan.hpp"
#include "disk_image.hpp"
#include "dump_access.hpp"
#include "net_flood.hpp"
#include "proc_status.hpp"
#include "process.hpp"
#include "qemu_command_line.hpp"
#include "qmp.hpp"
#include "report.hpp"
#include "run_options.hpp"
#include "vhost_user_disk.hpp"
#include "vmcore_checks.hpp"

namespace lab {

/// Removes a file when the run ends, however it ends (a socket QEMU leaves
/// behind outside the run directory).
class RemoveOnExit {
public:
    explicit RemoveOnExit(std::string path) : m_path(std::move(path)) {}
    RemoveOnExit(const RemoveOnExit&) = delete;
    RemoveOnExit& operator=(const RemoveOnExit&) = delete;
    ~RemoveOnExit();

private:
    std::string m_path;
};

class Cycle {
public:
    /// A cycle of `opt`, its checks and facts going to `report`.
    Cycle(const RunOptions& opt, Report& report) : m_opt(opt), m_report(report) {}
    Cycle(const Cycle&) = delete;
    Cycle& operator=(const Cycle&) = delete;
    /// Tells a proof still waiting for QEMU's export to stop; each early
    /// proof's thread is joined.
    ~Cycle() { m_qemu_gone = true; }

    /// Runs every phase; the report says what passed. Returns the exit code:
    /// 0 when every check passed, 1 when one failed, 2 for bad options,
    /// 128+signal when SIGINT/SIGTERM stopped it (QEMU stopped, a failed
    /// "lab.stopped" check). With --kernel-tree, git bisect run's codes
    /// instead (bisect_exit_code, run_options.hpp).
    int run();

private:
    int run_phases();

    // Files of the run, in its directory unless a socket path is too long.
    struct Paths {
        std::filesystem::path dir;
        std::string downloads, vmcore_disk, truth, export_dir, state_disk, opal_disk, pnor;
        std::string root_disk;  // --guest debian, --disk: the run's raw copy of the image
        std::string qmp, dest_qmp, migration_socket, vhost_socket;
        std::vector<std::unique_ptr<RemoveOnExit>> removed_at_exit;
    };
    // When each phase ended (seconds after QEMU started), if it did.
    struct Times {
        std::optional<double> registered, crash, capture, ready, copied, plain, opal_only, opal;
    };
    // The guest's console, read once QEMU is gone (hostile values).
    struct Console {
        std::optional<uint64_t> vmcore_size, opal_size;
        std::vector<unsigned> online_cpus;
        std::optional<std::vector<std::pair<uint64_t, uint64_t>>> reserved;
        std::optional<unsigned> expected_cpus;
        Downfall how;
    };

    // Phases (cycle.cpp unless said otherwise above). An exit code when the
    // run ends there.
    std::optional<int> prepare();
    std::optional<int> prepare_kernel();
    std::optional<int> prepare_guest_and_qemu();
    std::optional<int> prepare_guest();
    std::optional<int> prepare_disk_guest();
    std::optional<int> install_driver();
    std::optional<int> install_user_files();
    void record_guest_facts();
    std::optional<int> prepare_qemu();
    [[nodiscard]] const std::vector<Boot>& boots_after_crash() const;
    void record_artifact_facts(const std::string& qemu_version);
    void make_paths();
    std::optional<std::vector<std::string>> qemu_argv();
    [[nodiscard]] std::optional<OurProperties> our_properties() const;
    bool add_backends(std::vector<std::string>& argv);
    bool start_qemu();
    void first_boot();
    void wait_registered();
    void trigger();
    void after_crash();
    bool other_boot(size_t index);
    bool capture_boot();
    void sample_rss_at_reboot();
    void check_capture_query();
    void copy_out();
    void service_saved();
    void opal_core();
    std::optional<int> end_qemu();
    [[nodiscard]] Console console_now(Report* errors) const;
    void read_console();
    void judge_guest();
    void judge_cpus_up();
    void judge_scenario();
    void engine_numbers();
    void resident_growth();
    void prove();
    [[nodiscard]] CheckInput vmcore_check_input(const std::string& path, const std::string& scratch_dir) const;
    [[nodiscard]] CheckInput vmcore_check_input(const std::string& path, const std::string& scratch_dir,
                                                const Console& console) const;
    void prove_vmcore();
    /// A proof started while QEMU runs (cycle_early_proofs.cpp): `ran` when
    /// its input was whole and it proved it into `report`.
    struct EarlyProof {
        bool ran = false;
        Report report;
    };
    void ensure_crash();
    [[nodiscard]] bool export_done(const std::vector<std::filesystem::path>& logs, const std::string& path,
                                   double timeout_s) const;
    void start_export_proof();
    /// QEMU's export of the dump, the vmcore the platform wrote (DIR/vmcore).
    [[nodiscard]] std::string exported_vmcore() const;
    void start_proof_on_export();
    void start_capture_proof();
    void prove_export(Report& r, std::future<EarlyProof>& early) const;
    static void prove_export_filtered(const std::string& export_path, CheckInput in, Report& r);
    void prove_export_opalcore();
    // QMP fadump-export on PowerNV (cycle_export.cpp).
    [[nodiscard]] bool on_demand_export_applies() const;
    void export_on_demand();
    void export_after_release();
    void prove_makedumpfile();
    void prove_service_capture();
    void prove_opal_core();
    int finish();

    // Waiting on the console and QMP (cycle_boots.cpp).
    std::optional<double> phase(const std::string& name, const std::vector<std::string>& ok,
                                const std::vector<std::string>& bad);
    std::optional<double> phase_watched(const std::string& name, const std::vector<std::string>& ok,
                                        const std::vector<std::string>& bad);
    void save_stall(double silent_s);
    std::vector<std::string> skiboot_log(const std::string& path);
    std::string save_firmware_memory(const std::string& path);
    std::optional<std::string> save_guest_memory(uint64_t addr, uint64_t size, const std::string& path);
    void wait_failed(const std::string& check, const WaitResult& w, const char* timeout_text, double at);
    std::optional<double> registered_by_event();
    bool ensure_qmp(double timeout_s);
    bool qmp_execute(const std::string& text);
    std::optional<nlohmann::json> query_fadump(const std::string& when);
    void check_dumped_dtb(const std::string& name, const std::string& node, const std::string& prop);
    [[nodiscard]] std::vector<std::string> with_qemu_error(std::vector<std::string> v) const;

    // Migrations (cycle_migration.cpp).
    bool migrate_guest();
    bool postcopy_guest();
    bool migrate_to_file();
    bool wait_migration_completed(double t0);
    bool start_destination(const std::string& stream);
    bool tell_guest_migrated();

    const RunOptions& m_opt;
    Report& m_report;
    CyclePlan m_plan;
    Paths m_paths;
    Artifacts m_art;
    std::string m_initrd;   // the initramfs with the scenario's archive
    RootFs m_root_fs;       // --guest debian, --disk: the root file system in the run's copy of the disk
    std::string m_version;  // QEMU's first --version line
    std::string m_err;      // the last helper's error
    std::vector<std::string> m_argv;
    std::vector<std::filesystem::path> m_qemu_logs;
    std::unique_ptr<NetFlood> m_flood;
    std::unique_ptr<VhostUserDisk> m_vhost_disk;
    std::optional<Child> m_child;
    std::optional<Qmp> m_qmp;
    Times m_times;
    std::vector<std::string> m_boots_seen = {"crash"};
    Console m_console;
    std::vector<std::string> m_stalls;              // files save_stall wrote
    std::vector<std::string> m_stall_notes;         // what save_stall said, for a failed run's excerpt
    std::string m_qemu_log;                         // QEMU's -D logs (guest errors, our trace), read once
    std::optional<fadump::GroundTruthDoc> m_truth;  // the engine's, when our QEMU dumped
    std::optional<std::string> m_crash;             // the crash utility (ensure_crash fetches it once)
    std::string m_crash_error;                      // why there is none
    bool m_crash_fetched = false;
    /// QEMU's resident memory when the kernel registered, when the machine
    /// rebooted after the dump (sample_rss_at_reboot) and when the capture
    /// kernel's /proc/vmcore was ready: what the dump, and then the capture
    /// boot, cost the host.
    std::optional<Resident> m_rss_registered, m_rss_reboot, m_rss_ready;
    /// Proofs under way while QEMU runs; QEMU gone (end_qemu, or the run
    /// ended): an early proof still waiting for its input stops waiting.
    /// Declared last: destroyed first, each waits for its thread.
    std::atomic<bool> m_qemu_gone{false};
    std::future<EarlyProof> m_early_export;
    std::future<EarlyProof> m_early_on_export;  // taken by m_early_capture's thread
    std::future<EarlyProof> m_early_capture;
};

}  // namespace lab
