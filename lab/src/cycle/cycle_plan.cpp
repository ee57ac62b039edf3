#include "cycle_plan.hpp"

#include <fmt/format.h>

namespace lab {
namespace {

// The options' platform, firmware and capture (each an enum: any value
// makes a run).
void set_platform(const RunOptions& opt, CyclePlan& p)
{
    p.machine = to_string(opt.machine);
    p.ours = !opt.qemu.has_value();
    p.pnv = opt.machine != Machine::Pseries;
    p.firmware = p.pnv ? "skiboot" : to_string(opt.firmware);
    p.makedumpfile = opt.capture == Capture::Makedumpfile;
    p.user_disk = opt.disk.has_value();
    p.own_disk = opt.guest == Guest::Debian || p.user_disk;
}

// What --guest debian and --disk cannot be combined with: the lab's driver
// in the image drives one sysrq crash on pseries, and the image's
// kdump-tools makes the capture.
std::string check_guest(const RunOptions& opt, const CyclePlan& p)
{
    if (!p.own_disk) {
        return opt.guest_files.empty() ? std::string()
                                       : "--guest-file writes into a guest's disk: with --guest debian or --disk";
    }
    const std::string which = p.user_disk ? "--disk" : "--guest debian";
    if (p.user_disk && opt.guest == Guest::Debian) {
        return "--disk boots your image, --guest debian the lab's: one of them";
    }
    if (p.scenario->name != "sysrq") {
        return which + " runs the sysrq scenario only (the lab's driver in the image crashes the kernel)";
    }
    if (opt.capture != Capture::Raw) {
        return which + " captures with the image's kdump-tools: no --capture";
    }
    if (opt.initrd) {
        return which + " boots its disk, not an initramfs: no --initrd";
    }
    if (p.pnv) {
        return which + " runs on pseries only";
    }
    return {};
}

// The guest's CPUs, RAM and memory shape, or why they cannot be.
std::string check_size(const RunOptions& opt, const std::string& meminfo, int overcommit, CyclePlan& p)
{
    const Scenario& sc = *p.scenario;
    p.smp = sc.smp.empty() ? opt.smp : sc.smp;
    p.mem_spec = sc.mem.empty() ? opt.mem : sc.mem;
    const auto boot = mem_bytes(p.mem_spec);
    if (!boot) {
        return "cannot read --mem " + p.mem_spec;
    }
    p.boot_ram_bytes = *boot;
    p.ram_bytes = *boot + sc.added_ram_bytes;
    p.cpus = smp_cpus(p.smp);
    p.memory = opt.memory;
    if (p.memory.backend.empty() && !sc.memory_backend.empty()) {
        p.memory.backend = sc.memory_backend;
    }
    if (const std::string why = host_cannot_commit(meminfo, overcommit, *boot); !why.empty()) {
        if (overcommit == 2) {
            return "--mem " + p.mem_spec + ": " + why;
        }
        p.memory.noreserve = true;  // TCG touches only the pages the guest uses
    }
    const auto shape = memory_args(p.memory, *boot, p.machine, "");
    if (const auto* why = std::get_if<std::string>(&shape)) {
        return "--numa/--memory-backend: " + *why;
    }
    if (p.memory.backend == "hugetlb") {
        if (const std::string shortfall = hugetlb_shortfall(meminfo, *boot); !shortfall.empty()) {
            return "--memory-backend hugetlb: " + shortfall;
        }
    }
    return {};
}

}  // namespace

std::variant<CyclePlan, std::string> plan_cycle(const RunOptions& opt, const std::string& meminfo, int overcommit)
{
    CyclePlan p;
    set_platform(opt, p);
    p.scenario = find_scenario(opt.scenario);
    if (p.scenario == nullptr) {
        return "no scenario " + opt.scenario + " (fadump-lab scenarios lists them)";
    }
    if (opt.machine == Machine::Powernv11 && p.ours && opt.qemu_version != QemuVersion::V11_1) {
        return "powernv11 needs --qemu-version 11.1 (QEMU 10.0 has no Power11 machine)";
    }
    if (!p.scenario->runs_on(p.machine)) {
        return "scenario " + p.scenario->name + " does not run on " + p.machine;
    }
    if (std::string why = check_guest(opt, p); !why.empty()) {
        return why;
    }
    if (std::string why = check_size(opt, meminfo, overcommit, p); !why.empty()) {
        return why;
    }
    p.run_name = p.scenario->name == "sysrq" ? fmt::format("{}-{}", p.machine, p.firmware)
                                             : fmt::format("{}-{}-{}", p.machine, p.firmware, p.scenario->name);
    if (p.own_disk) {
        p.run_name += p.user_disk ? "-disk" : "-debian";
    }
    return p;
}

}  // namespace lab
