/*
 * PowerNV memory-preserving IPL (MPIPL): QEMU glue around libfadump.
 *
 * The SBE model forwards the stash chip-op and S0/S1 here; the platform
 * logic (table validation, preservation, MDRT, register data) lives in
 * libfadump.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_PNV_MPIPL_GLUE_H
#define HW_PPC_PNV_MPIPL_GLUE_H

#include "hw/ppc/pnv.h"
#include "hw/ppc/pnv_sbe.h"
#include "hw/ppc/fadump_platform.h"

/*
 * Machine class properties "mpipl", "x-fadump-zero-copy" and
 * "x-fadump-ground-truth", and the machine's fadump-platform interface
 * (query-fadump, inject-sbe-s0); the machine type lists
 * TYPE_FADUMP_PLATFORM.
 */
void pnv_mpipl_class_init(ObjectClass *oc);
/* After firmware, kernel and initrd are loaded: creates the engine. */
void pnv_mpipl_machine_init(PnvMachineState *pnv, long fw_size);
/* Adds /ibm,opal/dump (compatible, fw-load-area) to the platform FDT. */
void pnv_mpipl_dt(PnvMachineState *pnv, void *fdt);
/*
 * Before qemu_devices_reset(): the page moves the last MPIPL left for the
 * reset (zero-copy preservation), before the firmware, kernel and initrd
 * are reloaded over the sources. Devices have not been reset yet: the
 * glue first completes what their reset would read from guest memory
 * (fadump_glue_common.c, before_moves).
 */
void pnv_mpipl_pre_reset(PnvMachineState *pnv);
/*
 * After qemu_devices_reset(): resets the SBEs (QEMU 10.0's model has no
 * reset) and prepares the firmware for an MPIPL boot when one is due.
 * @fdt is the tree QEMU made for this boot, or MachineState.fdt as the
 * previous reset left it (QEMU 10.0 builds its tree once); the glue owns
 * it from here on (the caller never frees MachineState.fdt). On return
 * MachineState.fdt is this boot's tree, what the caller loads and what
 * dumpdtb and "info fdt" show: @fdt, or a copy carrying
 * /ibm,opal/dump/mpipl-boot.
 */
void pnv_mpipl_reset(PnvMachineState *pnv, void *fdt);
/* SBE chip-op STASH_MPIPL_CONFIG; fills the response registers. */
void pnv_mpipl_sbe_stash(PnvSBE *sbe, uint64_t reg0, uint64_t key,
                         uint64_t value);
/* Write to the SBE control register (S0 / S1 interrupts). */
void pnv_mpipl_sbe_ctrl_write(PnvSBE *sbe, uint64_t val);

#endif
