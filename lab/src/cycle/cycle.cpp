#include "cycle.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <regex>
#include <sstream>
#include <variant>

#include "console_values.hpp"
#include "cycle_internal.hpp"
#include "guest_errors.hpp"
#include "makedumpfile_capture.hpp"
#include "qemu_command_line.hpp"
#include "scenario_steps.hpp"
#include "stop_signal.hpp"
#include "stopwatch.hpp"
#include "text_file.hpp"

namespace fs = std::filesystem;

namespace lab {

using cycle_internal::first_line;
using cycle_internal::progress;
using cycle_internal::stopped;

namespace {

// `base`, or base-2, base-3...: the first that did not exist, made here.
// Two runs started in the same second into one directory (a matrix's cells
// of two kernels) would share disks and a QMP socket.
fs::path new_run_dir(const fs::path& base)
{
    std::error_code ec;
    fs::create_directories(base.parent_path(), ec);
    fs::path dir = base;
    for (unsigned n = 2; !fs::create_directory(dir, ec) && n < 1000; ++n) {
        dir = base.string() + "-" + std::to_string(n);
    }
    return dir;
}

std::string timestamp()
{
    char buf[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
    return buf;
}

// A setup step (scripts/build-*, fetch-*) failed: because the run was asked
// to stop, or on its own (the check `name` fails with the step's error).
int setup_failed(Report& r, const std::string& name, const std::string& error)
{
    if (stop_signal() != 0) {
        return stopped(r, "preparing artefacts (" + name + ")");
    }
    r.fail(name, error);
    return 1;
}

}  // namespace

RemoveOnExit::~RemoveOnExit()
{
    std::error_code ec;
    fs::remove(m_path, ec);
}

int Cycle::run()
{
    const int rc = run_phases();
    if (m_child && !m_report.passed()) {
        // What the CI log shows of a failed run whose directory it loses.
        m_report.console_excerpt = dump_path_excerpt(m_child->lines(), 60);
        m_report.console_excerpt.insert(m_report.console_excerpt.end(), m_stall_notes.begin(), m_stall_notes.end());
    }
    if (!m_opt.kernel_tree) {
        return rc;
    }
    // The lab's init says "FADUMP-LAB: boot 1" first thing on the first boot.
    const bool booted = m_child && std::any_of(m_child->lines().begin(), m_child->lines().end(), [](const auto& l) {
                            return l.find("FADUMP-LAB: boot 1 ") != std::string::npos;
                        });
    const int code = bisect_exit_code(rc, booted);
    m_report.facts["bisect_exit_code"] = code;
    return code;
}

int Cycle::run_phases()
{
    int overcommit = 0;  // Linux's default, heuristic
    std::istringstream(read_text("/proc/sys/vm/overcommit_memory")) >> overcommit;
    const auto plan = plan_cycle(m_opt, read_text("/proc/meminfo"), overcommit);
    if (const auto* why = std::get_if<std::string>(&plan)) {
        std::cerr << "fadump-lab: " << *why << "\n";
        return 2;
    }
    m_plan = std::get<CyclePlan>(plan);
    if (const auto rc = prepare()) {
        return *rc;
    }
    make_paths();
    // The crash utility when a dump will be there to open: fetched (built
    // natively the first time: minutes) before QEMU starts, as the other
    // artefacts are, never while the guest runs and the lab must follow it.
    const auto& boots = boots_after_crash();
    if (std::any_of(boots.begin(), boots.end(), [](Boot b) { return b != Boot::Plain; })) {
        ensure_crash();
    }
    // The cycle with every check, from QEMU's start (the artefacts are
    // built and cached before): what a user of the lab waits for.
    const Stopwatch t;
    if (!start_qemu()) {
        return 1;
    }
    first_boot();
    after_crash();
    if (const auto rc = end_qemu()) {
        return *rc;
    }
    // What follows QEMU's exit, step by step (report fact after_qemu_s):
    // the part of a verified cycle no guest time hides (issue 22).
    Stopwatch after;
    auto lap = [this, &after](const char* step) { m_report.facts["after_qemu_s"][step] = after.lap(); };
    read_console();
    lap("read_console");
    judge_guest();
    lap("judge_guest");
    engine_numbers();
    lap("engine_numbers");
    prove();
    lap("prove");
    m_report.facts["cycle_with_checks_s"] = t.seconds();
    return finish();
}

std::optional<int> Cycle::prepare()
{
    const Scenario& sc = *m_plan.scenario;
    m_paths.dir =
        new_run_dir(fs::absolute(fs::path(m_opt.out_dir) / fmt::format("{}-{}", m_plan.run_name, timestamp())));
    auto& facts = m_report.facts;
    facts["machine"] = m_plan.machine;
    facts["firmware"] = m_plan.firmware;
    facts["scenario"] = sc.name;
    facts["scenario_summary"] = sc.summary;
    facts["smp"] = m_plan.smp;
    facts["mem"] = m_plan.mem_spec;
    const MemoryShape& shape = m_plan.memory;
    facts["numa_nodes"] = shape.numa;
    // --numa without a backend gives each node a memory-backend-ram.
    // So does RAM the host would not commit (reserve=off).
    std::string backend = shape.backend;
    if (backend.empty()) {
        backend = shape.numa > 0 || shape.noreserve ? "ram" : "-m";
    }
    facts["memory_backend"] = backend + (shape.noreserve ? ",reserve=off" : "");
    if (shape.noreserve) {
        progress(
            fmt::format("the host would not commit {} of RAM in one mapping: backing it with reserve=off "
                        "(only the pages the guest touches are used)",
                        m_plan.mem_spec));
    }
    facts["capture"] = to_string(m_opt.capture);
    facts["run_dir"] = m_paths.dir.string();

    // scripts/fetch-pinned records every download's origin here.
    m_paths.downloads = (m_paths.dir / "downloads.txt").string();
    setenv("FADUMP_PROVENANCE", m_paths.downloads.c_str(), 1);
    progress("preparing the guest kernel, initramfs, firmware and QEMU (cached after the first run)");
    if (auto rc = prepare_kernel()) {
        return rc;
    }
    return prepare_guest_and_qemu();
}

// The kernel: the user's (stripped for booting) or one scripts/build-kernel
// builds from Debian's source.
std::optional<int> Cycle::prepare_kernel()
{
    if (m_opt.kernel) {
        m_art.vmlinux = fs::absolute(*m_opt.kernel).string();
        m_art.boot_kernel = (m_paths.dir / "vmlinux.strip").string();
        std::string o;
        if (run_command({"powerpc64le-linux-gnu-objcopy", "--strip-debug", m_art.vmlinux, m_art.boot_kernel}, &o,
                        300) != 0) {
            if (stop_signal() != 0) {
                return stopped(m_report, "stripping the kernel");
            }
            m_report.fail("setup.kernel", "cannot strip " + m_art.vmlinux + ": " + o);
            return 1;
        }
        m_art.kernel_version = "custom";
        return std::nullopt;
    }
    std::optional<std::string> k;
    if (m_opt.kernel_tree) {
        k = run_script("build-kernel-tree", &m_err,
                       {fs::absolute(*m_opt.kernel_tree).string(), m_plan.scenario->page_size,
                        m_opt.kernel_config ? fs::absolute(*m_opt.kernel_config).string() : ""});
        m_report.facts["kernel_tree"] = fs::absolute(*m_opt.kernel_tree).string();
        m_report.facts["kernel_config"] = m_opt.kernel_config.value_or("ppc64le_defconfig");
    } else {
        k = run_script("build-kernel", &m_err,
                       {m_opt.kernel_source, m_plan.scenario->page_size, m_plan.own_disk ? "distro" : "lab"});
        m_report.facts["kernel_source"] = m_opt.kernel_source;
    }
    m_report.facts["kernel_page_size"] = m_plan.scenario->page_size;
    if (!k) {
        return setup_failed(m_report, "setup.kernel", m_err);
    }
    m_art.kernel_dir = *k;
    m_art.vmlinux = *k + "/vmlinux";
    m_art.boot_kernel = *k + "/vmlinux.strip";
    std::ifstream(*k + "/version") >> m_art.kernel_version;
    return std::nullopt;
}

// The guest (the initramfs with the scenario's archive, or the Debian
// image), QEMU, the firmware directory.
std::optional<int> Cycle::prepare_guest_and_qemu()
{
    if (auto rc = m_plan.own_disk ? prepare_disk_guest() : prepare_guest()) {
        return rc;
    }
    return prepare_qemu();
}

std::optional<int> Cycle::prepare_guest()
{
    auto initramfs = m_opt.initrd
                         ? std::optional(fs::absolute(*m_opt.initrd).string())
                         : run_script("build-initramfs", &m_err, {m_plan.makedumpfile ? "makedumpfile" : "base"});
    if (!initramfs) {
        return setup_failed(m_report, "setup.initramfs", m_err);
    }
    m_art.initramfs = *initramfs;
    m_initrd = write_scenario_initrd(*m_plan.scenario, m_art.initramfs, m_paths.dir.string(), &m_err);
    if (m_initrd.empty()) {
        return setup_failed(m_report, "setup.scenario", m_err);
    }
    return std::nullopt;
}

// The guest's disk: the Debian image (built once, cached) or the user's,
// copied raw into the run directory (the guest writes the copy, the lab
// reads the dump back from it), its root file system found, the lab's
// driver written into a user's image.
std::optional<int> Cycle::prepare_disk_guest()
{
    std::string source;
    if (m_plan.user_disk) {
        source = fs::absolute(*m_opt.disk).string();
        m_report.facts["guest"] = "disk " + source;
    } else {
        progress("preparing the Debian guest image (scripts/build-guest; about 2 minutes the first time)");
        auto dir = run_script("build-guest", &m_err, {"debian", DEBIAN_GUEST_SUITE});
        if (!dir) {
            return setup_failed(m_report, "setup.guest", m_err);
        }
        source = *dir + "/rootfs.img";
        m_report.facts["guest"] = std::string("debian ") + DEBIAN_GUEST_SUITE;
        m_report.facts["guest_image"] = *dir;
        // "pinned: lab/guest/debian/SUITE.lock", or "archive: why not".
        const std::string origin = first_line(read_text(*dir + "/origin"));
        m_report.facts["guest_origin"] = origin.empty() ? "unknown (no origin file)" : origin;
        if (origin.rfind("pinned:", 0) != 0) {
            progress("the Debian guest is NOT pinned by content: " + origin);
        }
    }
    m_paths.root_disk = (m_paths.dir / "rootfs.img").string();
    auto root = raw_copy(source, m_paths.root_disk, &m_err) ? find_root_fs(m_paths.root_disk, &m_err) : std::nullopt;
    if (!root) {
        return setup_failed(m_report, "setup.guest", m_err);
    }
    m_root_fs = *root;
    m_report.facts["guest_root"] = fmt::format("{} (offset {} in the image)", root->device, root->offset);
    if (m_plan.user_disk) {
        if (auto rc = install_driver()) {
            return rc;
        }
    }
    if (auto rc = install_user_files()) {
        return rc;
    }
    record_guest_facts();
    m_report.facts["capture"] = "kdump-tools";
    return std::nullopt;
}

// A user's image: it must have kdump-tools; the lab's driver and its two
// units are written in and enabled (lab/guest/debian/).
std::optional<int> Cycle::install_driver()
{
    const std::string raw = m_paths.root_disk;
    if (!read_guest_file(m_root_fs, raw, "/usr/sbin/kdump-config", 1U << 20)) {
        return setup_failed(m_report, "setup.guest",
                            "the image has no kdump-tools (/usr/sbin/kdump-config): install it in the image");
    }
    const fs::path guest = fs::path(source_root()) / "lab/guest/debian";
    const std::string units = "/etc/systemd/system/";
    const std::vector<std::pair<std::string, std::string>> files = {
        {"/usr/local/sbin/fadump-lab-guest", (guest / "fadump-lab-guest").string()},
        {units + "fadump-lab-guest.service", (guest / "fadump-lab-guest.service").string()},
        {units + "fadump-lab-capture.service", (guest / "fadump-lab-capture.service").string()}};
    const std::vector<std::pair<std::string, std::string>> links = {
        {units + "multi-user.target.wants/fadump-lab-guest.service", units + "fadump-lab-guest.service"},
        {units + "basic.target.wants/fadump-lab-capture.service", units + "fadump-lab-capture.service"}};
    if (!install_guest_files(m_root_fs, raw, {units + "multi-user.target.wants", units + "basic.target.wants"}, files,
                             links, &m_err)) {
        return setup_failed(m_report, "setup.guest", "cannot write the lab's driver into the image: " + m_err);
    }
    return std::nullopt;
}

// The user's --guest-file files, written over the image's after the lab's
// driver; each named in the report with its SHA-256.
std::optional<int> Cycle::install_user_files()
{
    if (m_opt.guest_files.empty()) {
        return std::nullopt;
    }
    std::vector<std::pair<std::string, std::string>> files;
    nlohmann::json written = nlohmann::json::object();
    for (const auto& f : m_opt.guest_files) {
        std::error_code ec;
        if (!fs::is_regular_file(f.host, ec)) {
            return setup_failed(m_report, "setup.guest",
                                "--guest-file " + f.guest + ": " + f.host + " is not a regular file");
        }
        files.emplace_back(f.guest, fs::absolute(f.host).string());
        std::string sum;
        run_command({"sha256sum", "--", f.host}, &sum, 60, false);
        written[f.guest] = {{"file", f.host}, {"sha256", sum.substr(0, sum.find(' '))}};
    }
    if (!install_guest_files(m_root_fs, m_paths.root_disk, {}, files, {}, &m_err)) {
        return setup_failed(m_report, "setup.guest",
                            "--guest-file: " + m_err + " (its directory must be in the image)");
    }
    m_report.facts["guest_files"] = written;
    return std::nullopt;
}

// What the guest's disk holds: its release and the dump path's packages.
void Cycle::record_guest_facts()
{
    const auto os = read_guest_file(m_root_fs, m_paths.root_disk, "/usr/lib/os-release", 64U << 10);
    std::smatch m;
    if (os && std::regex_search(*os, m, std::regex("PRETTY_NAME=\"?([^\"\n]*)"))) {
        m_report.facts["guest_os"] = m[1].str();
    }
    nlohmann::json versions = nlohmann::json::object();
    if (const auto status = read_guest_file(m_root_fs, m_paths.root_disk, "/var/lib/dpkg/status", 64U << 20)) {
        for (const auto& [name, version] :
             dpkg_versions(*status, {"kdump-tools", "makedumpfile", "systemd", "crash", "kexec-tools"})) {
            versions[name] = version;
        }
    }
    m_report.facts["guest_packages"] = versions;
}

// QEMU (ours, built or installed, or --qemu) and the firmware directory.
std::optional<int> Cycle::prepare_qemu()
{
    if (!m_plan.ours) {
        m_art.qemu = *m_opt.qemu;
    } else if (auto installed = installed_qemu(to_string(m_opt.qemu_version))) {
        if (access(installed->c_str(), X_OK) != 0) {
            return setup_failed(m_report, "setup.qemu",
                                *installed + " is not installed (package fadump-qemu; --qemu runs another QEMU)");
        }
        m_art.qemu = *installed;
    } else {
        setenv("FADUMP_LIB", engine_library().c_str(), 0);
        auto q = run_script("build-qemu", &m_err, {"--qemu-version", to_string(m_opt.qemu_version)});
        if (!q) {
            return setup_failed(m_report, "setup.qemu", m_err);
        }
        m_art.qemu = *q;
    }
    auto fw = m_opt.firmware_dir ? std::optional(fs::absolute(*m_opt.firmware_dir).string()) : installed_firmware_dir();
    if (!fw) {
        fw = run_script("fetch-firmware", &m_err);
    }
    if (!fw) {
        return setup_failed(m_report, "setup.firmware", m_err);
    }
    m_art.firmware_dir = *fw;
    std::string ver;
    run_command({m_art.qemu, "--version"}, &ver, 30);
    if (stop_signal() != 0) {
        return stopped(m_report, "asking QEMU its version");
    }
    m_version = first_line(ver);
    record_artifact_facts(m_version);
    return std::nullopt;
}

// What the run used, and which downloads fell back from their pins.
void Cycle::record_artifact_facts(const std::string& qemu_version)
{
    auto& facts = m_report.facts;
    facts["qemu_binary"] = m_art.qemu;
    facts["qemu_version"] = qemu_version;
    facts["qemu_glue"] = m_plan.ours ? "glue/qemu-" + to_string(m_opt.qemu_version) : "none (another QEMU)";
    facts["kernel_version"] = m_art.kernel_version;
    facts["vmlinux"] = m_art.vmlinux;
    facts["initramfs"] = m_plan.own_disk ? "none (the guest boots its own disk)" : m_art.initramfs;
    // Debian package versions actually used (pins may have fallen back).
    std::string v;
    // Beside a source build's binary; for the packages, under /usr/share/fadump/qemu/.
    const auto version_file =
        installed_qemu(to_string(m_opt.qemu_version))
            ? fs::path(source_root()) / "qemu" / (fs::path(m_art.qemu).filename().string() + ".version")
            : fs::path(m_art.qemu).parent_path() / "fadump-qemu-version";
    if (m_plan.ours && (std::ifstream(version_file) >> v)) {
        facts["qemu_debian_version"] = v;
    }
    if (std::ifstream(fs::path(m_art.firmware_dir) / "version") >> v) {
        facts["firmware_debian_version"] = v;
    }
    facts["downloads"] = read_downloads(m_paths.downloads);
    for (const auto& d : facts["downloads"]) {
        if (d["origin"] != "pinned") {
            progress("WARNING: " + d["package"].get<std::string>() + " " + d["version"].get<std::string>() +
                     " is a fallback (" + d["origin"].get<std::string>() + ") for the pinned " +
                     d["pinned_version"].get<std::string>());
        }
    }
    facts["ground_truth"] = m_plan.ours ? "recorded by the engine" : "not available (other QEMU)";
}

// The run's files: disks, the ground truth, QMP and back-end sockets (a
// Unix socket path has 107 bytes: a long run directory puts them in /tmp).
void Cycle::make_paths()
{
    Paths& p = m_paths;
    p.vmcore_disk = (p.dir / "vmcore").string();
    p.truth = (p.dir / "ground-truth.cbor").string();
    p.export_dir = (p.dir / "export").string();
    p.state_disk = (p.dir / "state").string();
    p.opal_disk = (p.dir / "opalcore").string();
    p.pnor = (p.dir / "pnor.bin").string();
    p.qmp = (p.dir / "qmp.sock").string();
    const bool in_tmp = p.qmp.size() > 100;
    if (in_tmp) {
        p.qmp = fmt::format("/tmp/fadump-lab-{}.qmp", getpid());
    }
    // A migration's destination QMP socket and stream; the vhost-user
    // disk's socket (its back-end serves it).
    p.dest_qmp = p.qmp + "-d";
    p.migration_socket = p.qmp + "-m";
    p.vhost_socket = p.qmp + "-v";
    p.removed_at_exit.push_back(std::make_unique<RemoveOnExit>(p.vhost_socket));
    if (in_tmp) {
        for (const auto* s : {&p.qmp, &p.dest_qmp, &p.migration_socket}) {
            p.removed_at_exit.push_back(std::make_unique<RemoveOnExit>(*s));
        }
    }
}

// Our QEMU's properties (none for another QEMU); the export's directory
// made here.
std::optional<OurProperties> Cycle::our_properties() const
{
    if (!m_plan.ours) {
        return std::nullopt;
    }
    std::error_code ec;
    fs::create_directories(m_paths.export_dir, ec);
    return OurProperties{.truth = m_paths.truth, .export_dir = m_paths.export_dir, .zero_copy = m_opt.zero_copy};
}

// The QEMU command line, the scenario's back-ends started for it; nullopt
// when one cannot start (a failed check says why).
std::optional<std::vector<std::string>> Cycle::qemu_argv()
{
    const Scenario& sc = *m_plan.scenario;
    const auto shape =
        std::get<MemoryArgs>(memory_args(m_plan.memory, m_plan.boot_ram_bytes, m_plan.machine, m_paths.dir.string()));
    std::vector<std::string> argv = {
        m_art.qemu,
        "-M",
        machine_option(m_plan.machine, m_plan.firmware, our_properties(), shape.machine_suffix),
        "-smp",
        m_plan.smp,
        "-m",
        m_plan.mem_spec,
        "-display",
        "none",
        "-qmp",
        "unix:" + m_paths.qmp + ",server=on,wait=off"};
    argv.insert(argv.end(), shape.args.begin(), shape.args.end());
    const auto disks = m_plan.own_disk ? root_disk_args(m_paths.root_disk)
                                       : disk_args(m_plan.pnv, m_paths.vmcore_disk, m_paths.state_disk, m_paths.pnor,
                                                   m_paths.opal_disk);
    argv.insert(argv.end(), disks.begin(), disks.end());
    if (!add_backends(argv)) {
        return std::nullopt;
    }
    if (sc.slow_disk) {
        // Reads throttled to 256 KiB a second (QEMU's block layer queues
        // the rest): a reader of 256 KiB blocks always has one waiting, and
        // the kernel's partition scan (a few 4 KiB reads) stays quick.
        argv.insert(argv.end(),
                    {"-drive",
                     "file=" + m_initrd +
                         ",format=raw,if=none,id=d3,readonly=on,"
                         "throttling.bps-read=262144",
                     "-device",
                     std::string("virtio-blk-pci,drive=d3,serial=slow") + (m_plan.pnv ? ",bus=pcie.3,addr=0x0" : "")});
    }
    argv.insert(argv.end(), sc.qemu_args.begin(), sc.qemu_args.end());
    if (m_plan.ours) {
        // The platform's own account of the run, next to the guest errors.
        argv.insert(argv.end(), {"-trace", "spapr_fadump_*", "-trace", "pnv_mpipl_*", "-trace", "fadump_preserve",
                                 "-trace", "fadump_moves", "-trace", "fadump_export_*", "-trace", "fadump_ksm"});
    }
    m_qemu_logs = {m_paths.dir / "qemu-guest-errors.log"};
    argv.insert(argv.end(), {"-L", m_art.firmware_dir, "-kernel", m_art.boot_kernel});
    if (!m_plan.own_disk) {
        argv.insert(argv.end(), {"-initrd", m_initrd});
    }
    std::string extra = m_plan.own_disk ? join_words(disk_root_args(m_root_fs.device), m_opt.append) : m_opt.append;
    if (on_demand_export_applies()) {
        // The capture kernel waits after release_mem while the host asks
        // QMP fadump-export about the released dump (cycle_export.cpp).
        extra = join_words(extra, "fadump_lab_linger=2");
    }
    argv.insert(argv.end(), {"-append", kernel_append(sc, m_plan.makedumpfile, extra), "-d", "guest_errors", "-D",
                             m_qemu_logs.front().string()});
    return argv;
}

// The scenario's back-ends, started, and their devices on `argv`: a NIC
// flooded from the host, a vhost-user disk (QEMU's reference back-end,
// built beside our qemu-system-ppc64).
bool Cycle::add_backends(std::vector<std::string>& argv)
{
    const Scenario& sc = *m_plan.scenario;
    if (sc.net_flood) {
        m_flood = NetFlood::make(&m_err);
        if (!m_flood) {
            m_report.fail("net_flood.setup", m_err);
            return false;
        }
        const auto nic = m_flood->qemu_args(sc.flood_nic, m_plan.pnv ? "bus=pcie.4,addr=0x0" : "");
        argv.insert(argv.end(), nic.begin(), nic.end());
    }
    if (sc.vhost_user_disk) {
        const auto backend = (fs::path(m_art.qemu).parent_path() / "contrib/vhost-user-blk/vhost-user-blk").string();
        m_vhost_disk = VhostUserDisk::start(backend, m_initrd, m_paths.vhost_socket,
                                            (m_paths.dir / "vhost-user-blk.log").string(), 30, &m_err);
        if (!m_vhost_disk) {
            m_report.fail("vhost_user.setup", m_err);
            return false;
        }
        const auto dev = m_vhost_disk->qemu_args(m_plan.pnv ? "bus=pcie.3,addr=0x0" : "");
        argv.insert(argv.end(), dev.begin(), dev.end());
    }
    return true;
}

bool Cycle::start_qemu()
{
    {
        std::ofstream(m_paths.vmcore_disk).close();
        fs::resize_file(m_paths.vmcore_disk, m_plan.ram_bytes);
        std::ofstream(m_paths.state_disk).close();
        fs::resize_file(m_paths.state_disk, 1U << 20);
    }
    if (m_plan.pnv) {
        // skiboot needs a PNOR it may write to: a copy.
        fs::copy_file(fs::path(m_art.firmware_dir) / "pnv-pnor.bin", m_paths.pnor,
                      fs::copy_options::overwrite_existing);
        std::ofstream(m_paths.opal_disk).close();
        fs::resize_file(m_paths.opal_disk, 256ULL << 20);
    }
    auto argv = qemu_argv();
    if (!argv) {
        return false;
    }
    m_argv = std::move(*argv);
    cycle_internal::write_lines(m_paths.dir / "qemu-command.txt", m_argv);
    progress("starting " + m_version + " (console: " + (m_paths.dir / "console.log").string() + ")");
    auto child = Child::spawn(m_argv, (m_paths.dir / "console.log").string(), m_opt.verbose, &m_err);
    if (!child) {
        m_report.fail("qemu.start", m_err);
        return false;
    }
    m_child.emplace(std::move(*child));
    if (m_flood) {
        m_flood->start();
    }
    return true;
}

// QEMU powers off after the last boot (waited for when that boot finished
// its work), or is stopped on SIGINT/SIGTERM: an exit code when the run ends
// here.
std::optional<int> Cycle::end_qemu()
{
    struct Gone {
        std::atomic<bool>& gone;
        ~Gone() { gone = true; }  // QEMU exited or was stopped: its logs are whole
    } gone{m_qemu_gone};
    if (stop_signal() != 0) {
        progress(fmt::format("{}: stopping QEMU (SIGTERM, SIGKILL after {} s)", signal_name(stop_signal()),
                             m_opt.stop_grace_s));
        const double at = m_child->elapsed();
        const bool reaped = m_child->stop(m_opt.stop_grace_s);
        const double took = m_child->elapsed() - at;
        m_report.phases["total"] = at;
        if (!reaped) {
            m_report.fail("qemu.exit", fmt::format("QEMU (pid {}) did not exit after SIGTERM, {} s and SIGKILL",
                                                   m_child->pid(), m_opt.stop_grace_s));
        }
        return stopped(m_report, fmt::format("QEMU was running ({:.1f} s after start); QEMU's process group got "
                                             "SIGTERM ({} s grace, then SIGKILL) and was gone {:.1f} s later",
                                             at, m_opt.stop_grace_s, took));
    }
    int status = 0;
    const bool finished = m_times.copied || m_times.plain || m_times.opal_only;
    if (!m_child->wait_exit(finished ? m_opt.timeout_s : 0, &status)) {
        m_report.fail("qemu.exit", "QEMU did not power off");
    }
    if (!m_child->stop(m_opt.stop_grace_s)) {
        m_report.fail("qemu.stop", fmt::format("QEMU (pid {}) could not be reaped after SIGKILL", m_child->pid()));
    }
    if (stop_signal() != 0) {
        return stopped(m_report, "waiting for QEMU to power off");
    }
    return std::nullopt;
}

// What the guest printed so far: hostile input, each value its own check
// (into `errors` when given); the CPUs the dump must hold notes for and how
// the kernel went down.
Cycle::Console Cycle::console_now(Report* errors) const
{
    const auto& lines = m_child->lines();
    const auto vmcore_size = last_value(lines, "vmcore_size=");
    const auto opal_size = last_value(lines, "opalcore_size=");
    const auto online = cpus_online_list(lines);
    const auto reserved = reserved_ranges(lines);
    for (const auto& [name, error] :
         {std::pair{"console.vmcore_size", vmcore_size.error}, std::pair{"console.opalcore_size", opal_size.error},
          std::pair{"console.cpus_online", online.error}, std::pair{"console.reserved_ranges", reserved.error}}) {
        if (!error.empty() && errors != nullptr) {
            errors->fail(name, error);
        }
    }
    Console c;
    c.vmcore_size = m_times.ready ? vmcore_size.value : std::nullopt;
    c.opal_size = opal_size.value;
    c.online_cpus = online.value.value_or(std::vector<unsigned>{});
    c.reserved = reserved.value;
    const Scenario& sc = *m_plan.scenario;
    c.how = Downfall{.hang_function = sc.hang_function,
                     .hang_frames = sc.hang_frames,
                     .firmware_initiated = sc.trigger == Trigger::SbeS0 || sc.trigger == Trigger::HostS0,
                     .s0_from_host = sc.trigger == Trigger::HostS0};
    // The CPUs the dump must hold notes for: those online when the kernel
    // went down (the guest's count); on PowerNV one per thread the machine
    // has (opal-fadump.c), offline ones included: all -smp threads, or more
    // when PowerNV made every thread up to maxcpus.
    if (online.value) {
        c.expected_cpus = static_cast<unsigned>(c.online_cpus.size());
    }
    if (m_plan.pnv && m_plan.cpus) {
        c.expected_cpus = std::max(*m_plan.cpus, c.expected_cpus.value_or(0));
    }
    if (!c.expected_cpus) {
        c.expected_cpus = m_plan.cpus;
    }
    return c;
}

// The whole console once QEMU exited, and QEMU's logs.
void Cycle::read_console()
{
    m_console = console_now(&m_report);
    for (const auto& path : m_qemu_logs) {
        m_qemu_log += read_text(path);
    }
}

// The guest's own account (dump active, copied, released), the scenario's
// expectations boot by boot, the phases' times.
void Cycle::judge_guest()
{
    bool dump_active = false;
    bool released = false;
    for (const auto& l : m_child->lines()) {
        dump_active = dump_active || l.find("Firmware-assisted dump is active") != std::string::npos;
        released = released || l.find("FADUMP-LAB: released") != std::string::npos;
    }
    const Times& t = m_times;
    if (t.capture) {
        m_report.expect("guest.capture_kernel_dump_active", dump_active,
                        dump_active ? "capture kernel: \"Firmware-assisted dump is active\""
                                    : "capture kernel did not see the dump");
    }
    if (t.copied && !m_plan.makedumpfile && !m_plan.own_disk) {
        m_report.pass("guest.vmcore_copied",
                      fmt::format("{} bytes copied to the host", m_console.vmcore_size.value_or(0)));
    }
    if (t.copied && !m_plan.own_disk) {  // kdump-tools reboots instead: the plain boot proves the invalidation
        m_report.expect("guest.release_mem", released,
                        released ? "preserved memory released (INVALIDATE)" : "release_mem failed");
    }
    if (t.registered) {
        m_report.phases["boot_to_registered"] = *t.registered;
    }
    judge_cpus_up();
    judge_scenario();
    if (t.crash && t.capture) {
        m_report.phases["crash_to_capture_kernel"] = *t.capture - *t.crash;
    }
    if (t.capture && t.ready) {
        m_report.phases["capture_to_vmcore_ready"] = *t.ready - *t.capture;
    }
    if (t.ready && t.copied && !m_plan.makedumpfile && !m_plan.own_disk) {
        m_report.phases["vmcore_copy_out"] = *t.copied - *t.ready;
    }
    m_report.phases["total"] = m_child->elapsed();
}

// Every CPU -smp starts came up in the first kernel: fewer (its NR_CPUS,
// which Linux names in "Partition configured for N cpus, operating system
// maximum is M") would leave the dump's CPU state data for many CPUs unproven.
void Cycle::judge_cpus_up()
{
    const auto up = cpus_at_boot(m_child->lines());
    if (!up.value || !m_plan.cpus) {
        return;  // a guest without the lab's init (its own disk) prints no list
    }
    if (*up.value == *m_plan.cpus) {
        m_report.pass("guest.cpus_up", fmt::format("{} CPUs online at boot, as -smp {}", *up.value, m_plan.smp));
        return;
    }
    std::string why;
    for (const auto& l : m_child->lines()) {
        if (const auto p = l.find("Partition configured for"); p != std::string::npos) {
            why = ": the kernel says \"" + l.substr(p) + "\" (its CONFIG_NR_CPUS)";
            break;
        }
    }
    m_report.fail("guest.cpus_up",
                  fmt::format("{} CPUs online at boot, -smp {} starts {}{}", *up.value, m_plan.smp, *m_plan.cpus, why));
}

// The scenario's own expectations, boot by boot, what it reported, and the
// platform's trace; a scenario that expects no dump must get none.
void Cycle::judge_scenario()
{
    const Scenario& sc = *m_plan.scenario;
    const auto boot_lines = split_boots(m_child->lines());
    std::optional<std::vector<std::string>> trace;
    if (m_plan.ours) {
        std::istringstream log(m_qemu_log);
        trace = platform_events(log);
        m_report.facts["platform_events"] = *trace;
        check_preservation(*trace, m_opt.zero_copy, m_report);
    }
    check_scenario_console(sc, m_plan.machine, boot_lines, m_report, trace);
    if (auto rep = scenario_reports(boot_lines.front()); !rep.empty()) {
        m_report.facts["scenario_report"] = std::move(rep);
    }
    const auto& boots = boots_after_crash();
    if (m_times.plain && boots.size() == 1 && boots.back() == Boot::Plain) {
        // Nothing preserved: the engine dumped nothing, so wrote no ground
        // truth; the last kernel found no /proc/vmcore.
        if (m_plan.ours) {
            const bool none = !fs::exists(m_paths.truth);
            m_report.expect(
                "scenario.no_dump", none,
                none ? "the platform recorded no dump (no ground truth) and the next kernel found no vmcore"
                     : "the platform dumped although the scenario expects no dump (" + m_paths.truth + " exists)");
        } else {
            m_report.pass("scenario.no_dump", "the next kernel found no vmcore");
        }
    }
}

}  // namespace lab
