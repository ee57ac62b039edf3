// Small helpers the Cycle's files share (cycle.cpp, cycle_boots.cpp,
// cycle_migration.cpp, cycle_proof.cpp); not for other rooms.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "report.hpp"

namespace lab::cycle_internal {

/// A line on stderr for the person waiting ("fadump-lab: MSG").
void progress(const std::string& msg);

/// `s` up to its first newline.
std::string first_line(const std::string& s);

/// The last console line holding `needle`, from the needle on ("" if none).
std::string last_line_with(const std::vector<std::string>& lines, const std::string& needle);

/// `lines`, one per line, into `path` (a command line kept for the reader).
void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines);

/// The run was asked to stop (Ctrl-C, SIGTERM): a failed check "lab.stopped"
/// saying `where`, and the exit code a shell expects (128 + signal).
int stopped(Report& r, const std::string& where);

}  // namespace lab::cycle_internal
