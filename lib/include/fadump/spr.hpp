// Architected SPR numbers (Power ISA v3.1, Book III SPR list; QEMU's
// target/ppc/cpu.h SPR_* use the same), written once for every layout that
// names registers by number: the PAPR register save area's catalogue
// (papr/register_ids.cpp), the OPAL architected register data
// (opal/thread_regs.cpp) and the lab's ground truth. VcpuState::spr[] (and FadumpVcpuRegs::spr[])
// is indexed by these numbers.
#pragma once

#include <cstdint>

namespace fadump::spr {

inline constexpr uint16_t XER = 1, LR = 8, CTR = 9, DSCR = 17, DSISR = 18, DAR = 19, DEC = 22, SRR0 = 26, SRR1 = 27,
                          CFAR = 28, AMR = 29, PID = 48, IAMR = 61, TFHAR = 128, TFIAR = 129, TEXASR = 130, CTRL = 152,
                          FSCR = 153, UAMOR = 157, PSPB = 159, DPDES = 176, DAWR0 = 180, RPR = 186, CIABR = 187,
                          DAWRX0 = 188, HFSCR = 190, VRSAVE = 256, TB = 268, SPRG0 = 272, SPRG1 = 273, SPRG2 = 274,
                          SPRG3 = 275, PVR = 287, HSPRG0 = 304, HSPRG1 = 305, HDSISR = 306, HDAR = 307, SPURR = 308,
                          PURR = 309, HSRR0 = 314, HSRR1 = 315, LPCR = 318, LPIDR = 319, HMER = 336, HMEER = 337,
                          TIR = 446, PTCR = 464, SIER = 784, MMCR2 = 785, MMCRA = 786, PMC1 = 787, PMC2 = 788,
                          PMC3 = 789, PMC4 = 790, PMC5 = 791, PMC6 = 792, MMCR0 = 795, SIAR = 796, SDAR = 797,
                          MMCR1 = 798, EBBHR = 804, EBBRR = 805, BESCR = 806, TAR = 815, PSSCR = 855, PIR = 1023;

/// Entries of VcpuState::spr[] and FadumpVcpuRegs::spr[] (SPR numbers 0..1023).
inline constexpr uint32_t COUNT = 1024;

}  // namespace fadump::spr
