// HDAT "Architected Register Data" for one thread: the single table of
// registers the SBE/hostboot role writes per thread, and its writer.
//
// Layout: ThreadHeader (pir, core_state, offset 0x10, ecnt, esize, eactsz)
// followed by ecnt ThreadRegEntry. Linux consumes GPR0-31, SPR 9 CTR, 8 LR,
// 1 XER, 19 DAR, 18 DSISR and the pseudo-ids 0x7D0 NIP, 0x7D1 MSR, 0x7D2 CR
// (arch/powerpc/platforms/powernv/opal-fadump.h); the other SPRs are those
// QEMU models for POWER9/POWER10 in hypervisor mode.
#pragma once

#include <cstdint>
#include <span>

#include "fadump/opal/mpipl_tables.hpp"
#include "fadump/vcpu.hpp"

namespace fadump::opal {

struct ThreadRegDef {
    uint32_t type;  // REG_TYPE_GPR or REG_TYPE_SPR
    uint32_t num;
};

/// Every register written per thread, in order.
[[nodiscard]] std::span<const ThreadRegDef> thread_register_table();

/// Live value of `def` in `cpu` (CTR, LR, XER, CFAR, DEC, TB from their own
/// fields, other SPRs from spr[]).
[[nodiscard]] uint64_t thread_register_value(const ThreadRegDef& def, const VcpuState& cpu);

/// Bytes per thread: header + entries. Written to proc_dump_area.thread_size.
[[nodiscard]] uint32_t thread_data_size();

/// Writes one thread's block into `out` (exactly thread_data_size() bytes);
/// false, writing nothing, when `out` is smaller.
[[nodiscard]] bool write_thread_data(std::span<std::byte> out, const VcpuState& cpu);

}  // namespace fadump::opal
