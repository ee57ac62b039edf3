/*
 * PowerNV memory-preserving IPL (MPIPL): QEMU glue around libfadump.
 *
 * skiboot stashes its relocated base in every SBE (chip-op 0xD707 key 0x03)
 * and, when the OS asks for an MPIPL, raises S0 on every SBE. The SBE and
 * hostboot then preserve the MDST ranges, write MDRT and the architected
 * register data and IPL again with "mpipl-boot" (skiboot doc/mpipl.rst).
 * Here the SBE roles are played by libfadump; this file moves data.
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
#include "hw/ppc/fadump_qemu_api.h"
#include "hw/core/cpu.h"
#include "system/cpus.h"
#include "system/runstate.h"
#include "hw/ppc/fdt.h"
#include "hw/ppc/pnv.h"
#include "hw/ppc/pnv_chip.h"
#include "hw/ppc/pnv_sbe.h"
#include "hw/ppc/pnv_mpipl_glue.h"
#include "hw/ppc/fadump_glue_common.h"
#include "hw/ppc/fadump_platform.h"
#include "hw/ppc/fadump_export_glue.h"
#include "target/ppc/cpu.h"
#include "fadump-engine.h"
#include "fadump-truth.h"
#include "trace.h"
#include <libfdt.h>

#define MPIPL_MSG_LEN 1024
#define MPIPL_MAX_RELOAD 4
/* Where pnv.c loads the kernel, and what its FDT (at PNV_FDT_ADDR) spans. */
#define MPIPL_KERNEL_ADDR 0x20000000
#define MPIPL_FDT_MAX (1 * MiB)

/* SBE status in the response (skiboot hw/sbe-p9.c). */
#define SBE_STATUS_PRI_SHIFT 48
#define SBE_STATUS_PRI_INVALID_DATA 0x02
#define SBE_HOST_RESPONSE_WAITING PPC_BIT(0)

/* SBE control register bits (pnv_sbe.c). */
#define MPIPL_SBE_CTRL_S0 PPC_BIT(14)
#define MPIPL_SBE_CTRL_S1 PPC_BIT(15)

typedef struct PnvMpipl {
    FadumpMpipl *engine;
    FadumpRange reload[MPIPL_MAX_RELOAD];
    size_t n_reload;
    void *base_fdt;     /* this boot's FDT as QEMU made it (owned here) */
    void *boot_fdt;     /* its copy with mpipl-boot on an MPIPL boot */
    bool mpipl_boot;    /* the current boot is an MPIPL boot */
} PnvMpipl;

static PnvMachineState *pnv_mpipl_machine(void)
{
    return PNV_MACHINE(qdev_get_machine());
}

static FadumpGuestOps pnv_mpipl_ops(PnvMachineState *pnv)
{
    return fadump_glue_guest_ops(MACHINE(pnv));
}

/*
 * The SBE a chip embeds: POWER9, POWER10 and, from QEMU 11.1, Power11
 * (whose chip type is not a POWER10 one but holds the same SBE); NULL on
 * POWER8, which has none.
 */
static PnvSBE *pnv_mpipl_chip_sbe(Object *chip)
{
    if (object_dynamic_cast(chip, TYPE_PNV9_CHIP)) {
        return &PNV9_CHIP(chip)->sbe;
    }
    if (object_dynamic_cast(chip, TYPE_PNV10_CHIP)) {
        return &PNV10_CHIP(chip)->sbe;
    }
#ifdef TYPE_PNV11_CHIP
    if (object_dynamic_cast(chip, TYPE_PNV11_CHIP)) {
        return &PNV11_CHIP(chip)->sbe;
    }
#endif
    return NULL;
}

/* The SBE of chip `i`. */
static PnvSBE *pnv_mpipl_sbe(PnvMachineState *pnv, int i)
{
    return pnv_mpipl_chip_sbe(OBJECT(pnv->chips[i]));
}

/* Chip index of an SBE, -1 when no chip holds it. */
static int pnv_mpipl_chip_of(PnvMachineState *pnv, PnvSBE *sbe)
{
    int i;

    for (i = 0; i < pnv->num_chips; i++) {
        if (pnv_mpipl_sbe(pnv, i) == sbe) {
            return i;
        }
    }
    return -1;
}

