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

// The tables skiboot filled, copied in once.
struct Tables {
    std::array<MdstEntry, MDST_ENTRIES> mdst{};
    std::array<MdstEntry, MDST_ENTRIES> mddt{};
    ProcDumpArea proc{};
};

bool read_tables(GuestMemory& mem, uint64_t base, Tables& t)
{
    return mem.read(GuestAddr{base + MDST_OFF}, std::as_writable_bytes(std::span(t.mdst))) &&
           mem.read(GuestAddr{base + MDDT_OFF}, std::as_writable_bytes(std::span(t.mddt))) &&
           mem.read(GuestAddr{base + PROC_DUMP_AREA_OFF}, std::as_writable_bytes(std::span(&t.proc, 1)));
}

// Fixed areas no destination may touch: the MDRT the SBE writes and the
// register data area skiboot allocated (nullopt when its range wraps).
struct FixedAreas {
    uint64_t alloc_addr = 0;
    uint64_t alloc_size = 0;
    std::optional<GuestRange> regs;
    GuestRange mdrt;
};

FixedAreas fixed_areas(const Tables& t, uint64_t base)
{
    FixedAreas f;
    f.alloc_addr = t.proc.alloc_addr & ~HRMOR_BIT;
    f.alloc_size = t.proc.alloc_size;
    f.regs = GuestRange::make(GuestAddr{f.alloc_addr}, ByteLen{f.alloc_size});
    f.mdrt = *GuestRange::make(GuestAddr{base + MDRT_OFF}, ByteLen{MDRT_ENTRIES * sizeof(MdrtEntry)});
    return f;
}

// What the firmware owns and reads again on the MPIPL boot: the MDRT, the
// register data area, and the sources and destinations of its own ranges.
std::vector<GuestRange> firmware_owned(const Tables& t, const FixedAreas& fixed)
{
    std::vector<GuestRange> out{fixed.mdrt};
    if (fixed.regs && !fixed.regs->empty()) {
        out.push_back(*fixed.regs);
    }
    for (size_t i = 0; i < MDST_ENTRIES; ++i) {
        if (t.mdst[i].data_region >= REGION_KERNEL_FIRST || empty(t.mdst[i])) {
            continue;
        }
        for (const MdstEntry* e : {&t.mdst[i], &t.mddt[i]}) {
            if (auto r = GuestRange::make(GuestAddr{e->addr & ~HRMOR_BIT}, ByteLen{e->size}); r && !r->empty()) {
                out.push_back(*r);
            }
        }
    }
    return out;
}

