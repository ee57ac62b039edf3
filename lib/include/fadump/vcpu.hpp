// vCPU register snapshot type shared with the C interface.
#pragma once

#include "fadump/fadump.h"

namespace fadump {
/// One vCPU's live architected state when all vCPUs stopped (see fadump.h).
using VcpuState = FadumpVcpuRegs;
}  // namespace fadump
