// fadump-lab: runs a real firmware-assisted dump cycle and proves the vmcore.
// Commands: run (one cycle), check (the offline checks on a vmcore), matrix
// (scenarios x machines x kernels), scenarios (the list).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "artifacts.hpp"
#include "cycle.hpp"
#include "guarded_run.hpp"
#include "makedumpfile_capture.hpp"
#include "matrix.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "stop_signal.hpp"
#include "vmcore_checks.hpp"

namespace {

// An enum option's parser: one of the names in `names`, shown as NAME|NAME.
template <typename T>
CLI::Validator one_of(const std::map<std::string, T>& names)
{
    std::string list;
    for (const auto& [name, value] : names) {
        list += (list.empty() ? "" : "|") + name;
    }
    CLI::Validator v = CLI::CheckedTransformer(names);
    v.description(list);
    return v;
}

// A text option's check by a parser that returns the value or why it
// refuses the text (a std::variant<T, std::string>), shown as `shape`.
template <typename Parse>
CLI::Validator refused_by(Parse parse, const std::string& shape)
{
    return CLI::Validator(
        [parse](std::string& v) {
            auto parsed = parse(v);
            const auto* why = std::get_if<std::string>(&parsed);
            return why != nullptr ? *why : std::string();
        },
        shape);
}

std::vector<std::string> scenario_names()
{
    std::vector<std::string> names;
    for (const auto& sc : lab::scenarios()) {
        names.push_back(sc.name);
    }
    return names;
}

// `fadump-lab run`: its options into `opt`, its report's path into `report_path`.
CLI::App* add_run(CLI::App& app, lab::RunOptions& opt, std::string& report_path)
{
    auto* run = app.add_subcommand("run", "run a whole fadump cycle and check the vmcore");
    run->add_option("--machine", opt.machine, "machine type")
        ->capture_default_str()
        ->transform(one_of(lab::machine_names()));
    run->add_option("--firmware", opt.firmware, "pseries firmware (PowerNV boots skiboot)")
        ->capture_default_str()
        ->transform(one_of(lab::firmware_names()));
    run->add_option("--smp", opt.smp, "any QEMU -smp value")->capture_default_str();
    run->add_option("--mem", opt.mem, "guest RAM (QEMU -m)")->capture_default_str();
    run->add_option("--numa", opt.memory.numa,
                    "NUMA nodes, the RAM split evenly with a memory backend each, as libvirt starts NUMA guests "
                    "(pseries)")
        ->check(CLI::Range(0, 16));
    run->add_option("--memory-backend", opt.memory.backend,
                    "back the RAM with memory-backend objects (per NUMA node, else -machine memory-backend=): ram, "
                    "memfd (share=on), file (share=off, in the run directory), hugetlb (memfd on the host's huge "
                    "pages)")
        ->check(CLI::IsMember(lab::memory_backends()));
    run->add_option("--kernel", opt.kernel, "vmlinux with CONFIG_FA_DUMP (default: built from Debian's source)");
    run->add_option("--kernel-source", opt.kernel_source,
                    "Debian linux-source-X.Y package to build the kernel from (pinned in scripts/downloads.manifest; "
                    "linux-source-7.2 is sid's newest)")
        ->capture_default_str();
    auto* tree = run->add_option("--kernel-tree", opt.kernel_tree,
                                 "your Linux tree, built out of tree with the lab's fragment merged in "
                                 "(scripts/build-kernel-tree; cached by commit and config); exit codes for git "
                                 "bisect run: 0 good, 1 a dump check failed, 125 did not build or boot")
                     ->check(CLI::ExistingDirectory)
                     ->excludes("--kernel");
    run->add_option("--kernel-config", opt.kernel_config,
                    "with --kernel-tree: the .config to start from (default: the tree's ppc64le_defconfig)")
        ->check(CLI::ExistingFile)
        ->needs(tree);
    run->add_option("--qemu", opt.qemu, "another qemu-system-ppc64 (ground-truth checks are then skipped)");
    run->add_option("--qemu-version", opt.qemu_version,
                    "our QEMU to build and run: 10.0 (Debian 13's, glue/qemu-10.0) or 11.1 (sid's, glue/qemu-11.1)")
        ->capture_default_str()
        ->transform(one_of(lab::qemu_version_names()));
    run->add_flag("!--copy", opt.zero_copy,
                  "our QEMU copies every preserved range (x-fadump-zero-copy=off) instead of moving the pages of "
                  "those whose source is dead after the dump (its default)");
    run->add_option("--initrd", opt.initrd,
                    "initramfs to boot (default: built from Debian's busybox and lab/guest/init)")
        ->check(CLI::ExistingFile);
    run->add_option("--firmware-dir", opt.firmware_dir, "QEMU -L directory (default: fetched from qemu-system-data)")
        ->check(CLI::ExistingDirectory);
    run->add_option("--append", opt.append, "extra kernel command line");
    run->add_option("--capture", opt.capture,
                    "what the capture kernel does: raw (copy /proc/vmcore) or makedumpfile (-d 31, lzo/zlib/zstd, "
                    "--dump-dmesg, as kdump services do)")
        ->capture_default_str()
        ->transform(one_of(lab::capture_names()));
    run->add_option("--guest", opt.guest,
                    "busybox (the lab's initramfs) or debian (a Debian system image, scripts/build-guest: its "
                    "kdump-tools registers fadump and saves the dump, read back from its disk)")
        ->capture_default_str()
        ->transform(one_of(lab::guest_names()));
    run->add_option("--disk", opt.disk,
                    "your own system image (raw or qcow2, ext2/3/4 root, systemd and kdump-tools) instead of the "
                    "initramfs: a copy gets the lab's driver, its kdump-tools captures, the dump is read back")
        ->check(CLI::ExistingFile);
    run->add_option_function<std::vector<std::string>>(
           "--guest-file",
           [&opt](const std::vector<std::string>& specs) {
               for (const auto& spec : specs) {
                   opt.guest_files.push_back(std::get<lab::GuestFile>(lab::parse_guest_file(spec)));
               }
           },
           "with --guest debian or --disk: write FILE into the guest's disk at GUEST_PATH before its first boot "
           "(repeatable), e.g. /etc/default/kdump-tools=my-kdump-tools")
        ->type_name("GUEST_PATH=FILE")
        ->check(refused_by(lab::parse_guest_file, "GUEST_PATH=FILE"));
    run->add_option("--scenario", opt.scenario,
                    "what to do to the guest and expect (fadump-lab scenarios lists them; its -smp/-m win)")
        ->capture_default_str()
        ->check(CLI::IsMember(scenario_names()));
    run->add_option("--report", report_path, "write the JSON report here");
    run->add_option("--out-dir", opt.out_dir, "where run directories go")->capture_default_str();
    run->add_flag("--keep", opt.keep, "keep the vmcore and ground truth");
    run->add_option("--timeout", opt.timeout_s, "seconds allowed for each phase")->capture_default_str();
    run->add_option("--stop-grace", opt.stop_grace_s,
                    "on SIGINT/SIGTERM: seconds QEMU gets between SIGTERM and SIGKILL")
        ->capture_default_str();
    run->add_flag("-v,--verbose", opt.verbose, "echo the guest console");

    return run;
}

// `fadump-lab check`'s options, as given.
struct CheckCommand {
    lab::CheckInput in;
    std::string truth, scratch, console, mem, headers;
    unsigned cpus = 0;
};

CLI::App* add_check(CLI::App& app, CheckCommand& c, std::string& report_path)
{
    auto* check = app.add_subcommand("check", "run the offline checks on a vmcore");
    check->add_option("vmcore", c.in.vmcore, "the vmcore")->required()->check(CLI::ExistingFile);
    check->add_option("--vmlinux", c.in.vmlinux, "the crashed kernel's vmlinux with debug info")
        ->required()
        ->check(CLI::ExistingFile);
    check->add_option("--ground-truth", c.truth, "the engine's ground-truth JSON of this dump");
    check->add_option("--cpus", c.cpus, "CPUs online at crash time");
    check->add_option("--scratch", c.scratch, "directory for gdb's scratch copy (enables the gdb check)");
    check->add_option("--report", report_path, "write the JSON report here");
    check
        ->add_option("--console", c.console,
                     "the run's console.log (pids, panic line, memory; enables crash.log, "
                     "crash.ps, crash.kmem)")
        ->check(CLI::ExistingFile);
    check->add_option("--mem", c.mem, "guest RAM (QEMU -m; default: the console's Memory: line)");
    check
        ->add_option("--vmcore-headers", c.headers,
                     "for a makedumpfile dump: /proc/vmcore's ELF headers (the lab's vmcore-headers), so only "
                     "what /proc/vmcore held is compared")
        ->check(CLI::ExistingFile);

    return check;
}

// The offline checks on a vmcore: a raw one as a cycle proves it, a
// kdump-compressed one (makedumpfile's) page by page.
int run_check(CheckCommand& c, lab::Report& report)
{
    lab::CheckInput& in = c.in;
    if (!c.truth.empty()) {
        in.ground_truth = c.truth;
    }
    if (c.cpus != 0) {
        in.expected_cpus = c.cpus;
    }
    in.scratch_dir = c.scratch;
    if (!c.console.empty()) {
        std::ifstream f(c.console);
        std::vector<std::string> lines;
        for (std::string l; std::getline(f, l);) {
            lines.push_back(l);
        }
        in.guest = lab::guest_facts(lines);
    }
    if (!c.mem.empty()) {
        in.ram_bytes = lab::mem_bytes(c.mem);
        if (!in.ram_bytes) {
            report.fail("lab.options", "cannot read --mem " + c.mem);
            return 2;
        }
    }
    in.crash = lab::run_script("fetch-crash", &in.crash_error);
    report.facts["vmcore"] = in.vmcore;
    if (lab::is_kdump_compressed(in.vmcore)) {
        report.facts["format"] = "kdump-compressed (makedumpfile)";
        lab::check_filtered_file(in, c.headers.empty() ? std::nullopt : std::optional(c.headers), report);
    } else {
        lab::check_vmcore(in, report);
    }
    if (const int sig = lab::stop_signal(); sig != 0) {
        report.fail("lab.stopped", std::string("stopped by ") + lab::signal_name(sig) + " while checking");
        return 128 + sig;
    }
    return report.passed() ? 0 : 1;
}

// `fadump-lab matrix`'s options, as given.
struct MatrixCommand {
    lab::MatrixOptions mx;
    lab::MergeOptions merge;
    std::string shard = "1/1";
    CLI::App* merge_cmd = nullptr;
    double mem_budget_gib = static_cast<double>(lab::MatrixOptions{}.mem_budget >> 30);
    bool scale = false;
};

CLI::App* add_matrix(CLI::App& app, MatrixCommand& m)
{
    auto* matrix =
        app.add_subcommand("matrix", "run scenarios x machines x kernels, write matrix.json and matrix.html");
    matrix
        ->add_option("--machines", m.mx.machines,
                     "machines (comma-separated), each optionally with a memory shape: "
                     "MACHINE[+numaN][+ram|memfd|file|hugetlb][+scale], e.g. pseries+numa2")
        ->delimiter(',')
        ->capture_default_str()
        ->check(refused_by(lab::parse_matrix_machine, "MACHINE[+numaN][+BACKEND][+scale]"));
    matrix->add_flag("--scale", m.scale,
                     "also run the scale cells: sysrq on pseries+scale (-m 64G -smp 32) and powernv10+scale "
                     "(-m 32G, two chips), captured with makedumpfile, each alone");
    matrix->add_option("--scenarios", m.mx.scenarios, "scenarios (comma-separated; default: all)")
        ->delimiter(',')
        ->check(CLI::IsMember(scenario_names()));
    matrix->add_option("--kernels", m.mx.kernels, "Debian linux-source-X.Y packages (comma-separated)")
        ->delimiter(',')
        ->capture_default_str();
    matrix->add_option("--jobs", m.mx.jobs, "cells run at once")->capture_default_str()->check(CLI::Range(1, 16));
    matrix->add_option("--mem-budget", m.mem_budget_gib, "GiB of guest RAM the running cells may hold together")
        ->capture_default_str();
    matrix->add_option("--out-dir", m.mx.out_dir, "where matrix.json, matrix.html, cells/ and runs/ go")
        ->capture_default_str();
    matrix->add_option("--capture", m.mx.capture, "raw or makedumpfile, for every cell")
        ->capture_default_str()
        ->transform(one_of(lab::capture_names()));
    matrix
        ->add_option("--guest", m.mx.guest,
                     "busybox or debian, for every cell (debian: sysrq on pseries only, the rest n/a)")
        ->capture_default_str()
        ->transform(one_of(lab::guest_names()));
    matrix->add_option("--qemu-version", m.mx.qemu_version, "our QEMU for every cell: 10.0 or 11.1")
        ->capture_default_str()
        ->transform(one_of(lab::qemu_version_names()));
    matrix->add_option("--timeout", m.mx.timeout_s, "seconds allowed for each phase of each run")
        ->capture_default_str();
    matrix->add_flag("--resume", m.mx.resume,
                     "keep the cells whose earlier report in --out-dir passed (or is known); run the others");
    matrix
        ->add_option("--shard", m.shard,
                     "run only shard K of N (K/N): the cells split deterministically, balanced by --times")
        ->capture_default_str()
        ->check(refused_by(lab::parse_shard, "K/N"));
    matrix->add_option("--times", m.mx.times_file, "a matrix.json whose cells' wall_s balance the shards")
        ->capture_default_str();
    matrix->add_option("--junit", m.mx.junit, "also write the matrix as JUnit XML to this file");

    m.merge_cmd = matrix->add_subcommand("merge", "merge shards' matrix.json into one matrix.json and matrix.html");
    m.merge_cmd->add_option("shard_dirs", m.merge.shard_dirs, "each shard's --out-dir")->required();
    m.merge_cmd->add_option("--out-dir", m.merge.out_dir, "where the merged matrix.json and matrix.html go")
        ->capture_default_str();
    m.merge_cmd->add_option("--junit", m.merge.junit, "also write the merged matrix as JUnit XML to this file");

    return matrix;
}

int run_matrix(MatrixCommand& m)
{
    if (*m.merge_cmd) {
        return lab::merge_matrix(m.merge);
    }
    m.mx.shard = std::get<lab::Shard>(lab::parse_shard(m.shard));
    if (m.scale) {
        for (const auto& machine : lab::scale_machines()) {
            if (std::find(m.mx.machines.begin(), m.mx.machines.end(), machine) == m.mx.machines.end()) {
                m.mx.machines.push_back(machine);
            }
        }
    }
    lab::install_stop_handlers();
    m.mx.mem_budget = static_cast<uint64_t>(m.mem_budget_gib * (1ULL << 30));
    std::error_code ec;
    m.mx.self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    return lab::run_matrix(m.mx);
}

int list_scenarios()
{
    for (const auto& sc : lab::scenarios()) {
        const char* where = sc.pseries && sc.powernv ? "pseries, powernv" : sc.pseries ? "pseries" : "powernv";
        std::cout << sc.name << " (" << where << "): " << sc.summary << "\n";
    }
    return 0;
}

}  // namespace

