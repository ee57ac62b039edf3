/*
 * Operators' view of firmware-assisted dump (pseries) and MPIPL (PowerNV):
 * QMP query-fadump, inject-sbe-s0 and HMP info fadump, dispatched to the
 * machine through the fadump-platform interface (fadump_platform.h); the
 * last dump and the FADUMP_* events are fadump_glue_common.c's, the state
 * itself libfadump's.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-fadump-target.h"
#include "qobject/qdict.h"
#include "monitor/monitor.h"
#include "hw/ppc/fadump_qemu_api.h"
#include FADUMP_QEMU_HMP_HEADER
#include "hw/ppc/fadump_platform.h"
#include "hw/ppc/fadump_glue_common.h"
#include "hw/ppc/fadump_export_glue.h"

static const TypeInfo fadump_platform_info = {
    .name = TYPE_FADUMP_PLATFORM,
    .parent = TYPE_INTERFACE,
    .class_size = sizeof(FadumpPlatformClass),
};

static void fadump_platform_register_types(void)
{
    type_register_static(&fadump_platform_info);
}

type_init(fadump_platform_register_types)

static FadumpPlatformClass *fadump_platform_of(Object *m)
{
    if (!object_dynamic_cast(m, TYPE_FADUMP_PLATFORM)) {
        return NULL;
    }
    return FADUMP_PLATFORM_GET_CLASS(m);
}

FadumpInfo *qmp_query_fadump(Error **errp)
{
    Object *m = qdev_get_machine();
    FadumpPlatformClass *fpc = fadump_platform_of(m);
    FadumpInfo *info;

    if (!fpc) {
        error_setg(errp, "firmware-assisted dump needs a pseries or PowerNV "
                   "machine");
        return NULL;
    }
    info = g_new0(FadumpInfo, 1);
    fpc->query(m, info);
    info->last_dump = fadump_glue_last_dump();
    info->last_export = fadump_export_last();
    return info;
}

void qmp_inject_sbe_s0(bool has_chip, uint32_t chip, Error **errp)
{
    Object *m = qdev_get_machine();
    FadumpPlatformClass *fpc = fadump_platform_of(m);

    if (!fpc || !fpc->inject_s0) {
        error_setg(errp, "the SBE's S0 interrupt needs a PowerNV machine");
        return;
    }
    fpc->inject_s0(m, has_chip, chip, errp);
}

void qmp_fadump_export(const char *dir, Error **errp)
{
    Object *m = qdev_get_machine();
    FadumpPlatformClass *fpc = fadump_platform_of(m);

    if (!fpc || !fpc->export_vmcore) {
        error_setg(errp, "exporting a dump needs a pseries or PowerNV "
                   "machine");
        return;
    }
    fpc->export_vmcore(m, dir, errp);
}

void hmp_info_fadump(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    FadumpInfo *info = qmp_query_fadump(&err);
    FadumpSectionList *s;
    FadumpStashList *st;

    if (!info) {
        monitor_printf(mon, "%s\n", error_get_pretty(err));
        error_free(err);
        return;
    }
    monitor_printf(mon, "%s: %s\n", info->platform,
                   info->enabled ? "enabled" : "disabled");
    if (info->has_state) {
        monitor_printf(mon, "state: %s\n", FadumpState_str(info->state));
    }
    if (info->has_rma_size) {
        monitor_printf(mon, "RMA: 0x%" PRIx64 " bytes\n", info->rma_size);
    }
    if (info->has_fdm_address) {
        monitor_printf(mon, "fdm: 0x%" PRIx64 ", status flags 0x%04x\n",
                       info->fdm_address, info->status_flags);
    }
    for (s = info->sections; s; s = s->next) {
        monitor_printf(mon, "  section type 0x%04x: 0x%" PRIx64 " +0x%" PRIx64
                       " -> 0x%" PRIx64 ", dumped 0x%" PRIx64
                       ", errors 0x%04x\n", s->value->type, s->value->source,
                       s->value->length, s->value->destination,
                       s->value->bytes_dumped, s->value->error_flags);
    }
    for (st = info->stash; st; st = st->next) {
        monitor_printf(mon, "  chip %u: stashed base 0x%" PRIx64 "\n",
                       st->value->chip, st->value->base);
    }
    if (info->has_mpipl_boot) {
        monitor_printf(mon, "this boot: %s; MPIPL in progress: %s%s\n",
                       info->mpipl_boot ? "MPIPL boot" : "normal boot",
                       info->mpipl_in_progress ? "yes" : "no",
                       info->mpipl_ipl_pending ?
                       "; dumped, its IPL (reset) pending" : "");
    }
    if (info->last_dump) {
        FadumpDump *d = info->last_dump;

        monitor_printf(mon, "last dump (%s): %" PRIu64 " bytes in %" PRIu64
                       " ns, %u preserved, %u failed, %u CPUs, %s\n",
                       d->trigger, d->bytes, d->duration_ns, d->ok, d->failed,
                       d->cpus, d->preserving_boot ?
                       "kept for the next boot" : "not kept");
    }
    if (info->last_export) {
        FadumpExport *e = info->last_export;

        monitor_printf(mon, "last export: %s %s, %" PRIu64 " bytes (%" PRIu64
                       " written) in %" PRIu64 " ns, %u CPUs%s%s\n",
                       e->path, e->state, e->file_bytes, e->data_bytes,
                       e->duration_ns, e->cpus, e->reason ? ": " : "",
                       e->reason ? e->reason : "");
    }
    qapi_free_FadumpInfo(info);
}