void pnv_mpipl_sbe_stash(PnvSBE *sbe, uint64_t reg0, uint64_t key,
                         uint64_t value)
{
    PnvMachineState *pnv = pnv_mpipl_machine();
    char msg[MPIPL_MSG_LEN];
    int chip = pnv_mpipl_chip_of(pnv, sbe);
    bool ok = true;

    if (pnv->mpipl && chip >= 0) {
        ok = fadump_mpipl_stash(pnv->mpipl->engine, chip, key, value, msg,
                                sizeof(msg)) == FADUMP_OK;
        if (!ok) {
            qemu_log_mask(LOG_GUEST_ERROR, "mpipl: %s\n", msg);
        }
    }
    trace_pnv_mpipl_stash(chip, key, value, ok);
    /* Response: the command's sequence and opcode, and the status. */
    sbe->mbox[4] = (reg0 & 0xffffffffULL) |
        (ok ? 0 : (uint64_t)SBE_STATUS_PRI_INVALID_DATA <<
                  SBE_STATUS_PRI_SHIFT);
    sbe->mbox[5] = 0;
    sbe->mbox[6] = 0;
    sbe->mbox[7] = 0;
    sbe->host_doorbell |= SBE_HOST_RESPONSE_WAITING;
    qemu_set_irq(sbe->psi_irq, 1);
}

/* Threads are numbered by their QEMU index (PIR is in the snapshot). */
static uint32_t pnv_mpipl_thread_id(PowerPCCPU *cpu)
{
    return CPU(cpu)->cpu_index;
}

/*
 * The SBE + hostboot work, a bottom half of the main loop after S0
 * (fadump_glue_schedule_dump; `caller` raised it): the whole machine is
 * stopped first (fadump_glue_stop_machine), so no vCPU is inside guest code
 * when the registers are read, and no device writes guest memory from the
 * instant the ground truth is taken until the IPL resets it.
 */
static void pnv_mpipl_work(void *machine, int caller)
{
    PnvMachineState *pnv = machine;
    PnvMpipl *mp = pnv->mpipl;
    FadumpGuestOps ops = pnv_mpipl_ops(pnv);
    g_autofree FadumpVcpuRegs *regs = NULL;
    FadumpGroundTruth *truth = NULL;
    FadumpDumpStats stats = { 0 };
    char msg[MPIPL_MSG_LEN];
    size_t n = 0;
    FadumpStatus rc;
    bool restart;

    if (!fadump_mpipl_in_progress(mp->engine)) {
        /* A reset ran between S0 and this work: no MPIPL, no second reset. */
        qemu_log_mask(LOG_GUEST_ERROR, "mpipl: a reset came before the "
                      "MPIPL ran: nothing was preserved\n");
        fadump_glue_dump_completed(&stats);
        return;
    }
    restart = fadump_glue_stop_machine();
    /* The last MPIPL's export reads what this dump will move. */
    fadump_export_wait();
    regs = fadump_glue_snapshot(pnv_mpipl_thread_id, &n);
    if (pnv->mpipl_ground_truth) {
        truth = fadump_ground_truth_take(&ops, MACHINE(pnv)->ram_size, regs, n,
                                         caller);
    }
    rc = fadump_mpipl_dump(mp->engine, &ops, regs, n, mp->reload,
                           mp->n_reload, &stats, msg, sizeof(msg));
    trace_pnv_mpipl_dump(stats.bytes_preserved, stats.preserve_ns,
                         stats.sections_ok, stats.sections_failed,
                         stats.cpus_saved, stats.preserving_boot);
    if (rc != FADUMP_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "mpipl: the next boot is a normal boot: %s\n", msg);
    } else if (msg[0]) {
        qemu_log_mask(LOG_GUEST_ERROR, "mpipl: %s\n", msg);
    }
    fadump_glue_dump_completed(&stats);
    if (truth) {
        FadumpRange fw[16];
        size_t nfw = fadump_mpipl_firmware_ranges(mp->engine, fw,
                                                  ARRAY_SIZE(fw));

        fadump_ground_truth_note_ranges(truth, "firmware_ranges", fw,
                                        MIN(nfw, ARRAY_SIZE(fw)));
        fadump_glue_write_ground_truth(pnv->mpipl_ground_truth, truth, NULL,
                                       &stats);
    }
    /* A guest reset keeps RAM: the memory-preserving IPL. */
    fadump_glue_reboot(restart);
}

