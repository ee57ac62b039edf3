// Where an MPIPL dump's vmcore comes from on PowerNV: the kernel's ranges
// as the SBE/hostboot preserved them (the MDRT's kernel entries), the
// architected register data they wrote, and the crash info header and
// VMCOREINFO the crashed kernel left (issue 23: the platform's own vmcore).
//
// Follows Linux arch/powerpc/platforms/powernv/opal-fadump.c
// (opal_fadump_get_config: the boot memory regions are the kernel
// metadata's, registered one MDST entry each, their destinations laid end
// to end from the first; the crash info header right after them, the
// reserved area starting at the first destination;
// opal_fadump_build_cpu_notes) and arch/powerpc/kernel/fadump.c
// (fadump_populate_elfcorehdr, get_fadump_area_size: on OPAL the reserved
// area is the boot memory's size, the crash info header and one page of
// kernel metadata, struct opal_fadump_mem_struct being 3088 bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fadump/guest_memory.hpp"
#include "fadump/result.hpp"
#include "fadump/types.hpp"
#include "fadump/vmcore/vmcore_layout.hpp"

namespace fadump::opal {

/// What one MPIPL preserved, as the next kernel finds it: for the crashed
/// kernel, the MDRT's kernel entries (data_region 0x80 and above) in table
/// order (none when no kernel registered); for skiboot's OPAL core, its
/// OPAL memory entries (data_region 0x03) in table order and what its
/// metadata and image said at S0; the architected register data
/// (`threads` blocks of `thread_size` bytes at `cpu_data`, guest physical).
/// Host-owned, small: at most MDST_ENTRIES regions of each kind.
struct DumpRecord {
    std::vector<vmcore::BootRegion> kernel;
    std::vector<vmcore::BootRegion> opal;
    GuestAddr cpu_data;
    uint32_t thread_size = 0;
    uint32_t threads = 0;
    /// skiboot's struct mpipl_metadata crashing_pir at S0: the thread that
    /// asked for the MPIPL (opal_mpipl_save_crashing_pir).
    uint32_t crashing_pir = 0;
    /// opal-base-address: the base skiboot stashed in the SBE.
    uint64_t opal_base = 0;
    /// opal-boot-address: skiboot's boot_entry, as its image at the base
    /// branches there from fdt_entry (skiboot_boot_entry); nullopt when it
    /// does not.
    std::optional<uint64_t> opal_boot;
};

/// Where skiboot's image at `base` (its relocated copy, guest physical)
/// enters boot_entry from fdt_entry (base + 0x10, asm/head.S): following
/// its big-endian instructions, past FIXUP_ENDIAN's tdi, `mr r27,r3` and
/// unconditional relative branches, the first other instruction is
/// boot_entry, which skiboot names opal-boot-address in the device tree.
/// At most 16 instructions within skiboot's SKIBOOT_SIZE bytes are read;
/// nullopt when the walk leaves them or does not end (not skiboot's head,
/// a little-endian build), or memory cannot be read.
[[nodiscard]] std::optional<uint64_t> skiboot_boot_entry(GuestMemory& mem, uint64_t base);

/// The crash info header's address for the kernel ranges of `rec`: right
/// after the boot memory's destinations. Errors (ParamError): no kernel
/// range, destinations not laid end to end from the first, a wrapping size.
[[nodiscard]] Result<GuestAddr> crash_info_address(const DumpRecord& rec);

/// Bytes of Linux's struct opal_fadump_mem_struct (packed: 16 bytes of
/// header and 128 regions of 24): the kernel metadata at the end of the
/// reserved area, counted page-aligned in it.
inline constexpr uint64_t KERNEL_METADATA_BYTES = 16 + 128 * 24;

/// The plan of the vmcore the capture kernel will export from the MPIPL
/// `rec` describes, read after the dump's moves ran and before the guest
/// runs again: the crash info header at the first kernel destination plus
/// the boot memory's size, the register data (at most `max_threads`
/// blocks: the platform wrote no more), VMCOREINFO (at most 64 KiB + 36).
/// `ram` is the guest's memory with its NUMA nodes, merged as the kernel's
/// memblock would. Host memory used is bounded by max_threads and
/// constants, never by a guest value. Errors (ParamError, saying why): no
/// kernel region; destinations not laid end to end from the first (not
/// what the kernel registered), a boot memory that wraps; every check of
/// crash_info.hpp and of opal_cpu_regs/vmcore_notes (cpu_notes.hpp);
/// HardwareError: guest memory that could not be read.
[[nodiscard]] Result<vmcore::VmcorePlan> plan_vmcore(GuestMemory& mem, const DumpRecord& rec,
                                                     std::span<const vmcore::NodeRange> ram, uint32_t max_threads);

}  // namespace fadump::opal
