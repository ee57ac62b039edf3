/*
 * libfadump C interface: the only header a VMM (QEMU glue) includes.
 *
 * Everything here is plain C11. Every function is implemented `noexcept` in
 * C++ and catches everything: no exception, abort or guest-sized allocation
 * reaches the caller. Guest physical addresses and lengths are in bytes;
 * integers are host-endian (big-endian guest data is converted inside).
 *
 * Follows: LoPAR "ibm,configure-kernel-dump" (RTAS call, fdm layout) and the
 * appendix "Firmware Assisted Dump Data Format" (register save area); Linux
 * arch/powerpc/platforms/pseries/rtas-fadump.[ch] (the consumer).
 *
 * One error convention: every call that can fail returns a FadumpStatus and
 * hands what it produces back through out-parameters (with a one-line reason
 * in `msg` when it fails). Calls that cannot fail return their value:
 * queries (fadump_*_registered, *_in_progress, sizes), the decisions of a
 * state change (begin_dump, reset: whether a dump starts, whether this is
 * the dump reboot) and constructors (NULL on failure).
 */
#ifndef FADUMP_FADUMP_H
#define FADUMP_FADUMP_H

/* A C header in the C style of its users (QEMU): 80 columns, `type *name`. */
/* clang-format off */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define FADUMP_NOEXCEPT noexcept
extern "C" {
#else
#define FADUMP_NOEXCEPT
#endif

/*
 * Outcome of every fallible call.
 *   FADUMP_OK            done
 *   FADUMP_ABSENT        nothing to produce now (a property that must not
 *                        exist, no state worth migrating); *len = 0
 *   FADUMP_E_TOO_SMALL   the caller's buffer is too small: nothing written,
 *                        *len = the bytes needed
 *   FADUMP_E_INTERNAL    a NULL or inconsistent argument, or an internal
 *                        failure; outputs are zero/empty
 *   FADUMP_E_REFUSED     the guest's request or data (or an incoming
 *                        migration state) was refused: `msg` says why, and an
 *                        architected code, where the call has one, is in its
 *                        out-parameter (the RTAS status)
 *   FADUMP_E_INCOMPLETE  the dump ran but not everything was preserved; the
 *                        next kernel is told per section / range
 */
typedef enum FadumpStatus {
    FADUMP_OK = 0,
    FADUMP_ABSENT = 1,
    FADUMP_E_TOO_SMALL = -1,
    FADUMP_E_INTERNAL = -2,
    FADUMP_E_REFUSED = -3,
    FADUMP_E_INCOMPLETE = -4,
} FadumpStatus;

/* RTAS statuses of ibm,configure-kernel-dump (LoPAR call table). */
enum {
    FADUMP_RTAS_SUCCESS = 0,
    FADUMP_RTAS_HW_ERROR = -1,
    FADUMP_RTAS_BUSY = -2,
    FADUMP_RTAS_PARAM_ERROR = -3,
    FADUMP_RTAS_ALREADY_REGISTERED = -9,
    FADUMP_RTAS_DUMP_ACTIVE = -10,
};

/* Commands of ibm,configure-kernel-dump (in[0]). */
enum {
    FADUMP_CMD_REGISTER = 1,
    FADUMP_CMD_UNREGISTER = 2,
    FADUMP_CMD_INVALIDATE = 3,
};

/*
 * Access to guest memory, provided by the VMM.
 * read/write: bounds-checked access to guest physical [gpa, gpa+len);
 *   return false when any byte is not backed by memory.
 * host_span: the host pointer of guest physical gpa when it is RAM the VMM
 *   maps, with *span set to how many bytes from gpa (at most max_len) lie in
 *   the same RAM block (contiguous in host memory); NULL with *span = 0 when
 *   gpa is not mapped RAM (a hole, device memory). A guest's RAM may be
 *   several blocks (QEMU: one memory backend per NUMA node, DIMMs): the
 *   library splits every range at their boundaries and falls back to
 *   read/write where there is no host mapping.
 * mark_dirty: called after the library modified [gpa, gpa+len) through a
 *   host pointer (dirty bitmap, translated-code invalidation); the range may
 *   span RAM blocks.
 * movable_page_size (optional, NULL: never): the host page size in bytes
 *   when [gpa, gpa+len) (inside one RAM block) is private anonymous RAM whose pages the library
 *   may move to other guest addresses with mremap(2) (zero-copy
 *   preservation, fadump/preserve.hpp), else 0 with *why saying why not
 *   (a static string).
 * note_preserve (optional): how one range was preserved ("move" or "copy")
 *   and, when not moved (or moved in part), why; for the VMM's trace.
 * before_moves (optional): called once before pending moves run
 *   (fadump_spapr_finish_moves / fadump_mpipl_finish_moves), while the
 *   sources still hold their old bytes: the VMM completes and stops device
 *   work that could read guest memory after the moves zero the sources
 *   (pending virtqueue kicks, in-flight block I/O), reads a copy would have
 *   served from the old bytes.
 * Where RAM ends is the engine's configuration (ram_size of
 * FadumpSpaprConfig / FadumpMpiplConfig), not these callbacks': one place.
 */
typedef struct FadumpGuestOps {
    void *opaque;
    bool (*read)(void *opaque, uint64_t gpa, void *buf, uint64_t len);
    bool (*write)(void *opaque, uint64_t gpa, const void *buf, uint64_t len);
    void *(*host_span)(void *opaque, uint64_t gpa, uint64_t max_len,
                       uint64_t *span);
    void (*mark_dirty)(void* opaque, uint64_t gpa, uint64_t len);
    uint64_t (*movable_page_size)(void *opaque, uint64_t gpa, uint64_t len,
                                  const char **why);
    void (*note_preserve)(void *opaque, uint64_t src, uint64_t dst,
                          uint64_t len, const char *how, const char *why);
    void (*before_moves)(void *opaque);
} FadumpGuestOps;

/*
 * One vCPU's architected state at the instant all vCPUs stopped, with live
 * values (CTR/LR/XER/CR/CFAR as the CPU sees them, not migration copies).
 * spr[] is indexed by architected SPR number; fields that have their own
 * member (ctr, lr, xer, cfar, dar, dsisr taken from spr[]) are listed in
 * papr/register_ids.hpp.
 */
typedef struct FadumpVcpuRegs {
    uint32_t cpu_index;   /* VMM's index of the vCPU */
    uint32_t logical_id;  /* the guest OS's logical CPU number (CPUSTRT) */
    uint32_t pir;         /* processor identification register */
    uint32_t reserved;
    uint64_t gpr[32];
    uint64_t fpr[32];     /* = VSR0..31 high doublewords */
    uint64_t vsrl[32];    /* VSR0..31 low doublewords */
    uint64_t vr[32][2];   /* VR0..31 (= VSR32..63) {high, low} doublewords */
    uint64_t nia, msr, cr, ctr, lr, xer, fpscr, vscr, cfar, tb, dec;
    uint64_t spr[1024];
} FadumpVcpuRegs;

/* Machine facts that fix the CPU-state size and the valid ranges. */
typedef struct FadumpSpaprConfig {
    uint64_t ram_size;      /* boot memory is [0, ram_size); a range beyond it is RAM
                               when host_span maps all of it (hot-plugged DIMMs) */
    uint64_t rmr_size;      /* real mode region: the fdm must lie in [0, rmr_size) */
    uint32_t max_threads;   /* threads that can ever exist (maxcpus incl. SMT) */
} FadumpSpaprConfig;

typedef struct FadumpSpapr FadumpSpapr;

/*
 * Statistics of one dump, on either platform (fadump_spapr_dump,
 * fadump_mpipl_dump): what the VMM reports (QMP, traces, the ground truth)
 * without converting. A "section" is an fdm section (pseries) or an
 * MDST/MDDT range pair (PowerNV); a "cpu" is a vCPU whose registers were
 * saved (pseries: the CPU state data; PowerNV: a hardware thread's
 * architected register data).
 */
typedef struct FadumpDumpStats {
    uint64_t bytes_preserved;   /* bytes copied or kept in place */
    uint64_t preserve_ns;       /* wall time of the preservation itself */
    uint32_t sections_ok;
    uint32_t sections_failed;
    uint32_t cpus_saved;
    /*
     * The next boot sees the dump: pseries, the dump is active (the reset
     * describes it in /rtas/ibm,kernel-dump); PowerNV, an MPIPL boot
     * (/ibm,opal/dump/mpipl-boot).
     */
    uint32_t preserving_boot;
} FadumpDumpStats;

FadumpSpapr *fadump_spapr_new(const FadumpSpaprConfig *cfg) FADUMP_NOEXCEPT;
void fadump_spapr_free(FadumpSpapr *fd) FADUMP_NOEXCEPT;

/*
 * ibm,configure-kernel-dump. *rtas_status receives the RTAS status to
 * return to the guest (FADUMP_RTAS_*). Returns FADUMP_OK (status 0),
 * FADUMP_E_REFUSED (the guest's error: status < 0, `msg` holds a
 * NUL-terminated one-line reason for LOG_GUEST_ERROR) or FADUMP_E_INTERNAL
 * (status FADUMP_RTAS_HW_ERROR). `msg` may be NULL.
 */
FadumpStatus fadump_spapr_configure(FadumpSpapr *fd, const FadumpGuestOps *ops,
                                    uint32_t cmd, uint64_t addr, uint64_t len,
                                    int32_t *rtas_status, char *msg,
                                    size_t msg_len) FADUMP_NOEXCEPT;

bool fadump_spapr_registered(const FadumpSpapr *fd) FADUMP_NOEXCEPT;
bool fadump_spapr_dump_active(const FadumpSpapr *fd) FADUMP_NOEXCEPT;

/*
 * First step of ibm,os-term: returns true and moves to "dumping" when a dump
 * is registered (the caller must then stop all vCPUs and call
 * fadump_spapr_dump); false when os-term must behave as if nothing were
 * registered. While dumping, configure-kernel-dump returns BUSY.
 */
bool fadump_spapr_begin_dump(FadumpSpapr *fd) FADUMP_NOEXCEPT;
/* True between fadump_spapr_begin_dump and the end of fadump_spapr_dump. */
bool fadump_spapr_dump_in_progress(const FadumpSpapr *fd) FADUMP_NOEXCEPT;

/*
 * Performs the dump with every vCPU stopped: writes the register save area,
 * copies the HPT into an HPTE section, preserves every other section
 * (memmove semantics), records bytes_dumped and error
 * flags and the header status. Afterwards a dump is active and the next reset
 * is taken as the memory-preserving reboot. Returns FADUMP_OK, or
 * FADUMP_E_INCOMPLETE when any section failed (`msg` says which; the dump is
 * still reported to the next kernel with its flags).
 */
FadumpStatus fadump_spapr_dump(FadumpSpapr *fd, const FadumpGuestOps *ops,
                               const FadumpVcpuRegs *vcpus, size_t n_vcpus,
                               const void *hpt, uint64_t hpt_len,
                               FadumpDumpStats *stats, char *msg,
                               size_t msg_len) FADUMP_NOEXCEPT;

/*
 * The guest's hash page table: its size in bytes (0 for a radix guest),
 * advertised in ibm,configure-kernel-dump-sizes and the most an HPTE section
 * may request; fadump_spapr_dump copies `hpt` (the HPT as the platform keeps
 * it, big-endian HPTEs, hpt_len bytes; NULL/0 when none) into a registered
 * HPTE section (LoPAR: the platform saves the partition's page table). Set
 * it whenever the MMU mode or the HPT changes (reset, CAS, resizing).
 */
void fadump_spapr_set_hpt_size(FadumpSpapr *fd, uint64_t bytes) FADUMP_NOEXCEPT;

/*
 * What every reset reloads into guest RAM before the capture kernel runs
 * (QEMU's -kernel image and -initrd): `n` ranges as (start, length) pairs of
 * guest physical addresses and bytes, `ranges` holding 2 * n values. A
 * section whose destination overlaps one is refused with -3 at REGISTER and
 * on a migration's arrival: the reboot would overwrite its copy. Set it
 * before the guest can register (the glue: at every machine reset).
 * FADUMP_E_REFUSED for more than FADUMP_MAX_RELOAD ranges or a range that
 * wraps (nothing changed).
 */
#define FADUMP_MAX_RELOAD 4
FadumpStatus fadump_spapr_set_reload(FadumpSpapr *fd, const uint64_t *ranges,
                                     size_t n) FADUMP_NOEXCEPT;

/*
 * The zero-copy half of the last dump: the page moves fadump_spapr_dump
 * decided on and left for the reset (fadump/preserve.hpp). Call at the start
 * of the machine reset, before devices reset and the firmware is reloaded
 * (before fadump_spapr_reset). Returns the bytes moved (pieces mremap
 * refused were copied), 0 when none were waiting.
 */
uint64_t fadump_spapr_finish_moves(FadumpSpapr *fd,
                                   const FadumpGuestOps *ops) FADUMP_NOEXCEPT;

/*
 * Machine reset. Returns true when this reset is the memory-preserving dump
 * reboot (the registration was consumed by the dump; the dump stays active);
 * false otherwise, in which case any registration is dropped.
 */
bool fadump_spapr_reset(FadumpSpapr *fd) FADUMP_NOEXCEPT;

/*
 * Highest address + 1 below which the firmware reload may write on the dump
 * reboot without touching preserved data (the lowest preserved destination or
 * the boot-memory top, whichever is lower); 0 when no dump is active.
 */
uint64_t fadump_spapr_reboot_limit(const FadumpSpapr *fd) FADUMP_NOEXCEPT;

/*
 * Property getters (fadump_*_prop_*) write the whole value or nothing: a
 * value that does not fit is FADUMP_E_TOO_SMALL, which the caller must
 * check, never a length to pass on to fdt_setprop. FADUMP_OK: the value is
 * in buf[0, *len); FADUMP_ABSENT: the property must not exist now.
 */

/*
 * Device-tree property values under /rtas, big-endian cells, lengths in
 * bytes.
 *   ibm,configure-kernel-dump-sizes   (type, size_hi, size_lo) u32 triplets
 *                                     (24 bytes)
 *   ibm,configure-kernel-dump-version (min u16, max u16) (4 bytes)
 *   ibm,kernel-dump                   the fdm with platform status (at most
 *                                     512 bytes), only while a dump is
 *                                     active: FADUMP_ABSENT otherwise
 */
FadumpStatus fadump_spapr_prop_sizes(const FadumpSpapr *fd, void *buf,
                                     size_t buf_len, size_t *len) FADUMP_NOEXCEPT;
FadumpStatus fadump_spapr_prop_version(const FadumpSpapr *fd, void *buf,
                                       size_t buf_len, size_t *len) FADUMP_NOEXCEPT;
FadumpStatus fadump_spapr_prop_kernel_dump(const FadumpSpapr *fd, void *buf,
                                           size_t buf_len,
                                           size_t *len) FADUMP_NOEXCEPT;

/*
 * Migration and snapshots. The engine's state travels as one opaque blob of
 * at most FADUMP_SPAPR_STATE_MAX bytes (layout: papr/migration_state.hpp,
 * versioned, big-endian): the fdm as the guest registered it, where it was,
 * and an active dump's results. Guest memory travels with the VMM's RAM.
 *
 * fadump_spapr_state_needed: true while a migration must carry state (a
 *   registration, or a dump under way or active); an idle engine sends
 *   nothing, so a guest without a registration migrates to a VMM without
 *   this feature.
 * fadump_spapr_state_save: FADUMP_OK (the blob in buf[0, *len));
 *   FADUMP_ABSENT (idle); FADUMP_E_REFUSED while a dump is under way or its
 *   reboot is pending (`msg`; the migration must fail and may be retried);
 *   FADUMP_E_TOO_SMALL; FADUMP_E_INTERNAL.
 * fadump_spapr_state_load: takes a blob from another host, hostile until
 *   validated: the fdm passes REGISTER's rules against this engine's
 *   configuration (RAM, RMR, threads) and the results agree with it.
 *   FADUMP_OK, or FADUMP_E_REFUSED (`msg` says why; the engine is then
 *   idle), FADUMP_E_INTERNAL.
 * fadump_spapr_state_clear: forgets any registration or dump (loading a
 *   snapshot that carried no state).
 */
#define FADUMP_SPAPR_STATE_MAX 1024

bool fadump_spapr_state_needed(const FadumpSpapr *fd) FADUMP_NOEXCEPT;
FadumpStatus fadump_spapr_state_save(const FadumpSpapr *fd, void *buf,
                                     size_t buf_len, size_t *len, char *msg,
                                     size_t msg_len) FADUMP_NOEXCEPT;
FadumpStatus fadump_spapr_state_load(FadumpSpapr *fd, const FadumpGuestOps *ops,
                                     const void *buf, size_t len, char *msg,
                                     size_t msg_len) FADUMP_NOEXCEPT;
void fadump_spapr_state_clear(FadumpSpapr *fd) FADUMP_NOEXCEPT;

/*
 * Operators' view (QMP query-fadump, HMP info fadump): what the engine holds
 * now, copied out whole. Sections are in fdm order; bytes_dumped,
 * error_flags and status_flags are the platform's results (0 before a dump).
 * Returns FADUMP_OK, or FADUMP_E_INTERNAL for a NULL argument.
 */
enum {
    FADUMP_SPAPR_IDLE = 0,
    FADUMP_SPAPR_REGISTERED = 1,
    FADUMP_SPAPR_DUMPING = 2,
    FADUMP_SPAPR_DUMP_ACTIVE = 3,
    /* the dump stopped on an internal error; the next reset drops it */
    FADUMP_SPAPR_DUMP_FAILED = 4,
};

#define FADUMP_MAX_SECTIONS 10

typedef struct FadumpSectionInfo {
    uint16_t type;          /* source data type (LoPAR) */
    uint16_t error_flags;
    uint32_t reserved;
    uint64_t source;        /* guest physical address */
    uint64_t length;        /* bytes requested */
    uint64_t destination;   /* guest physical address */
    uint64_t bytes_dumped;
} FadumpSectionInfo;

typedef struct FadumpSpaprInfo {
    uint32_t state;          /* FADUMP_SPAPR_IDLE ... */
    uint16_t status_flags;   /* the fdm header's dump status flags */
    uint16_t n_sections;
    uint64_t fdm_address;    /* guest physical address of the fdm (0: idle) */
    uint32_t fdm_length;     /* bytes */
    uint32_t reserved;
    FadumpSectionInfo sections[FADUMP_MAX_SECTIONS];
} FadumpSpaprInfo;

FadumpStatus fadump_spapr_info(const FadumpSpapr *fd,
                               FadumpSpaprInfo *out) FADUMP_NOEXCEPT;

/* Bytes of the CPU state data (register save area) for max_threads threads. */
uint64_t fadump_spapr_cpu_state_size(uint32_t max_threads) FADUMP_NOEXCEPT;

/*
 * PowerNV MPIPL (skiboot doc/mpipl.rst; the SBE and hostboot roles).
 * A guest range, for the areas a reset reloads.
 */
typedef struct FadumpRange {
    uint64_t addr;
    uint64_t size;
} FadumpRange;

typedef struct FadumpMpiplConfig {
    uint64_t ram_size;   /* guest RAM is [0, ram_size) */
    uint32_t chips;
} FadumpMpiplConfig;

typedef struct FadumpMpipl FadumpMpipl;

FadumpMpipl *fadump_mpipl_new(const FadumpMpiplConfig *cfg) FADUMP_NOEXCEPT;
void fadump_mpipl_free(FadumpMpipl *mp) FADUMP_NOEXCEPT;
/*
 * SBE chip-op STASH_MPIPL_CONFIG (0xD707) from chip `chip`: key 0x03 is the
 * relocated skiboot base. Returns FADUMP_E_REFUSED (with `msg`) for an
 * invalid base; other keys are accepted without effect (FADUMP_OK).
 */
FadumpStatus fadump_mpipl_stash(FadumpMpipl *mp, uint32_t chip, uint64_t key,
                                uint64_t value, char *msg,
                                size_t msg_len) FADUMP_NOEXCEPT;
/*
 * S0 interrupt written to chip `chip`'s SBE control register. FADUMP_OK when
 * the caller must now stop every vCPU and call fadump_mpipl_dump;
 * FADUMP_E_REFUSED (with `msg`) when no base was stashed or an MPIPL is
 * already under way.
 */
FadumpStatus fadump_mpipl_s0(FadumpMpipl *mp, uint32_t chip, char *msg,
                             size_t msg_len) FADUMP_NOEXCEPT;
bool fadump_mpipl_in_progress(const FadumpMpipl *mp) FADUMP_NOEXCEPT;

/*
 * Operators' view: skiboot's base as each chip's SBE keeps it (bit n of
 * stashed set: chip n has one, in stash[n]), whether an MPIPL is under
 * way, and whether its dump ran with the reset still to come (the SBE
 * ignores S0 then). Returns FADUMP_OK, or FADUMP_E_INTERNAL for a NULL argument.
 */
#define FADUMP_MPIPL_MAX_CHIPS 8

typedef struct FadumpMpiplInfo {
    uint32_t chips;
    uint32_t stashed;                          /* bit per chip */
    uint64_t stash[FADUMP_MPIPL_MAX_CHIPS];    /* guest physical addresses */
    bool in_progress;   /* S0 taken, the dump not yet run */
    bool ipl_pending;   /* the dump ran, the reset (the IPL) has not */
} FadumpMpiplInfo;

FadumpStatus fadump_mpipl_info(const FadumpMpipl *mp,
                               FadumpMpiplInfo *out) FADUMP_NOEXCEPT;
/*
 * With every vCPU stopped: preserve MDST ranges into MDDT destinations,
 * write the MDRT and the architected register data of every thread.
 * `reload` lists what the coming reset reloads. Returns FADUMP_OK when the
 * next boot will be an MPIPL boot, FADUMP_E_INCOMPLETE otherwise (`msg` says
 * why).
 */
FadumpStatus fadump_mpipl_dump(FadumpMpipl *mp, const FadumpGuestOps *ops,
                               const FadumpVcpuRegs *threads, size_t n_threads,
                               const FadumpRange *reload, size_t n_reload,
                               FadumpDumpStats *stats, char *msg,
                               size_t msg_len) FADUMP_NOEXCEPT;
/*
 * The zero-copy half of the last MPIPL: the page moves fadump_mpipl_dump
 * decided on and left for the reset (fadump/preserve.hpp). Call at the start
 * of the machine reset, before devices reset and the firmware, kernel and
 * initrd are reloaded. Returns the bytes moved, 0 when none were waiting.
 */
uint64_t fadump_mpipl_finish_moves(FadumpMpipl *mp,
                                   const FadumpGuestOps *ops) FADUMP_NOEXCEPT;
/*
 * Machine reset, after the firmware image was reloaded at fw_load_addr.
 * Returns true when this boot is an MPIPL boot (add mpipl-boot to
 * /ibm,opal/dump); forgets every stash either way.
 */
bool fadump_mpipl_reset(FadumpMpipl *mp, const FadumpGuestOps *ops,
                        uint64_t fw_load_addr) FADUMP_NOEXCEPT;
/*
 * Firmware-owned memory of the last dump (skiboot's ranges and their
 * destinations, register data, MDRT): writes at most `max` ranges and
 * returns how many there are.
 */
size_t fadump_mpipl_firmware_ranges(const FadumpMpipl *mp, FadumpRange *out,
                                    size_t max) FADUMP_NOEXCEPT;
/*
 * Value of /ibm,opal/dump "fw-load-area": (address, size) u64 BE pairs of
 * what the firmware reload overwrites, 16 bytes per range (never
 * FADUMP_ABSENT; an empty list is FADUMP_OK with *len = 0).
 */
FadumpStatus fadump_mpipl_prop_fw_load_area(const FadumpRange *reload,
                                            size_t n_reload, void *buf,
                                            size_t buf_len,
                                            size_t *len) FADUMP_NOEXCEPT;

#ifdef __cplusplus
}
#endif

/* clang-format on */
#endif /* FADUMP_FADUMP_H */
