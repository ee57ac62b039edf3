// The matrix's report: which failures are known (not this project's, with
// the evidence), a cell's status from its failed checks, and the HTML page
// of a matrix.json. The matrix runs in cli/ (matrix.hpp); this is what it
// concludes and shows.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lab {

/// A failure that is not this project's, with the evidence: the cells it
/// covers and the checks it explains.
struct KnownReason {
    std::vector<std::string> scenarios;  // the scenarios it covers; empty for any
    std::string machine_prefix;          // "powernv", "pseries", "" for any
    std::string kernel;                  // "linux-source-7.2", "" for any
    std::vector<std::string> checks;     // the failed checks it explains (all must be among them)
    std::string detail_contains;         // and each of their details holds this, when set
    std::string reason;
};

/// The known reasons the matrix applies (matrix_report.cpp), each with its evidence.
const std::vector<KnownReason>& known_reasons();

/// The cell's status from its report's failed checks ("name: detail"):
/// pass, fail, or known (every failed check explained by a known reason
/// that applies to the cell; `reason` holds each reason used once, one per
/// line, in the table's order).
std::string cell_status(const std::string& scenario, const std::string& machine, const std::string& kernel,
                        const std::vector<std::string>& failed_checks, std::string* reason);

/// A run report's console_excerpt (Report::console_excerpt) as text lines;
/// empty when the report is not an object or has none. Hostile input
/// (a shard's matrix.json): a line that is not a string is its JSON text.
std::vector<std::string> console_excerpt_of(const nlohmann::json& report);

/// The HTML page for a matrix JSON (as run_matrix writes it): a grid of
/// scenarios x machine and kernel, each cell its status, phases and failures,
/// every text HTML-escaped.
std::string matrix_html(const nlohmann::json& matrix);

}  // namespace lab
