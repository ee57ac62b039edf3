/*
 * The platform's own vmcore of a dump, written on the host off the guest's
 * path (see fadump_export_glue.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/ppc/fadump_qemu_api.h"
#include "qemu/thread.h"
#include "qemu/main-loop.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "qapi/qapi-events-fadump-target.h"
#include "qom/object.h"
#include "system/system.h"
#include "system/numa.h"
#include "hw/mem/memory-device.h"
#include "qapi/qapi-types-machine.h"
#include "hw/ppc/fadump_export_glue.h"
#include "trace.h"

/* A file waiting for the one being written (PowerNV: the OPAL core). */
typedef struct FadumpExportNext {
    char *dir;
    char *name;
    FadumpVmcore *vc;
    FadumpVmcoreSummary summary;
} FadumpExportNext;

/* The machine's export (one machine per QEMU process). */
static struct {
    char *dir;              /* the property; NULL: off */
    QemuThread thread;
    bool running;           /* main thread's view: a write is under way */
    int cancel;             /* set atomically: stop the write */
    int dirfd;
    char *name;             /* the file being written */
    FadumpVmcore *vc;
    FadumpExportNext next;  /* vc NULL: none */
    /* written by the thread, read by the main loop after the join */
    FadumpStatus rc;
    FadumpVmcoreStats stats;
    char msg[512];
    /* query-fadump's last-export */
    FadumpExport last;
    bool have_last;
    unsigned seq;           /* which write the main loop's BH belongs to */
    Notifier exit;
    bool exit_added;
    bool (*preserved)(void);  /* the platform's: the dump still preserved */
} fadump_export;

void fadump_export_set_preserved_check(bool (*preserved)(void))
{
    fadump_export.preserved = preserved;
}

const char *fadump_export_dir(void)
{
    return fadump_export.dir;
}

bool fadump_export_running(void)
{
    return fadump_export.running;
}

static void fadump_export_set_last(const char *dir, const char *name,
                                   const char *state, const char *reason,
                                   const FadumpVmcoreSummary *s)
{
    FadumpExport *e = &fadump_export.last;

    g_free(e->path);
    g_free(e->state);
    g_free(e->reason);
    memset(e, 0, sizeof(*e));
    e->path = g_build_filename(dir, name, NULL);
    e->state = g_strdup(state);
    e->reason = g_strdup(reason);
    e->file_bytes = s ? s->file_bytes : 0;
    e->cpus = s ? s->cpus : 0;
    fadump_export.have_last = true;
}

FadumpExport *fadump_export_last(void)
{
    FadumpExport *e;

    if (!fadump_export.have_last) {
        return NULL;
    }
    e = g_memdup2(&fadump_export.last, sizeof(*e));
    e->path = g_strdup(fadump_export.last.path);
    e->state = g_strdup(fadump_export.last.state);
    e->reason = g_strdup(fadump_export.last.reason);
    return e;
}

void fadump_export_refused(const char *dir, const char *name,
                           const char *why)
{
    fadump_export_set_last(dir, name, "failed", why, NULL);
    trace_fadump_export_done(false, fadump_export.last.path, 0, 0, 0, why);
    qapi_event_send_fadump_export_completed(&fadump_export.last);
}

/* Once the thread finished: join, report, release. */
static void fadump_export_join(void)
{
    FadumpExport *e = &fadump_export.last;
    bool ok;

    qemu_thread_join(&fadump_export.thread);
    ok = fadump_export.rc == FADUMP_OK;
    if (ok && fadump_export.preserved && !fadump_export.preserved()) {
        /* Released while written: what the file holds may not be the dump. */
        unlinkat(fadump_export.dirfd, fadump_export.name, 0);
        snprintf(fadump_export.msg, sizeof(fadump_export.msg),
                 "the guest released the dump's memory while it was "
                 "written; the file was removed");
        ok = false;
    }
    fadump_export.running = false;
    fadump_vmcore_free(fadump_export.vc);
    fadump_export.vc = NULL;
    close(fadump_export.dirfd);
    g_free(e->state);
    e->state = g_strdup(ok ? "done" : "failed");
    e->reason = ok ? NULL : g_strdup(fadump_export.msg);
    e->data_bytes = fadump_export.stats.data_bytes;
    e->duration_ns = fadump_export.stats.ns;
    trace_fadump_export_done(ok, e->path, e->file_bytes, e->data_bytes,
                             e->duration_ns, ok ? "" : fadump_export.msg);
    qapi_event_send_fadump_export_completed(e);
    g_clear_pointer(&fadump_export.name, g_free);
    if (fadump_export.next.vc) {
        FadumpExportNext next = fadump_export.next;

        memset(&fadump_export.next, 0, sizeof(fadump_export.next));
        fadump_export_start(next.dir, next.name, next.vc, &next.summary,
                            NULL);
        g_free(next.dir);
        g_free(next.name);
    }
}

/* The main loop's side: the write `opaque` ended, unless already joined. */
static void fadump_export_finished(void *opaque)
{
    if (fadump_export.running &&
        fadump_export.seq == (unsigned)(uintptr_t)opaque) {
        fadump_export_join();
    }
}

void fadump_export_wait(void)
{
    /* Each join may start the file waiting behind it. */
    while (fadump_export.running) {
        fadump_export_join();
    }
}

