/*
 * The machine interface behind QMP query-fadump, inject-sbe-s0 and
 * fadump-export: the
 * pseries machine (spapr_fadump_glue.c) and the PowerNV machine
 * (pnv_mpipl_glue.c) implement it, the way machines implement TYPE_NMI for
 * the monitor's nmi, so the QMP code (fadump_qmp.c) dispatches without
 * knowing either platform and a QEMU with only one of them links.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_FADUMP_PLATFORM_H
#define HW_PPC_FADUMP_PLATFORM_H

#include "qom/object.h"
#include "qapi/qapi-types-fadump-target.h"

#define TYPE_FADUMP_PLATFORM "fadump-platform"

typedef struct FadumpPlatformClass FadumpPlatformClass;
DECLARE_CLASS_CHECKERS(FadumpPlatformClass, FADUMP_PLATFORM,
                       TYPE_FADUMP_PLATFORM)

struct FadumpPlatformClass {
    InterfaceClass parent_class;

    /* Fills query-fadump's platform part (all but last-dump). */
    void (*query)(Object *machine, FadumpInfo *info);
    /*
     * QMP inject-sbe-s0: the SBE's S0 interrupt on one chip or all
     * (PowerNV); NULL where the machine has no SBE.
     */
    void (*inject_s0)(Object *machine, bool has_chip, uint32_t chip,
                      Error **errp);
    /*
     * QMP fadump-export: the active dump's vmcore written into `dir` now
     * (in the background); NULL where the machine cannot export yet.
     */
    void (*export_vmcore)(Object *machine, const char *dir, Error **errp);
};

#endif
