#include "fadump/papr/vmcore_source.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "fadump/papr/register_save_area.hpp"
#include "fadump/vmcore/cpu_notes.hpp"
#include "fadump/vmcore/crash_info.hpp"

namespace fadump::papr {
namespace {

using vmcore::BootRegion;

Error bad(const std::string& what)
{
    return fail(Errc::ParamError, "vmcore: " + what);
}

// The active dump's layout as rtas_fadump_get_config finds it.
struct ActiveLayout {
    std::array<BootRegion, FDM_MAX_SECTIONS> boot{};
    size_t nboot = 0;
    GuestAddr boot_dest;  // the destination of the RMR starting at 0
    uint64_t boot_size = 0;
    GuestRange cpu_state;  // the CPU state data as preserved
};

Result<ActiveLayout> active_layout(const Registration& reg)
{
    ActiveLayout a;
    bool have_base = false;
    bool have_cpu = false;
    for (uint16_t i = 0; i < reg.count; ++i) {
        const FdmSection& s = reg.sections[i];
        const uint16_t type = s.source_data_type;
        const bool kernel_reads = type == TYPE_CPU_STATE || type == TYPE_HPTE || type == TYPE_REAL_MODE_REGION;
        if (kernel_reads && s.error_flags != 0) {
            return bad("section " + std::to_string(i) + " has error flags: the capture kernel refuses the dump");
        }
        if (type == TYPE_CPU_STATE) {
            const auto cpu = GuestRange::make(GuestAddr{s.destination_address}, ByteLen{s.bytes_dumped});
            if (!cpu) {
                return bad("the CPU state data's destination wraps");
            }
            a.cpu_state = *cpu;
            have_cpu = true;
        } else if (type == TYPE_REAL_MODE_REGION) {
            a.boot[a.nboot++] =
                BootRegion{GuestAddr{s.source_address}, ByteLen{s.source_length}, GuestAddr{s.destination_address}};
            a.boot_size += s.source_length;  // registration checked: inside RAM, no overflow
            if (s.source_address == 0) {
                a.boot_dest = GuestAddr{s.destination_address};
                have_base = true;
            }
        }
    }
    if (!have_base || !have_cpu) {
        return bad(!have_base ? "no real mode region starts at 0" : "no CPU state data section");
    }
    return a;
}

}  // namespace

Result<vmcore::VmcorePlan> plan_vmcore(GuestMemory& mem, const Registration& reg,
                                       std::span<const vmcore::NodeRange> ram, uint32_t max_threads)
{
    auto layout = active_layout(reg);
    if (!layout) {
        return layout.error();
    }
    const ActiveLayout& a = layout.value();
    const GuestAddr hdr{a.boot_dest.value + a.boot_size};
    auto info = vmcore::read_crash_info(mem, hdr);
    if (!info) {
        return info.error();
    }
    const vmcore::CrashInfo& ci = info.value();

    std::vector<std::byte> rsa(std::min(a.cpu_state.len().bytes, cpu_state_size(max_threads)));
    if (auto r = vmcore::read_dump_bytes(mem, a.cpu_state.start().value, rsa, "register save area"); !r) {
        return r.error();
    }
    std::vector<vmcore::CpuRegs> cpus(max_threads);
    auto ncpus = vmcore::pseries_cpu_regs(rsa, ci, cpus);
    if (!ncpus) {
        return ncpus.error();
    }
    auto vmcoreinfo = vmcore::read_vmcoreinfo(mem, ci);
    if (!vmcoreinfo) {
        return vmcoreinfo.error();
    }
    const std::vector<std::byte>& info_note = vmcoreinfo.value();
    const uint64_t ra_end = hdr.value + vmcore::CRASH_INFO_FIXED_BYTES + ci.cpu_mask_bytes;
    const auto reserved = GuestRange::make(a.cpu_state.start(), ByteLen{ra_end - a.cpu_state.start().value});
    if (ra_end < a.cpu_state.start().value || !reserved) {
        return bad("the CPU state data lies above the crash info header");
    }
    return vmcore::make_plan(ci, {cpus.data(), ncpus.value()}, info_note, {a.boot.data(), a.nboot}, ram, *reserved);
}

}  // namespace fadump::papr