size_t fadump_export_ram_ranges(MachineState *ms, FadumpNodeRange *out,
                                size_t max)
{
    g_autoptr(MemoryDeviceInfoList) devices = qmp_memory_device_list();
    MemoryDeviceInfoList *d;
    uint64_t addr = 0;
    size_t n = 0;
    int i;

    if (!ms->numa_state || ms->numa_state->num_nodes == 0) {
        out[n++] = (FadumpNodeRange){ .addr = 0, .size = ms->ram_size };
    }
    for (i = 0; ms->numa_state && i < ms->numa_state->num_nodes && n < max;
         i++) {
        uint64_t size = ms->numa_state->nodes[i].node_mem;

        if (size) {
            out[n++] = (FadumpNodeRange){ .addr = addr, .size = size,
                                          .node = i };
        }
        addr += size;
    }
    /* Plugged DIMMs: the capture kernel's memblock holds them too. */
    for (d = devices; d && n < max; d = d->next) {
        if (d->value->type == MEMORY_DEVICE_INFO_KIND_DIMM) {
            PCDIMMDeviceInfo *dimm = d->value->u.dimm.data;

            out[n++] = (FadumpNodeRange){ .addr = dimm->addr,
                                          .size = dimm->size,
                                          .node = dimm->node };
        }
    }
    return n;
}

static void *fadump_export_thread(void *opaque)
{
    fadump_export.rc = fadump_vmcore_write(fadump_export.vc,
                                           fadump_export.dirfd,
                                           fadump_export.name,
                                           &fadump_export.cancel,
                                           &fadump_export.stats,
                                           fadump_export.msg,
                                           sizeof(fadump_export.msg));
    aio_bh_schedule_oneshot(qemu_get_aio_context(), fadump_export_finished,
                            opaque);
    return NULL;
}

/* QEMU quits: stop a write under way (its unnamed file goes with it). */
static void fadump_export_at_exit(Notifier *n, void *data)
{
    if (fadump_export.running) {
        qatomic_set(&fadump_export.cancel, 1);
        qemu_thread_join(&fadump_export.thread);
        fadump_export.running = false;
    }
    g_clear_pointer(&fadump_export.next.vc, fadump_vmcore_free);
    g_clear_pointer(&fadump_export.next.dir, g_free);
    g_clear_pointer(&fadump_export.next.name, g_free);
}

bool fadump_export_start(const char *dir, const char *name, FadumpVmcore *vc,
                         const FadumpVmcoreSummary *s, Error **errp)
{
    if (fadump_export.running && !fadump_export.next.vc) {
        fadump_export.next = (FadumpExportNext){ .dir = g_strdup(dir),
                                                 .name = g_strdup(name),
                                                 .vc = vc, .summary = *s };
        return true;
    }
    if (fadump_export.running) {
        fadump_vmcore_free(vc);
        error_setg(errp, "an export of the dump is still being written");
        fadump_export_refused(dir, name, "an export of the dump is still "
                              "being written");
        return false;
    }
    fadump_export.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fadump_export.dirfd < 0) {
        g_autofree char *why = g_strdup_printf("cannot open %s: %s", dir,
                                               strerror(errno));
        fadump_vmcore_free(vc);
        error_setg(errp, "%s", why);
        fadump_export_refused(dir, name, why);
        return false;
    }
    if (!fadump_export.exit_added) {
        fadump_export.exit.notify = fadump_export_at_exit;
        qemu_add_exit_notifier(&fadump_export.exit);
        fadump_export.exit_added = true;
    }
    fadump_export_set_last(dir, name, "writing", NULL, s);
    fadump_export.name = g_strdup(name);
    fadump_export.vc = vc;
    fadump_export.cancel = 0;
    fadump_export.msg[0] = '\0';
    fadump_export.running = true;
    fadump_export.seq++;
    trace_fadump_export_start(fadump_export.last.path, s->file_bytes,
                              s->memory_bytes, s->cpus, s->loads);
    qapi_event_send_fadump_export_started(&fadump_export.last);
    qemu_thread_create(&fadump_export.thread, "fadump-export",
                       fadump_export_thread,
                       (void *)(uintptr_t)fadump_export.seq,
                       QEMU_THREAD_JOINABLE);
    return true;
}

bool fadump_export_planned(const char *dir, const char *name,
                           FadumpStatus rc, FadumpVmcore *vc,
                           const FadumpVmcoreSummary *s, const char *msg,
                           Error **errp)
{
    if (rc != FADUMP_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "fadump: no %s export: %s\n", name,
                      msg);
        error_setg(errp, "no %s export: %s", name, msg);
        fadump_export_refused(dir, name, msg);
        return false;
    }
    return fadump_export_start(dir, name, vc, s, errp);
}

static char *fadump_export_get_dir(Object *obj, Error **errp)
{
    return g_strdup(fadump_export.dir);
}

static void fadump_export_set_dir(Object *obj, const char *value,
                                  Error **errp)
{
    g_free(fadump_export.dir);
    fadump_export.dir = value && *value ? g_strdup(value) : NULL;
}

void fadump_export_class_init(ObjectClass *oc)
{
    object_class_property_add_str(oc, "fadump-export", fadump_export_get_dir,
                                  fadump_export_set_dir);
    object_class_property_set_description(oc, "fadump-export",
        "Directory receiving each dump's vmcore, written on the host as "
        "the capture kernel would export it (DIR/vmcore; on PowerNV also "
        "skiboot's OPAL core, DIR/opalcore)");
}