void pnv_mpipl_sbe_ctrl_write(PnvSBE *sbe, uint64_t val)
{
    PnvMachineState *pnv = pnv_mpipl_machine();
    int chip = pnv_mpipl_chip_of(pnv, sbe);
    char msg[MPIPL_MSG_LEN];
    bool start;

    if (val & MPIPL_SBE_CTRL_S1) {
        trace_pnv_mpipl_s1(chip);
        qemu_log_mask(LOG_UNIMP, "mpipl: S1 interrupt on chip %d ignored\n",
                      chip);
    }
    if (!(val & MPIPL_SBE_CTRL_S0)) {
        return;
    }
    if (!pnv->mpipl || chip < 0) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "mpipl: S0 on chip %d but MPIPL is off\n", chip);
        return;
    }
    start = fadump_mpipl_s0(pnv->mpipl->engine, chip, msg,
                            sizeof(msg)) == FADUMP_OK;
    trace_pnv_mpipl_s0(chip, start);
    if (!start) {
        qemu_log_mask(LOG_GUEST_ERROR, "mpipl: %s\n", msg);
        return;
    }
    fadump_glue_dump_started("powernv", "s0");
    /*
     * A vCPU that raised S0 stops as soon as it leaves the store; the
     * others and the devices stop in the bottom half, out of the vCPU.
     * S0 from the host (QMP) has no current vCPU: the first one is named
     * the caller.
     */
    fadump_glue_schedule_dump(pnv_mpipl_work, pnv, current_cpu ?
                              current_cpu->cpu_index : first_cpu->cpu_index);
}

static bool pnv_mpipl_export_preserved(void);

void pnv_mpipl_machine_init(PnvMachineState *pnv, long fw_size)
{
    MachineState *ms = MACHINE(pnv);
    FadumpMpiplConfig cfg = {
        .ram_size = ms->ram_size,
        .chips = pnv->num_chips,
    };

    bool has_sbe = pnv_mpipl_sbe(pnv, 0) != NULL;
    long kernel_size = 0;
    PnvMpipl *mp;

    if (pnv->mpipl_disabled || !has_sbe) {
        return;   /* switched off, or POWER8, which has no SBE */
    }
    if (ms->kernel_filename) {
        kernel_size = fadump_image_size(ms->kernel_filename);
    }
    mp = g_new0(PnvMpipl, 1);
    mp->engine = fadump_mpipl_new(&cfg);
    if (!mp->engine) {
        error_report("mpipl: cannot create the MPIPL engine");
        exit(1);
    }
    /* What every reset reloads: the fw-load-area the kernel must avoid. */
    mp->reload[mp->n_reload++] = (FadumpRange) { pnv->fw_load_addr, fw_size };
    if (kernel_size > 0) {
        mp->reload[mp->n_reload++] =
            (FadumpRange) { MPIPL_KERNEL_ADDR, kernel_size };
    }
    if (pnv->initrd_size > 0) {
        mp->reload[mp->n_reload++] =
            (FadumpRange) { pnv->initrd_base, pnv->initrd_size };
    }
    mp->reload[mp->n_reload++] = (FadumpRange) { PNV_FDT_ADDR, MPIPL_FDT_MAX };
    pnv->mpipl = mp;
    /* This machine's exports read what the MPIPL preserved. */
    fadump_export_set_preserved_check(pnv_mpipl_export_preserved);
    if (pnv->mpipl_zero_copy) {
        fadump_glue_ram_leaves_ksm();
    }
}

void pnv_mpipl_dt(PnvMachineState *pnv, void *fdt)
{
    uint8_t buf[MPIPL_MAX_RELOAD * 16];
    size_t len;
    FadumpStatus rc;
    int opal, dump;

    if (!pnv->mpipl) {
        return;
    }
    opal = fdt_path_offset(fdt, "/ibm,opal");
    if (opal < 0) {
        _FDT(opal = fdt_add_subnode(fdt, 0, "ibm,opal"));
    }
    _FDT(dump = fdt_add_subnode(fdt, opal, "dump"));
    _FDT(fdt_setprop_string(fdt, dump, "compatible", "ibm,opal-dump"));
    rc = fadump_mpipl_prop_fw_load_area(pnv->mpipl->reload,
                                        pnv->mpipl->n_reload, buf,
                                        sizeof(buf), &len);
    fadump_glue_setprop(fdt, dump, "fw-load-area", rc, buf, len);
}

/*
 * An IPL resets the SBEs. QEMU 10.0's SBE model has no reset of its own, so
 * a pending doorbell, an armed timer or a half-read mailbox from the
 * previous boot would otherwise greet the next skiboot; MPIPL depends on
 * that boot starting from a clean SBE.
 */
