#include "fadump/opal/opal_core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <string>

#include "fadump/opal/mpipl_tables.hpp"
#include "fadump/vmcore/cpu_notes.hpp"
#include "fadump/vmcore/crash_info.hpp"

namespace fadump::opal {
namespace {

Error bad(const std::string& what)
{
    return fail(Errc::ParamError, "OPAL core: " + what);
}

// Power ISA: primary opcode in the top 6 bits.
constexpr uint32_t primary(uint32_t insn)
{
    return insn >> 26;
}

constexpr bool is_tdi(uint32_t insn)
{
    return primary(insn) == 2;
}

// or rA,rS,rB with rS == rB: mr.
constexpr bool is_mr(uint32_t insn)
{
    constexpr uint32_t XO_OR = 444;
    return primary(insn) == 31 && ((insn >> 1) & 0x3ff) == XO_OR && ((insn >> 21) & 31) == ((insn >> 11) & 31);
}

// b target (AA = 0, LK = 0): the relative displacement, sign-extended.
constexpr bool is_branch(uint32_t insn)
{
    return primary(insn) == 18 && (insn & 3) == 0;
}

constexpr int64_t branch_offset(uint32_t insn)
{
    constexpr uint32_t LI = 0x03fffffc, SIGN = 0x02000000;
    const uint32_t li = insn & LI;
    return (li & SIGN) != 0 ? static_cast<int64_t>(li) - (int64_t{1} << 26) : static_cast<int64_t>(li);
}

// Whether the kernel asked for the MPIPL: its crash info header names a
// crashing CPU (opal_fadump_process sets kernel_initiated then). False when
// no kernel registered or the header cannot be read.
bool kernel_initiated(GuestMemory& mem, const DumpRecord& rec, uint64_t& page_size)
{
    if (rec.kernel.empty()) {
        return false;
    }
    auto at = crash_info_address(rec);
    auto info = at ? vmcore::read_crash_info(mem, at.value()) : Result<vmcore::CrashInfo>{at.error()};
    if (!info) {
        return false;
    }
    if (auto vmcoreinfo = vmcore::read_vmcoreinfo(mem, info.value())) {
        page_size = vmcore::vmcoreinfo_page_size(vmcoreinfo.value());
    }
    return info->crashing_cpu != vmcore::CRASH_INFO_CPU_UNKNOWN;
}

// The PT_LOADs: skiboot's regions from their destinations, p_paddr from 0.
Result<std::vector<vmcore::Load>> opal_loads(const DumpRecord& rec)
{
    std::vector<vmcore::Load> loads;
    uint64_t paddr = 0;
    for (size_t i = 0; i < std::min(rec.opal.size(), OPAL_CORE_MAX_LOADS); ++i) {
        const auto& r = rec.opal[i];
        loads.push_back({.paddr = paddr, .bytes = r.size.bytes, .from = r.dest});
        if (__builtin_add_overflow(paddr, r.size.bytes, &paddr)) {
            return bad("the OPAL regions' sizes wrap");
        }
    }
    return loads;
}

}  // namespace

std::optional<uint64_t> skiboot_boot_entry(GuestMemory& mem, uint64_t base)
{
    constexpr int MAX_STEPS = 16;
    uint64_t pc = base + FDT_ENTRY_OFF;
    bool moved_dtb = false;  // fdt_entry's mr r27,r3 passed
    bool branched = false;   // the last instruction was a branch
    for (int step = 0; step < MAX_STEPS; ++step) {
        if (pc < base || pc - base + 4 > SKIBOOT_SIZE || (pc & 3) != 0) {
            return std::nullopt;
        }
        Be32 word;  // Power ISA instructions are big-endian in skiboot's image
        if (!mem.read(GuestAddr{pc}, std::as_writable_bytes(std::span(&word, 1)))) {
            return std::nullopt;
        }
        const uint32_t insn = word;
        if (is_branch(insn)) {
            pc += static_cast<uint64_t>(branch_offset(insn));  // wraps below base: refused above
            branched = true;
            continue;
        }
        if (!is_tdi(insn) && !is_mr(insn)) {
            // boot_entry: reached by the branch after fdt_entry's mr.
            return moved_dtb && branched ? std::optional<uint64_t>{pc} : std::nullopt;
        }
        moved_dtb = moved_dtb || is_mr(insn);
        branched = false;
        pc += 4;
    }
    return std::nullopt;
}

Result<vmcore::VmcorePlan> plan_opal_core(GuestMemory& mem, const DumpRecord& rec)
{
    if (rec.opal.empty()) {
        return bad("the MDRT holds no OPAL memory region (skiboot registered none)");
    }
    if (!rec.opal_boot) {
        return bad(fmt::format("no boot_entry found from skiboot's fdt_entry at {:#x} (opal-boot-address)",
                               rec.opal_base + FDT_ENTRY_OFF));
    }
    auto loads = opal_loads(rec);
    if (!loads) {
        return loads.error();
    }
    std::vector<std::byte> data(size_t{rec.threads} * rec.thread_size);  // the platform's threads
    if (auto r = vmcore::read_dump_bytes(mem, rec.cpu_data.value, data, "architected register data"); !r) {
        return r.error();
    }
    vmcore::VmcorePlan plan;
    const bool by_kernel = kernel_initiated(mem, rec, plan.page_size);
    auto notes = vmcore::opal_core_notes(
        data, rec.thread_size,
        {.crashing_pir = rec.crashing_pir, .kernel_initiated = by_kernel, .boot_entry = *rec.opal_boot});
    if (!notes) {
        return notes.error();
    }
    plan.shape = vmcore::CoreShape::OpalCore;
    plan.big_endian = true;
    plan.elf_flags = 0;
    plan.vaddr_base = rec.opal_base;
    plan.loads = std::move(loads.value());
    plan.pt_note_bytes = notes->pt_note_bytes;
    plan.notes = std::move(notes->bytes);
    plan.cpus = notes->prstatus;
    plan.crashing_cpu = rec.crashing_pir;
    // Notes Linux would write past its page-aligned buffer are not written.
    const auto layout = vmcore::file_layout(plan);
    const uint64_t room = (plan.loads.empty() ? layout.bytes : layout.load_offsets.front()) - layout.notes_offset;
    plan.notes.resize(std::min<uint64_t>(plan.notes.size(), room));
    return plan;
}

}  // namespace fadump::opal
