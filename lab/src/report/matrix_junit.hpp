// A matrix as JUnit XML, the format every CI engine shows as tests (GitLab's
// artifacts:reports:junit, Jenkins' junit step, GitHub actions' reporters):
// one <testcase> per cell.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lab {

/// The JUnit XML of a matrix JSON (as run_matrix or merge_matrix write it):
/// one <testsuite name="fadump-lab matrix"> holding a <testcase> per cell,
/// named by its scenario, classname "MACHINE.KERNEL" (dots in the machine
/// and kernel kept), time its wall seconds. A failed cell has a <failure>
/// whose message is its first failed check and whose text lists them all;
/// a known one is <skipped> with the known reason (not this project's); an
/// n/a one is <skipped> ("does not run on"); a passing one has its run
/// directory in <system-out>. The suite's tests/failures/skipped/time
/// attributes count them. Text is escaped by pugixml.
std::string matrix_junit(const nlohmann::json& matrix);

}  // namespace lab
