/*
 * The platform's own vmcore of a dump, written on the host off the guest's
 * path (libfadump's fadump-export.h): machine property "fadump-export=DIR",
 * events FADUMP_EXPORT_STARTED/COMPLETED, query-fadump's last-export.
 *
 * One export at a time per QEMU (one machine per process): the write runs in
 * a thread of its own from host memory; the platform keeps the dump's memory
 * unchanged until it ends (pseries: INVALIDATE answers busy meanwhile).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_FADUMP_EXPORT_GLUE_H
#define HW_PPC_FADUMP_EXPORT_GLUE_H

#include "hw/ppc/fadump_qemu_api.h"
#include "qapi/error.h"
#include "fadump-export.h"
#include "qapi/qapi-types-fadump-target.h"

/* Adds the machine class property "fadump-export" (a directory). */
void fadump_export_class_init(ObjectClass *oc);
/* The directory the property names, NULL when exports are off. */
const char *fadump_export_dir(void);
/*
 * Starts writing `vc` (taken over) as dir/name in a thread;
 * FADUMP_EXPORT_STARTED now, FADUMP_EXPORT_COMPLETED from the main loop
 * when it ends. While a write runs, one more file waits and starts when it
 * ends (PowerNV: the OPAL core after the vmcore). False (errp set, the
 * failure reported as an event) when a file already waits or the
 * directory cannot be opened.
 */
bool fadump_export_start(const char *dir, const char *name, FadumpVmcore *vc,
                         const FadumpVmcoreSummary *s, Error **errp);
/*
 * A plan's outcome: on FADUMP_OK starts it (fadump_export_start); else logs
 * `msg` as a guest error, sets errp and reports the refusal. False when
 * refused or not started.
 */
bool fadump_export_planned(const char *dir, const char *name,
                           FadumpStatus rc, FadumpVmcore *vc,
                           const FadumpVmcoreSummary *s, const char *msg,
                           Error **errp);
/* A plan that was refused: FADUMP_EXPORT_COMPLETED "failed" with `why`. */
void fadump_export_refused(const char *dir, const char *name,
                           const char *why);
/* True while a write runs (the platform must keep the dump's memory). */
bool fadump_export_running(void);
/* Waits for a write under way to end (a reset that would change memory). */
void fadump_export_wait(void);
/*
 * The guest's memory with its NUMA nodes: each node's RAM in order from 0
 * ([0, ram_size) without NUMA), then each plugged DIMM; at most `max`
 * ranges (the library merges them as the kernel's memblock does).
 */
size_t fadump_export_ram_ranges(MachineState *ms, FadumpNodeRange *out,
                                size_t max);
/*
 * The platform's check that the dump is still preserved (PowerNV: the
 * capture kernel releases it through OPAL, which the platform does not
 * see): a file whose write ends without it is removed and reported failed.
 */
void fadump_export_set_preserved_check(bool (*preserved)(void));
/* The last export, copied for query-fadump (NULL when none). */
FadumpExport *fadump_export_last(void);

#endif
