#include "fadump/opal/mpipl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "fadump/opal/thread_regs.hpp"
#include "fadump/preserve.hpp"

namespace fadump::opal {
namespace {

struct Pair {
    GuestRange src;
    GuestRange dst;
    uint8_t region = 0;
    uint8_t dump_type = 0;
    bool valid = false;
};

std::string range_str(const GuestRange& r)
{
    return fmt::format("[0x{:x}, 0x{:x})", r.start().value, r.end());
}

bool empty(const MdstEntry& e)
{
    return e.addr == 0 && e.size == 0;
}

// The order to copy the entries in: an entry whose source holds another's
// destination goes before it (table order otherwise). Entries that must go
// before each other, directly or around a cycle, are made invalid with a
// note. Returns every index once. At most MDST_ENTRIES^2 steps.
template <class Note>
std::array<size_t, MDST_ENTRIES> copy_order(std::array<Pair, MDST_ENTRIES>& pairs, const Note& note)
{
    // before[j][i]: entry j is copied before entry i (i writes into j's source).
    std::array<std::array<bool, MDST_ENTRIES>, MDST_ENTRIES> before{};
    std::array<unsigned, MDST_ENTRIES> waiting{};
    for (size_t i = 0; i < MDST_ENTRIES; ++i) {
        for (size_t j = 0; j < MDST_ENTRIES; ++j) {
            if (i != j && pairs[i].valid && pairs[j].valid && !pairs[i].dst.empty() &&
                pairs[i].dst.overlaps(pairs[j].src)) {
                before[j][i] = true;
                ++waiting[i];
            }
        }
    }
    std::array<size_t, MDST_ENTRIES> order{};
    std::array<bool, MDST_ENTRIES> placed{};
    size_t n = 0;
    for (bool progress = true; progress;) {
        progress = false;
        for (size_t i = 0; i < MDST_ENTRIES; ++i) {
            if (placed[i] || waiting[i] != 0) {
                continue;
            }
            placed[i] = true;
            order[n++] = i;
            for (size_t k = 0; k < MDST_ENTRIES; ++k) {
                waiting[k] -= before[i][k] ? 1 : 0;
            }
            progress = true;
            break;  // the lowest ready index first: table order when nothing constrains it
        }
    }
    for (size_t i = 0; i < MDST_ENTRIES; ++i) {
        if (!placed[i]) {
            note(
                fmt::format("entry {}: destination {} lies in the source of an entry that must be copied after "
                            "it (the entries need each other first)",
                            i, range_str(pairs[i].dst)));
            pairs[i].valid = false;
            order[n++] = i;
        }
    }
    return order;
}

}  // namespace

Mpipl::Mpipl(const Config& cfg) : m_cfg(cfg) {}

std::optional<uint64_t> Mpipl::stashed_base() const
{
    for (const auto& b : m_base) {
        if (b) {
            return b;
        }
    }
    return std::nullopt;
}

Result<void> Mpipl::stash(uint32_t chip, uint64_t key, uint64_t value)
{
    if (key != STASH_KEY_SKIBOOT_BASE) {
        return {};  // other keys carry nothing MPIPL needs
    }
    if (chip >= m_base.size()) {
        return fail(Errc::ParamError, fmt::format("stash from chip {} (at most {} chips)", chip, m_base.size()));
    }
    const uint64_t base = value & ~HRMOR_BIT;
    auto area = GuestRange::make(GuestAddr{base}, ByteLen{SKIBOOT_SIZE});
    if (base == 0 || base % 0x10000 != 0 || !area || area->end() > m_cfg.ram_size) {
        return fail(Errc::ParamError, fmt::format("stashed skiboot base 0x{:x} leaves its tables (0x{:x} bytes) "
                                                  "outside RAM or is unaligned",
                                                  value, SKIBOOT_SIZE));
    }
    m_base[chip] = base;
    return {};
}

Result<void> Mpipl::s0(uint32_t chip)
{
    if (m_state != State::Idle) {
        return fail(Errc::Busy, fmt::format("S0 on chip {} while an MPIPL is already under way: ignored", chip));
    }
    const std::optional<uint64_t> base = chip < m_base.size() && m_base[chip] ? m_base[chip] : stashed_base();
    if (!base) {
        return fail(
            Errc::ParamError,
            fmt::format("S0 on chip {} but no skiboot base was stashed: MPIPL is not configured, ignored", chip));
    }
    m_dump_base = *base;
    m_state = State::Dumping;
    return {};
}

MpiplOutcome Mpipl::dump(GuestMemory& mem, std::span<const VcpuState> threads, std::span<const GuestRange> reload)
{
    MpiplOutcome out;
    if (m_state != State::Dumping) {
        out.problems = "dump without S0";
        return out;
    }
    m_state = State::Done;
    m_next_boot_mpipl = false;
    m_firmware.clear();
    const auto t0 = std::chrono::steady_clock::now();
    const GuestRange ram = mem.ram();
    const uint64_t base = m_dump_base;
    auto note = [&](const std::string& s) { out.problems += s + "; "; };

    // Copy the tables in once.
    std::array<MdstEntry, MDST_ENTRIES> mdst{};
    std::array<MdstEntry, MDST_ENTRIES> mddt{};
    ProcDumpArea proc{};
    if (!mem.read(GuestAddr{base + MDST_OFF}, std::as_writable_bytes(std::span(mdst))) ||
        !mem.read(GuestAddr{base + MDDT_OFF}, std::as_writable_bytes(std::span(mddt))) ||
        !mem.read(GuestAddr{base + PROC_DUMP_AREA_OFF}, std::as_writable_bytes(std::span(&proc, 1)))) {
        note(fmt::format("cannot read MDST/MDDT/processor dump area at base 0x{:x}", base));
        return out;
    }

    // Fixed areas no destination may touch: the MDRT we write and the
    // register data area skiboot allocated.
    const uint32_t tsize = thread_data_size();
    const uint64_t alloc_addr = proc.alloc_addr & ~HRMOR_BIT;
    const uint64_t alloc_size = proc.alloc_size;
    auto regs_area = GuestRange::make(GuestAddr{alloc_addr}, ByteLen{alloc_size});
    const auto mdrt_area = *GuestRange::make(GuestAddr{base + MDRT_OFF}, ByteLen{MDRT_ENTRIES * sizeof(MdrtEntry)});

    m_firmware.push_back(mdrt_area);
    if (regs_area && !regs_area->empty()) {
        m_firmware.push_back(*regs_area);
    }
    for (size_t i = 0; i < MDST_ENTRIES; ++i) {
        if (mdst[i].data_region >= REGION_KERNEL_FIRST || empty(mdst[i])) {
            continue;
        }
        for (const MdstEntry* e : {&mdst[i], &mddt[i]}) {
            if (auto r = GuestRange::make(GuestAddr{e->addr & ~HRMOR_BIT}, ByteLen{e->size}); r && !r->empty()) {
                m_firmware.push_back(*r);
            }
        }
    }

    // Pair MDST[i] with MDDT[i] and validate each pair.
    std::array<Pair, MDST_ENTRIES> pairs{};
    for (size_t i = 0; i < MDST_ENTRIES; ++i) {
        const MdstEntry& s = mdst[i];
        const MdstEntry& d = mddt[i];
        if (empty(s) && empty(d)) {
            continue;
        }
        Pair& p = pairs[i];
        p.region = s.data_region;
        p.dump_type = s.dump_type;
        auto src = GuestRange::make(GuestAddr{s.addr & ~HRMOR_BIT}, ByteLen{s.size});
        auto dst = GuestRange::make(GuestAddr{d.addr & ~HRMOR_BIT}, ByteLen{d.size});
        if (empty(s) != empty(d) || s.size != d.size || s.data_region != d.data_region) {
            note(
                fmt::format("entry {}: MDST (region 0x{:02x}, 0x{:x} bytes) and MDDT (region 0x{:02x}, 0x{:x} "
                            "bytes) do not pair",
                            i, s.data_region, s.size.get(), d.data_region, d.size.get()));
        } else if (!src || !dst || !ram.contains(*src) || !ram.contains(*dst)) {
            note(fmt::format("entry {}: range outside RAM", i));
        } else if (!regs_area || (!dst->empty() && (dst->overlaps(*regs_area) || dst->overlaps(mdrt_area)))) {
            note(fmt::format("entry {}: destination {} overlaps the register data or MDRT area", i, range_str(*dst)));
        } else {
            p.src = *src;
            p.dst = *dst;
            p.valid = true;
            for (const auto& r : reload) {
                if (dst->overlaps(r)) {
                    note(fmt::format("entry {}: destination {} overlaps {} which the reboot reloads", i,
                                     range_str(*dst), range_str(r)));
                    p.valid = false;
                }
            }
        }
    }
    // No destination may overlap another destination or its own source.
    for (size_t i = 0; i < MDST_ENTRIES; ++i) {
        if (!pairs[i].valid || pairs[i].dst.empty()) {
            continue;
        }
        for (size_t j = 0; j < i; ++j) {
            if (pairs[j].valid && pairs[i].dst.overlaps(pairs[j].dst)) {
                note(fmt::format("entry {}: destination {} overlaps entry {}'s destination", i, range_str(pairs[i].dst),
                                 j));
                pairs[i].valid = false;
                break;
            }
        }
        if (pairs[i].valid && pairs[i].dst.overlaps(pairs[i].src)) {
            note(fmt::format("entry {}: destination overlaps its own source", i));
            pairs[i].valid = false;
        }
    }
    // A destination may lie in another entry's source: a kernel whose boot
    // memory passes skiboot at 768 MiB registers skiboot's own dump area
    // as part of its source. That entry is copied first, so every source
    // is preserved as it was when the CPUs stopped; only entries that need
    // each other first (a cycle) cannot be, and are refused.
    const std::array<size_t, MDST_ENTRIES> order = copy_order(pairs, note);

    // Which sources may move instead of being copied (preserve.hpp): a
    // kernel range whose source holds nothing anyone reads after the MPIPL.
    // skiboot reads its own region again on the MPIPL boot (the metadata
    // area with the kernel's tag, core/opal-dump.c
    // post_mpipl_get_preserved_tags), so firmware ranges, and kernel
    // sources that cover firmware data or another range, are copied.
    auto move_policy = [&](size_t i) {
        const Pair& p = pairs[i];
        if (p.region < REGION_KERNEL_FIRST) {
            return MovePolicy::copy("a firmware range: skiboot reads its source again on the MPIPL boot");
        }
        for (const auto& f : m_firmware) {
            if (p.src.overlaps(f)) {
                return MovePolicy::copy("the source covers firmware data the MPIPL boot reads");
            }
        }
        for (size_t j = 0; j < MDST_ENTRIES; ++j) {
            if (j != i && pairs[j].valid &&
                (p.src.overlaps(pairs[j].src) || (!pairs[j].dst.empty() && p.src.overlaps(pairs[j].dst)))) {
                return MovePolicy::copy("the source covers another range's source or destination");
            }
        }
        return MovePolicy::allow();
    };
    // Preserve in that order, and record what was preserved for the MDRT
    // (in table order).
    std::array<std::optional<MdrtEntry>, MDST_ENTRIES> preserved{};
    for (const size_t i : order) {
        if (empty(mdst[i]) && empty(mddt[i])) {
            continue;
        }
        const bool kernel = mdst[i].data_region >= REGION_KERNEL_FIRST;
        const Pair& p = pairs[i];
        const uint64_t done =
            p.valid ? preserve_range(mem, p.src.start(), p.dst.start(), p.src.len(), move_policy(i), &m_moves) : 0;
        if (!p.valid || done != p.src.len().bytes) {
            if (p.valid) {
                note(fmt::format("entry {}: copied 0x{:x} of 0x{:x} bytes", i, done, p.src.len().bytes));
            }
            ++out.ranges_failed;
            out.kernel_ranges_failed += kernel ? 1 : 0;
            continue;
        }
        ++out.ranges_ok;
        out.bytes_preserved += done;
        MdrtEntry r{};
        r.src_addr = p.src.start().value;
        r.dest_addr = p.dst.start().value;
        r.data_region = p.region;
        r.dump_type = p.dump_type;
        r.size = static_cast<uint32_t>(p.src.len().bytes);
        preserved[i] = r;
    }
    std::array<MdrtEntry, MDST_ENTRIES> records{};
    size_t nrec = 0;
    for (const auto& r : preserved) {
        if (r) {
            records[nrec++] = *r;
        }
    }

    // What the SBE writes for skiboot's next boot must survive the reset
    // that follows: the MDRT and the register data may not lie in what the
    // reset reloads (-kernel, -initrd, skiboot, the FDT).
    bool survives_reload = true;
    for (const auto& r : reload) {
        if (mdrt_area.overlaps(r)) {
            note(fmt::format("the MDRT {} overlaps {} which the reboot reloads", range_str(mdrt_area), range_str(r)));
            survives_reload = false;
        }
        if (regs_area && regs_area->overlaps(r)) {
            note(fmt::format("the register data area {} overlaps {} which the reboot reloads", range_str(*regs_area),
                             range_str(r)));
            survives_reload = false;
        }
    }

    // Architected register data, one block per thread that exists.
    bool regs_ok = false;
    const uint64_t need = uint64_t{tsize} * threads.size();
    if (!survives_reload) {
        // nothing written where the reset overwrites it
    } else if (!regs_area || alloc_addr == 0 || !ram.contains(*regs_area)) {
        note(fmt::format("register data area 0x{:x} (+0x{:x}) is not in RAM", alloc_addr, alloc_size));
    } else if (need > alloc_size) {
        note(fmt::format("register data for {} threads needs 0x{:x} bytes, skiboot allocated 0x{:x}", threads.size(),
                         need, alloc_size));
    } else {
        std::vector<std::byte> block(tsize);
        regs_ok = true;
        for (size_t t = 0; t < threads.size() && regs_ok; ++t) {
            (void)write_thread_data(block, threads[t]);
            regs_ok = mem.write(GuestAddr{alloc_addr + t * tsize}, block);
        }
        if (regs_ok) {
            out.threads_saved = static_cast<uint32_t>(threads.size());
        } else {
            note("writing the register data failed");
        }
    }

    // MDRT: the preserved ranges, the rest of the table zeroed.
    std::array<std::byte, MDRT_ENTRIES * sizeof(MdrtEntry)> mdrt{};
    std::memcpy(mdrt.data(), records.data(), nrec * sizeof(MdrtEntry));
    const bool mdrt_ok = survives_reload && mem.write(mdrt_area.start(), mdrt);
    if (survives_reload && !mdrt_ok) {
        note("writing the MDRT failed");
    }

    // No kernel range is no reason to refuse the boot: an MPIPL nobody
    // registered a kernel for (S0 from the host, a skiboot assert) still
    // preserves skiboot's own region, which the next kernel exports as the
    // OPAL core. An empty MDST leaves nothing to boot for.
    out.mpipl_boot = regs_ok && mdrt_ok && out.kernel_ranges_failed == 0 && nrec > 0;
    if (nrec == 0 && out.ranges_failed == 0) {
        note("the MDST names no range: nothing preserved");
    }
    if (out.mpipl_boot) {
        m_next_boot_mpipl = true;
        m_proc_area = ProcDumpArea{};
        m_proc_area.thread_size = tsize;
        m_proc_area.version = CPU_DATA_VERSION;
        m_proc_area.dest_addr = alloc_addr | HRMOR_BIT;
        m_proc_area.act_size = static_cast<uint32_t>(need);
    }
    out.preserve_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    return out;
}

bool Mpipl::reset(GuestMemory& mem, uint64_t fw_load_addr)
{
    const bool mpipl = m_next_boot_mpipl;
    bool ok = true;
    if (mpipl) {
        // skiboot relocates its image from the load address to its base on
        // boot; the processor dump area travels inside the image.
        ok = mem.write(GuestAddr{fw_load_addr + PROC_DUMP_AREA_OFF}, std::as_bytes(std::span(&m_proc_area, 1)));
    }
    m_next_boot_mpipl = false;
    m_state = State::Idle;
    m_base = {};
    return mpipl && ok;
}

}  // namespace fadump::opal
