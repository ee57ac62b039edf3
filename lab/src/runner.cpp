#include "runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <regex>
#include <sstream>
#include <variant>

#include "artifacts.hpp"
#include "console_values.hpp"
#include "device_tree.hpp"
#include "dump_access.hpp"
#include "guest_errors.hpp"
#include "makedumpfile_capture.hpp"
#include "net_flood.hpp"
#include "postcopy_migration.hpp"
#include "process.hpp"
#include "qmp.hpp"
#include "scenario_steps.hpp"
#include "scenarios.hpp"
#include "stop_signal.hpp"
#include "vhost_user_disk.hpp"
#include "vmcore_checks.hpp"

namespace fs = std::filesystem;

namespace lab {
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

void progress(const std::string& msg)
{
    std::cerr << "fadump-lab: " << msg << std::endl;
}

std::string first_line(const std::string& s)
{
    return s.substr(0, s.find('\n'));
}

// The postcopy stream's bandwidth (bytes a second): slow enough that the
// destination's guest crashes while its RAM still arrives.
constexpr uint64_t POSTCOPY_BYTES_PER_S = 8ULL << 20;

// `lines`, one per line, into `path` (a command line kept for the reader).
void write_lines(const fs::path& path, const std::vector<std::string>& lines)
{
    std::ofstream f(path);
    for (const auto& l : lines) {
        f << l << "\n";
    }
}

// Removes a file when the run ends, however it ends (the QMP socket QEMU
// leaves behind outside the run directory).
class RemoveOnExit {
public:
    explicit RemoveOnExit(std::string path) : m_path(std::move(path)) {}
    RemoveOnExit(const RemoveOnExit&) = delete;
    RemoveOnExit& operator=(const RemoveOnExit&) = delete;
    ~RemoveOnExit()
    {
        std::error_code ec;
        fs::remove(m_path, ec);
    }

private:
    std::string m_path;
};

// The last console line holding `needle`, from the needle on.
std::string last_line_with(const std::vector<std::string>& lines, const std::string& needle)
{
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        if (const auto p = it->find(needle); p != std::string::npos) {
            return it->substr(p);
        }
    }
    return {};
}

// Whether the file at `path` holds `needle`, read in 1 MiB pieces (a
// migration stream is as large as the guest's used memory).
bool file_contains(const std::string& path, const std::string& needle)
{
    std::ifstream f(path, std::ios::binary);
    std::string window;
    std::vector<char> buf(1 << 20);
    while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0) {
        window.append(buf.data(), static_cast<size_t>(f.gcount()));
        if (window.find(needle) != std::string::npos) {
            return true;
        }
        // Keep what could be the start of a needle split across pieces.
        window.erase(0, window.size() - std::min(window.size(), needle.size() - 1));
    }
    return false;
}

