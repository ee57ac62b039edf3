/*
 * pseries firmware-assisted dump: QEMU glue around libfadump.
 *
 * RTAS ibm,configure-kernel-dump and the dump on ibm,os-term, per LoPAR
 * "ibm,configure-kernel-dump". The library validates and performs; this
 * file hands it guest memory, vCPU registers and the device tree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qemu/timer.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "hw/ppc/fadump_qemu_api.h"
#include "system/cpus.h"
#include "system/runstate.h"
#include "migration/vmstate.h"
#include "hw/ppc/fdt.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_ovec.h"
#include "hw/ppc/spapr_fadump_glue.h"
#include "hw/ppc/fadump_glue_common.h"
#include "hw/ppc/fadump_platform.h"
#include "hw/ppc/fadump_export_glue.h"
#include "qapi/qapi-events-fadump-target.h"
#include "fadump-engine.h"
#include "fadump-truth.h"
#include "trace.h"
#include <libfdt.h>

#define FADUMP_MSG_LEN 512
/* Smallest RMA SLOF runs in (spapr.c's MIN_RMA_SLOF). */
#define FADUMP_MIN_RMA (128 * MiB)

/*
 * Guest memory callbacks: address_space_* for tables, RAM host pointers
 * (with dirty tracking) for bulk copies.
 */
static FadumpGuestOps spapr_fadump_ops(SpaprMachineState *spapr)
{
    return fadump_glue_guest_ops(MACHINE(spapr));
}

static FadumpState spapr_fadump_qapi_state(uint32_t state)
{
    switch (state) {
    case FADUMP_SPAPR_REGISTERED:
        return FADUMP_STATE_REGISTERED;
    case FADUMP_SPAPR_DUMPING:
        return FADUMP_STATE_DUMPING;
    case FADUMP_SPAPR_DUMP_ACTIVE:
        return FADUMP_STATE_DUMP_ACTIVE;
    case FADUMP_SPAPR_DUMP_FAILED:
        return FADUMP_STATE_DUMP_FAILED;
    default:
        return FADUMP_STATE_IDLE;
    }
}

static uint32_t spapr_fadump_state(SpaprMachineState *spapr)
{
    FadumpSpaprInfo info;

    return fadump_spapr_info(spapr->fadump, &info) == FADUMP_OK ?
        info.state : FADUMP_SPAPR_IDLE;
}

/* FADUMP_STATE_CHANGED with the engine's state now. */
static void spapr_fadump_state_changed(SpaprMachineState *spapr,
                                       const char *reason)
{
    qapi_event_send_fadump_state_changed(
        spapr_fadump_qapi_state(spapr_fadump_state(spapr)), reason);
}

/* query-fadump's pseries part: the fadump-platform interface's query. */
static void spapr_fadump_query(Object *machine, FadumpInfo *info)
{
    SpaprMachineState *spapr = SPAPR_MACHINE(machine);
    FadumpSectionList **tail = &info->sections;
    FadumpSpaprInfo si;
    int i;

    info->platform = g_strdup("pseries");
    info->enabled = spapr->fadump != NULL;
    if (!spapr->fadump || fadump_spapr_info(spapr->fadump, &si) != FADUMP_OK) {
        return;
    }
    info->has_state = true;
    info->state = spapr_fadump_qapi_state(si.state);
    info->has_rma_size = true;
    info->rma_size = spapr->rma_size;
    if (si.state == FADUMP_SPAPR_IDLE) {
        return;
    }
    info->has_fdm_address = true;
    info->fdm_address = si.fdm_address;
    info->has_status_flags = true;
    info->status_flags = si.status_flags;
    info->has_sections = true;
    for (i = 0; i < si.n_sections; i++) {
        FadumpSection *s = g_new0(FadumpSection, 1);

        s->type = si.sections[i].type;
        s->source = si.sections[i].source;
        s->length = si.sections[i].length;
        s->destination = si.sections[i].destination;
        s->bytes_dumped = si.sections[i].bytes_dumped;
        s->error_flags = si.sections[i].error_flags;
        QAPI_LIST_APPEND(tail, s);
    }
}

