/*
 * Pieces the pseries and PowerNV fadump glue share: guest memory access for
 * libfadump and the live register snapshot of a stopped vCPU.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_FADUMP_GLUE_COMMON_H
#define HW_PPC_FADUMP_GLUE_COMMON_H

#include "hw/ppc/fadump_qemu_api.h"
#include "target/ppc/cpu.h"
#include "fadump-engine.h"
#include "fadump-truth.h"
#include "qapi/qapi-types-fadump-target.h"

/*
 * libfadump's view of the machine's RAM: address_space_* for tables, host
 * pointers into each RAM block (a NUMA node's memory backend, a DIMM, the
 * machine's RAM; resolved through system memory's flat view) with dirty
 * marking for bulk copies.
 */
FadumpGuestOps fadump_glue_guest_ops(MachineState *ms);

/*
 * At machine init, for a machine whose dumps move pages (zero-copy): guest
 * RAM is no longer offered to KSM when the host does not run it (moving a
 * mergeable range walks it page by page first). Trace fadump_ksm.
 */
void fadump_glue_ram_leaves_ksm(void);

/*
 * Traces the page moves a reset ran (fadump_*_finish_moves): `bytes`, and
 * the time since `since` (get_clock()). Nothing when there were none.
 */
void fadump_glue_moved(uint64_t bytes, int64_t since);

/*
 * Live architected state of a stopped vCPU (after cpu_synchronize_state):
 * CTR/LR/XER/CR/CFAR/VSCR from where the CPU keeps them, not env->spr[].
 * `logical_id` is the guest OS's number for the CPU.
 */
void fadump_glue_read_regs(PowerPCCPU *cpu, uint32_t logical_id,
                           FadumpVcpuRegs *r);

/*
 * The dump work of either platform: `machine`, and the cpu_index of the
 * vCPU that triggered it (ibm,os-term; S0).
 */
typedef void FadumpDumpFn(void *machine, int caller);

/*
 * Starts a dump from a trigger (ibm,os-term on pseries, S0 on PowerNV),
 * with the BQL held: the calling vCPU, if any, stops as soon as it leaves
 * its instruction or RTAS call (its registers are those after it), and
 * `fn` runs as a bottom half of the main loop, out of the vCPU, where it
 * may stop the rest of the machine and wait for block requests.
 */
void fadump_glue_schedule_dump(FadumpDumpFn *fn, void *machine, int caller);

/*
 * Stops the whole machine for a dump, from the main loop with the BQL held:
 * every vCPU, and every device that could still write guest memory (a
 * running machine is stopped as `stop` does, vm_stop(RUN_STATE_PAUSED):
 * virtio devices and vhost backends stop, in-flight block requests,
 * throttled ones included, complete). From its return until
 * fadump_glue_reboot nothing writes guest memory, so what the dump takes
 * is the memory of one instant. Returns whether the machine was running
 * (live), which fadump_glue_reboot needs.
 */
bool fadump_glue_stop_machine(void);

/*
 * The register snapshot of every (stopped) vCPU (g_free it), with its
 * count in *n. `logical_id` gives the guest's number for a vCPU.
 */
FadumpVcpuRegs *fadump_glue_snapshot(uint32_t (*logical_id)(PowerPCCPU *),
                                     size_t *n);

/*
 * The memory-preserving reboot after a dump taken under
 * fadump_glue_stop_machine (`restarted`: its result). Every translated
 * block is dropped before any vCPU runs again (preserved memory was written
 * through host pointers). A machine that was running is reset at once,
 * still stopped, and started again, so no device runs between the dump and
 * the reset; under -action reboot=shutdown, or when the machine was not
 * running, the reset is requested and QEMU's policy decides.
 */
void fadump_glue_reboot(bool restart);

/*
 * Finishes the ground truth `gt` (fadump_ground_truth_finish: the dump's
 * statistics, and for pseries `fd`'s fdm) and writes its CBOR document to
 * `path`, reporting a failure. Consumes `gt`.
 */
void fadump_glue_write_ground_truth(const char *path, FadumpGroundTruth *gt,
                                    const FadumpSpapr *fd,
                                    const FadumpDumpStats *stats);

/*
 * Sets property `name` of FDT node `node` from the outcome `rc` of a
 * libfadump property getter that filled `buf` with `len` bytes: the value
 * on FADUMP_OK, nothing on FADUMP_ABSENT. A failed getter
 * (buffer too small, internal error) sets nothing and reports an error:
 * a truncated or unwritten value never reaches the guest.
 */
void fadump_glue_setprop(void *fdt, int node, const char *name,
                         FadumpStatus rc, const void *buf, size_t len);

/*
 * A dump starts (every vCPU about to stop): FADUMP_DUMP_STARTED, and the
 * machine's last dump is forgotten until it completes.
 */
void fadump_glue_dump_started(const char *platform, const char *trigger);
/*
 * The dump is taken: remembered as the machine's last dump and sent as
 * FADUMP_DUMP_COMPLETED.
 */
void fadump_glue_dump_completed(const FadumpDumpStats *stats);
/* The last dump, copied for query-fadump's last-dump (NULL when none). */
FadumpDump *fadump_glue_last_dump(void);

#endif
