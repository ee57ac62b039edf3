// fadump-lab matrix: the product scenarios x machines x kernels, each cell
// a `fadump-lab run` of its own (own run directory, disk images and QMP
// socket), up to `jobs` at once, then one JSON with every cell's report and
// an HTML page of the grid.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "artifacts.hpp"
#include "matrix_report.hpp"
#include "matrix_shards.hpp"
#include "run_options.hpp"

namespace lab {

struct MatrixOptions {
    /// Machines, each optionally in a memory shape: MACHINE[+numaN][+BACKEND]
    /// (parse_matrix_machine), e.g. pseries+numa2, powernv10+memfd.
    std::vector<std::string> machines = {"pseries", "powernv10"};
    std::vector<std::string> scenarios;  // empty: every scenario
    /// Debian linux-source-X.Y packages (pinned in scripts/downloads.manifest).
    std::vector<std::string> kernels = {"linux-source-6.12", "linux-source-7.2"};
    unsigned jobs = 1;
    /// Guest RAM the running cells may hold together (bytes); a cell that
    /// would pass it waits, unless nothing else runs.
    uint64_t mem_budget = 16ULL << 30;
    std::string out_dir = "lab-out/matrix";
    Capture capture = Capture::Raw;
    /// Every cell's guest: the lab's busybox, or the Debian system whose
    /// kdump-tools captures (then only sysrq on pseries runs; other cells n/a).
    Guest guest = Guest::Busybox;
    QemuVersion qemu_version = QemuVersion::V10_0;  // our QEMU (scripts/build-qemu --qemu-version)
    double timeout_s = 180;                         // per phase, for each run
    std::string self;                               // the fadump-lab binary to run cells with
    /// Keep the cells out_dir/cells already holds a passing (or known)
    /// report for, from an earlier run of the same kernel set; run the rest.
    bool resume = false;
    /// Run only this shard's share of the cells (matrix_shards.hpp), balanced
    /// by the cells' times in `times_file` (a matrix.json of an earlier run).
    Shard shard;
    std::string times_file = built_source_dir() + "/lab/data/matrix-times.json";
    /// Also write the matrix as JUnit XML here (matrix_junit.hpp).
    std::string junit;
};

/// `fadump-lab matrix merge`: the shards' directories (each holding the
/// matrix.json its shard wrote), where the merged matrix.json and
/// matrix.html go, and the JUnit file to write, if any.
struct MergeOptions {
    std::vector<std::string> shard_dirs;
    std::string out_dir = "lab-out/matrix";
    std::string junit;
};

/// One cell's outcome, from its report.
// clang-tidy 14 flags the implicit noexcept moves of an aggregate holding
// strings and JSON (bugprone-exception-escape); none of them throws.
struct CellResult {  // NOLINT(bugprone-exception-escape)
    std::string scenario, machine, kernel;
    std::string status;  // pass | fail | known | n/a
    int exit_code = 0;
    double wall_s = 0;
    std::string run_dir;              // the run's directory (console log...)
    std::vector<std::string> failed;  // "check: detail"
    std::string known_reason;         // why a failure is not this project's
    bool resumed = false;             // taken from an earlier run (--resume)
    nlohmann::json report;            // the run's whole report
};

/// A matrix machine: the QEMU machine and the memory shape its cells run
/// with (fadump-lab run --numa, --memory-backend).
struct MatrixMachine {
    std::string machine;  // pseries, powernv9, powernv10
    unsigned numa = 0;
    std::string backend;  // "" or one of memory_backends()
    /// +scale: a guest the size of a real partition (scale_size), captured
    /// with makedumpfile as kdump services do; only sysrq runs (the other
    /// scenarios set their own size), alone (its RAM passes any budget).
    bool scale = false;
};

/// A scale cell's guest (issue 22 part 3): QEMU's -m and -smp.
struct ScaleSize {
    std::string mem;
    std::string smp;
};

/// pseries: 64 GiB and 32 CPUs; PowerNV: 32 GiB on two chips (-smp
/// 8,sockets=2,cores=2,threads=2: QEMU makes a chip of each socket and
/// splits RAM between them).
ScaleSize scale_size(const std::string& machine);

/// The machines `fadump-lab matrix --scale` adds: pseries+scale,
/// powernv10+scale.
const std::vector<std::string>& scale_machines();

/// Parses MACHINE[+numaN][+BACKEND][+scale] ("pseries+numa2+memfd"), or
/// says why it is not one (an unknown machine or backend, N outside 2..8,
/// NUMA on PowerNV, which QEMU refuses, a part given twice).
std::variant<MatrixMachine, std::string> parse_matrix_machine(const std::string& text);

/// Runs the matrix; writes out_dir/matrix.json and out_dir/matrix.html.
/// Returns 0 when every cell passed or is known, 1 otherwise, 2 for bad
/// options, 128+signal when stopped.
int run_matrix(const MatrixOptions& opt);

/// Merges the shards (merge_matrices) into out_dir/matrix.json and
/// matrix.html (and the JUnit file). Returns 0 when every cell passed, is
/// known or n/a, 1 otherwise, 2 when the shards cannot be merged.
int merge_matrix(const MergeOptions& opt);

/// The `fadump-lab run` command line of one cell: the machine's shape
/// (its --numa and --memory-backend), the scenario and kernel, the
/// matrix's capture, guest, QEMU version and timeout, its runs directory and the
/// cell's report file.
std::vector<std::string> cell_argv(const MatrixOptions& opt, const MatrixMachine& shape, const std::string& scenario,
                                   const std::string& kernel, const std::string& runs_dir, const std::string& report);

}  // namespace lab
