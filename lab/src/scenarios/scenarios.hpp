// The scenarios fadump-lab runs (`fadump-lab run --scenario NAME`): each is a
// description of what to do to the guest and the machine and what to expect
// of every boot, the test cases kernel and distribution engineers run on
// hardware with op-test (testcases/PowerNVDump.py, the kdump/fadump suites),
// expressed for an emulated machine. The Cycle (lab/src/cycle/) and the guest's
// /init (lab/guest/init) interpret them; adding one is an entry in
// scenarios.cpp and, when the guest runs shell for it, its files in
// lab/guest/scenarios/ (NAME.before-crash.sh, NAME.before-capture.sh;
// shared fragments in lib/), which lint checks with shellcheck.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lab {

/// What one boot of the guest does, in order, as /init reports it.
enum class Boot {
    Crash,         // the first kernel: registers fadump (unless disabled), runs the scenario, goes down
    CaptureCrash,  // a capture kernel (/proc/vmcore present) that crashes before it releases the dump
    Capture,       // a capture kernel that saves the vmcore and releases it: the dump is proven
    Plain,         // a kernel that finds no dump and powers off
    OpalCore,      // PowerNV: no kernel dump, only skiboot's own (the OPAL core): saved, released, proven
};

/// How the first kernel goes down.
enum class Trigger {
    Sysrq,    // echo c > /proc/sysrq-trigger from a child shell of /init
    HostNmi,  // every CPU hangs with interrupts off (LKDTM HARDLOCKUP); the host sends QMP inject-nmi
    /// PowerNV: the OS writes S0 to every chip's SBE control register
    /// (XSCOM 0x50008) through /sys/kernel/debug/powerpc/scom, secondary
    /// chips first: op-test's SBECrash_MPIPL with skiboot's putscom. No
    /// panic: a firmware-initiated dump (the kernel's crashing CPU unknown).
    SbeS0,
    /// PowerNV: every CPU hangs as for HostNmi, then the host raises S0
    /// (QMP inject-sbe-s0), as a BMC dumps a hung host: no panic, every
    /// thread's registers the firmware's, each where it hung.
    HostS0,
};

/// When the lab live-migrates the guest to a second QEMU (migrate to a file,
/// then the same command line with -incoming; the console continues).
enum class Migrate {
    Never,
    /// In the first kernel once fadump registered: the crash happens on the
    /// destination, so its dump proves the registration travelled.
    Registered,
    /// In the capture kernel with the dump active, before it saves anything:
    /// the vmcore is read, proven and released on the destination.
    DumpActive,
    /// As Registered, but postcopy: the destination runs the guest while
    /// its RAM still arrives (userfaultfd), and the guest crashes there
    /// while the source still serves missing pages.
    Postcopy,
};

/// A console expectation: a line matching `regex` (ECMAScript) on boot
/// `boot` (0: the first kernel, 1: the next...); it is the check
/// "scenario.NAME".
struct ConsoleExpect {
    std::string name;
    unsigned boot = 0;
    std::string regex;
    std::string why;           // what the line proves, for the report
    std::string absent_regex;  // and no line of that boot matches this, when set
    unsigned min_count = 1;    // lines that must match `regex`
    std::string platform;      // "pseries" or "powernv" only, when set
    /// Where to look: the console, or (true) our QEMU's fadump/MPIPL trace
    /// events, the platform's own account (`boot` is then ignored).
    bool platform_trace = false;
};

