/*
 * fadump_export.h: the platform's own vmcore, written on the host (issue 23).
 * When a dump is active the platform holds what the capture kernel builds
 * /proc/vmcore from (the preserved memory, the register save area, the
 * crashed kernel's crash info header and VMCOREINFO); these calls build the
 * same file on the host, so the dump survives a capture kernel that never
 * boots, hangs or crashes. Uses the types of fadump.h.
 *
 * Two steps, so the guest never waits for the file:
 *   fadump_spapr_vmcore_plan, on the VMM's main thread once the dump's moves
 *     ran (the dump reboot's reset): reads and checks the small guest data
 *     (crash info header, save area, VMCOREINFO: at most a few hundred KiB,
 *     bounded by the thread count, never by a guest value) and resolves the
 *     PT_LOADs to host memory (FadumpGuestOps.host_span);
 *   fadump_vmcore_write, on any thread: writes the ELF file from host
 *     memory alone. The VMM keeps the RAM blocks mapped and the memory
 *     unchanged until it returns (pseries: the dump stays active, an
 *     INVALIDATE answers busy meanwhile).
 * Layout: fadump/vmcore/vmcore_layout.hpp (byte for byte /proc/vmcore of the
 * capture kernel: Linux fs/proc/vmcore.c, arch/powerpc/kernel/fadump.c,
 * arch/powerpc/platforms/pseries/rtas-fadump.c).
 * Implemented by libfadump_export.a, beside libfadump.a (links libelf).
 */
#ifndef FADUMP_FADUMP_EXPORT_H
#define FADUMP_FADUMP_EXPORT_H

/* clang-format off */

#include "fadump.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct FadumpVmcore FadumpVmcore;

/* What a planned vmcore holds. */
typedef struct FadumpVmcoreSummary {
    uint64_t file_bytes;    /* the ELF file's size (zero pages are holes) */
    uint64_t memory_bytes;  /* bytes of the crashed kernel's memory (PT_LOADs) */
    uint32_t cpus;          /* NT_PRSTATUS notes */
    uint32_t loads;         /* PT_LOADs */
    uint32_t crashing_cpu;  /* as the crash info header says */
    uint32_t big_endian;    /* the crashed kernel's byte order */
} FadumpVmcoreSummary;

/* One written vmcore. */
typedef struct FadumpVmcoreStats {
    uint64_t file_bytes;   /* the file's size */
    uint64_t data_bytes;   /* bytes written; the rest are holes */
    uint64_t ns;           /* wall time of the write, fdatasync included */
} FadumpVmcoreStats;

/* A range of guest memory (guest physical, bytes) and its NUMA node. */
typedef struct FadumpNodeRange {
    uint64_t addr;
    uint64_t size;
    uint32_t node;
    uint32_t reserved;
} FadumpNodeRange;

/*
 * Plans the vmcore of fd's active dump. `ram` lists the guest's memory
 * with its NUMA nodes, in any order (n_ram ranges, at most 256: each NUMA
 * node's RAM, each DIMM); the library merges them as the kernel's memblock
 * does (touching ranges of one node; all of them for a kernel without
 * NUMA, which VMCOREINFO tells). On FADUMP_OK, *out is the plan (free it with
 * fadump_vmcore_free) and *summary what it holds. FADUMP_E_REFUSED: no dump
 * is active, or what the guest left is wrong (a crash info header with
 * another magic, version or sizes, addresses past RAM, a save area or note
 * that runs past its bytes, a section with error flags, memory the host
 * does not map): `msg` says which; nothing changed for the guest.
 * FADUMP_E_INTERNAL: a NULL argument or an internal failure.
 */
FadumpStatus fadump_spapr_vmcore_plan(const FadumpSpapr *fd,
                                      const FadumpGuestOps *ops,
                                      const FadumpNodeRange *ram, size_t n_ram,
                                      FadumpVmcore **out,
                                      FadumpVmcoreSummary *summary, char *msg,
                                      size_t msg_len) FADUMP_NOEXCEPT;

