// One vCPU's register snapshot as the engine sees it: the C boundary's
// FadumpVcpuRegs (fadump.h), the one place the register set is listed, used
// as is (the engine takes the VMM's array without converting it). Fields,
// units and the SPR indexing there and in spr.hpp.
#pragma once

#include "fadump/fadump.h"
#include "fadump/spr.hpp"

namespace fadump {

/// One vCPU's live architected state when all vCPUs stopped (CTR/LR/XER/
/// CR/CFAR as the CPU sees them, not migration copies). Value-initialize
/// it (`VcpuState v{}`, `std::vector<VcpuState>(n)`): it is a C struct.
using VcpuState = FadumpVcpuRegs;

static_assert(sizeof(VcpuState::spr) / sizeof(VcpuState::spr[0]) == spr::COUNT,
              "FadumpVcpuRegs::spr holds every architected SPR number");

}  // namespace fadump
