/*
 * Operators' view of firmware-assisted dump (pseries) and MPIPL (PowerNV):
 * QMP query-fadump, HMP info fadump and the FADUMP_* events. The platform
 * glue fills the machine's part; the state itself lives in libfadump.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-fadump-target.h"
#include "qapi/qapi-events-fadump-target.h"
#include "qobject/qdict.h"
#include "monitor/monitor.h"
#include "hw/ppc/fadump_qemu_api.h"
#include FADUMP_QEMU_HMP_HEADER
#include "hw/ppc/spapr.h"
#include "hw/ppc/pnv.h"
#include "hw/ppc/spapr_fadump_glue.h"
#include "hw/ppc/pnv_mpipl_glue.h"
#include "hw/ppc/fadump_qmp.h"

static struct {
    bool valid;
    FadumpDump dump;
    char platform[16];
    char trigger[16];
} fadump_last;

void fadump_qmp_dump_started(const char *platform, const char *trigger)
{
    fadump_last.valid = false;
    pstrcpy(fadump_last.platform, sizeof(fadump_last.platform), platform);
    pstrcpy(fadump_last.trigger, sizeof(fadump_last.trigger), trigger);
    fadump_last.dump.time = time(NULL);
    qapi_event_send_fadump_dump_started(platform, trigger);
}

void fadump_qmp_dump_completed(const FadumpDumpStats *stats)
{
    FadumpDump *d = &fadump_last.dump;

    d->platform = fadump_last.platform;
    d->trigger = fadump_last.trigger;
    d->bytes = stats->bytes_preserved;
    d->duration_ns = stats->preserve_ns;
    d->ok = stats->sections_ok;
    d->failed = stats->sections_failed;
    d->cpus = stats->cpus_saved;
    d->preserving_boot = stats->preserving_boot != 0;
    fadump_last.valid = true;
    qapi_event_send_fadump_dump_completed(d);
}

FadumpDump *fadump_qmp_last_dump(void)
{
    FadumpDump *d;

    if (!fadump_last.valid) {
        return NULL;
    }
    d = g_memdup2(&fadump_last.dump, sizeof(*d));
    d->platform = g_strdup(fadump_last.platform);
    d->trigger = g_strdup(fadump_last.trigger);
    return d;
}

FadumpInfo *qmp_query_fadump(Error **errp)
{
    Object *m = qdev_get_machine();
    FadumpInfo *info = g_new0(FadumpInfo, 1);

    if (object_dynamic_cast(m, TYPE_SPAPR_MACHINE)) {
        spapr_fadump_query(SPAPR_MACHINE(m), info);
    } else if (object_dynamic_cast(m, TYPE_PNV_MACHINE)) {
        pnv_mpipl_query(PNV_MACHINE(m), info);
    } else {
        qapi_free_FadumpInfo(info);
        error_setg(errp, "firmware-assisted dump needs a pseries or PowerNV "
                   "machine");
        return NULL;
    }
    info->last_dump = fadump_qmp_last_dump();
    return info;
}

void qmp_inject_sbe_s0(bool has_chip, uint32_t chip, Error **errp)
{
    Object *m = qdev_get_machine();

    if (!object_dynamic_cast(m, TYPE_PNV_MACHINE)) {
        error_setg(errp, "the SBE's S0 interrupt needs a PowerNV machine");
        return;
    }
    pnv_mpipl_inject_s0(PNV_MACHINE(m), has_chip, chip, errp);
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
    qapi_free_FadumpInfo(info);
}