// An exception out of the command-line set-up (CLI11's own, an allocation)
// ends the program as it should; the commands themselves run guarded.
int main(int argc, char** argv)  // NOLINT(bugprone-exception-escape)
{
    CLI::App app{"fadump-lab: boot a real Linux guest with CONFIG_FA_DUMP, crash it, and prove the dump"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "fadump-lab " + lab::lab_version());
    lab::RunOptions opt;
    std::string report_path;
    CheckCommand check_cmd;
    MatrixCommand matrix_cmd;
    const auto* run = add_run(app, opt, report_path);
    add_check(app, check_cmd, report_path);
    const auto* list = app.add_subcommand("scenarios", "list the scenarios and the machines they run on");
    const auto* matrix = add_matrix(app, matrix_cmd);
    CLI11_PARSE(app, argc, argv);

    if (*matrix) {
        return run_matrix(matrix_cmd);
    }
    if (*list) {
        return list_scenarios();
    }
    lab::install_stop_handlers();
    lab::Report report;
    const int rc = lab::run_guarded(
        report, report_path, [&] { return *run ? lab::Cycle(opt, report).run() : run_check(check_cmd, report); },
        std::cout, std::cerr);
    // git bisect run must stop, not call the commit bad, when no report is written.
    return *run && opt.kernel_tree && rc == lab::EXIT_REPORT_NOT_WRITTEN ? 255 : rc;
}