std::string timestamp()
{
    char buf[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
    return buf;
}

// The run was asked to stop (Ctrl-C, SIGTERM): a failed check saying where,
// and the exit code a shell expects (128 + signal).
int stopped(Report& r, const std::string& where)
{
    const int sig = stop_signal();
    r.fail("lab.stopped", fmt::format("stopped by {} while {}", signal_name(sig), where));
    return 128 + sig;
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

std::optional<unsigned> small_count(const std::string& digits)
{
    const auto v = parse_u64(digits);
    return v && *v <= UINT32_MAX ? std::optional<unsigned>(static_cast<unsigned>(*v)) : std::nullopt;
}

}  // namespace

std::optional<unsigned> smp_cpus(const std::string& spec)
{
    std::smatch m;
    if (std::regex_search(spec, m, std::regex(R"((?:^|,)cpus=(\d+))"))) {
        return small_count(m[1]);
    }
    if (std::regex_search(spec, m, std::regex(R"(^(\d+))"))) {
        return small_count(m[1]);
    }
    unsigned product = 1;
    bool any = false;
    for (const char* k : {"sockets", "dies", "clusters", "cores", "threads"}) {
        if (std::regex_search(spec, m, std::regex(std::string(R"((?:^|,))") + k + R"(=(\d+))"))) {
            const auto n = small_count(m[1]);
            if (!n || *n == 0 || product > UINT32_MAX / *n) {
                return std::nullopt;
            }
            product *= *n;
            any = true;
        }
    }
    return any ? std::optional<unsigned>(product) : std::nullopt;
}

std::optional<uint64_t> mem_bytes(const std::string& spec)
{
    std::smatch m;
    const std::string size = spec.substr(0, spec.find(','));
    if (!std::regex_match(size, m, std::regex(R"((\d+)([KMGT]?)i?B?)", std::regex::icase))) {
        return std::nullopt;
    }
    const auto v = parse_u64(m[1].str());
    const std::string unit = m[2];
    const auto index = std::string("KMGT").find(static_cast<char>(std::toupper(unit[0] ? unit[0] : 'M')));
    const int shift = unit.empty() ? 20 : static_cast<int>(index) * 10 + 10;
    if (!v || *v > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return *v << shift;
}

std::string machine_option(const std::string& machine, const std::string& firmware, bool ours, const std::string& truth,
                           bool zero_copy, const std::string& shape_suffix)
{
    std::string m = machine;
    if (machine.rfind("powernv", 0) != 0) {
        m = "pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off";
        if (firmware == "vof") {
            m += ",x-vof=on";
        }
    }
    if (ours) {
        m += ",x-fadump-ground-truth=" + truth;
        if (!zero_copy) {
            m += ",x-fadump-zero-copy=off";  // on is QEMU's default: left to it
        }
    }
    return m + shape_suffix;
}

std::string kernel_append(const Scenario& sc, bool makedumpfile, const std::string& extra)
{
    std::string append = "console=hvc0";
    for (const auto* more : {&sc.fadump_arg, &sc.append}) {
        if (!more->empty()) {
            append += " " + *more;
        }
    }
    if (makedumpfile) {
        append += std::string(" ") + MAKEDUMPFILE_CAPTURE_ARG;
    }
    if (!extra.empty()) {
        append += " " + extra;
    }
    return append;
}

std::vector<std::string> disk_args(bool pnv, const std::string& vmcore, const std::string& state,
                                   const std::string& pnor, const std::string& opalcore)
{
    if (!pnv) {
        return {"-nodefaults",
                "-serial",
                "stdio",
                "-drive",
                "file=" + vmcore + ",format=raw,if=none,id=d0",
                "-device",
                "virtio-blk-pci,drive=d0,serial=vmcore",
                "-drive",
                "file=" + state + ",format=raw,if=none,id=d2",
                "-device",
                "virtio-blk-pci,drive=d2,serial=state"};
    }
    // PHBs are default devices on PowerNV: keep the defaults, drop the NIC
    // and monitor.
    return {"-nic",     "none",
            "-monitor", "none",
            "-serial",  "stdio",
            "-drive",   "file=" + pnor + ",format=raw,if=mtd",
            "-drive",   "file=" + vmcore + ",format=raw,if=none,id=d0",
            "-device",  "virtio-blk-pci,drive=d0,bus=pcie.0,addr=0x0,serial=vmcore",
            "-drive",   "file=" + opalcore + ",format=raw,if=none,id=d1",
            "-device",  "virtio-blk-pci,drive=d1,bus=pcie.1,addr=0x0,serial=opalcore",
            "-drive",   "file=" + state + ",format=raw,if=none,id=d2",
            "-device",  "virtio-blk-pci,drive=d2,bus=pcie.2,addr=0x0,serial=state"};
}

int run_cycle(const RunOptions& opt, Report& r)
{
    const bool ours = !opt.qemu.has_value();
    const bool pnv = opt.machine.rfind("powernv", 0) == 0;
    if (opt.machine != "pseries" && opt.machine != "powernv9" && opt.machine != "powernv10") {
        std::cerr << "fadump-lab: --machine must be pseries, powernv9 or powernv10\n";
        return 2;
    }
    const std::string firmware = pnv ? "skiboot" : opt.firmware;
    const bool mdf = opt.capture == "makedumpfile";
    if (!mdf && opt.capture != "raw") {
        std::cerr << "fadump-lab: --capture must be raw or makedumpfile\n";
        return 2;
    }
    if (!pnv && firmware != "vof" && firmware != "slof") {
        std::cerr << "fadump-lab: --firmware must be vof or slof on pseries\n";
        return 2;
    }
    const Scenario* sc = find_scenario(opt.scenario);
    if (sc == nullptr) {
        std::cerr << "fadump-lab: no scenario " << opt.scenario << " (fadump-lab scenarios lists them)\n";
        return 2;
    }
    if (!sc->runs_on(opt.machine)) {
        std::cerr << "fadump-lab: scenario " << sc->name << " does not run on " << opt.machine << "\n";
        return 2;
    }
    const std::string smp = sc->smp.empty() ? opt.smp : sc->smp;
    const std::string mem_spec = sc->mem.empty() ? opt.mem : sc->mem;
    const auto boot_mem = mem_bytes(mem_spec);
    if (!boot_mem) {
        std::cerr << "fadump-lab: cannot read --mem " << mem_spec << "\n";
        return 2;
    }
    MemoryShape memory = opt.memory;
    if (memory.backend.empty() && !sc->memory_backend.empty()) {
        memory.backend = sc->memory_backend;
    }
    const auto memory_check = memory_args(memory, *boot_mem, opt.machine, "");
    if (const auto* why = std::get_if<std::string>(&memory_check)) {
        std::cerr << "fadump-lab: --numa/--memory-backend: " << *why << "\n";
        return 2;
    }
    if (memory.backend == "hugetlb") {
        std::ifstream meminfo("/proc/meminfo");
        const std::string shortfall = hugetlb_shortfall(
            std::string(std::istreambuf_iterator<char>(meminfo), std::istreambuf_iterator<char>()), *boot_mem);
        if (!shortfall.empty()) {
            std::cerr << "fadump-lab: --memory-backend hugetlb: " << shortfall << "\n";
            return 2;
        }
    }
    // The guest's RAM when it crashes: what it booted with and what the
    // scenario plugs in.
    const std::optional<uint64_t> mem = *boot_mem + sc->added_ram_bytes;
    const auto cpus = smp_cpus(smp);
    const std::string run_name = sc->name == "sysrq" ? fmt::format("{}-{}", opt.machine, firmware)
                                                     : fmt::format("{}-{}-{}", opt.machine, firmware, sc->name);
    const fs::path dir = fs::absolute(fs::path(opt.out_dir) / fmt::format("{}-{}", run_name, timestamp()));
    fs::create_directories(dir);
    r.facts["machine"] = opt.machine;
    r.facts["firmware"] = firmware;
    r.facts["scenario"] = sc->name;
    r.facts["scenario_summary"] = sc->summary;
    r.facts["smp"] = smp;
    r.facts["mem"] = mem_spec;
    r.facts["numa_nodes"] = memory.numa;
    // --numa without a backend gives each node a memory-backend-ram.
    r.facts["memory_backend"] = !memory.backend.empty() ? memory.backend : (memory.numa > 0 ? "ram" : "-m");
    r.facts["capture"] = opt.capture;
    r.facts["run_dir"] = dir.string();

    // 1. Artefacts. scripts/fetch-pinned records every download's origin here.
    const std::string downloads = (dir / "downloads.txt").string();
    setenv("FADUMP_PROVENANCE", downloads.c_str(), 1);
    std::string err;
    Artifacts a;
    progress("preparing the guest kernel, initramfs, firmware and QEMU (cached after the first run)");
    if (opt.kernel) {
        a.vmlinux = fs::absolute(*opt.kernel).string();
        a.boot_kernel = (dir / "vmlinux.strip").string();
        std::string o;
        if (run_command({"powerpc64le-linux-gnu-objcopy", "--strip-debug", a.vmlinux, a.boot_kernel}, &o, 300) != 0) {
            if (stop_signal() != 0) {
                return stopped(r, "stripping the kernel");
            }
            r.fail("setup.kernel", "cannot strip " + a.vmlinux + ": " + o);
            return 1;
        }
        a.kernel_version = "custom";
    } else {
        auto k = run_script("build-kernel", &err, {opt.kernel_source, sc->page_size});
        r.facts["kernel_source"] = opt.kernel_source;
        r.facts["kernel_page_size"] = sc->page_size;
        if (!k) {
            return setup_failed(r, "setup.kernel", err);
        }
        a.vmlinux = *k + "/vmlinux";
        a.boot_kernel = *k + "/vmlinux.strip";
        std::ifstream(*k + "/version") >> a.kernel_version;
    }
    auto initramfs = opt.initrd ? std::optional(fs::absolute(*opt.initrd).string())
                                : run_script("build-initramfs", &err, {mdf ? "makedumpfile" : "base"});
    if (!initramfs) {
        return setup_failed(r, "setup.initramfs", err);
    }
    const std::string initrd = write_scenario_initrd(*sc, *initramfs, dir.string(), &err);
    if (initrd.empty()) {
        return setup_failed(r, "setup.scenario", err);
    }
    if (ours) {
        setenv("FADUMP_LIB", FADUMP_LIB_PATH, 0);
        auto q = run_script("build-qemu", &err, {"--qemu-version", opt.qemu_version});
        if (!q) {
            return setup_failed(r, "setup.qemu", err);
        }
        a.qemu = *q;
    } else {
        a.qemu = *opt.qemu;
    }
    auto fw =
        opt.firmware_dir ? std::optional(fs::absolute(*opt.firmware_dir).string()) : run_script("fetch-firmware", &err);
    if (!fw) {
        return setup_failed(r, "setup.firmware", err);
    }
    std::string ver;
    run_command({a.qemu, "--version"}, &ver, 30);
    if (stop_signal() != 0) {
        return stopped(r, "asking QEMU its version");
    }
    r.facts["qemu_binary"] = a.qemu;
    r.facts["qemu_version"] = first_line(ver);
    r.facts["qemu_glue"] = ours ? "glue/qemu-" + opt.qemu_version : "none (another QEMU)";
    r.facts["kernel_version"] = a.kernel_version;
    r.facts["vmlinux"] = a.vmlinux;
    r.facts["initramfs"] = *initramfs;
    {
        // Debian package versions actually used (pins may have fallen back).
        std::string v;
        if (ours && (std::ifstream(fs::path(a.qemu).parent_path() / "fadump-qemu-version") >> v)) {
            r.facts["qemu_debian_version"] = v;
        }
        if (std::ifstream(fs::path(*fw) / "version") >> v) {
            r.facts["firmware_debian_version"] = v;
        }
    }
    r.facts["downloads"] = read_downloads(downloads);
    for (const auto& d : r.facts["downloads"]) {
        if (d["origin"] != "pinned") {
            progress("WARNING: " + d["package"].get<std::string>() + " " + d["version"].get<std::string>() +
                     " is a fallback (" + d["origin"].get<std::string>() + ") for the pinned " +
                     d["pinned_version"].get<std::string>());
        }
    }
    r.facts["ground_truth"] = ours ? "recorded by the engine" : "not available (other QEMU)";

    // 2. The run.
    const std::string disk = (dir / "vmcore").string();
    const std::string truth = (dir / "ground-truth.cbor").string();
    const std::string state_disk = (dir / "state").string();
    {
        std::ofstream(disk).close();
        fs::resize_file(disk, *mem);
        std::ofstream(state_disk).close();
        fs::resize_file(state_disk, 1U << 20);
    }
    // QMP, for the scenarios' host steps; a Unix socket path has 107 bytes.
    std::string qmp_path = (dir / "qmp.sock").string();
    std::optional<RemoveOnExit> qmp_tmp;
    if (qmp_path.size() > 100) {
        qmp_path = fmt::format("/tmp/fadump-lab-{}.qmp", getpid());
        qmp_tmp.emplace(qmp_path);
    }
    // A postcopy migration's: the destination's QMP socket, the migration's.
    const std::string dest_qmp_path = qmp_path + "-d";
    const std::string migration_socket = qmp_path + "-m";
    std::optional<RemoveOnExit> dest_qmp_tmp;
    std::optional<RemoveOnExit> migration_tmp;
    // The vhost-user disk's socket (its back-end serves it).
    const std::string vhost_socket = qmp_path + "-v";
    RemoveOnExit vhost_socket_tmp(vhost_socket);
    if (qmp_tmp) {
        dest_qmp_tmp.emplace(dest_qmp_path);
        migration_tmp.emplace(migration_socket);
    }
    const std::string append = kernel_append(*sc, mdf, opt.append);
    const auto shape = std::get<MemoryArgs>(memory_args(memory, *boot_mem, opt.machine, dir.string()));
    const std::string machine = machine_option(opt.machine, firmware, ours, truth, opt.zero_copy, shape.machine_suffix);
    std::vector<std::string> argv = {a.qemu,
                                     "-M",
                                     machine,
                                     "-smp",
                                     smp,
                                     "-m",
                                     mem_spec,
                                     "-display",
                                     "none",
                                     "-qmp",
                                     "unix:" + qmp_path + ",server=on,wait=off"};
    argv.insert(argv.end(), shape.args.begin(), shape.args.end());
    const std::string opal_disk = (dir / "opalcore").string();
    const std::string pnor = (dir / "pnor.bin").string();
    if (pnv) {
        // skiboot needs a PNOR it may write to: a copy.
        fs::copy_file(fs::path(*fw) / "pnv-pnor.bin", pnor, fs::copy_options::overwrite_existing);
        std::ofstream(opal_disk).close();
        fs::resize_file(opal_disk, 256ULL << 20);
    }
    const auto disks = disk_args(pnv, disk, state_disk, pnor, opal_disk);
    argv.insert(argv.end(), disks.begin(), disks.end());
    std::unique_ptr<NetFlood> flood;
    if (sc->net_flood) {
        flood = NetFlood::make(&err);
        if (!flood) {
            r.fail("net_flood.setup", err);
            return 1;
        }
        const auto nic = flood->qemu_args(sc->flood_nic, pnv ? "bus=pcie.4,addr=0x0" : "");
        argv.insert(argv.end(), nic.begin(), nic.end());
    }
    std::unique_ptr<VhostUserDisk> vhost_disk;
    if (sc->vhost_user_disk) {
        // QEMU's reference back-end, built beside our qemu-system-ppc64.
        const auto backend = (fs::path(a.qemu).parent_path() / "contrib/vhost-user-blk/vhost-user-blk").string();
        vhost_disk =
            VhostUserDisk::start(backend, initrd, vhost_socket, (dir / "vhost-user-blk.log").string(), 30, &err);
        if (!vhost_disk) {
            r.fail("vhost_user.setup", err);
            return 1;
        }
        const auto dev = vhost_disk->qemu_args(pnv ? "bus=pcie.3,addr=0x0" : "");
        argv.insert(argv.end(), dev.begin(), dev.end());
    }
    if (sc->slow_disk) {
        // Reads throttled to 256 KiB a second (QEMU's block layer queues
        // the rest): a reader of 256 KiB blocks always has one waiting, and
        // the kernel's partition scan (a few 4 KiB reads) stays quick.
        argv.insert(
            argv.end(),
            {"-drive",
             "file=" + initrd +
                 ",format=raw,if=none,id=d3,readonly=on,"
                 "throttling.bps-read=262144",
             "-device", std::string("virtio-blk-pci,drive=d3,serial=slow") + (pnv ? ",bus=pcie.3,addr=0x0" : "")});
    }
    argv.insert(argv.end(), sc->qemu_args.begin(), sc->qemu_args.end());
    if (ours) {
        // The platform's own account of the run, next to the guest errors.
        argv.insert(argv.end(), {"-trace", "spapr_fadump_*", "-trace", "pnv_mpipl_*", "-trace", "fadump_preserve",
                                 "-trace", "fadump_moves"});
    }
    argv.insert(argv.end(), {"-L", *fw, "-kernel", a.boot_kernel, "-initrd", initrd, "-append", append, "-d",
                             "guest_errors", "-D", (dir / "qemu-guest-errors.log").string()});
    {
        std::ofstream cmd(dir / "qemu-command.txt");
        for (const auto& s : argv) {
            cmd << s << "\n";
        }
    }
    progress("starting " + first_line(ver) + " (console: " + (dir / "console.log").string() + ")");
    auto child = Child::spawn(argv, (dir / "console.log").string(), opt.verbose, &err);
    if (!child) {
        r.fail("qemu.start", err);
        return 1;
    }
    if (flood) {
        flood->start();
    }
    const std::vector<std::string> boot_fail = {"Kernel panic", "FADUMP-LAB: not-registered", "Failed to register",
                                                "qemu-system-ppc64:"};
    // A wait that did not match, as a failed check: what ended it, when.
    auto wait_failed = [&](const std::string& check, const WaitResult& w, const char* timeout_text, double at) {
        const std::string why = w.kind == WaitResult::Failed    ? "failure seen"
                                : w.kind == WaitResult::Timeout ? timeout_text
                                : w.kind == WaitResult::Stopped
                                    ? fmt::format("stopped by {}", signal_name(stop_signal()))
                                    : "QEMU exited";
        r.fail(check, fmt::format("{} after {:.1f} s{}", why, at, w.line.empty() ? "" : ": " + w.line));
    };
    auto phase = [&](const char* name, const std::vector<std::string>& ok, const std::vector<std::string>& bad) {
        WaitResult w = child->wait_for(ok, bad, opt.timeout_s);
        if (w.kind == WaitResult::Matched) {
            return std::optional<double>(w.at);
        }
        wait_failed(std::string("guest.") + name, w, "timeout", w.at);
        return std::optional<double>();
    };
    // The first boot: registration, the scenario's host steps, the trigger.
    std::optional<Qmp> qmp;
    // The QMP session, connected when there is none (false, the reason in
    // `err`, when QEMU does not answer within `timeout_s`).
    auto ensure_qmp = [&](double timeout_s) {
        if (!qmp) {
            if (auto q = Qmp::connect(qmp_path, timeout_s, &err)) {
                qmp.emplace(std::move(*q));
            }
        }
        return qmp.has_value();
    };
    auto qmp_execute = [&](const std::string& text) {
        const auto cmd = nlohmann::json::parse(text, nullptr, false);
        if (cmd.is_discarded()) {
            r.fail("scenario.qmp", "not JSON: " + text);
            return false;
        }
        if (!ensure_qmp(10)) {
            r.fail("scenario.qmp", err);
            return false;
        }
        if (!qmp->execute(cmd, 30, &err)) {
            r.fail("scenario.qmp", cmd.value("execute", std::string("?")) + ": " + err);
            return false;
        }
        return true;
    };
    // The platform's own account (our QEMU's QMP query-fadump), kept per
    // phase in the report; the session stays open and collects the FADUMP_*
    // events.
    auto query_fadump = [&](const std::string& when) -> std::optional<nlohmann::json> {
        if (!ours) {
            return std::nullopt;
        }
        if (!ensure_qmp(10)) {
            r.fail("qmp.query_fadump", when + ": " + err);
            return std::nullopt;
        }
        auto v = qmp->execute({{"execute", "query-fadump"}}, 30, &err);
        if (!v) {
            r.fail("qmp.query_fadump", when + ": " + err);
            return std::nullopt;
        }
        r.facts["query_fadump"][when] = *v;
        return v;
    };
    // The device tree this boot got, as QEMU shows it (QMP dumpdtb): it must
    // have `prop` in `node` (the dump the platform describes).
    auto check_dumped_dtb = [&](const std::string& name, const std::string& node, const std::string& prop) {
        const std::string file = (dir / (name + ".dtb")).string();
        if (!qmp || !qmp->execute({{"execute", "dumpdtb"}, {"arguments", {{"filename", file}}}}, 30, &err)) {
            r.fail("qmp.dumpdtb", err.empty() ? "no QMP session" : err);
            return;
        }
        std::string why;
        const auto has = dtb_has_property(file, node, prop, &why);
        r.expect("qmp.dumpdtb", has.value_or(false),
                 has ? (*has ? "dumpdtb shows the boot's " + node + "/" + prop
                             : "dumpdtb's device tree lacks " + node + "/" + prop + ", which this boot was given")
                     : why);
    };
    // The scenario's migration: the running QEMU migrates to a file and
    // quits; a second QEMU with the same command line plus -incoming takes
    // the guest over (its console continues the first's, its log is a
    // second file); the guest, waiting on the state disk, is then told.
    std::vector<fs::path> qemu_logs = {dir / "qemu-guest-errors.log"};
    // The sign the guest waits for (/init host_wait): the state disk's
    // fourth 16-byte block.
    auto tell_guest_migrated = [&]() {
        std::fstream f(state_disk, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(48);
        f << fmt::format("{:<15}\n", "migrated");
        if (!f) {
            r.fail("host.migrate", "cannot write the state disk " + state_disk);
        }
        return static_cast<bool>(f);
    };
    // The scenario's postcopy migration (postcopy_migration.hpp): the
    // destination runs beside the source, which serves the pages it has not
    // received yet until the run ends; the lab's QMP session moves to it.
    auto postcopy_guest = [&]() -> bool {
        const double t0 = child->elapsed();
        progress("migrating the guest to a second QEMU with postcopy through " + migration_socket);
        if (!ensure_qmp(10)) {
            r.fail("host.migrate", err);
            return false;
        }
        qemu_logs.push_back(dir / "qemu-guest-errors-destination.log");
        const PostcopyPlan plan{
            postcopy_destination_argv(argv, dest_qmp_path, qemu_logs.back().string(), "unix:" + migration_socket),
            dest_qmp_path, "unix:" + migration_socket, POSTCOPY_BYTES_PER_S};
        write_lines(dir / "qemu-command-destination.txt", plan.argv);
        auto dest = migrate_postcopy(*child, *qmp, plan, opt.timeout_s, &err);
        if (!dest) {
            r.fail("host.migrate", "postcopy: " + err);
            return false;
        }
        qmp.emplace(std::move(*dest));
        qmp_path = dest_qmp_path;
        if (!tell_guest_migrated()) {
            return false;
        }
        r.phases["migration_switch"] = child->elapsed() - t0;
        r.pass("host.migrated", fmt::format("the destination QEMU ran the guest in postcopy {:.2f} s after the "
                                            "migration began; the source serves its missing pages",
                                            child->elapsed() - t0));
        return true;
    };
    auto migrate_guest = [&]() -> bool {
        if (sc->migrate == Migrate::Postcopy) {
            return postcopy_guest();
        }
        const std::string stream = (dir / "migration-stream").string();
        const double t0 = child->elapsed();
        progress("migrating the guest to a second QEMU through " + stream);
        if (!qmp_execute(nlohmann::json{{"execute", "migrate"}, {"arguments", {{"uri", "file:" + stream}}}}.dump())) {
            return false;
        }
        std::string status;
        while (child->elapsed() - t0 < opt.timeout_s && stop_signal() == 0) {
            const auto q = qmp->execute({{"execute", "query-migrate"}}, 30, &err);
            status = q ? q->value("status", "") : "query-migrate: " + err;
            if (!q || status == "completed" || status == "failed" || status == "cancelled") {
                if (q && status != "completed") {
                    status += ": " + q->value("error-desc", std::string("no reason given"));
                }
                break;
            }
            child->wait_for({}, {}, 0.2);  // keep the console flowing
        }
        if (status != "completed") {
            r.fail("host.migrate", "the migration did not complete: " + status);
            return false;
        }
        const double t_saved = child->elapsed();
        qmp_execute(R"({"execute":"quit"})");
        qmp.reset();
        int exit_status = 0;
        if (!child->wait_exit(30, &exit_status) && !child->stop(opt.stop_grace_s)) {
            r.fail("host.migrate", "the source QEMU did not exit after quit");
            return false;
        }
        std::error_code size_ec;
        const uint64_t stream_bytes = fs::file_size(stream, size_ec);
        if (ours) {
            const bool carried = file_contains(stream, "spapr/fadump");
            r.expect("host.migration_carries_fadump", carried,
                     carried ? "the stream holds the subsection spapr/fadump (the registration or active dump)"
                             : "the stream has no spapr/fadump subsection: the dump state was not sent");
        }
        qemu_logs.push_back(dir / "qemu-guest-errors-destination.log");
        auto dest = destination_argv(argv, qemu_logs.back().string(), "");
        dest.insert(dest.end(), {"-incoming", "file:" + stream});
        write_lines(dir / "qemu-command-destination.txt", dest);
        if (!child->continue_with(dest, &err)) {
            r.fail("host.migrate", "cannot start the destination QEMU: " + err);
            return false;
        }
        status.clear();
        while (child->elapsed() - t_saved < opt.timeout_s && stop_signal() == 0) {
            int st = 0;
            if (child->wait_exit(0, &st)) {
                status = fmt::format("the destination QEMU exited (status {}): {}", st,
                                     last_line_with(child->lines(), "qemu-system-ppc64:"));
                break;
            }
            if (!ensure_qmp(1)) {
                continue;
            }
            const auto q = qmp->execute({{"execute", "query-status"}}, 30, &err);
            if (q && q->value("status", "") == "running") {
                status = "running";
                break;
            }
            child->wait_for({}, {}, 0.2);
        }
        if (status != "running") {
            r.fail("host.migrate", status.empty() ? "the destination QEMU did not start running" : status);
            return false;
        }
        if (!tell_guest_migrated()) {
            return false;
        }
        const double t_done = child->elapsed();
        r.phases["migration_save"] = t_saved - t0;
        r.phases["migration_load"] = t_done - t_saved;
        r.facts["migration_stream_bytes"] = stream_bytes;
        r.pass("host.migrated",
               fmt::format("{:.1f} MiB stream saved in {:.2f} s; the destination QEMU ran the guest "
                           "{:.2f} s later",
                           static_cast<double>(stream_bytes) / (1 << 20), t_saved - t0, t_done - t_saved));
        if (!opt.keep) {
            std::error_code ec;
            fs::remove(stream, ec);
        }
        return true;
    };
    // Our pseries QEMU announces the registration itself (QMP FADUMP_STATE_CHANGED to
    // "registered"): the lab waits on that event, with query-fadump for one sent before
    // the session connected; the console line is what it waits on elsewhere (upstream's
    // QEMU has no such event; on PowerNV the registration is between kernel and skiboot).
    auto registered_by_event = [&]() -> std::optional<double> {
        if (!ensure_qmp(10)) {
            r.fail("guest.fadump_registered", "no QMP session to wait on: " + err);
            return std::nullopt;
        }
        const double deadline = child->elapsed() + opt.timeout_s;
        size_t seen = 0;
        bool asked = false;
        for (;;) {
            if (!qmp->poll_events(0.05, &err)) {
                r.fail("guest.fadump_registered", "QMP: " + err);
                return std::nullopt;
            }
            const auto& ev = qmp->events();
            for (; seen < ev.size(); ++seen) {
                if (ev[seen].value("event", "") == "FADUMP_STATE_CHANGED" &&
                    ev[seen]["data"].value("state", "") == "registered") {
                    return child->elapsed();
                }
            }
            if (!asked) {  // once: the event may have gone out before the session existed
                asked = true;
                auto v = qmp->execute({{"execute", "query-fadump"}}, 30, &err);
                if (v && v->value("state", "") == "registered") {
                    return child->elapsed();
                }
            }
            WaitResult w = child->wait_for({}, boot_fail, 0.15);
            if (w.kind != WaitResult::Timeout || child->elapsed() >= deadline) {
                wait_failed("guest.fadump_registered", w, "timeout (no FADUMP_STATE_CHANGED to registered)",
                            child->elapsed());
                return std::nullopt;
            }
        }
    };
    std::optional<double> t_reg, t_crash;
    bool going = true;
    if (!sc->fadump_arg.empty()) {
        const bool by_event = ours && !pnv;
        t_reg = by_event ? registered_by_event()
                         : phase("fadump_registered", {"fadump: Registration is successful"}, boot_fail);
        going = t_reg.has_value();
        if (t_reg) {
            r.pass("guest.fadump_registered", fmt::format("kernel registered fadump {:.2f} s after QEMU start ({})",
                                                          *t_reg, by_event ? "QMP FADUMP_STATE_CHANGED" : "console"));
            if (const auto q = query_fadump("registered"); q && !pnv) {
                const bool ok =
                    q->value("state", "") == "registered" && q->contains("sections") && !(*q)["sections"].empty();
                r.expect("qmp.query_fadump_registered", ok,
                         ok ? fmt::format("query-fadump: registered, fdm at {:#x}, {} sections",
                                          q->value("fdm-address", uint64_t{0}), (*q)["sections"].size())
                            : "query-fadump does not show the registration: " + q->dump());
            } else if (q) {
                const size_t chips = q->contains("stash") ? (*q)["stash"].size() : 0;
                r.expect("qmp.query_fadump_registered", chips > 0,
                         chips > 0 ? fmt::format("query-fadump: skiboot's base stashed in {} SBE(s)", chips)
                                   : "query-fadump shows no SBE stash: " + q->dump());
            }
        }
    }
    const std::vector<std::string> first_fail = {"FADUMP-LAB: not-registered", "qemu-system-ppc64:", "Kernel panic"};
    if (going && !sc->qmp.empty()) {
        going = phase("host_step", {"FADUMP-LAB: host-step"}, first_fail).has_value();
        for (size_t i = 0; going && i < sc->qmp.size(); ++i) {
            going = qmp_execute(sc->qmp[i]);
        }
        if (going) {
            r.pass("scenario.qmp", fmt::format("{} QMP command(s) done", sc->qmp.size()));
        }
    }
    if (going && (sc->migrate == Migrate::Registered || sc->migrate == Migrate::Postcopy)) {
        going = phase("migrate_request", {"FADUMP-LAB: migrate"}, first_fail).has_value() && migrate_guest();
    }
    if (going && (sc->trigger == Trigger::HostNmi || sc->trigger == Trigger::HostS0)) {
        const bool s0 = sc->trigger == Trigger::HostS0;
        const std::string command = s0 ? "inject-sbe-s0" : "inject-nmi";
        progress("waiting for every CPU to hang, then sending " + command);
        if (phase("hanging", {"FADUMP-LAB: hanging"}, first_fail)) {
            // The last CPU hangs right after the line: give it time.
            child->wait_for({"FADUMP-LAB: still-alive"}, {}, 2.0);
            if (qmp_execute(nlohmann::json{{"execute", command}}.dump())) {
                t_crash = child->elapsed();
                r.pass("guest.crash", fmt::format("QMP {} sent {:.2f} s after QEMU start", command, *t_crash));
            }
        }
    } else if (going && sc->trigger == Trigger::SbeS0) {
        progress("raising S0 on every chip's SBE from the guest (putscom 0x50008)");
        t_crash = phase("sbe_s0", {"FADUMP-LAB: raising S0"}, {"FADUMP-LAB: sbe-s0 failed", "qemu-system-ppc64:"});
        if (t_crash) {
            r.pass("guest.crash", first_line(last_line_with(child->lines(), "FADUMP-LAB: raising S0")));
        }
    } else if (going) {
        progress(t_reg ? "fadump registered; crashing the guest" : "crashing the guest (fadump not registered)");
        t_crash = phase("crash", {"sysrq: Trigger a crash"}, {"FADUMP-LAB: not-registered", "qemu-system-ppc64:"});
    }

    // The boots after the crash, as the scenario expects them.
    const auto& boots = sc->boots_after_crash(opt.machine);
    std::vector<std::string> boots_seen = {"crash"};
    std::optional<double> t_capture, t_ready, t_copied, t_plain, t_opal_only;
    going = t_crash.has_value();
    // A kernel that panics unregistered calls ibm,os-term, which QEMU
    // reports on its stderr ("qemu-system-ppc64: OS terminated: ..."):
    // expected when a boot after the crash is a plain one or crashes again.
    const bool os_term_expected = boots.size() > 1 || boots.back() == Boot::Plain;
    const std::vector<std::string> qemu_error =
        os_term_expected ? std::vector<std::string>{} : std::vector<std::string>{"qemu-system-ppc64:"};
    auto with_qemu_error = [&](std::vector<std::string> v) {
        v.insert(v.end(), qemu_error.begin(), qemu_error.end());
        return v;
    };
    for (size_t b = 0; going && b < boots.size(); ++b) {
        const Boot kind = boots[b];
        const std::string which = fmt::format("boot{}_{}", b + 2, to_string(kind));
        if (kind != Boot::Capture) {
            const auto t_boot =
                phase((which + "_kernel").c_str(), {"Linux version"}, with_qemu_error({"reboot: Power down"}));
            going = t_boot.has_value();
            if (going && kind == Boot::OpalCore) {
                t_opal_only = phase(which.c_str(), {"FADUMP-LAB: opalcore only"},
                                    with_qemu_error({"FADUMP-LAB: capture vmcore_size=", "FADUMP-LAB: plain boot"}));
                going = t_opal_only.has_value();
                if (going) {
                    r.pass("guest." + which,
                           "the kernel booted after an MPIPL with no kernel dump, only the OPAL core");
                }
            } else if (going && kind == Boot::CaptureCrash) {
                going = phase(which.c_str(), {"FADUMP-LAB: capture crashing"},
                              with_qemu_error({"FADUMP-LAB: capture vmcore_size=", "FADUMP-LAB: plain boot"}))
                            .has_value();
                if (going) {
                    r.pass("guest." + which, "a capture kernel found the dump and crashed before saving it");
                }
            } else if (going) {
                t_plain = phase(which.c_str(), {"FADUMP-LAB: plain boot: no dump"},
                                with_qemu_error({"FADUMP-LAB: capture vmcore_size="}));
                going = t_plain.has_value();
                if (going) {
                    r.pass("guest." + which, "the kernel booted again and found no dump (no /proc/vmcore)");
                }
            }
            if (going) {
                boots_seen.push_back(to_string(kind));
            }
            continue;
        }
        t_capture = phase("capture_kernel_boot", {"Linux version"}, with_qemu_error({"reboot: Power down"}));
        if (!t_capture) {
            break;
        }
        boots_seen.push_back(to_string(kind));
        progress("capture kernel booting");
        t_ready = phase("vmcore_ready", {"FADUMP-LAB: capture vmcore_size="},
                        {"Kernel panic", "not valid", "incomplete", "FADUMP-LAB: crashing",
                         "FADUMP-LAB: not-registered", "FADUMP-LAB: plain boot"});
        if (!t_ready) {
            break;
        }
        if (const auto q = query_fadump("capture")) {
            // This QEMU took the dump unless the guest came from another.
            const bool here = sc->migrate != Migrate::DumpActive;
            const auto* last = q->contains("last-dump") ? &(*q)["last-dump"] : nullptr;
            const bool state_ok = pnv ? q->value("mpipl-boot", false) : q->value("state", "") == "dump-active";
            const bool last_ok = !here || (last != nullptr && last->value("bytes", uint64_t{0}) > 0 &&
                                           last->value("preserving-boot", false));
            r.expect(
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
                for (const auto& e : qmp->events()) {
                    started = started || e.value("event", "") == "FADUMP_DUMP_STARTED";
                    if (e.value("event", "") == "FADUMP_DUMP_COMPLETED") {
                        completed = e["data"]["dump"].value("bytes", uint64_t{0});
                    }
                }
                const bool ok = started && completed == last->value("bytes", uint64_t{0});
                r.expect("qmp.dump_events", ok,
                         ok ? fmt::format("FADUMP_DUMP_STARTED, then FADUMP_DUMP_COMPLETED with {} bytes", completed)
                            : fmt::format("events: started {}, completed with {} bytes (query-fadump: {})", started,
                                          completed, last->value("bytes", uint64_t{0})));
            }
            check_dumped_dtb("capture", pnv ? "/ibm,opal/dump" : "/rtas", pnv ? "mpipl-boot" : "ibm,kernel-dump");
        }
        if (sc->migrate == Migrate::DumpActive &&
            !(phase("migrate_request", {"FADUMP-LAB: migrate"}, {"Kernel panic", "FADUMP-LAB: copied"}) &&
              migrate_guest())) {
            break;
        }
        const uint64_t vmcore_size = last_value(child->lines(), "vmcore_size=").value.value_or(0);
        if (mdf) {
            progress(
                fmt::format("/proc/vmcore ready ({} bytes); makedumpfile -d 31 in the capture kernel", vmcore_size));
            double at = *t_ready;
            for (const auto& st : CAPTURE_STEPS) {
                const std::string step = std::string("FADUMP-LAB: step ") + st.name;
                const auto t = phase(st.name, {step + " done"}, {step + " failed", "Kernel panic"});
                if (t) {
                    r.pass(std::string("guest.") + st.name, first_line(last_line_with(child->lines(), step + " done")));
                    r.phases[st.name] = *t - at;
                    at = *t;
                }
            }
            t_copied = phase("saved", {"FADUMP-LAB: saved"}, {"FADUMP-LAB: save-failed", "Kernel panic"});
            if (t_copied) {
                r.phases["save_to_disk"] = *t_copied - at;
            }
        } else {
            progress(fmt::format("/proc/vmcore ready ({} bytes); copying it out", vmcore_size));
            t_copied = phase("vmcore_copied", {"FADUMP-LAB: copied"}, {"FADUMP-LAB: copy-failed", "Kernel panic"});
        }
    }
    r.facts["boots"] = boots_seen;
    if (!sc->outcome_note.empty()) {
        r.facts["scenario_outcome"] = sc->outcome_note;
    }
    uint64_t vmcore_size = t_ready ? last_value(child->lines(), "vmcore_size=").value.value_or(0) : 0;
    std::optional<double> t_opal;
    if ((t_copied || t_opal_only) && pnv) {
        t_opal = phase("opalcore_copied", {"FADUMP-LAB: opalcore copied"},
                       {"FADUMP-LAB: opalcore copy-failed", "FADUMP-LAB: released", "FADUMP-LAB: opalcore released"});
    }
    if (t_opal && t_opal_only) {
        const bool ok =
            phase("opalcore_released", {"FADUMP-LAB: opalcore released"}, {"FADUMP-LAB: opalcore release-failed"})
                .has_value();
        if (ok) {
            r.pass("guest.opalcore_released", "/sys/firmware/opal/mpipl/release_core accepted");
        }
    }
    if (stop_signal() != 0) {
        progress(fmt::format("{}: stopping QEMU (SIGTERM, SIGKILL after {} s)", signal_name(stop_signal()),
                             opt.stop_grace_s));
        const double at = child->elapsed();
        const bool reaped = child->stop(opt.stop_grace_s);
        const double took = child->elapsed() - at;
        r.phases["total"] = at;
        if (!reaped) {
            r.fail("qemu.exit", fmt::format("QEMU (pid {}) did not exit after SIGTERM, {} s and SIGKILL", child->pid(),
                                            opt.stop_grace_s));
        }
        return stopped(r, fmt::format("QEMU was running ({:.1f} s after start); QEMU's process group got SIGTERM "
                                      "({} s grace, then SIGKILL) and was gone {:.1f} s later",
                                      at, opt.stop_grace_s, took));
    }
    int status = 0;
    if (!child->wait_exit(t_copied || t_plain || t_opal_only ? opt.timeout_s : 0, &status)) {
        r.fail("qemu.exit", "QEMU did not power off");
    }
    if (!child->stop(opt.stop_grace_s)) {
        r.fail("qemu.stop", fmt::format("QEMU (pid {}) could not be reaped after SIGKILL", child->pid()));
    }
    if (stop_signal() != 0) {
        return stopped(r, "waiting for QEMU to power off");
    }

    // What the guest printed: hostile input, each value its own check.
    const auto vmcore_size_v = last_value(child->lines(), "vmcore_size=");
    const auto opal_size_v = last_value(child->lines(), "opalcore_size=");
    const auto online_v = cpus_online_list(child->lines());
    const auto reserved_v = reserved_ranges(child->lines());
    for (const auto& [name, error] :
         {std::pair{"console.vmcore_size", vmcore_size_v.error}, std::pair{"console.opalcore_size", opal_size_v.error},
          std::pair{"console.cpus_online", online_v.error}, std::pair{"console.reserved_ranges", reserved_v.error}}) {
        if (!error.empty()) {
            r.fail(name, error);
        }
    }
    const std::vector<unsigned> online_cpus = online_v.value.value_or(std::vector<unsigned>{});
    const Downfall how{.hang_function = sc->hang_function,
                       .hang_frames = sc->hang_frames,
                       .firmware_initiated = sc->trigger == Trigger::SbeS0 || sc->trigger == Trigger::HostS0,
                       .s0_from_host = sc->trigger == Trigger::HostS0};
    // The CPUs the dump must hold notes for: those online when the kernel
    // went down (the guest's count); on PowerNV one per thread the machine
    // has (opal-fadump.c), offline ones included: all -smp threads, or more
    // when PowerNV made every thread up to maxcpus.
    std::optional<unsigned> expected_cpus;
    if (online_v.value) {
        expected_cpus = static_cast<unsigned>(online_cpus.size());
    }
    if (pnv && cpus) {
        expected_cpus = std::max(*cpus, expected_cpus.value_or(0));
    }
    if (!expected_cpus) {
        expected_cpus = cpus;
    }

    bool dump_active = false;
    bool released = false;
    for (const auto& l : child->lines()) {
        dump_active = dump_active || l.find("Firmware-assisted dump is active") != std::string::npos;
        released = released || l.find("FADUMP-LAB: released") != std::string::npos;
    }
    if (t_capture) {
        r.expect("guest.capture_kernel_dump_active", dump_active,
                 dump_active ? "capture kernel: \"Firmware-assisted dump is active\""
                             : "capture kernel did not see the dump");
    }
    if (t_copied && !mdf) {
        r.pass("guest.vmcore_copied", fmt::format("{} bytes copied to the host", vmcore_size));
    }
    if (t_copied) {
        r.expect("guest.release_mem", released,
                 released ? "preserved memory released (INVALIDATE)" : "release_mem failed");
    }
    if (t_reg) {
        r.phases["boot_to_registered"] = *t_reg;
    }
    // QEMU's log (-d guest_errors and our trace events), read once.
    std::string qemu_log;
    for (const auto& path : qemu_logs) {
        std::ifstream f(path);
        qemu_log.append(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    // The scenario's own expectations, boot by boot, and what it reported.
    {
        const auto boot_lines = split_boots(child->lines());
        std::optional<std::vector<std::string>> trace;
        if (ours) {
            std::istringstream log(qemu_log);
            trace = platform_events(log);
            r.facts["platform_events"] = *trace;
            check_preservation(*trace, opt.zero_copy, r);
        }
        check_scenario_console(*sc, opt.machine, boot_lines, r, trace);
        if (auto rep = scenario_reports(boot_lines.front()); !rep.empty()) {
            r.facts["scenario_report"] = std::move(rep);
        }
    }
    if (t_plain && boots.size() == 1 && boots.back() == Boot::Plain) {
        // Nothing preserved: the engine dumped nothing, so wrote no ground
        // truth; the last kernel found no /proc/vmcore.
        if (ours) {
            const bool none = !fs::exists(truth);
            r.expect("scenario.no_dump", none,
                     none ? "the platform recorded no dump (no ground truth) and the next kernel found no vmcore"
                          : "the platform dumped although the scenario expects no dump (" + truth + " exists)");
        } else {
            r.pass("scenario.no_dump", "the next kernel found no vmcore");
        }
    }
    if (t_crash && t_capture) {
        r.phases["crash_to_capture_kernel"] = *t_capture - *t_crash;
    }
    if (t_capture && t_ready) {
        r.phases["capture_to_vmcore_ready"] = *t_ready - *t_capture;
    }
    if (t_ready && t_copied && !mdf) {
        r.phases["vmcore_copy_out"] = *t_copied - *t_ready;
    }
    r.phases["total"] = child->elapsed();

    // The engine's own numbers.
    if (ours && fs::exists(truth)) {
        try {
            const auto j = load_ground_truth(truth);
            // Zero-copy moves run at the reset (trace fadump_moves), after
            // the ground truth was written: they are part of the preservation.
            double moves_ns = 0;
            if (r.facts.contains("platform_events")) {
                const std::regex moved(R"(fadump_moves moved (\d+) bytes in (\d+) ns)");
                for (const auto& e : r.facts["platform_events"]) {
                    std::smatch m;
                    const std::string line = e.get<std::string>();
                    if (std::regex_search(line, m, moved)) {
                        moves_ns += std::stod(m[2].str());
                    }
                }
            }
            if (!j.dump) {
                throw std::runtime_error("the ground truth holds no dump statistics");
            }
            const double ns = static_cast<double>(j.dump->preserve_ns) + moves_ns;
            r.facts["bytes_preserved"] = j.dump->bytes_preserved;
            r.facts["engine_preserve_ms"] = ns / 1e6;
            r.facts["engine_moves_ms"] = moves_ns / 1e6;
            r.facts["ground_truth_hash_ms"] = static_cast<double>(j.hash_ns) / 1e6;
            const double gib = static_cast<double>(j.dump->bytes_preserved) / (1ULL << 30);
            r.facts["engine_gib_per_s"] = gib / (ns / 1e9);
        } catch (const std::exception& e) {
            r.fail("ground_truth.load", e.what());
        }
    }
    {
        std::istringstream gl(qemu_log);
        const std::string glue_errors = glue_guest_errors(gl);
        r.expect("qemu.no_fadump_guest_errors", glue_errors.empty(),
                 glue_errors.empty() ? "no fadump:/mpipl: LOG_GUEST_ERROR lines" : glue_errors);
    }

    // 3. The proof.
    const uint64_t opal_size = opal_size_v.value.value_or(0);
    if (t_opal && opal_size > 0) {
        fs::resize_file(opal_disk, opal_size);
        r.facts["opalcore_bytes"] = opal_size;
        CheckInput oc;
        oc.vmcore = opal_disk;
        oc.vmlinux = a.vmlinux;
        oc.scratch_dir = dir.string();
        if (ours) {
            oc.ground_truth = truth;
        }
        oc.crash = run_script("fetch-crash", &oc.crash_error);
        check_opalcore(oc, r);
    }
    if (t_copied && mdf) {
        progress("checking makedumpfile's dumps");
        r.facts["vmcore_bytes"] = vmcore_size;
        std::optional<GroundTruthDoc> truth_json;
        if (ours) {
            try {
                truth_json = load_ground_truth(truth);
            } catch (const std::exception& e) {
                r.fail("ground_truth.load", e.what());
            }
        }
        MakedumpfileInput m;
        m.disk = disk;
        m.out_dir = dir.string();
        m.vmlinux = a.vmlinux;
        m.ram_bytes = *mem;
        m.how = how;
        m.cpus = expected_cpus;
        m.online_cpus = online_cpus;
        m.facts = guest_facts(child->lines());
        m.truth = truth_json ? &*truth_json : nullptr;
        if (pnv) {
            m.firmware_reserved = reserved_v.value.value_or(std::vector<std::pair<uint64_t, uint64_t>>{});
        }
        m.crash = run_script("fetch-crash", &m.crash_error);
        check_makedumpfile_capture(m, r);
    } else if (t_copied && vmcore_size > 0) {
        fs::resize_file(disk, vmcore_size);
        r.facts["vmcore_bytes"] = vmcore_size;
        progress("checking the vmcore");
        CheckInput in;
        in.vmcore = disk;
        in.vmlinux = a.vmlinux;
        if (ours) {
            in.ground_truth = truth;
        }
        in.expected_cpus = expected_cpus;
        in.online_cpus = online_cpus;
        in.notes_per_thread = pnv;
        in.scratch_dir = dir.string();
        // The crash utility, fetched only when there is a vmcore to open: its
        // checks fail without it, the others still run.
        in.crash = run_script("fetch-crash", &in.crash_error);
        in.guest = guest_facts(child->lines());
        in.ram_bytes = *mem;
        in.how = how;
        if (sc->added_ram_bytes != 0) {
            // QEMU places DIMMs at the device memory base: on pseries the
            // first DIMM right after the boot RAM (spapr's device memory
            // starts at the RAM's end, aligned to 256 MiB).
            in.hotplugged_ram = {{*boot_mem, *boot_mem + sc->added_ram_bytes}};
        }
        if (pnv) {
            in.firmware_reserved = reserved_v.value.value_or(std::vector<std::pair<uint64_t, uint64_t>>{});
            r.facts["firmware_reserved"] = reserved_names(child->lines());
        }
        check_vmcore(in, r);
    }
    if (flood) {
        r.facts["net_flood_frames_sent"] = flood->sent();
        flood.reset();
    }
    const int stopped_in_checks = stop_signal();
    if (!opt.keep) {
        std::error_code ec;
        fs::remove(disk, ec);
        fs::remove(truth, ec);
        fs::remove(dir / "vmlinux.strip", ec);
        fs::remove(opal_disk, ec);
        fs::remove(dir / "pnor.bin", ec);
        r.facts["vmcore"] = "deleted (use --keep)";
    } else if (mdf) {
        // The disk holds /var/crash as a tar archive, not a vmcore: name
        // the dump makedumpfile wrote, as the host extracted it.
        r.facts["capture_disk"] = disk;
        r.facts["vmcore"] = extracted_dump(dir / "var-crash", CAPTURE_STEPS[0].file);
    } else {
        r.facts["vmcore"] = disk;
    }
    if (stopped_in_checks != 0) {
        return stopped(r, "checking the dump");
    }
    return r.passed() ? 0 : 1;
}

}  // namespace lab
