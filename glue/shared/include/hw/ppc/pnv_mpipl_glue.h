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
#include "qapi/qapi-types-fadump-target.h"

/*
 * Machine class properties "mpipl", "x-fadump-zero-copy" and
 * "x-fadump-ground-truth".
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
/*
 * QMP inject-sbe-s0: S0 on chip `chip`'s SBE (default: the last chip), as a
 * BMC raises it; the MPIPL work runs on the first vCPU. Errors when
 * MPIPL is off, the chip does not exist, no SBE holds skiboot's base or an
 * MPIPL is under way.
 */
void pnv_mpipl_inject_s0(PnvMachineState *pnv, bool has_chip, uint32_t chip,
                         Error **errp);
/* QMP query-fadump's PowerNV part (fadump_qmp.c). */
void pnv_mpipl_query(PnvMachineState *pnv, FadumpInfo *info);
/* SBE chip-op STASH_MPIPL_CONFIG; fills the response registers. */
void pnv_mpipl_sbe_stash(PnvSBE *sbe, uint64_t reg0, uint64_t key,
                         uint64_t value);
/* Write to the SBE control register (S0 / S1 interrupts). */
void pnv_mpipl_sbe_ctrl_write(PnvSBE *sbe, uint64_t val);

#endif