static void pnv_mpipl_reset_sbes(PnvMachineState *pnv)
{
    int i;

    for (i = 0; i < pnv->num_chips; i++) {
        PnvSBE *sbe = pnv_mpipl_sbe(pnv, i);

        if (!sbe) {
            continue;
        }
        timer_del(sbe->timer);
        memset(sbe->mbox, 0, sizeof(sbe->mbox));
        sbe->sbe_doorbell = 0;
        sbe->host_doorbell = 0;
        qemu_set_irq(sbe->psi_irq, 0);
    }
}

/*
 * Takes over the tree QEMU made for this boot (@fdt) and installs it as
 * MachineState.fdt. QEMU 10.0 builds its tree once and hands the installed
 * one back at every reset; QEMU 11.1 builds a new one per reset. Both come
 * here, so the tree handed back may be our MPIPL copy (its base is meant),
 * the previous base (kept) or a new one (the previous base is freed).
 */
static void pnv_mpipl_take_fdt(PnvMachineState *pnv, PnvMpipl *mp, void *fdt)
{
    MachineState *ms = MACHINE(pnv);

    if (mp->boot_fdt && fdt == mp->boot_fdt) {
        fdt = mp->base_fdt;
    }
    if (ms->fdt && ms->fdt != fdt && ms->fdt != mp->base_fdt &&
        ms->fdt != mp->boot_fdt) {
        g_free(ms->fdt);        /* the tree made at machine init */
    }
    g_free(mp->boot_fdt);
    mp->boot_fdt = NULL;
    if (mp->base_fdt != fdt) {
        g_free(mp->base_fdt);
        mp->base_fdt = fdt;
    }
    ms->fdt = fdt;
}

void pnv_mpipl_pre_reset(PnvMachineState *pnv)
{
    FadumpGuestOps ops;
    int64_t t0;

    if (!pnv->mpipl) {
        return;
    }
    /* Every reset moves pages or reloads firmware: no export reads then. */
    fadump_export_wait();
    ops = pnv_mpipl_ops(pnv);
    t0 = get_clock();
    fadump_glue_moved(fadump_mpipl_finish_moves(pnv->mpipl->engine, &ops), t0);
}

/*
 * The MPIPL's vmcore and skiboot's OPAL core on the host, into `dir`:
 * planned from the few KiB the kernel and skiboot left and the register
 * data the SBE wrote (milliseconds), written by a thread one after the
 * other. A refused plan changes nothing for the guest. False (errp set)
 * when the first file could not be started.
 */
static bool pnv_mpipl_export_to(PnvMachineState *pnv, const char *dir,
                                Error **errp)
{
    FadumpGuestOps ops = pnv_mpipl_ops(pnv);
    FadumpNodeRange ram[MAX_NODES];
    FadumpVmcoreSummary summary;
    FadumpVmcore *vc = NULL;
    char msg[MPIPL_MSG_LEN];
    FadumpStatus rc;
    size_t n_ram;
    bool ok = true;

    /* skiboot's own region alone (no kernel registered): no vmcore. */
    if (fadump_mpipl_kernel_dump(pnv->mpipl->engine)) {
        n_ram = fadump_export_ram_ranges(MACHINE(pnv), ram, ARRAY_SIZE(ram));
        rc = fadump_mpipl_vmcore_plan(pnv->mpipl->engine, &ops, ram, n_ram,
                                      &vc, &summary, msg, sizeof(msg));
        ok = fadump_export_planned(dir, "vmcore", rc, vc, &summary, msg,
                                   errp);
    }
    vc = NULL;
    rc = fadump_mpipl_opal_core_plan(pnv->mpipl->engine, &ops, &vc, &summary,
                                     msg, sizeof(msg));
    fadump_export_planned(dir, "opalcore", rc, vc, &summary, msg,
                          ok ? errp : NULL);
    return ok;
}

/* At the MPIPL boot's reset, with fadump-export=DIR: once the moves ran. */
static void pnv_mpipl_export(PnvMachineState *pnv)
{
    if (fadump_export_dir()) {
        pnv_mpipl_export_to(pnv, fadump_export_dir(), NULL);
    }
}

/* Whether the dump an export reads is still preserved (see fadump_export). */
static bool pnv_mpipl_export_preserved(void)
{
    PnvMachineState *pnv = PNV_MACHINE(qdev_get_machine());
    FadumpGuestOps ops;

    if (!pnv->mpipl) {
        return false;
    }
    ops = pnv_mpipl_ops(pnv);
    return fadump_mpipl_dump_preserved(pnv->mpipl->engine, &ops);
}