static void rtas_configure_kernel_dump(PowerPCCPU *cpu,
                                       SpaprMachineState *spapr,
                                       uint32_t token, uint32_t nargs,
                                       target_ulong args,
                                       uint32_t nret, target_ulong rets)
{
    FadumpGuestOps ops = spapr_fadump_ops(spapr);
    char msg[FADUMP_MSG_LEN];
    uint32_t cmd, addr, len;
    int32_t status;

    if (nret != 1) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "fadump: configure-kernel-dump with %u return cells\n",
                      nret);
        return;
    }
    if (nargs != 3) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "fadump: configure-kernel-dump with %u arguments\n",
                      nargs);
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    if (!spapr->fadump) {
        rtas_st(rets, 0, RTAS_OUT_NOT_SUPPORTED);
        return;
    }
    cmd = rtas_ld(args, 0);
    addr = rtas_ld(args, 1);
    len = rtas_ld(args, 2);
    if (cmd == FADUMP_CMD_INVALIDATE && fadump_export_running()) {
        /* The host still reads the dump: the guest retries (rtas_busy). */
        trace_spapr_fadump_configure(cmd, addr, len, FADUMP_RTAS_BUSY);
        rtas_st(rets, 0, FADUMP_RTAS_BUSY);
        return;
    }
    if (fadump_spapr_configure(spapr->fadump, &ops, cmd, addr, len, &status,
                               msg, sizeof(msg)) != FADUMP_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "fadump: %s (status %d)\n", msg,
                      status);
    }
    trace_spapr_fadump_configure(cmd, addr, len, status);
    if (status == FADUMP_RTAS_SUCCESS) {
        spapr_fadump_state_changed(spapr, cmd == FADUMP_CMD_REGISTER ?
                                   "register" : cmd == FADUMP_CMD_UNREGISTER ?
                                   "unregister" : "invalidate");
    }
    rtas_st(rets, 0, status);
}

/*
 * The guest's logical number of a vCPU: its rank by vCPU id among present
 * CPUs, which is how Linux numbers the threads it finds in /cpus.
 */
static uint32_t spapr_fadump_logical_id(PowerPCCPU *cpu)
{
    int id = spapr_get_vcpu_id(cpu);
    uint32_t rank = 0;
    CPUState *cs;

    CPU_FOREACH(cs) {
        if (spapr_get_vcpu_id(POWERPC_CPU(cs)) < id) {
            rank++;
        }
    }
    return rank;
}

/* The hash page table QEMU holds now (TCG; none under KVM-HV or radix). */
static uint64_t spapr_fadump_hpt_size(SpaprMachineState *spapr)
{
    return spapr->htab ? HTAB_SIZE(spapr) : 0;
}

/*
 * What an HPTE section may ask for: the HPT of a hash-MMU guest under TCG.
 * A guest that negotiated radix at CAS gets 0 although its HPT still exists
 * then (it is freed when the guest registers its process table): it could
 * never be dumped whole. Under KVM-HV the HPT lives in the host kernel, out
 * of reach: 0, as upstream advertises.
 */
static uint64_t spapr_fadump_hpt_advertised(SpaprMachineState *spapr)
{
    if (spapr_ovec_test(spapr->ov5_cas, OV5_MMU_RADIX_300)) {
        return 0;
    }
    return spapr_fadump_hpt_size(spapr);
}

/*
 * The dump itself, a bottom half of the main loop after ibm,os-term
 * (fadump_glue_schedule_dump; `caller` called it): the whole machine is
 * stopped first (fadump_glue_stop_machine), so no vCPU is inside guest code
 * or half way through an hcall when the registers are read, and no device
 * writes guest memory from the instant the ground truth is taken until the
 * reboot resets it.
 */
