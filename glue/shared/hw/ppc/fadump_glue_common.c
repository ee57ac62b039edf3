/*
 * Pieces the pseries and PowerNV fadump glue share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/ppc/fadump_qemu_api.h"
#include "system/hw_accel.h"
#include "system/cpus.h"
#include "system/runstate.h"
#include "system/runstate-action.h"
#include "system/tcg.h"
#include "qom/object.h"
#include "qemu/error-report.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "qemu/cutils.h"
#include "qemu/madvise.h"
#include "qapi/qapi-events-fadump-target.h"
#include "hw/ppc/fdt.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-bus.h"
#include "block/block-global-state.h"
#include "migration/misc.h"
#include "hw/ppc/fadump_glue_common.h"
#include "trace.h"
#include <libfdt.h>

static bool fadump_read(void *opaque, uint64_t gpa, void *buf, uint64_t len)
{
    return address_space_read(&address_space_memory, gpa,
                              MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

static bool fadump_write(void *opaque, uint64_t gpa, const void *buf,
                         uint64_t len)
{
    return address_space_write(&address_space_memory, gpa,
                               MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

/*
 * Guest RAM one RAM block at a time. With -m alone a machine's RAM is one
 * block, but with -numa memdev= it is one memory backend per node and
 * machine->ram a container with no block of its own; DIMMs are blocks of
 * their own. Every range is therefore resolved through QEMU's flat view of
 * system memory (memory_region_find: the region backing gpa, aliases and
 * containers resolved, clipped to the range), which is what the guest's
 * own accesses see; a RAMBlock walk would miss a region mapped twice or
 * not at all. Usable for host pointers: RAM the guest can write that is not
 * a RAM device (a VFIO BAR), not ROM, not a ROM device.
 */
static bool fadump_ram_section(const MemoryRegionSection *s)
{
    return s->mr && memory_region_is_ram(s->mr) && s->mr->ram_block &&
           !memory_region_is_ram_device(s->mr) &&
           !memory_region_is_romd(s->mr) && !s->readonly;
}

/*
 * The first section of system memory in [gpa, gpa + len) (its region is
 * referenced: memory_region_unref it), or one with mr == NULL when none.
 */
static MemoryRegionSection fadump_find(uint64_t gpa, uint64_t len)
{
    MemoryRegionSection none = { 0 };

    if (len == 0) {
        return none;
    }
    return memory_region_find(get_system_memory(), gpa, len);
}

static void *fadump_host_span(void *opaque, uint64_t gpa, uint64_t max_len,
                              uint64_t *span)
{
    MemoryRegionSection s = fadump_find(gpa, max_len);
    void *p = NULL;

    *span = 0;
    if (!s.mr) {
        return NULL;
    }
    if (s.offset_within_address_space == gpa && fadump_ram_section(&s)) {
        p = (uint8_t *)memory_region_get_ram_ptr(s.mr) + s.offset_within_region;
        *span = int128_get64(s.size);
    }
    memory_region_unref(s.mr);
    return p;
}

/* Per RAM block; what is not RAM was written through address_space_write. */
static void fadump_mark_dirty(void *opaque, uint64_t gpa, uint64_t len)
{
    uint64_t end = gpa + len;

    while (gpa < end) {
        MemoryRegionSection s = fadump_find(gpa, end - gpa);
        uint64_t n;

        if (!s.mr) {
            return;
        }
        n = int128_get64(s.size);
        if (fadump_ram_section(&s)) {
            memory_region_set_dirty(s.mr, s.offset_within_region, n);
        }
        gpa = s.offset_within_address_space + n;
        memory_region_unref(s.mr);
        if (n == 0) {
            return;
        }
    }
}

static int fadump_find_vhost(Object *obj, void *opaque)
{
    VirtIODevice *vdev = (VirtIODevice *)object_dynamic_cast(obj,
                                                           TYPE_VIRTIO_DEVICE);

    return vdev && vdev->vhost_started;
}

/* Whether any virtio device runs its rings in a vhost backend now. */
static bool fadump_vhost_started(void)
{
    return object_child_foreach_recursive(object_get_root(),
                                          fadump_find_vhost, NULL) != 0;
}

/*
 * Whether libfadump may move the pages of [gpa, gpa + len), one RAM block's
 * piece, with mremap instead of copying them (zero-copy preservation): only
 * private anonymous RAM on the host's base pages, with no page pinned for a
 * device's DMA, under TCG, with no migration, background snapshot, incoming
 * postcopy or vhost backend that tracks guest RAM by its own means. Asked
 * at the dump and again when the moves run at the reset (DeferredMoves::run).
 * Decided per block: NUMA nodes may have different backends.
 */