/*
 * PowerNV: plans the vmcore of the last MPIPL that preserved a kernel's
 * dump (opal/vmcore_source.hpp: the MDRT's kernel entries, the
 * architected register data, the crash info header and VMCOREINFO), on
 * the VMM's main thread at the MPIPL boot's reset once the moves ran and
 * before the vCPUs run. `ram` as for fadump_spapr_vmcore_plan. The VMM
 * keeps the memory unchanged while fadump_vmcore_write runs; unlike
 * pseries, the platform does not see the capture kernel release it (an
 * OPAL call skiboot serves), so the write must end before then.
 * FADUMP_E_REFUSED: no MPIPL preserved a kernel's dump, or what the kernel
 * left is wrong (`msg` says which); nothing changes for the guest.
 */
/* Whether the last MPIPL preserved a kernel's dump (kernel ranges in its
 * MDRT), which fadump_mpipl_vmcore_plan can export; false for an MPIPL of
 * skiboot's own region alone (no kernel registered) or none. */
bool fadump_mpipl_kernel_dump(const FadumpMpipl *mp) FADUMP_NOEXCEPT;

/* Whether the last MPIPL's memory is still preserved: the machine runs its
 * MPIPL boot (no reset or S0 since) and the MDRT is as the dump wrote it
 * (skiboot clears it when the capture kernel releases the memory, an OPAL
 * call the platform does not see). An export on demand needs it, and a
 * write that ends without it is not a dump. */
bool fadump_mpipl_dump_preserved(const FadumpMpipl *mp,
                                 const FadumpGuestOps *ops) FADUMP_NOEXCEPT;

FadumpStatus fadump_mpipl_vmcore_plan(const FadumpMpipl *mp,
                                      const FadumpGuestOps *ops,
                                      const FadumpNodeRange *ram, size_t n_ram,
                                      FadumpVmcore **out,
                                      FadumpVmcoreSummary *summary, char *msg,
                                      size_t msg_len) FADUMP_NOEXCEPT;

/*
 * PowerNV: plans skiboot's OPAL core of the last MPIPL (opal/opal_core.hpp:
 * the file the capture kernel exports as /sys/firmware/opal/mpipl/core,
 * Linux opal-core.c: its OPAL memory regions, every thread's registers,
 * the crashing PIR and boot entry skiboot had at S0), at the same point
 * as fadump_mpipl_vmcore_plan; written with fadump_vmcore_write. The
 * summary's crashing_cpu is the crashing PIR, big_endian 1.
 * FADUMP_E_REFUSED: no MPIPL was taken, or it preserved no OPAL region,
 * skiboot's boot entry was not found, or the register data is invalid
 * (`msg` says which); nothing changes for the guest.
 */
FadumpStatus fadump_mpipl_opal_core_plan(const FadumpMpipl *mp,
                                         const FadumpGuestOps *ops,
                                         FadumpVmcore **out,
                                         FadumpVmcoreSummary *summary,
                                         char *msg,
                                         size_t msg_len) FADUMP_NOEXCEPT;

/*
 * Writes the planned vmcore as `name` in the directory `dirfd`: whole or
 * not at all (an older file of that name is replaced only by a complete
 * one). `cancel` (may be NULL), read atomically, stops the write when
 * non-zero. FADUMP_OK with *stats; FADUMP_E_REFUSED: cancelled, or the
 * directory, a write or the rename failed (`msg` names the call and errno's
 * text); no file is left then. Any thread; `vc` is only read.
 */
FadumpStatus fadump_vmcore_write(const FadumpVmcore *vc, int dirfd,
                                 const char *name, const int *cancel,
                                 FadumpVmcoreStats *stats, char *msg,
                                 size_t msg_len) FADUMP_NOEXCEPT;

void fadump_vmcore_free(FadumpVmcore *vc) FADUMP_NOEXCEPT;

#ifdef __cplusplus
}
#endif

/* clang-format on */
#endif /* FADUMP_FADUMP_EXPORT_H */