static void spapr_fadump_dump_work(void *machine, int caller)
{
    SpaprMachineState *spapr = machine;
    FadumpGuestOps ops = spapr_fadump_ops(spapr);
    g_autofree FadumpVcpuRegs *regs = NULL;
    FadumpGroundTruth *truth = NULL;
    FadumpDumpStats stats = { 0 };
    char msg[FADUMP_MSG_LEN];
    size_t n = 0;
    FadumpStatus status;
    bool restart;

    if (!fadump_spapr_dump_in_progress(spapr->fadump)) {
        /*
         * A reset (QMP system_reset, ibm,system-reboot on another vCPU, a
         * watchdog) ran between ibm,os-term and this work and dropped the
         * registration: no dump, and no second reset of a booting guest.
         */
        qemu_log_mask(LOG_GUEST_ERROR, "fadump: a reset came before the "
                      "dump ran: nothing was dumped\n");
        fadump_glue_dump_completed(&stats);
        return;
    }
    restart = fadump_glue_stop_machine();
    regs = fadump_glue_snapshot(spapr_fadump_logical_id, &n);
    if (spapr->fadump_ground_truth) {
        truth = fadump_ground_truth_take(&ops, MACHINE(spapr)->ram_size, regs,
                                         n, caller);
    }
    status = fadump_spapr_dump(spapr->fadump, &ops, regs, n, spapr->htab,
                               spapr_fadump_hpt_size(spapr), &stats,
                               msg, sizeof(msg));
    trace_spapr_fadump_dump(stats.bytes_preserved, stats.preserve_ns,
                            stats.sections_ok, stats.sections_failed,
                            stats.cpus_saved);
    if (status != FADUMP_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "fadump: dump incomplete: %s\n", msg);
    }
    spapr_fadump_state_changed(spapr, "dump");
    /* An internal error leaves no active dump: the reboot drops it. */
    fadump_glue_dump_completed(&stats);
    if (truth) {
        fadump_glue_write_ground_truth(spapr->fadump_ground_truth, truth,
                                       spapr->fadump, &stats);
    }
    /* A guest reset keeps RAM: the memory-preserving reboot. */
    fadump_glue_reboot(restart);
}

bool spapr_fadump_os_term(PowerPCCPU *cpu, SpaprMachineState *spapr,
                          uint32_t nret, target_ulong rets)
{
    if (!spapr->fadump) {
        return false;
    }
    if (fadump_spapr_dump_in_progress(spapr->fadump)) {
        /* Another vCPU started the dump; this one is about to be stopped. */
        if (nret >= 1) {
            rtas_st(rets, 0, RTAS_OUT_BUSY);
        }
        return true;
    }
    if (!fadump_spapr_begin_dump(spapr->fadump)) {
        return false;
    }
    trace_spapr_fadump_os_term(CPU(cpu)->cpu_index);
    spapr_fadump_state_changed(spapr, "os-term");
    fadump_glue_dump_started("pseries", "os-term");
    if (nret >= 1) {
        rtas_st(rets, 0, RTAS_OUT_SUCCESS);
    }
    fadump_glue_schedule_dump(spapr_fadump_dump_work, spapr,
                              CPU(cpu)->cpu_index);
    return true;
}

/*
 * The RMA the firmware and its loaders see: on a dump-active boot it ends
 * below the lowest preserved byte, so nothing they place lands on preserved
 * memory (LoPAR R1-6).
 */
static void spapr_fadump_apply_rma(SpaprMachineState *spapr)
{
    uint64_t limit = fadump_spapr_reboot_limit(spapr->fadump);

    spapr->rma_size = spapr->fadump_normal_rma_size;
    if (limit) {
        if (limit >= FADUMP_MIN_RMA) {
            spapr->rma_size = MIN(spapr->rma_size, limit);
        } else {
            warn_report("fadump: preserved memory starts at 0x%" PRIx64
                        ", too low to keep the firmware below it", limit);
        }
    }
}

/*
 * What every reset reloads into guest RAM before the capture kernel runs:
 * the -kernel image and the -initrd (ROM blobs copied back at each reset).
 * No destination may lie there (fadump_spapr_set_reload).
 */
