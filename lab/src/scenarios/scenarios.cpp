#include "scenarios.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "artifacts.hpp"

namespace lab {
namespace {

// The one function over the house limit of ~150 lines: it is the scenario
// table, one designated-initializer entry per scenario, data and no logic
// (the shell a scenario runs lives in lab/guest/scenarios/).
std::vector<Scenario> make()  // NOLINT(readability-function-size)
{
    std::vector<Scenario> s;

    s.push_back({.name = "sysrq",
                 .summary = "boot with fadump=on, register, crash through sysrq, capture and prove the vmcore"});

    s.push_back(
        {.name = "nocma",
         .summary = "fadump=nocma: the reserved area is not lent to the kernel through CMA; the dump is the same",
         .fadump_arg = "fadump=nocma",
         .expect = {{.name = "no_cma_area",
                     .boot = 0,
                     .regex = "fadump: Reserved \\d+MB of memory at",
                     .why = "the area is reserved",
                     .absent_regex = "cma area"}}});

    s.push_back({.name = "reregister",
                 .summary = "unregister and register again through /sys/kernel/fadump/registered (as SUSE's kdump "
                            "loads), then crash",
                 .before_crash = "reregister.before-crash.sh",
                 .expect = {{.name = "unregistered",
                             .boot = 0,
                             .regex = "FADUMP-LAB: reregister step=unregistered registered=0",
                             .why = "writing 0 unregistered fadump"},
                            {.name = "registered_again",
                             .boot = 0,
                             .regex = "FADUMP-LAB: reregister step=registered registered=1",
                             .why = "writing 1 registered it again"},
                            {.name = "second_registration",
                             .boot = 0,
                             .regex = "Registration is successful",
                             .why = "the kernel registered twice",
                             .min_count = 2}}});

    s.push_back({.name = "bootargs-append",
                 .summary = "extra arguments written to /sys/kernel/fadump/bootargs_append reach the capture "
                            "kernel's command line (the param area)",
                 .powernv = false,
                 .before_crash = "bootargs-append.before-crash.sh",
                 .expect = {{.name = "capture_cmdline",
                             .boot = 1,
                             .regex = "Kernel command line:.*fadump_lab_marker=bootargs-append-ok",
                             .why = "the capture kernel booted with the appended argument"}}});

    s.push_back({.name = "crashkernel",
                 .summary = "crashkernel=4200M on 17 GiB (the kernel allows a quarter of RAM): more than the 4 GiB "
                            "an MDST entry copies, so two boot memory regions. PowerNV only: pseries copies any "
                            "size in one region (rtas-fadump.c max_copy_size is 2^64 - 64 KiB)",
                 .pseries = false,
                 .append = "crashkernel=4200M",
                 .mem = "17G",
                 .before_crash = "crashkernel.before-crash.sh",
                 .expect = {{.name = "uses_crashkernel",
                             .boot = 0,
                             .regex = "fadump: Reserved 420[08]MB of memory at",
                             .why = "the kernel sized its boot memory from crashkernel= (6.12 rounds 4200 MiB up "
                                    "to 16 MiB, 7.2 does not)"},
                            {.name = "two_regions",
                             .boot = 0,
                             .regex = "FADUMP-LAB: report boot_memory_regions 2$",
                             .why = "skiboot's MDST entries hold at most 4 GiB (opal-fadump.c max_copy_size)"}}});

    s.push_back({.name = "crashkernel-small",
                 .summary = "crashkernel=768M: the smallest boot memory PowerNV accepts (opal-fadump's floor; "
                            "pseries' is 320 MiB)",
                 .append = "crashkernel=768M",
                 .mem = "4G",  // at most a quarter of RAM (fadump.c MAX_BOOT_MEM_RATIO)
                 .before_crash = "crashkernel-small.before-crash.sh",
                 .expect = {{.name = "uses_crashkernel",
                             .boot = 0,
                             .regex = "fadump: Reserved 768MB of memory at",
                             .why = "the kernel sized its boot memory from crashkernel="},
                            {.name = "one_region",
                             .boot = 0,
                             .regex = "FADUMP-LAB: report boot_memory_regions 1$",
                             .why = "768 MiB is one region"}}});

    s.push_back({.name = "smt",
                 .summary = "two of four threads offline before the crash: the dump holds registers for the online "
                            "CPUs the kernel recorded, and says which were offline",
                 .smp = "4,cores=2,threads=2",
                 .before_crash = "smt.before-crash.sh",
                 .expect = {{.name = "threads_offline",
                             .boot = 0,
                             .regex = "FADUMP-LAB: cpus-online 0,2$",
                             .why = "CPUs 1 and 3 went offline"}}});

    s.push_back(
        {.name = "hotplug-cpu",
         .summary = "a CPU core added through QMP device_add while the guest runs (pseries DLPAR); the dump "
                    "holds the new CPU",
         .powernv = false,
         .smp = "2,maxcpus=4",
         .before_crash = "hotplug-cpu.before-crash.sh",
         .qmp =
             {R"({"execute":"device_add","arguments":{"driver":"power10_v2.0-spapr-cpu-core","id":"core2","core-id":2}})"},
         .expect = {{.name = "cpu_added",
                     .boot = 0,
                     .regex = "FADUMP-LAB: cpus-online 0-2$",
                     .why = "the new core's CPU came online"}}});

    s.push_back(
        {.name = "hotplug-mem",
         .summary = "a 1 GiB DIMM added through QMP while the guest runs (pseries DLPAR, which onlines it "
                    "itself); the dump covers it",
         .powernv = false,
         .mem = "2G,slots=2,maxmem=4G",
         // With the PHB's dynamic DMA window (DDW) on, the kernel maps
         // all RAM directly for DMA and must extend that mapping
         // before new memory comes online (pseries iommu.c memory
         // notifier); on QEMU 10.0 that fails and the LMBs are
         // removed again ("Failed to online LMB"). Without DDW the
         // default 32-bit window needs no change.
         .qemu_args = {"-global", "spapr-pci-host-bridge.ddw=off"},
         .before_crash = "hotplug-mem.before-crash.sh",
         .qmp =
             {R"({"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"mem1","size":1073741824}})",
              R"({"execute":"device_add","arguments":{"driver":"pc-dimm","id":"dimm1","memdev":"mem1"}})"},
         .added_ram_bytes = 1ULL << 30,
         .expect = {{.name = "memory_added",
                     .boot = 0,
                     .regex = "FADUMP-LAB: report memtotal [3-9][0-9]{6} kB",
                     .why = "the kernel onlined the DIMM (MemTotal over 3 million kB)"}}});

    s.push_back({.name = "hash-mmu",
                 .summary = "the guest runs with the hash MMU (disable_radix); on pseries the platform advertises "
                            "its hash page table, the kernel registers an HPTE section and the dump holds the HPT",
                 .append = "disable_radix",
                 // The capture kernel's view of the dump's sections
                 // (rtas-fadump.c rtas_fadump_region_show; PowerNV has none).
                 .before_capture = "hash-mmu.before-capture.sh",
                 .expect = {{.name = "hash_mmu",
                             .boot = 0,
                             .regex = "Initializing hash mmu",
                             .why = "the first kernel ran with the hash MMU"},
                            {.name = "hpte_section_dumped",
                             .boot = 1,
                             .regex = "FADUMP-LAB: dumped HPTE:.* (0x[1-9a-f][0-9a-f]*) bytes, Dumped: \\1$",
                             .why = "the HPTE section asked for the advertised HPT, more than 0 bytes, and got all "
                                    "of it (the capture kernel rejects a section dumped short)",
                             .platform = "pseries"}}});

    s.push_back({.name = "4k-pages",
                 .summary = "a kernel built with 4 KiB pages (CONFIG_PPC_4K_PAGES) next to the 64 KiB default",
                 .page_size = "4k"});

    s.push_back({.name = "nmi",
                 .summary = "every CPU hung with interrupts off (LKDTM HARDLOCKUP); the host's QMP inject-nmi dumps "
                            "it and the vmcore shows each CPU where it hung",
                 .trigger = Trigger::HostNmi,
                 .hang_function = "lkdtm_HARDLOCKUP",
                 .hang_frames = {"direct_entry", "lkdtm_HARDLOCKUP|system_reset_exception"}});

    s.push_back({.name = "nmi-no-fwnmi",
                 .summary = "the nmi scenario on a pseries machine without FWNMI (cap-fwnmi=off: ibm,nmi-register "
                            "answers not-supported), so the host's system reset reaches the kernel at 0x100 "
                            "instead of its registered handler; the dump is the same",
                 .powernv = false,
                 .qemu_args = {"-machine", "cap-fwnmi=off"},
                 .trigger = Trigger::HostNmi,
                 .hang_function = "lkdtm_HARDLOCKUP",
                 .hang_frames = {"direct_entry", "lkdtm_HARDLOCKUP|system_reset_exception"},
                 .outcome_note = "PAPR as PowerVM and KVM implement it: a system reset goes to the OS's FWNMI "
                                 "handler when registered (r3 saved in RTAS's save area), else to 0x100, and needs "
                                 "no ibm,nmi-interlock (Linux pseries/ras.c); either way Linux panics and calls "
                                 "ibm,os-term, which dumps. An automatic platform dump after the NMI "
                                 "(fdm max_time_auto) is what Linux disables (it writes 0)"});

    s.push_back({.name = "sbe-s0",
                 .summary = "the SBE's S0 interrupt raised directly (op-test's SBECrash_MPIPL: putscom 0x50008 on "
                            "every chip) with fadump registered: an MPIPL no panic started; every thread's registers "
                            "are the firmware's",
                 .pseries = false,
                 .trigger = Trigger::SbeS0,
                 .expect = {{.name = "s0_started_mpipl",
                             .regex = "pnv_mpipl_s0 chip \\d+ starts MPIPL 1",
                             .why = "the SBE saw S0 and started the MPIPL",
                             .platform_trace = true},
                            {.name = "mpipl_boot",
                             .regex = "pnv_mpipl_reset mpipl-boot 1",
                             .why = "the machine booted again with mpipl-boot",
                             .platform_trace = true}},
                 .outcome_note = "a firmware-initiated dump: the kernel never panicked, so its crash info names no "
                                 "crashing CPU and opal-fadump.c takes every thread's registers from the SBE's "
                                 "architected register data; the thread that wrote S0 is inside OPAL (skiboot's "
                                 "xscom write)"});

    s.push_back({.name = "host-s0",
                 .summary = "every CPU hung with interrupts off (LKDTM HARDLOCKUP); the host raises S0 (QMP "
                            "inject-sbe-s0, what a BMC does): an MPIPL of a hung host, every thread's registers "
                            "the firmware's, each where it hung",
                 .pseries = false,
                 .trigger = Trigger::HostS0,
                 .hang_function = "lkdtm_HARDLOCKUP",
                 // crash names the hung NIP's frame "_end" (no exception
                 // frame to unwind from); the NIP itself is checked on
                 // every note (registers.crashing_cpu_in_panic_path).
                 .hang_frames = {"direct_entry"},
                 .expect = {{.name = "s0_started_mpipl",
                             .regex = "pnv_mpipl_s0 chip \\d+ starts MPIPL 1",
                             .why = "the host's S0 started the MPIPL",
                             .platform_trace = true}},
                 .outcome_note = "a firmware-initiated dump of a hung host: no panic, so the kernel's crash info "
                                 "names no crashing CPU and opal-fadump.c takes every thread's registers from the "
                                 "SBE's architected register data"});

    s.push_back({.name = "sbe-s0-unregistered",
                 .summary = "S0 raised with no kernel registered (fadump off): the MPIPL still preserves skiboot's "
                            "own region; the next kernel finds no kernel dump but the OPAL core, which is proven",
                 .pseries = false,
                 .fadump_arg = "",
                 // Two chips: S0 goes to the secondary first, as op-test does.
                 .smp = "2,sockets=2,cores=1,threads=1",
                 .trigger = Trigger::SbeS0,
                 .powernv_boots = {Boot::OpalCore},
                 .expect = {{.name = "s0_started_mpipl",
                             .regex = "pnv_mpipl_s0 chip 1 starts MPIPL 1",
                             .why = "skiboot stashed its base in both SBEs at boot, so the first S0 (the secondary "
                                    "chip's) starts an MPIPL with or without a kernel registration (skiboot "
                                    "registers its own region itself)",
                             .platform_trace = true},
                            {.name = "no_kernel_metadata",
                             .boot = 1,
                             .regex = "Failed to get Kernel metadata",
                             .why = "the kernel saw mpipl-boot but no kernel registration (tag KERNEL 0): no vmcore"}},
                 .outcome_note = "with no kernel registered the SBE and hostboot still do the MPIPL skiboot asked "
                                 "for at boot (its stash); skiboot's own region is the whole dump, exported as "
                                 "/sys/firmware/opal/mpipl/core, and the kernel boots without /proc/vmcore"});

    // The guest asks, then waits until the lab says the destination runs.
    // One CPU: QEMU 10.0 TCG loses secondary CPUs after a pseries migration
    // (measured with no fadump state at all, migrating during boot: CPU 1's
    // decrementer stays negative, it never leaves H_CEDE, so whatever runs
    // there hangs); -smp 1 migrates and runs on.
    // The first kernel ran on in the destination (the line after host_wait).
    const ConsoleExpect RESUMED{.name = "resumed",
                                .boot = 0,
                                .regex = "FADUMP-LAB: migrated$",
                                .why = "the first kernel ran on in the destination before it crashed"};
    const char* const MIGRATE_NOTE =
        "PowerNV has no migration in QEMU 10.0 (none of its devices has vmstate). One CPU: QEMU 10.0's TCG "
        "loses a pseries guest's secondary CPUs across a migration (reproduced without any fadump state: "
        "CPU 1's decrementer stays expired and it never leaves H_CEDE), a QEMU defect outside fadump";
    s.push_back({.name = "reads-in-flight",
                 .summary =
                     "a direct read is waiting in QEMU's block layer (throttled) when the kernel crashes: it completes "
                     "before the dump is taken, never into the dump afterwards",
                 .slow_disk = true,
                 .before_crash = "reads-in-flight.before-crash.sh",
                 .expect = {{.name = "read_in_flight",
                             .boot = 0,
                             .regex = "FADUMP-LAB: report reads_in_flight [1-9]",
                             .why = "a read of the throttled disk was in flight just before the crash"}}});

    s.push_back({.name = "vhost-user-reads",
                 .summary =
                     "the guest reads a vhost-user disk without pause when the kernel crashes (QEMU's reference "
                     "back-end contrib/vhost-user-blk writes guest memory itself): the machine stop suspends its "
                     "ring before the dump, the dump is exact, and the capture kernel reads the whole disk again",
                 // QEMU 10.0's vhost_dev_start, 11.1's vhost_dev_start_in/_out.
                 .qemu_args = {"-trace", "vhost_dev_start*", "-trace", "vhost_dev_stop*"},
                 .vhost_user_disk = true,
                 .memory_backend = "memfd",
                 .before_crash = "vhost-user-reads.before-crash.sh",
                 .before_capture = "vhost-user-reads.before-capture.sh",
                 .expect = {{.name = "vhost_user_disk",
                             .boot = 0,
                             .regex = "FADUMP-LAB: report vhost_user_disk /dev/vd",
                             .why = "the guest found the vhost-user-blk disk"},
                            {.name = "vhost_user_busy",
                             .boot = 0,
                             .regex = "FADUMP-LAB: report vhost_user_reads_last_second [1-9]",
                             .why = "the back-end completed reads into guest memory in the second before the crash"},
                            {.name = "vhost_user_capture_read",
                             .boot = 1,
                             .regex = "FADUMP-LAB: report vhost_user_capture_read ([1-9][0-9]*) of \\1(?![0-9])",
                             .why = "after the dump's stop, reset and restart the capture kernel read the whole disk "
                                    "through the back-end"},
                            {.name = "vhost_user_restarted",
                             .regex = "vhost_dev_start(_in)? .*virtio-blk",
                             .why = "the back-end's rings started in the first kernel and again in the capture kernel",
                             .min_count = 2,
                             .platform_trace = true}}});

    const ConsoleExpect FLOOD_RECEIVED{.name = "frames_received",
                                       .boot = 0,
                                       .regex = "FADUMP-LAB: report rx_packets [1-9]",
                                       .why = "the guest's NIC received the host's frames before the crash"};
    s.push_back({.name = "net-flood",
                 .summary = "the host floods the guest's virtio-net NIC with broadcast frames through the crash: the "
                            "NIC writes guest memory until the machine stops for the dump, never into the dump after",
                 .net_flood = true,
                 .before_crash = "net-flood.before-crash.sh",
                 .expect = {FLOOD_RECEIVED}});

    s.push_back({.name = "net-flood-vlan",
                 .summary = "the host floods the guest's spapr-vlan NIC (pseries' virtual Ethernet, receiving "
                            "into buffers the guest registered by hcall) with broadcast frames through the crash: "
                            "it writes guest memory until the machine stops for the dump, never into the dump after",
                 .powernv = false,
                 .net_flood = true,
                 .flood_nic = "spapr-vlan",
                 .before_crash = "net-flood-vlan.before-crash.sh",
                 .expect = {FLOOD_RECEIVED}});

    // 64 MiB of non-zero page cache (11-byte lines doubled to 1.4 MiB, 93
    // times), reported: a migration stream carries zero pages almost free,
    // so only these keep a rate-limited one busy.
    const ConsoleExpect FILLED{.name = "filled",
                               .boot = 0,
                               .regex = "FADUMP-LAB: report filled_kib 6[0-9]{4}",
                               .why = "the guest filled about 64 MiB of page cache with non-zero bytes"};
    // A background snapshot runs without QEMU's bandwidth limit (its thread
    // sets none), so its reader sets the pace: 128 KiB every 15 ms, about
    // 8 MiB/s. Zero pages cost the stream almost nothing; the guest's 64 MiB
    // of non-zero page cache, with its kernel and initramfs, keep the
    // snapshot running for several seconds after the crash 2 s in. The
    // reader never leaves the pipe full for long, so the guest's
    // write-protect faults are served within milliseconds (a reader that
    // paused for seconds stalled the guest until the snapshot was over).
    s.push_back({.name = "background-snapshot",
                 .summary = "a background snapshot (QMP migrate with background-snapshot into a reader draining "
                            "about 8 MiB/s, over 64 MiB more of non-zero guest pages) is being written when the "
                            "kernel crashes: the dump copies instead of moving, through the snapshot's write "
                            "protection, and is exact",
                 .powernv = false,
                 .before_crash = "background-snapshot.before-crash.sh",
                 .qmp = {R"({"execute":"migrate-set-capabilities","arguments":{"capabilities":[)"
                         R"({"capability":"background-snapshot","state":true}]}})",
                         R"({"execute":"migrate","arguments":{"uri":)"
                         R"("exec:while [ $(head -c 131072 | wc -c) -gt 0 ]; do sleep 0.015; done"}})"},
                 .expect = {FILLED,
                            {.name = "copied_for_the_snapshot",
                             .regex = "fadump_preserve .*: copy .*background snapshot is running",
                             .why = "the dump copied (no move) while the snapshot ran",
                             .platform_trace = true}}});

    s.push_back({.name = "migrate-registered",
                 .summary = "register, live-migrate the guest to a second QEMU (migrate to a file, -incoming), "
                            "crash on the destination: the registration travelled and its dump is proven",
                 .powernv = false,
                 .smp = "1",
                 .before_crash = "migrate-registered.before-crash.sh",
                 .migrate = Migrate::Registered,
                 .expect = {{.name = "state_sent",
                             .regex = "spapr_fadump_state incoming 0 state \\d+ bytes",
                             .why = "the source saved the registration into the migration stream",
                             .platform_trace = true},
                            {.name = "state_loaded",
                             .regex = "spapr_fadump_state incoming 1 state \\d+ bytes",
                             .why = "the destination validated and took the registration",
                             .platform_trace = true},
                            RESUMED},
                 .outcome_note = MIGRATE_NOTE});

    // 64 MiB of non-zero page cache first: the postcopy stream, limited
    // to 8 MiB/s (zero pages cost it almost nothing), is then still running
    // when the guest crashes on the destination right after it resumed.
    s.push_back({.name = "migrate-postcopy",
                 .summary = "register, live-migrate with postcopy and crash on the destination while its RAM still "
                            "arrives from the source through userfaultfd: the dump copies instead of moving (a move "
                            "would drop the registration), fetching what has not arrived, and is exact",
                 .powernv = false,
                 .smp = "1",
                 .before_crash = "migrate-postcopy.before-crash.sh",
                 .migrate = Migrate::Postcopy,
                 .expect = {FILLED,
                            {.name = "copied_for_postcopy",
                             .regex = "fadump_preserve .*: copy .*incoming postcopy migration",
                             .why = "the destination's dump copied (no move) while postcopy ran",
                             .platform_trace = true},
                            RESUMED},
                 .outcome_note = MIGRATE_NOTE});

    s.push_back({.name = "migrate-dump-active",
                 .summary = "crash, then live-migrate the capture kernel with the dump active: the destination "
                            "serves /proc/vmcore's preserved memory, the vmcore is proven and released there",
                 .powernv = false,
                 .smp = "1",
                 .before_capture = "migrate-dump-active.before-capture.sh",
                 .migrate = Migrate::DumpActive,
                 .expect = {{.name = "state_loaded",
                             .regex = "spapr_fadump_state incoming 1 state \\d+ bytes",
                             .why = "the destination validated and took the active dump",
                             .platform_trace = true},
                            {.name = "invalidated_on_destination",
                             .regex = "spapr_fadump_configure cmd 3 .*status 0",
                             .why = "the capture kernel released the dump on the destination (INVALIDATE accepted: "
                                    "the destination knew the dump was active)",
                             .platform_trace = true},
                            {.name = "resumed",
                             .boot = 1,
                             .regex = "FADUMP-LAB: migrated$",
                             .why = "the capture kernel ran on in the destination"}},
                 .outcome_note = MIGRATE_NOTE});

    s.push_back({.name = "disabled",
                 .summary = "fadump not enabled: the crash reboots normally (panic=1), no dump appears, nothing is "
                            "preserved",
                 .fadump_arg = "",
                 .append = "panic=1",
                 .qemu_args = {"-action", "panic=none"},
                 .pseries_boots = {Boot::Plain},
                 .powernv_boots = {Boot::Plain},
                 .expect = {{.name = "not_enabled",
                             .boot = 0,
                             .regex = "FADUMP-LAB: sysfs enabled=0",
                             .why = "the kernel did not enable fadump"}}});

    s.push_back({.name = "double-crash",
                 .summary = "the capture kernel crashes before it releases the dump (panic=1): the platform must "
                            "neither hang nor hand out a corrupted first dump",
                 .append = "panic=1",
                 .qemu_args = {"-action", "panic=none"},
                 .capture_crash = true,
                 .pseries_boots = {Boot::CaptureCrash, Boot::Plain},
                 .powernv_boots = {Boot::CaptureCrash, Boot::Plain},
                 .expect = {{.name = "dump_invalidated",
                             .regex = "spapr_fadump_configure cmd 3 .*status 0",
                             .why = "the panicking capture kernel invalidated the dump itself",
                             .platform = "pseries",
                             .platform_trace = true}},
                 .outcome_note =
                     "the platform keeps an active dump across resets until the OS invalidates it; Linux's capture "
                     "kernel, panicking, invalidates it on its way to the reboot (emergency_restart -> "
                     "machine_restart -> machine_shutdown -> fadump_cleanup), so the next boot is a plain one with "
                     "no dump: never a half or stale one"});
    return s;
}

}  // namespace

