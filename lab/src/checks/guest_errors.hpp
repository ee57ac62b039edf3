// QEMU's guest-error log (-d guest_errors -D FILE): the lines our glue wrote.
#pragma once

#include <array>
#include <istream>
#include <string>
#include <string_view>

namespace lab {

/// Prefixes of the glue's LOG_GUEST_ERROR messages
/// (glue/shared/hw/ppc: spapr_fadump_glue.c, pnv_mpipl_glue.c).
inline constexpr std::array<std::string_view, 2> GLUE_LOG_PREFIXES = {"fadump:", "mpipl:"};

/// The glue's lines in a guest-error log, each followed by "; " ("" when
/// none). Other devices' guest errors are not the dump's and are left out.
std::string glue_guest_errors(std::istream& log);

}  // namespace lab