static uint64_t fadump_movable_page_size(void *opaque, uint64_t gpa,
                                         uint64_t len, const char **why)
{
    MachineState *ms = opaque;
    MemoryRegionSection s;
    uint64_t page = 0;

    if (!object_property_get_bool(OBJECT(ms), "x-fadump-zero-copy", NULL)) {
        *why = "x-fadump-zero-copy=off";
        return 0;
    }
    if (!tcg_enabled()) {
        *why = "not TCG: pages are not moved under an accelerator's "
               "memory slots";
        return 0;
    }
    if (ram_block_discard_is_disabled()) {
        *why = "guest RAM is pinned for a device's DMA (e.g. VFIO): its "
               "pages stay put";
        return 0;
    }
    if (migration_is_running()) {
        *why = "a migration or background snapshot is running: its dirty "
               "tracking and write-protect faults do not follow moved pages";
        return 0;
    }
    if (migration_incoming_postcopy_advised()) {
        *why = "an incoming postcopy migration registered guest RAM with "
               "userfaultfd, which a page move drops";
        return 0;
    }
    if (fadump_vhost_started()) {
        *why = "a vhost device is running: its kernel or user-space backend "
               "maps guest RAM itself";
        return 0;
    }
    s = fadump_find(gpa, len);
    if (!s.mr || s.offset_within_address_space != gpa ||
        int128_get64(s.size) != len || !fadump_ram_section(&s)) {
        *why = "the range is not inside one RAM block";
    } else if (s.mr->ram_block->receivedmap) {
        /*
         * An incoming migration still holds the block: postcopy's
         * userfaultfd registration lasts until the migration is cleaned up,
         * which QEMU 11 does in a bottom half after postcopy ended.
         */
        *why = "an incoming migration still holds its RAM block (postcopy's "
               "userfaultfd registration lasts until its cleanup)";
    } else if (qemu_ram_pagesize(s.mr->ram_block) !=
               qemu_real_host_page_size()) {
        *why = "its RAM block is on huge pages";
    } else if (qemu_ram_is_shared(s.mr->ram_block) ||
               memory_region_get_fd(s.mr) >= 0) {
        *why = "its RAM block is shared or file-backed (memfd, file, "
               "-mem-path)";
    } else {
        page = qemu_real_host_page_size();
    }
    if (s.mr) {
        memory_region_unref(s.mr);
    }
    return page;
}

static void fadump_note_preserve(void *opaque, uint64_t src, uint64_t dst,
                                 uint64_t len, const char *how,
                                 const char *why)
{
    trace_fadump_preserve(src, dst, len, how, why ? why : "");
}

static int fadump_stop_virtio_ioeventfd(Object *obj, void *opaque)
{
    Object *vdev = object_dynamic_cast(obj, TYPE_VIRTIO_DEVICE);
    BusState *bus = vdev ? qdev_get_parent_bus(DEVICE(vdev)) : NULL;

    if (bus && object_dynamic_cast(OBJECT(bus), TYPE_VIRTIO_BUS)) {
        virtio_bus_stop_ioeventfd(VIRTIO_BUS(bus));
    }
    return 0;
}

/*
 * Before pending moves zero their sources (the start of the reset that
 * follows a dump): what the device reset would do next with the old bytes
 * a copy leaves, do now. A virtio device stopping its ioeventfd handles the
 * kicks still pending, reading its rings and buffers from guest memory, and
 * in-flight block requests hold host pointers into guest buffers until they
 * complete. Stopping the ioeventfds here and draining every block device
 * leaves the reset nothing to read; the reset's own stop is then a no-op
 * and the next driver start assigns them again.
 */
static void fadump_before_moves(void *opaque)
{
    object_child_foreach_recursive(object_get_root(),
                                   fadump_stop_virtio_ioeventfd, NULL);
    bdrv_drain_all();
}

/* Offers one private anonymous RAM block's pages to KSM no more. */
static int fadump_unmerge_block(RAMBlock *rb, void *opaque)
{
    uint64_t *bytes = opaque;

    if (qemu_ram_is_shared(rb) || qemu_ram_get_fd(rb) >= 0) {
        return 0;  /* never moved (fadump_movable_page_size) */
    }
    if (qemu_madvise(qemu_ram_get_host_addr(rb), qemu_ram_get_used_length(rb),
                     QEMU_MADV_UNMERGEABLE) == 0) {
        *bytes += qemu_ram_get_used_length(rb);
    }
    return 0;
}

