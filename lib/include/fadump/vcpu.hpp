// One vCPU's register snapshot as the engine's core sees it: a C++ type of
// its own, filled from the C boundary's FadumpVcpuRegs (fadump.h) by
// capi_internal.hpp's from_c. Fields and units as there; the core never
// sees the C struct.
#pragma once

#include <array>
#include <cstdint>

#include "fadump/spr.hpp"

namespace fadump {

/// One vCPU's live architected state when all vCPUs stopped (CTR/LR/XER/
/// CR/CFAR as the CPU sees them, not migration copies).
struct VcpuState {
    uint32_t cpu_index = 0;   // the VMM's index of the vCPU
    uint32_t logical_id = 0;  // the guest OS's logical CPU number (CPUSTRT)
    uint32_t pir = 0;         // processor identification register
    std::array<uint64_t, 32> gpr{};
    std::array<uint64_t, 32> fpr{};                // = VSR0..31 high doublewords
    std::array<uint64_t, 32> vsrl{};               // VSR0..31 low doublewords
    std::array<std::array<uint64_t, 2>, 32> vr{};  // VR0..31 {high, low} doublewords
    uint64_t nia = 0, msr = 0, cr = 0, ctr = 0, lr = 0, xer = 0, fpscr = 0, vscr = 0, cfar = 0, tb = 0, dec = 0;
    std::array<uint64_t, spr::COUNT> spr{};  // indexed by architected SPR number (spr.hpp)
};

}  // namespace fadump