static void spapr_fadump_set_reload(SpaprMachineState *spapr)
{
    uint64_t r[4];
    size_t n = 0;

    if (spapr->kernel_size > 0) {
        r[2 * n] = spapr->kernel_addr;
        r[2 * n + 1] = spapr->kernel_size;
        n++;
    }
    if (spapr->initrd_size > 0) {
        r[2 * n] = spapr->initrd_base;
        r[2 * n + 1] = spapr->initrd_size;
        n++;
    }
    if (fadump_spapr_set_reload(spapr->fadump, r, n) != FADUMP_OK) {
        error_report("fadump: cannot tell the engine what the reset reloads");
    }
}

/*
 * The active dump's vmcore on the host, into `dir`: planned now from the
 * few KiB the kernel left (milliseconds), written by a thread. A refused
 * plan changes nothing for the guest.
 */
static bool spapr_fadump_export_to(SpaprMachineState *spapr, const char *dir,
                                   Error **errp)
{
    FadumpGuestOps ops = spapr_fadump_ops(spapr);
    FadumpNodeRange ram[MAX_NODES + SPAPR_MAX_RAM_SLOTS]; /* nodes, DIMMs */
    FadumpVmcoreSummary summary;
    FadumpVmcore *vc = NULL;
    char msg[FADUMP_MSG_LEN];
    FadumpStatus rc;
    size_t n_ram;

    n_ram = fadump_export_ram_ranges(MACHINE(spapr), ram, ARRAY_SIZE(ram));
    rc = fadump_spapr_vmcore_plan(spapr->fadump, &ops, ram, n_ram, &vc,
                                  &summary, msg, sizeof(msg));
    return fadump_export_planned(dir, "vmcore", rc, vc, &summary, msg, errp);
}

/* At the dump reboot, with fadump-export=DIR: once the moves ran. */
static void spapr_fadump_export(SpaprMachineState *spapr)
{
    if (fadump_export_dir()) {
        spapr_fadump_export_to(spapr, fadump_export_dir(), NULL);
    }
}

/* QMP fadump-export. */
static void spapr_fadump_export_now(Object *machine, const char *dir,
                                    Error **errp)
{
    SpaprMachineState *spapr = SPAPR_MACHINE(machine);

    if (!spapr->fadump || !fadump_spapr_dump_active(spapr->fadump)) {
        error_setg(errp, "no firmware-assisted dump is active");
        return;
    }
    if (fadump_export_running()) {
        error_setg(errp, "an export of the dump is still being written");
        return;
    }
    spapr_fadump_export_to(spapr, dir, errp);
}

void spapr_fadump_machine_reset(SpaprMachineState *spapr)
{
    FadumpGuestOps ops;
    bool dump_reboot;
    uint32_t before;
    int64_t t0;

    if (!spapr->fadump) {
        return;
    }
    spapr_fadump_set_reload(spapr);
    /* Before the devices reset and the firmware is reloaded (preserve.hpp). */
    ops = spapr_fadump_ops(spapr);
    t0 = get_clock();
    fadump_glue_moved(fadump_spapr_finish_moves(spapr->fadump, &ops), t0);
    before = spapr_fadump_state(spapr);
    dump_reboot = fadump_spapr_reset(spapr->fadump);
    if (spapr_fadump_state(spapr) != before) {
        spapr_fadump_state_changed(spapr, "reset");
    }
    spapr_fadump_apply_rma(spapr);
    trace_spapr_fadump_reset(dump_reboot, spapr->rma_size);
    if (dump_reboot) {
        spapr_fadump_export(spapr);
    } else {
        /* Another reset: what follows may change the memory being read. */
        fadump_export_wait();
    }
}

/*
 * Migration and snapshots: the engine's state (a registration, an active
 * dump) travels in the subsection "spapr/fadump", sent only while there is
 * one, so an unregistered guest still migrates to a QEMU without fadump.
 * The library validates what arrives as it validates a REGISTER.
 */
static bool spapr_fadump_state_needed(void *opaque)
{
    SpaprMachineState *spapr = opaque;

    return spapr->fadump && fadump_spapr_state_needed(spapr->fadump);
}