// MDST[i] paired with MDDT[i], each pair validated: the same size and
// region, both in RAM, the destination clear of the fixed areas and of
// what the reboot reloads.
template <class Note>
std::array<Pair, MDST_ENTRIES> pair_entries(const Tables& t, const GuestRange& ram, const FixedAreas& fixed,
                                            std::span<const GuestRange> reload, const Note& note)
{
    std::array<Pair, MDST_ENTRIES> pairs{};
    for (size_t i = 0; i < MDST_ENTRIES; ++i) {
        const MdstEntry& s = t.mdst[i];
        const MdstEntry& d = t.mddt[i];
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
        } else if (!fixed.regs || (!dst->empty() && (dst->overlaps(*fixed.regs) || dst->overlaps(fixed.mdrt)))) {
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
    return pairs;
}

// No destination may overlap another destination or its own source.
template <class Note>
void refuse_overlapping(std::array<Pair, MDST_ENTRIES>& pairs, const Note& note)
{
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
}

// A piece of a source that stays as it is after the MPIPL: copied, never
// moved (a move leaves the source reading zeros), and why.
struct Pinned {
    GuestRange piece;
    const char* why;
};

// Where entry i's source must stay intact, ascending and merged: skiboot
// reads its own region again on the MPIPL boot (the metadata area with the
// kernel's tag, core/opal-dump.c post_mpipl_get_preserved_tags), so a
// firmware range is pinned whole, and a kernel range where it covers
// firmware data or another range's source or destination (which table
// order preserves). The rest of a kernel range moves (preserve.hpp): on a
// large guest Linux's boot memory covers skiboot, and copying all of it
// cost seconds. At most 2 * MDST_ENTRIES + |firmware| pieces.
std::vector<Pinned> pinned_pieces(const std::array<Pair, MDST_ENTRIES>& pairs, size_t i,
                                  const std::vector<GuestRange>& firmware)
{
    const Pair& p = pairs[i];
    std::vector<Pinned> out;
    if (p.region < REGION_KERNEL_FIRST) {
        out.push_back({p.src, "a firmware range: skiboot reads its source again on the MPIPL boot"});
        return out;
    }
    auto pin = [&](const GuestRange& r, const char* why) {
        const uint64_t lo = std::max(r.start().value, p.src.start().value);
        const uint64_t hi = std::min(r.end(), p.src.end());
        if (lo < hi) {
            out.push_back({*GuestRange::make(GuestAddr{lo}, ByteLen{hi - lo}), why});
        }
    };
    for (const auto& f : firmware) {
        pin(f, "the source covers firmware data the MPIPL boot reads");
    }
    for (size_t j = 0; j < MDST_ENTRIES; ++j) {
        if (j != i && pairs[j].valid) {
            pin(pairs[j].src, "the source covers another range's source");
            pin(pairs[j].dst, "the source covers another range's destination");
        }
    }
    std::sort(out.begin(), out.end(),
              [](const Pinned& a, const Pinned& b) { return a.piece.start().value < b.piece.start().value; });
    std::vector<Pinned> merged;
    for (const auto& k : out) {
        if (!merged.empty() && k.piece.start().value <= merged.back().piece.end()) {
            Pinned& last = merged.back();
            const uint64_t end = std::max(last.piece.end(), k.piece.end());
            last.piece = *GuestRange::make(last.piece.start(), ByteLen{end - last.piece.start().value});
        } else {
            merged.push_back(k);
        }
    }
    return merged;
}

// Preserves pair `p`: its pinned pieces copied, the pieces between them
// moved where the VMM allows (preserve_range decides each). Returns the
// bytes preserved, stopping at the first piece guest memory failed.
uint64_t preserve_pair(GuestMemory& mem, const Pair& p, const std::vector<Pinned>& pinned, DeferredMoves* moves)
{
    uint64_t done = 0;
    auto piece = [&](uint64_t from, uint64_t to, MovePolicy policy) {
        const uint64_t n = to - from;
        const GuestAddr dst{p.dst.start().value + (from - p.src.start().value)};
        const uint64_t got = preserve_range(mem, GuestAddr{from}, dst, ByteLen{n}, policy, moves);
        done += got;
        return got == n;
    };
    uint64_t at = p.src.start().value;
    for (const auto& k : pinned) {
        if (k.piece.start().value > at && !piece(at, k.piece.start().value, MovePolicy::allow())) {
            return done;
        }
        if (!piece(k.piece.start().value, k.piece.end(), MovePolicy::copy(k.why))) {
            return done;
        }
        at = k.piece.end();
    }
    if (at < p.src.end()) {
        piece(at, p.src.end(), MovePolicy::allow());
    }
    return done;
}

// The MDRT's records: what was preserved, in table order.
struct Records {
    std::array<MdrtEntry, MDST_ENTRIES> entries{};
    size_t n = 0;
};

// Preserves every valid pair in `order`, counting into `out`.
template <class Note>
Records preserve_pairs(GuestMemory& mem, const Tables& t, const std::array<Pair, MDST_ENTRIES>& pairs,
                       const std::array<size_t, MDST_ENTRIES>& order, const std::vector<GuestRange>& firmware,
                       DeferredMoves* moves, MpiplOutcome& out, const Note& note)
{
    std::array<std::optional<MdrtEntry>, MDST_ENTRIES> preserved{};
    for (const size_t i : order) {
        if (empty(t.mdst[i]) && empty(t.mddt[i])) {
            continue;
        }
        const bool kernel = t.mdst[i].data_region >= REGION_KERNEL_FIRST;
        const Pair& p = pairs[i];
        const uint64_t done = p.valid ? preserve_pair(mem, p, pinned_pieces(pairs, i, firmware), moves) : 0;
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
    Records records;
    for (const auto& r : preserved) {
        if (r) {
            records.entries[records.n++] = *r;
        }
    }
    return records;
}

// Whether the MDRT and the register data lie clear of what the reboot reloads.
template <class Note>
bool survives_reload(const FixedAreas& fixed, std::span<const GuestRange> reload, const Note& note)
{
    bool ok = true;
    for (const auto& r : reload) {
        if (fixed.mdrt.overlaps(r)) {
            note(fmt::format("the MDRT {} overlaps {} which the reboot reloads", range_str(fixed.mdrt), range_str(r)));
            ok = false;
        }
        if (fixed.regs && fixed.regs->overlaps(r)) {
            note(fmt::format("the register data area {} overlaps {} which the reboot reloads", range_str(*fixed.regs),
                             range_str(r)));
            ok = false;
        }
    }
    return ok;
}

// Architected register data, one block of `tsize` bytes per thread that
// exists, into the area skiboot allocated.
template <class Note>
bool write_register_data(GuestMemory& mem, const FixedAreas& fixed, std::span<const VcpuState> threads, uint32_t tsize,
                         MpiplOutcome& out, const Note& note)
{
    const uint64_t need = uint64_t{tsize} * threads.size();
    if (!fixed.regs || fixed.alloc_addr == 0 || !mem.ram().contains(*fixed.regs)) {
        note(fmt::format("register data area 0x{:x} (+0x{:x}) is not in RAM", fixed.alloc_addr, fixed.alloc_size));
        return false;
    }
    if (need > fixed.alloc_size) {
        note(fmt::format("register data for {} threads needs 0x{:x} bytes, skiboot allocated 0x{:x}", threads.size(),
                         need, fixed.alloc_size));
        return false;
    }
    std::vector<std::byte> block(tsize);
    for (size_t t = 0; t < threads.size(); ++t) {
        (void)write_thread_data(block, threads[t]);
        if (!mem.write(GuestAddr{fixed.alloc_addr + t * tsize}, block)) {
            note("writing the register data failed");
            return false;
        }
    }
    out.threads_saved = static_cast<uint32_t>(threads.size());
    return true;
}

// The MDRT: the preserved ranges, the rest of the table zeroed.
template <class Note>
bool write_mdrt(GuestMemory& mem, const GuestRange& mdrt_area, const Records& records, const Note& note)
{
    std::array<std::byte, MDRT_ENTRIES * sizeof(MdrtEntry)> mdrt{};
    std::memcpy(mdrt.data(), records.entries.data(), records.n * sizeof(MdrtEntry));
    if (!mem.write(mdrt_area.start(), mdrt)) {
        note("writing the MDRT failed");
        return false;
    }
    return true;
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
    m_last.reset();
    m_live = false;
    return {};
}

namespace {

// skiboot as it was at S0, for the OPAL core.
struct SkibootAtS0 {
    uint32_t crashing_pir = 0;
    std::optional<uint64_t> boot_entry;
};

SkibootAtS0 read_skiboot(GuestMemory& mem, uint64_t base)
{
    SkibootAtS0 s;
    MpiplMetadata meta{};
    if (mem.read(GuestAddr{base + DUMP_METADATA_OFF}, std::as_writable_bytes(std::span(&meta, 1)))) {
        s.crashing_pir = meta.crashing_pir;
    }
    s.boot_entry = skiboot_boot_entry(mem, base);
    return s;
}

// What the next kernel finds: the MDRT's kernel and OPAL memory entries in
// table order, the register data, skiboot's metadata.
DumpRecord dump_record(const Records& records, const FixedAreas& fixed, uint32_t tsize, size_t threads,
                       const SkibootAtS0& skiboot, uint64_t base)
{
    DumpRecord rec{.kernel = {},
                   .opal = {},
                   .cpu_data = GuestAddr{fixed.alloc_addr},
                   .thread_size = tsize,
                   .threads = static_cast<uint32_t>(threads),
                   .crashing_pir = skiboot.crashing_pir,
                   .opal_base = base,
                   .opal_boot = skiboot.boot_entry};
    for (size_t i = 0; i < records.n; ++i) {
        const MdrtEntry& r = records.entries[i];
        const vmcore::BootRegion region{GuestAddr{r.src_addr.get()}, ByteLen{r.size.get()},
                                        GuestAddr{r.dest_addr.get()}};
        if (r.data_region >= REGION_KERNEL_FIRST) {
            rec.kernel.push_back(region);
        } else if (r.data_region == REGION_OPAL_MEMORY) {
            rec.opal.push_back(region);
        }
    }
    return rec;
}

}  // namespace

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
    auto note = [&](const std::string& s) { out.problems += s + "; "; };

    // Copy the tables in once.
    Tables t;
    if (!read_tables(mem, m_dump_base, t)) {
        note(fmt::format("cannot read MDST/MDDT/processor dump area at base 0x{:x}", m_dump_base));
        return out;
    }
    const FixedAreas fixed = fixed_areas(t, m_dump_base);
    m_firmware = firmware_owned(t, fixed);
    // What the OPAL core needs from skiboot as it was at S0, read before
    // anything is preserved: its metadata and its image's boot entry.
    const SkibootAtS0 skiboot = read_skiboot(mem, m_dump_base);
    std::array<Pair, MDST_ENTRIES> pairs = pair_entries(t, mem.ram(), fixed, reload, note);
    refuse_overlapping(pairs, note);
    // A destination may lie in another entry's source: a kernel whose boot
    // memory passes skiboot at 768 MiB registers skiboot's own dump area
    // as part of its source. That entry is copied first, so every source
    // is preserved as it was when the CPUs stopped; only entries that need
    // each other first (a cycle) cannot be, and are refused.
    const std::array<size_t, MDST_ENTRIES> order = copy_order(pairs, note);
    const Records records = preserve_pairs(mem, t, pairs, order, m_firmware, &m_moves, out, note);

    // What the SBE writes for skiboot's next boot must survive the reset
    // that follows: the MDRT and the register data may not lie in what the
    // reset reloads (-kernel, -initrd, skiboot, the FDT).
    const bool survives = survives_reload(fixed, reload, note);
    const uint32_t tsize = thread_data_size();
    const bool regs_ok = survives && write_register_data(mem, fixed, threads, tsize, out, note);
    const bool mdrt_ok = survives && write_mdrt(mem, fixed.mdrt, records, note);

    // No kernel range is no reason to refuse the boot: an MPIPL nobody
    // registered a kernel for (S0 from the host, a skiboot assert) still
    // preserves skiboot's own region, which the next kernel exports as the
    // OPAL core. An empty MDST leaves nothing to boot for.
    out.mpipl_boot = regs_ok && mdrt_ok && out.kernel_ranges_failed == 0 && records.n > 0;
    if (records.n == 0 && out.ranges_failed == 0) {
        note("the MDST names no range: nothing preserved");
    }
    if (out.mpipl_boot) {
        m_next_boot_mpipl = true;
        m_proc_area = ProcDumpArea{};
        m_proc_area.thread_size = tsize;
        m_proc_area.version = CPU_DATA_VERSION;
        m_proc_area.dest_addr = fixed.alloc_addr | HRMOR_BIT;
        m_proc_area.act_size = static_cast<uint32_t>(uint64_t{tsize} * threads.size());
        m_last = dump_record(records, fixed, tsize, threads.size(), skiboot, m_dump_base);
        m_mdrt.assign(records.entries.begin(), records.entries.begin() + static_cast<ptrdiff_t>(records.n));
        m_mdrt_at = fixed.mdrt.start();
    }
    out.preserve_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    return out;
}

bool Mpipl::dump_preserved(GuestMemory& mem) const
{
    if (!m_live || !m_last || m_mdrt.empty()) {
        return false;
    }
    std::vector<MdrtEntry> now(m_mdrt.size());  // at most MDST_ENTRIES
    return mem.read(m_mdrt_at, std::as_writable_bytes(std::span(now))) &&
           std::memcmp(now.data(), m_mdrt.data(), m_mdrt.size() * sizeof(MdrtEntry)) == 0;
}

bool Mpipl::reset(GuestMemory& mem, uint64_t fw_load_addr)
{
    const bool mpipl = m_next_boot_mpipl;
    m_live = mpipl;  // the MPIPL boot reads the dump; any later reset ends it
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
