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

/*
 * libfadump's view of the machine's RAM: address_space_* for tables, host
 * pointers into each RAM block (a NUMA node's memory backend, a DIMM, the
 * machine's RAM; resolved through system memory's flat view) with dirty
 * marking for bulk copies.
 */
FadumpGuestOps fadump_glue_guest_ops(MachineState *ms);

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
 * Stops every vCPU and returns the register snapshot of each (g_free it),
 * with its count in *n. `logical_id` gives the guest's number for a vCPU.
 * Call with the BQL held, from a vCPU outside its execution loop or from
 * the main loop.
 */
FadumpVcpuRegs *fadump_glue_stop_and_snapshot(uint32_t (*logical_id)(PowerPCCPU *),
                                              size_t *n);

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

#endif
