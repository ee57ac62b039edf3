#include "fadump/opal/vmcore_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "fadump/vmcore/cpu_notes.hpp"
#include "fadump/vmcore/crash_info.hpp"

namespace fadump::opal {
namespace {

Error bad(const std::string& what)
{
    return fail(Errc::ParamError, "vmcore: " + what);
}

// The boot memory's size, once the destinations are checked to lie end to
// end from the first, as opal_fadump_init_mem_struct lays them out.
Result<uint64_t> boot_memory_size(const DumpRecord& rec)
{
    if (rec.kernel.empty()) {
        return bad("the MDRT holds no kernel range");
    }
    uint64_t size = 0;
    for (const auto& r : rec.kernel) {
        uint64_t dest = 0;
        if (__builtin_add_overflow(rec.kernel.front().dest.value, size, &dest) || dest != r.dest.value) {
            return bad(
                fmt::format("the kernel range at {:#x} is not preserved right after the previous one's "
                            "destination",
                            r.source.value));
        }
        if (__builtin_add_overflow(size, r.size.bytes, &size)) {
            return bad("the boot memory's size wraps");
        }
    }
    return size;
}

uint64_t page_align(uint64_t v, uint64_t page)
{
    return (v + page - 1) & ~(page - 1);
}

}  // namespace

Result<GuestAddr> crash_info_address(const DumpRecord& rec)
{
    auto boot_size = boot_memory_size(rec);
    if (!boot_size) {
        return boot_size.error();
    }
    return GuestAddr{rec.kernel.front().dest.value + boot_size.value()};  // boot_memory_size checked the sum
}

Result<vmcore::VmcorePlan> plan_vmcore(GuestMemory& mem, const DumpRecord& rec, std::span<const vmcore::NodeRange> ram,
                                       uint32_t max_threads)
{
    auto boot_size = boot_memory_size(rec);
    if (!boot_size) {
        return boot_size.error();
    }
    const uint64_t dest0 = rec.kernel.front().dest.value;
    const GuestAddr hdr{dest0 + boot_size.value()};  // boot_memory_size checked the sum
    auto info = vmcore::read_crash_info(mem, hdr);
    if (!info) {
        return info.error();
    }
    const vmcore::CrashInfo& ci = info.value();

    const uint64_t threads = std::min<uint64_t>(rec.threads, max_threads);
    std::vector<std::byte> data(static_cast<size_t>(threads * rec.thread_size));  // max_threads blocks at most
    if (auto r = vmcore::read_dump_bytes(mem, rec.cpu_data.value, data, "architected register data"); !r) {
        return r.error();
    }
    std::vector<vmcore::CpuRegs> cpus(max_threads);
    auto ncpus = vmcore::opal_cpu_regs(data, rec.thread_size, ci, cpus);
    if (!ncpus) {
        return ncpus.error();
    }
    auto vmcoreinfo = vmcore::read_vmcoreinfo(mem, ci);
    if (!vmcoreinfo) {
        return vmcoreinfo.error();
    }
    const std::vector<std::byte>& info_note = vmcoreinfo.value();
    // get_fadump_area_size on OPAL: no CPU state data or HPT in it.
    const uint64_t page = vmcore::vmcoreinfo_page_size(info_note);
    const uint64_t ra_bytes = boot_size.value() + vmcore::CRASH_INFO_FIXED_BYTES + ci.cpu_mask_bytes +
                              page_align(KERNEL_METADATA_BYTES, page);
    const auto reserved = GuestRange::make(GuestAddr{dest0}, ByteLen{ra_bytes});
    if (!reserved) {
        return bad("the reserved area wraps");
    }
    return vmcore::make_plan(ci, {cpus.data(), ncpus.value()}, info_note, rec.kernel, ram, *reserved);
}

}  // namespace fadump::opal
