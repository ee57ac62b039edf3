/*
 * pseries firmware-assisted dump: QEMU glue around libfadump.
 *
 * The platform logic (fdm validation, register save area, preservation,
 * /rtas property values) lives in libfadump; this glue only moves data
 * between QEMU and the library.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_SPAPR_FADUMP_GLUE_H
#define HW_PPC_SPAPR_FADUMP_GLUE_H

#include "hw/ppc/spapr.h"
#include "hw/ppc/fadump_platform.h"
#include "migration/vmstate.h"

/*
 * Machine class properties "fadump", "x-fadump-zero-copy" and
 * "x-fadump-ground-truth", and the machine's fadump-platform interface
 * (query-fadump); the machine type lists TYPE_FADUMP_PLATFORM.
 */
void spapr_fadump_class_init(ObjectClass *oc);
/* Instance defaults (fadump on). */
void spapr_fadump_instance_init(SpaprMachineState *spapr);
/* Creates the engine once RAM, RMA size and the CPU topology are known. */
void spapr_fadump_machine_init(SpaprMachineState *spapr);
/*
 * Machine reset, before the device tree is built: keeps an active dump,
 * drops a registration otherwise, and on a dump-active boot lowers the RMA
 * the firmware and its loaders see so nothing lands on preserved memory.
 */
void spapr_fadump_machine_reset(SpaprMachineState *spapr);
/* /rtas properties; call after spapr_dt_rtas_tokens(). */
void spapr_fadump_dt_rtas(SpaprMachineState *spapr, void *fdt, int rtas);
/*
 * ibm,os-term: returns true when fadump handled the call (dump performed,
 * reboot requested, or busy) and stored the RTAS status in rets.
 */
bool spapr_fadump_os_term(PowerPCCPU *cpu, SpaprMachineState *spapr,
                          uint32_t nret, target_ulong rets);

/* Subsection "spapr/fadump" of the spapr machine's vmstate. */
extern const VMStateDescription vmstate_spapr_fadump;
/* From spapr_pre_load(): forgets state a loaded snapshot does not carry. */
void spapr_fadump_pre_load(SpaprMachineState *spapr);

#endif