struct Scenario {
    std::string name;
    std::string summary;  // what it proves, one sentence
    bool pseries = true;  // runs on pseries
    bool powernv = true;  // runs on powernv9/powernv10
    /// The kernel's fadump argument; empty: none (fadump stays disabled).
    std::string fadump_arg = "fadump=on";
    std::string append;                  // more kernel arguments
    std::string smp;                     // QEMU -smp instead of the run's, when set
    std::string mem;                     // QEMU -m instead of the run's, when set
    std::vector<std::string> qemu_args;  // more QEMU arguments
    /// A read-only virtio disk (serial "slow") over the run's initramfs whose
    /// reads QEMU throttles to 256 KiB/s, so a guest reading it has a request
    /// in flight in QEMU's block layer at the crash.
    bool slow_disk = false;
    /// A virtio-net NIC (pseries: the default bus; PowerNV: pcie.4) fed
    /// broadcast frames from the host from QEMU's start to the end of the
    /// run (NetFlood): the NIC writes guest memory until the machine stops.
    bool net_flood = false;
    /// The flooded NIC's QEMU device: virtio-net-pci, or spapr-vlan
    /// (pseries' virtual Ethernet, which writes guest memory through its
    /// hcall-registered buffers).
    std::string flood_nic = "virtio-net-pci";
    /// A read-only disk over the run's initramfs served by a vhost-user
    /// back-end (VhostUserDisk: QEMU's contrib/vhost-user-blk): the
    /// back-end writes guest memory itself.
    bool vhost_user_disk = false;
    /// The guest RAM's backend when the run names none (--memory-backend):
    /// vhost-user needs shared RAM ("memfd").
    std::string memory_backend;
    std::string page_size = "64k";  // the kernel's: 64k or 4k (scripts/build-kernel)
    /// Shell sourced by /init on the first boot once fadump registered (or
    /// at once when the scenario is not registered), before the trigger: a
    /// file of lab/guest/scenarios/ (scenario_shell_dir), "" for none. It
    /// may print "FADUMP-LAB: ..." lines; "FADUMP-LAB: host-step" makes the
    /// lab send `qmp` and the script waits for their effect itself. It may
    /// source the directory's lib/ fragments as /scenario/lib/NAME.
    std::string before_crash;
    /// Shell sourced by /init in a capture kernel once /proc/vmcore exists,
    /// before it saves anything: a file of lab/guest/scenarios/, as above.
    std::string before_capture;
    /// The guest's migration; the script that asks for it prints
    /// "FADUMP-LAB: migrate" and runs `host_wait migrated` (/init).
    Migrate migrate = Migrate::Never;
    /// QMP commands (JSON objects) the lab sends at "FADUMP-LAB: host-step".
    std::vector<std::string> qmp;
    /// RAM the QMP commands add (bytes): the guest's RAM is -m plus this.
    uint64_t added_ram_bytes = 0;
    Trigger trigger = Trigger::Sysrq;
    /// Trigger::HostNmi: the function every CPU hangs in (the crashing
    /// CPU's saved NIP), and the frames crash must show on every CPU ("a|b":
    /// either). The crashing CPU's note holds the registers the NMI
    /// interrupted, so crash shows it in the hang function; the others'
    /// notes are the firmware's, inside the system reset handler, and crash
    /// does not unwind through its exception frame into the hang function,
    /// only to its caller.
    std::string hang_function;
    std::vector<std::string> hang_frames;
    /// The first capture kernel crashes (sysrq) before it saves anything.
    bool capture_crash = false;
    /// Boots after the first, per platform ({Capture} for a plain dump).
    std::vector<Boot> pseries_boots = {Boot::Capture};
    std::vector<Boot> powernv_boots = {Boot::Capture};
    std::vector<ConsoleExpect> expect;
    /// Why the boots are what they are, when that is not obvious: goes to
    /// the report (facts.scenario_outcome).
    std::string outcome_note;

    [[nodiscard]] bool runs_on(const std::string& machine) const;
    [[nodiscard]] const std::vector<Boot>& boots_after_crash(const std::string& machine) const;
};

/// Every scenario, in the order the matrix shows them.
const std::vector<Scenario>& scenarios();

/// Where the scenarios' shell lives: lab/guest/scenarios of the source
/// tree (source_root()), with the fragments they source in lib/.
std::string scenario_shell_dir();

/// The text of `file` in scenario_shell_dir(); nullopt when it cannot be
/// read.
std::optional<std::string> scenario_shell(const std::string& file);

/// The scenario called `name`; nullptr when there is none.
const Scenario* find_scenario(const std::string& name);

const char* to_string(Boot b);

/// The trigger as /init's TRIGGER knows it: sysrq, hang, sbe-s0.
const char* trigger_name(Trigger t);

}  // namespace lab