/*
 * QEMU offers guest RAM to KSM (mem-merge, a memory backend's merge: on by
 * default), and an mremap of a mergeable range first walks it page by page
 * to break KSM pages (Linux mm/mremap.c, move_vma: ksm_madvise
 * MADV_UNMERGEABLE), even on a host that never ran KSM: 50 to 90 ms a GiB,
 * several times the move. When the host does not run KSM, sharing guest
 * RAM does nothing, and before the guest has touched its RAM taking it out
 * costs nothing: so zero-copy dumps take it out at machine init. With KSM
 * running the host chose sharing: RAM stays mergeable, moves pay the walk.
 */
void fadump_glue_ram_leaves_ksm(void)
{
    g_autofree char *run = NULL;
    uint64_t bytes = 0;

    if (g_file_get_contents("/sys/kernel/mm/ksm/run", &run, NULL, NULL) &&
        run[0] == '1') {
        trace_fadump_ksm(0, "stays mergeable: the host runs KSM");
        return;
    }
    qemu_ram_foreach_block(fadump_unmerge_block, &bytes);
    trace_fadump_ksm(bytes, "no longer mergeable: the host does not run KSM, "
                     "and moving mergeable pages walks them first");
}

void fadump_glue_moved(uint64_t bytes, int64_t since)
{
    if (bytes) {
        trace_fadump_moves(bytes, get_clock() - since);
    }
}

FadumpGuestOps fadump_glue_guest_ops(MachineState *ms)
{
    FadumpGuestOps ops = {
        .opaque = ms,
        .read = fadump_read,
        .write = fadump_write,
        .host_span = fadump_host_span,
        .mark_dirty = fadump_mark_dirty,
        .movable_page_size = fadump_movable_page_size,
        .note_preserve = fadump_note_preserve,
        .before_moves = fadump_before_moves,
    };
    return ops;
}

void fadump_glue_read_regs(PowerPCCPU *cpu, uint32_t logical_id,
                           FadumpVcpuRegs *r)
{
    CPUPPCState *env = &cpu->env;
    int i;

    cpu_synchronize_state(CPU(cpu));
    memset(r, 0, sizeof(*r));
    r->cpu_index = CPU(cpu)->cpu_index;
    r->logical_id = logical_id;
    r->pir = env->spr[SPR_PIR];
    for (i = 0; i < 32; i++) {
        ppc_avr_t *avr = cpu_avr_ptr(env, i);

        r->gpr[i] = env->gpr[i];
        r->fpr[i] = *cpu_fpr_ptr(env, i);
        r->vsrl[i] = *cpu_vsrl_ptr(env, i);
        r->vr[i][0] = avr->VsrD(0);
        r->vr[i][1] = avr->VsrD(1);
    }
    memcpy(r->spr, env->spr, sizeof(r->spr));
    r->nia = env->nip;
    r->msr = env->msr;
    r->cr = ppc_get_cr(env);
    r->ctr = env->ctr;
    r->lr = env->lr;
    r->xer = cpu_read_xer(env);
    r->fpscr = env->fpscr;
    r->vscr = ppc_get_vscr(env);
    r->cfar = env->cfar;
    r->tb = cpu_ppc_load_tbl(env);
    r->dec = cpu_ppc_load_decr(env);
}

/* A dump to run once the main loop gets to it. */
typedef struct FadumpDumpJob {
    FadumpDumpFn *fn;
    void *machine;
    int caller;
} FadumpDumpJob;

static void fadump_dump_bh(void *opaque)
{
    g_autofree FadumpDumpJob *job = opaque;

    job->fn(job->machine, job->caller);
}

void fadump_glue_schedule_dump(FadumpDumpFn *fn, void *machine, int caller)
{
    FadumpDumpJob *job = g_new0(FadumpDumpJob, 1);

    job->fn = fn;
    job->machine = machine;
    job->caller = caller;
    cpu_stop_current();
    aio_bh_schedule_oneshot(qemu_get_aio_context(), fadump_dump_bh, job);
}