/*
 * QMP fadump-export: the MPIPL's files while its memory is preserved (the
 * MPIPL boot runs and the capture kernel has not released it).
 */
static void pnv_mpipl_export_now(Object *machine, const char *dir,
                                 Error **errp)
{
    PnvMachineState *pnv = PNV_MACHINE(machine);

    if (!pnv->mpipl || !pnv_mpipl_export_preserved()) {
        error_setg(errp, "no MPIPL dump is preserved (none was taken, the "
                   "capture kernel released it, or the machine reset since)");
        return;
    }
    if (fadump_export_running()) {
        error_setg(errp, "an export of the dump is still being written");
        return;
    }
    pnv_mpipl_export_to(pnv, dir, errp);
}

void pnv_mpipl_reset(PnvMachineState *pnv, void *fdt)
{
    MachineState *ms = MACHINE(pnv);
    PnvMpipl *mp = pnv->mpipl;
    FadumpGuestOps ops;
    void *copy;
    int dump;
    int size;

    if (!mp) {
        if (ms->fdt != fdt) {
            g_free(ms->fdt);
            ms->fdt = fdt;
        }
        return;
    }
    pnv_mpipl_take_fdt(pnv, mp, fdt);
    pnv_mpipl_reset_sbes(pnv);
    ops = pnv_mpipl_ops(pnv);
    mp->mpipl_boot = fadump_mpipl_reset(mp->engine, &ops, pnv->fw_load_addr);
    trace_pnv_mpipl_reset(mp->mpipl_boot);
    if (!mp->mpipl_boot) {
        return;
    }
    /*
     * The machine FDT is packed: a roomier copy carries mpipl-boot for
     * this boot, and is what dumpdtb and "info fdt" show.
     */
    size = fdt_totalsize(mp->base_fdt) + 4096;
    copy = g_malloc0(size);
    dump = fdt_open_into(mp->base_fdt, copy, size) == 0 ?
           fdt_path_offset(copy, "/ibm,opal/dump") : -FDT_ERR_BADSTATE;
    if (dump < 0 ||
        fdt_setprop(copy, dump, "mpipl-boot", NULL, 0) != 0 ||
        fdt_pack(copy) != 0) {
        error_report("mpipl: cannot mark the device tree as an MPIPL boot; "
                     "booting normally");
        g_free(copy);
        mp->mpipl_boot = false;
        return;
    }
    mp->boot_fdt = copy;
    ms->fdt = copy;
    pnv_mpipl_export(pnv);
}

/*
 * QMP inject-sbe-s0 (the fadump-platform interface's inject_s0): S0 on chip
 * `chip`'s SBE (default: the last chip), as a BMC raises it; the MPIPL work
 * runs on the first vCPU. Errors when MPIPL is off, the chip does not
 * exist, no SBE holds skiboot's base, an MPIPL is under way or its IPL is
 * pending, or the machine is shut down.
 */
static void pnv_mpipl_inject_s0(Object *machine, bool has_chip, uint32_t chip,
                                Error **errp)
{
    PnvMachineState *pnv = PNV_MACHINE(machine);
    FadumpMpiplInfo mi;
    PnvSBE *sbe;

    if (!pnv->mpipl) {
        error_setg(errp, "MPIPL is off on this machine (mpipl=off, or a "
                   "POWER8 machine: no SBE)");
        return;
    }
    if (!has_chip) {
        chip = pnv->num_chips - 1;
    }
    sbe = chip < pnv->num_chips ? pnv_mpipl_sbe(pnv, chip) : NULL;
    if (!sbe) {
        error_setg(errp, "no chip %u with an SBE (the machine has %d chips)",
                   chip, pnv->num_chips);
        return;
    }
    if (fadump_mpipl_info(pnv->mpipl->engine, &mi) != FADUMP_OK) {
        error_setg(errp, "the MPIPL engine cannot report its state");
        return;
    }
    if (!mi.stashed) {
        error_setg(errp, "no SBE holds skiboot's base (no STASH_MPIPL_CONFIG "
                   "since this boot's firmware started): MPIPL is not "
                   "configured, the SBE would ignore S0");
        return;
    }
    if (mi.in_progress) {
        error_setg(errp, "an MPIPL is under way");
        return;
    }
    if (mi.ipl_pending) {
        error_setg(errp, "an MPIPL dumped this machine and its IPL (the reset) "
                   "has not run%s: the SBE ignores S0 until the machine "
                   "boots again", runstate_check(RUN_STATE_SHUTDOWN) ?
                   " (the machine is shut down: -action reboot=shutdown)" : "");
        return;
    }
    if (runstate_check(RUN_STATE_SHUTDOWN)) {
        error_setg(errp, "the machine is shut down (paused by -action "
                   "shutdown=pause): the SBE ignores S0 until it boots again");
        return;
    }
    /*
     * The same write skiboot's putscom makes; the MPIPL work is queued on
     * the first vCPU (no vCPU raised it).
     */
    pnv_mpipl_sbe_ctrl_write(sbe, MPIPL_SBE_CTRL_S0);
}

