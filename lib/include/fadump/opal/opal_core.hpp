// skiboot's own dump on the host: the OPAL core the capture kernel exports
// as /sys/firmware/opal/mpipl/core after an MPIPL, built from what the
// platform preserved and read at S0 (issue 23).
//
// Follows Linux arch/powerpc/platforms/powernv/opal-core.c
// (opalcore_config_init: skiboot's OPAL memory regions, at most 8, its
// crashing PIR, the CPU state data; create_opalcore: a big-endian ELF core,
// one PT_NOTE, one PT_LOAD per region) and skiboot core/opal-dump.c
// (post_mpipl_get_opal_data: the MDRT's entries of DUMP_REGION_OPAL_MEMORY,
// post_mpipl_arch_regs_data: the register data), core/opal.c
// (opal-base-address, opal-boot-address).
#pragma once

#include <cstdint>

#include "fadump/guest_memory.hpp"
#include "fadump/opal/vmcore_source.hpp"
#include "fadump/result.hpp"
#include "fadump/vmcore/vmcore_layout.hpp"

namespace fadump::opal {

/// Linux's MAX_PT_LOAD_CNT: OPAL regions past it are left out (with a
/// warning in the capture kernel).
inline constexpr size_t OPAL_CORE_MAX_LOADS = 8;

/// The plan of the OPAL core the capture kernel exports after the MPIPL
/// `rec` describes, read after the moves ran and before the guest runs
/// again (CoreShape::OpalCore): big-endian, e_flags 0; notes
/// (vmcore::opal_core_notes) for every thread of the register data, named
/// by `rec`'s crashing PIR, SIGUSR1 when the kernel's crash info header
/// names a crashing CPU (Linux's kernel_initiated) else SIGTERM, AT_ENTRY
/// opal-boot-address; one PT_LOAD per OPAL region (at most 8) whose bytes
/// are at its destination, p_paddr from 0 upward, p_vaddr opal-base-address
/// + p_paddr; the capture kernel's page size from the kernel's VMCOREINFO
/// (64 KiB when no kernel dump names one). Host memory: bounded by
/// rec.threads (the platform's count) and constants. Errors (ParamError,
/// saying why): no OPAL region (skiboot registered none), skiboot's boot
/// entry not found, the regions' total size wrapping, CPU state data Linux
/// calls invalid and opal_core_notes' checks; HardwareError: guest memory
/// that could not be read.
[[nodiscard]] Result<vmcore::VmcorePlan> plan_opal_core(GuestMemory& mem, const DumpRecord& rec);

}  // namespace fadump::opal
