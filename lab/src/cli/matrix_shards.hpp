// The matrix fanned out on a CI engine: a deterministic share of the cells
// per shard, balanced by each cell's measured time, and the shards' results
// merged into one matrix again (fadump-lab matrix --shard K/N, fadump-lab
// matrix merge).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

namespace lab {

/// Shard `index` of `count`, both counted from 1 ("2/4").
struct Shard {
    unsigned index = 1;
    unsigned count = 1;
};

/// "K/N" with 1 <= K <= N <= 256, or why it is not one.
std::variant<Shard, std::string> parse_shard(const std::string& text);

/// A cell's id: "SCENARIO.MACHINE.KERNEL", the kernel without its
/// "linux-source-" prefix (as the matrix names cells/ files).
std::string matrix_cell_id(const std::string& scenario, const std::string& machine, const std::string& kernel);

/// Each cell's measured wall time (seconds, > 0) by id, from a matrix JSON
/// (one run_matrix or merge_matrix wrote, or a trimmed copy holding only
/// the cells' scenario, machine, kernel and wall_s). Cells without a
/// positive wall_s are left out.
std::map<std::string, double> cell_times(const nlohmann::json& matrix);

/// The shard (0-based, < count) of each cell: the cells that run
/// (`runs[i]`), longest first (ties by id), each to the shard whose total is
/// least so far (ties: the lowest); a cell without a measured time weighs
/// the median of the measured ones (60 s when none is). Cells that do not
/// run (n/a) all go to shard 0, so the shards together hold every cell
/// once. The same ids, runs and times give the same shards on any machine.
std::vector<unsigned> assign_shards(const std::vector<std::string>& ids, const std::vector<bool>& runs,
                                    const std::map<std::string, double>& times, unsigned count);

/// One matrix from the matrix.json of every shard of one matrix. Refused
/// (the reason returned) when a shard's JSON cannot be read, the shards
/// are of different matrices (machines, kernels, scenarios or capture
/// differ) or counts, a shard is given twice, or a cell appears twice.
/// A cell of the matrix no shard holds (a shard missing, a shard stopped
/// early) is in the result as failed, "matrix.merge: ...". Cells are in
/// the matrix's own order: kernels, then machines, then scenarios.
std::variant<nlohmann::json, std::string> merge_matrices(const std::vector<nlohmann::json>& shards);

}  // namespace lab