static int spapr_fadump_pre_save(void *opaque)
{
    SpaprMachineState *spapr = opaque;
    char msg[FADUMP_MSG_LEN];
    size_t len = 0;
    FadumpStatus rc;

    rc = fadump_spapr_state_save(spapr->fadump, spapr->fadump_state,
                                 FADUMP_SPAPR_STATE_MAX, &len, msg,
                                 sizeof(msg));
    if (rc != FADUMP_OK) {
        error_report("fadump: cannot save the dump state: %s (%d)",
                     rc == FADUMP_E_REFUSED ? msg : "internal error", rc);
        return -EBUSY;
    }
    spapr->fadump_state_len = len;
    trace_spapr_fadump_state(false, len);
    return 0;
}

static bool spapr_fadump_state_len_valid(void *opaque, int version_id)
{
    SpaprMachineState *spapr = opaque;

    return spapr->fadump_state_len <= FADUMP_SPAPR_STATE_MAX;
}

static int spapr_fadump_post_load(void *opaque, int version_id)
{
    SpaprMachineState *spapr = opaque;
    char msg[FADUMP_MSG_LEN];
    FadumpGuestOps ops;

    if (!spapr->fadump) {
        error_report("fadump: the incoming guest has a firmware-assisted dump "
                     "registered or active, and this machine has fadump=off");
        return -EINVAL;
    }
    fadump_spapr_set_hpt_size(spapr->fadump,
                              spapr_fadump_hpt_advertised(spapr));
    ops = spapr_fadump_ops(spapr);
    if (fadump_spapr_state_load(spapr->fadump, &ops, spapr->fadump_state,
                                spapr->fadump_state_len, msg,
                                sizeof(msg)) != FADUMP_OK) {
        error_report("fadump: %s", msg);
        return -EINVAL;
    }
    spapr_fadump_apply_rma(spapr);
    trace_spapr_fadump_state(true, spapr->fadump_state_len);
    spapr_fadump_state_changed(spapr, "incoming-migration");
    return 0;
}

const VMStateDescription vmstate_spapr_fadump = {
    .name = "spapr/fadump",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = spapr_fadump_state_needed,
    .pre_save = spapr_fadump_pre_save,
    .post_load = spapr_fadump_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(fadump_state_len, SpaprMachineState),
        VMSTATE_VALIDATE("fadump state fits", spapr_fadump_state_len_valid),
        VMSTATE_VBUFFER_UINT32(fadump_state, SpaprMachineState, 1, NULL,
                               fadump_state_len),
        VMSTATE_END_OF_LIST()
    },
};

void spapr_fadump_pre_load(SpaprMachineState *spapr)
{
    /*
     * A snapshot taken with no registration carries no subsection: what
     * the engine holds now must not survive loading it (loadvm's reset
     * drops a registration, not an active dump), nor the RMA an active
     * dump lowered; post_load sets both again from a subsection.
     */
    if (spapr->fadump) {
        fadump_spapr_state_clear(spapr->fadump);
        spapr_fadump_apply_rma(spapr);
    }
}

void spapr_fadump_dt_rtas(SpaprMachineState *spapr, void *fdt, int rtas)
{
    uint8_t buf[512];
    size_t len;
    FadumpStatus rc;

    if (!spapr->fadump) {
        /* Switched off: withdraw the token spapr_dt_rtas_tokens() added. */
        fdt_delprop(fdt, rtas, "ibm,configure-kernel-dump");
        return;
    }
    /* Built at reset and at CAS, when the guest's MMU mode is settled. */
    fadump_spapr_set_hpt_size(spapr->fadump,
                              spapr_fadump_hpt_advertised(spapr));
    rc = fadump_spapr_prop_sizes(spapr->fadump, buf, sizeof(buf), &len);
    fadump_glue_setprop(fdt, rtas, "ibm,configure-kernel-dump-sizes", rc,
                        buf, len);
    rc = fadump_spapr_prop_version(spapr->fadump, buf, sizeof(buf), &len);
    fadump_glue_setprop(fdt, rtas, "ibm,configure-kernel-dump-version", rc,
                        buf, len);
    rc = fadump_spapr_prop_kernel_dump(spapr->fadump, buf, sizeof(buf), &len);
    fadump_glue_setprop(fdt, rtas, "ibm,kernel-dump", rc, buf, len);
}