/* query-fadump's PowerNV part: the fadump-platform interface's query. */
static void pnv_mpipl_query(Object *machine, FadumpInfo *info)
{
    PnvMachineState *pnv = PNV_MACHINE(machine);
    FadumpStashList **tail = &info->stash;
    FadumpMpiplInfo mi;
    uint32_t c;

    info->platform = g_strdup("powernv");
    info->enabled = pnv->mpipl != NULL;
    if (!pnv->mpipl ||
        fadump_mpipl_info(pnv->mpipl->engine, &mi) != FADUMP_OK) {
        return;
    }
    info->has_stash = true;
    for (c = 0; c < FADUMP_MPIPL_MAX_CHIPS; c++) {
        if (mi.stashed & (1u << c)) {
            FadumpStash *st = g_new0(FadumpStash, 1);

            st->chip = c;
            st->base = mi.stash[c];
            QAPI_LIST_APPEND(tail, st);
        }
    }
    info->has_mpipl_in_progress = true;
    info->mpipl_in_progress = mi.in_progress;
    info->has_mpipl_ipl_pending = true;
    info->mpipl_ipl_pending = mi.ipl_pending;
    info->has_mpipl_boot = true;
    info->mpipl_boot = pnv->mpipl->mpipl_boot;
}

static bool pnv_mpipl_get_zero_copy(Object *obj, Error **errp)
{
    return PNV_MACHINE(obj)->mpipl_zero_copy;
}

static void pnv_mpipl_set_zero_copy(Object *obj, bool value, Error **errp)
{
    PNV_MACHINE(obj)->mpipl_zero_copy = value;
}

static bool pnv_mpipl_get_enabled(Object *obj, Error **errp)
{
    return !PNV_MACHINE(obj)->mpipl_disabled;
}

static void pnv_mpipl_set_enabled(Object *obj, bool value, Error **errp)
{
    PNV_MACHINE(obj)->mpipl_disabled = !value;
}

static char *pnv_mpipl_get_truth(Object *obj, Error **errp)
{
    return g_strdup(PNV_MACHINE(obj)->mpipl_ground_truth);
}

static void pnv_mpipl_set_truth(Object *obj, const char *value, Error **errp)
{
    PnvMachineState *pnv = PNV_MACHINE(obj);

    g_free(pnv->mpipl_ground_truth);
    pnv->mpipl_ground_truth = value && *value ? g_strdup(value) : NULL;
}

void pnv_mpipl_class_init(ObjectClass *oc)
{
    FadumpPlatformClass *fpc = FADUMP_PLATFORM_CLASS(oc);
    ObjectProperty *zero_copy;

    fpc->query = pnv_mpipl_query;
    fpc->inject_s0 = pnv_mpipl_inject_s0;
    fpc->export_vmcore = pnv_mpipl_export_now;
    fadump_export_class_init(oc);

    object_class_property_add_bool(oc, "mpipl", pnv_mpipl_get_enabled,
                                   pnv_mpipl_set_enabled);
    object_class_property_set_description(oc, "mpipl",
        "Memory-preserving IPL through the SBE (POWER9 and later)");
    zero_copy = object_class_property_add_bool(oc, "x-fadump-zero-copy",
                                               pnv_mpipl_get_zero_copy,
                                               pnv_mpipl_set_zero_copy);
    object_property_set_default_bool(zero_copy, true);
    object_class_property_set_description(oc, "x-fadump-zero-copy",
        "Move a kernel range's pages into its destination (mremap) instead "
        "of copying them, where the RAM allows it (default on; off: always "
        "copy)");
    object_class_property_add_str(oc, "x-fadump-ground-truth",
                                  pnv_mpipl_get_truth, pnv_mpipl_set_truth);
    object_class_property_set_description(oc, "x-fadump-ground-truth",
        "Testing: file receiving thread registers and RAM page hashes taken "
        "when an MPIPL starts");
}
