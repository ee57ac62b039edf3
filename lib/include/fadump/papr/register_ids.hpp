// Register identifiers of the PAPR register save area, and where each value
// comes from in a vCPU snapshot: the single table both the size computation
// and the writer use.
//
// Source: LoPAR appendix "Firmware Assisted Dump Data Format", identifier
// catalogue (8-byte ASCII names, left-justified, zero-padded). Only ids from
// that catalogue appear, and only registers QEMU models for Book3S-64 CPUs.
// Linux consumes GPR00-31, NIA, MSR, CTR, LR, XER, CR, DAR and DSISR
// (arch/powerpc/platforms/pseries/rtas-fadump.c, rtas_fadump_set_regval).
#pragma once

#include <cstdint>
#include <span>

#include "fadump/vcpu.hpp"

namespace fadump::papr {

/// Where a register's value lives in a VcpuState.
enum class RegSource : uint8_t {
    Gpr,    // gpr[index]
    Fpr,    // fpr[index] (also VSR00-31 high)
    VsrLo,  // vsrl[index] (VSR00-31 low)
    VrHi,   // vr[index][0] (also VSR32-63 high)
    VrLo,   // vr[index][1]
    Nia,
    Msr,
    Cr,
    Ctr,
    Lr,
    Xer,
    Fpscr,
    Vscr,
    Cfar,
    Tb,
    Dec,
    Pir,
    Spr,  // spr[index], architected SPR number
};

/// One register of the save area.
struct RegisterDef {
    uint64_t id;  // big-endian ASCII identifier as a host u64
    RegSource source;
    uint16_t index;
};

/// Identifiers that bracket each CPU's entries.
inline constexpr uint64_t ID_CPUSTRT = 0x4350555354525400ULL;  // "CPUSTRT"
inline constexpr uint64_t ID_CPUEND = 0x435055454E440000ULL;   // "CPUEND"

/// Every register written per CPU, in emission order (GPRs, FPRs, VRs and
/// VSRs ascending, multi-doubleword registers high then low), excluding the
/// CPUSTRT/CPUEND brackets.
[[nodiscard]] std::span<const RegisterDef> register_table();

/// The value of `def` in `cpu`.
[[nodiscard]] uint64_t register_value(const RegisterDef& def, const VcpuState& cpu);

}  // namespace fadump::papr