bool fadump_glue_stop_machine(void)
{
    bool live = runstate_is_live(runstate_get());

    /*
     * vm_stop drops the BQL while it waits for the vCPUs, and only other
     * threads (a migration's) run then: stop again if one changed the run
     * state meanwhile.
     */
    while (runstate_is_live(runstate_get())) {
        vm_stop(RUN_STATE_PAUSED);
    }
    if (!live) {
        /*
         * Paused, before the first `cont` (-S), finishing a migration:
         * devices are stopped already.
         */
        pause_all_vcpus();
        bdrv_drain_all();
    }
    return live;
}

FadumpVcpuRegs *fadump_glue_snapshot(uint32_t (*logical_id)(PowerPCCPU *),
                                     size_t *n)
{
    FadumpVcpuRegs *regs;
    CPUState *cs;
    size_t count = 0;

    CPU_FOREACH(cs) {
        count++;
    }
    regs = g_new0(FadumpVcpuRegs, count);
    count = 0;
    CPU_FOREACH(cs) {
        PowerPCCPU *cpu = POWERPC_CPU(cs);

        fadump_glue_read_regs(cpu, logical_id(cpu), &regs[count++]);
    }
    *n = count;
    return regs;
}

/* Work for a stopped vCPU: drop every translated block, now. */
static void fadump_flush_tbs_work(CPUState *cs, run_on_cpu_data data)
{
    start_exclusive();
    fadump_tb_flush_exclusive(cs);
    end_exclusive();
}

/*
 * Drops every translated block before any vCPU runs again: preserved memory
 * was written through host pointers and moved pages replaced their sources,
 * which TCG does not see. With every vCPU stopped the flush runs at once on
 * the first one, and this returns when it is done; queued work instead
 * would let the vCPUs race to run it after the restart (seen: on a
 * powernv10 MPIPL boot the second thread won skiboot's boot lock and
 * skiboot hung in PHB init).
 */
static void fadump_flush_tbs(void)
{
    if (tcg_enabled()) {
        run_on_cpu(first_cpu, fadump_flush_tbs_work, RUN_ON_CPU_NULL);
    }
}

void fadump_glue_reboot(bool restart)
{
    bool paused = restart && runstate_check(RUN_STATE_PAUSED);

    if (paused && reboot_action != REBOOT_ACTION_SHUTDOWN) {
        qemu_system_reset(SHUTDOWN_CAUSE_GUEST_RESET);
        fadump_flush_tbs();
        vm_start();
        return;
    }
    fadump_flush_tbs();
    if (paused) {
        /*
         * The policy turns the reset into a shutdown, from a running
         * machine as for any guest reboot: its devices run at most until
         * the main loop acts on it.
         */
        vm_prepare_start(false);
    }
    qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
}

void fadump_glue_write_ground_truth(const char *path, FadumpGroundTruth *gt,
                                    const FadumpSpapr *fd,
                                    const FadumpDumpStats *stats)
{
    g_autoptr(GError) err = NULL;
    size_t len = 0;
    void *doc = fadump_ground_truth_finish(gt, fd, stats, &len);

    if (!doc) {
        error_report("fadump: cannot make the ground truth for %s", path);
        return;
    }
    if (!g_file_set_contents(path, doc, len, &err)) {
        error_report("fadump: cannot write ground truth to %s: %s", path,
                     err->message);
    }
    free(doc);
}

void fadump_glue_setprop(void *fdt, int node, const char *name,
                         FadumpStatus rc, const void *buf, size_t len)
{
    switch (rc) {
    case FADUMP_OK:
        _FDT(fdt_setprop(fdt, node, name, buf, len));
        break;
    case FADUMP_ABSENT:
        break;
    case FADUMP_E_TOO_SMALL:
        error_report("fadump: %s needs %zu bytes, more than the glue's "
                     "buffer: property not set", name, len);
        break;
    default:
        error_report("fadump: %s: internal error (%d): property not set",
                     name, rc);
        break;
    }
}

/* The machine's last dump, for query-fadump's last-dump. */
static struct {
    bool valid;
    FadumpDump dump;
    char platform[16];
    char trigger[16];
} fadump_last;

void fadump_glue_dump_started(const char *platform, const char *trigger)
{
    fadump_last.valid = false;
    pstrcpy(fadump_last.platform, sizeof(fadump_last.platform), platform);
    pstrcpy(fadump_last.trigger, sizeof(fadump_last.trigger), trigger);
    fadump_last.dump.time = time(NULL);
    qapi_event_send_fadump_dump_started(platform, trigger);
}

void fadump_glue_dump_completed(const FadumpDumpStats *stats)
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

FadumpDump *fadump_glue_last_dump(void)
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