bool Scenario::runs_on(const std::string& machine) const
{
    return machine.rfind("powernv", 0) == 0 ? powernv : pseries;
}

const std::vector<Boot>& Scenario::boots_after_crash(const std::string& machine) const
{
    return machine.rfind("powernv", 0) == 0 ? powernv_boots : pseries_boots;
}

const std::vector<Scenario>& scenarios()
{
    static const std::vector<Scenario> all = make();
    return all;
}

const Scenario* find_scenario(const std::string& name)
{
    for (const auto& s : scenarios()) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

std::string scenario_shell_dir()
{
    return (std::filesystem::path(source_root()) / "lab" / "guest" / "scenarios").string();
}

std::optional<std::string> scenario_shell(const std::string& file)
{
    std::ifstream in(std::filesystem::path(scenario_shell_dir()) / file, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        return std::nullopt;
    }
    return text;
}

const char* to_string(Boot b)
{
    switch (b) {
        case Boot::Crash:
            return "crash";
        case Boot::CaptureCrash:
            return "capture-crash";
        case Boot::Capture:
            return "capture";
        case Boot::Plain:
            return "plain";
        case Boot::OpalCore:
            return "opalcore";
    }
    return "?";
}

const char* trigger_name(Trigger t)
{
    switch (t) {
        case Trigger::Sysrq:
            return "sysrq";
        case Trigger::HostNmi:
            return "hang";
        case Trigger::SbeS0:
            return "sbe-s0";
        case Trigger::HostS0:
            return "hang";
    }
    return "?";
}

}  // namespace lab