void spapr_fadump_machine_init(SpaprMachineState *spapr)
{
    MachineState *ms = MACHINE(spapr);
    FadumpSpaprConfig cfg = {
        .ram_size = ms->ram_size,
        .rmr_size = spapr->rma_size,
        .max_threads = ms->smp.max_cpus,
    };

    spapr->fadump_normal_rma_size = spapr->rma_size;
    /*
     * Always there: an incoming stream may carry a state (and is refused in
     * post_load when fadump is off).
     */
    spapr->fadump_state = g_malloc0(FADUMP_SPAPR_STATE_MAX);
    if (!spapr->fadump_enabled) {
        return;
    }
    spapr->fadump = fadump_spapr_new(&cfg);
    if (!spapr->fadump) {
        error_report("fadump: cannot create the dump engine");
        exit(1);
    }
    if (spapr->fadump_zero_copy) {
        fadump_glue_ram_leaves_ksm();
    }
}

static bool spapr_fadump_get_enabled(Object *obj, Error **errp)
{
    return SPAPR_MACHINE(obj)->fadump_enabled;
}

static void spapr_fadump_set_enabled(Object *obj, bool value, Error **errp)
{
    SPAPR_MACHINE(obj)->fadump_enabled = value;
}

static bool spapr_fadump_get_zero_copy(Object *obj, Error **errp)
{
    return SPAPR_MACHINE(obj)->fadump_zero_copy;
}

static void spapr_fadump_set_zero_copy(Object *obj, bool value, Error **errp)
{
    SPAPR_MACHINE(obj)->fadump_zero_copy = value;
}

static char *spapr_fadump_get_truth(Object *obj, Error **errp)
{
    return g_strdup(SPAPR_MACHINE(obj)->fadump_ground_truth);
}

static void spapr_fadump_set_truth(Object *obj, const char *value,
                                   Error **errp)
{
    SpaprMachineState *spapr = SPAPR_MACHINE(obj);

    g_free(spapr->fadump_ground_truth);
    spapr->fadump_ground_truth = value && *value ? g_strdup(value) : NULL;
}

void spapr_fadump_class_init(ObjectClass *oc)
{
    FadumpPlatformClass *fpc = FADUMP_PLATFORM_CLASS(oc);
    ObjectProperty *zero_copy;

    fpc->query = spapr_fadump_query;
    fpc->export_vmcore = spapr_fadump_export_now;
    fadump_export_class_init(oc);

    object_class_property_add_bool(oc, "fadump", spapr_fadump_get_enabled,
                                   spapr_fadump_set_enabled);
    object_class_property_set_description(oc, "fadump",
        "Firmware-assisted dump (RTAS ibm,configure-kernel-dump)");
    zero_copy = object_class_property_add_bool(oc, "x-fadump-zero-copy",
                                               spapr_fadump_get_zero_copy,
                                               spapr_fadump_set_zero_copy);
    object_property_set_default_bool(zero_copy, true);
    object_class_property_set_description(oc, "x-fadump-zero-copy",
        "Move the RMR's pages into the destination (mremap) instead of "
        "copying them, where the RAM allows it (default on; off: always "
        "copy)");
    object_class_property_add_str(oc, "x-fadump-ground-truth",
                                  spapr_fadump_get_truth,
                                  spapr_fadump_set_truth);
    object_class_property_set_description(oc, "x-fadump-ground-truth",
        "Testing: file receiving vCPU registers and RAM page hashes taken "
        "when a dump starts");
}

void spapr_fadump_instance_init(SpaprMachineState *spapr)
{
    spapr->fadump_enabled = true;
}

static void spapr_fadump_register_types(void)
{
    spapr_rtas_register(RTAS_CONFIGURE_KERNEL_DUMP,
                        "ibm,configure-kernel-dump",
                        rtas_configure_kernel_dump);
}

type_init(spapr_fadump_register_types)
