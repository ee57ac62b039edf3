#include "filtered_dump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "console_values.hpp"
#include "dump_access.hpp"

namespace lab {
namespace {

std::optional<uint64_t> hex(const std::string& s)
{
    return parse_u64(s, 16);
}

bool has_flag(const std::string& flags, const std::string& name)
{
    std::istringstream in(flags);
    for (std::string f; std::getline(in, f, ',');) {
        if (f == name) {
            return true;
        }
    }
    return false;
}

std::string first_few(const std::vector<uint64_t>& v)
{
    std::string s;
    for (size_t i = 0; i < v.size() && i < 4; ++i) {
        s += fmt::format("{}{:#x}", i ? ", " : "", v[i]);
    }
    return v.size() > 4 ? s + ", ..." : s;
}

}  // namespace

std::vector<CrashPage> parse_kmem_p(const std::string& text)
{
    std::vector<CrashPage> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream f(line);
        std::string page, phys, mapping, index, cnt, flags_hex, names;
        if (!(f >> page >> phys >> mapping >> index >> cnt >> flags_hex)) {
            continue;
        }
        f >> names;
        const auto p = hex(page), a = hex(phys), m = hex(mapping);
        if (!p || !a || !m || !hex(flags_hex)) {
            continue;  // the header, or a line of another shape
        }
        out.push_back({*p, *a, *m, names});
    }
    return out;
}

std::vector<std::pair<uint64_t, unsigned>> parse_kmem_free(const std::string& text)
{
    // "AREA    SIZE  FREE_AREA_STRUCT" then "  3     512k  c000..." (order,
    // size, list head), then one line per free block: its first struct page.
    std::vector<std::pair<uint64_t, unsigned>> out;
    std::optional<unsigned> order;
    bool area_next = false;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream f(line);
        std::vector<std::string> w;
        for (std::string t; f >> t;) {
            w.push_back(t);
        }
        if (!w.empty() && w[0] == "AREA") {
            area_next = true;
            continue;
        }
        if (area_next) {
            area_next = false;
            const auto o = w.size() == 3 ? parse_u64(w[0]) : std::nullopt;
            order = o && *o < 64 ? std::optional<unsigned>(static_cast<unsigned>(*o)) : std::nullopt;
            continue;
        }
        if (w.size() == 1 && order) {
            if (const auto page = hex(w[0])) {
                out.emplace_back(*page, *order);
                continue;
            }
        }
        if (!w.empty()) {
            order.reset();  // ZONE lines, the summary: no block list follows
        }
    }
    return out;
}

PageClasses::PageClasses(const std::string& kmem_p, const std::string& kmem_free, uint64_t page_size)
{
    std::map<uint64_t, uint64_t> phys_of;  // struct page -> physical address
    for (const auto& p : parse_kmem_p(kmem_p)) {
        Frame fr;
        fr.mapping = p.mapping;
        fr.lru = has_flag(p.flags, "lru");
        fr.swapcache = has_flag(p.flags, "swapcache");
        fr.reserved = has_flag(p.flags, "reserved");
        m_pages[p.phys] = fr;
        phys_of[p.page] = p.phys;
    }
    for (const auto& [page, order] : parse_kmem_free(kmem_free)) {
        const auto it = phys_of.find(page);
        if (it == phys_of.end() || page_size == 0) {
            continue;
        }
        for (uint64_t i = 0; i < (1ULL << order); ++i) {
            const auto f = m_pages.find(it->second + i * page_size);
            if (f != m_pages.end() && !f->second.free) {
                f->second.free = true;
                ++m_free;
            }
        }
    }
}

std::optional<LeftOut> PageClasses::reason(uint64_t phys) const
{
    const auto it = m_pages.find(phys);
    if (it == m_pages.end()) {
        return std::nullopt;
    }
    const Frame& f = it->second;
    if (f.free) {
        return LeftOut::Free;
    }
    // page->mapping points into the kernel's linear map (an anon_vma with
    // PAGE_MAPPING_ANON, KSM included, or an address_space); anything else
    // is another use of that word (a tail page, a poison value) that a
    // reader misdecoding struct page would take for a mapping.
    const bool kernel_pointer = (f.mapping >> 60) == 0xc && (f.mapping & ~uint64_t{3}) != 0xc000000000000000;
    if (kernel_pointer && (f.mapping & 1) != 0) {
        return LeftOut::User;
    }
    if (kernel_pointer && (f.mapping & 3) == 0 && (f.lru || f.swapcache)) {
        return LeftOut::Cache;
    }
    return std::nullopt;
}

bool PageClasses::reserved(uint64_t phys) const
{
    const auto it = m_pages.find(phys);
    return it != m_pages.end() && it->second.reserved;
}

std::optional<unsigned> kdump_dump_level(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    std::array<unsigned char, 432> head{};
    if (!f.read(reinterpret_cast<char*>(head.data()), head.size()) || std::memcmp(head.data(), "KDUMP   ", 8) != 0) {
        return std::nullopt;
    }
    const auto u32 = [](const unsigned char* p, bool le) {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            v |= uint32_t{p[le ? i : 3 - i]} << (8 * i);
        }
        return v;
    };
    for (const bool le : {true, false}) {
        const uint32_t version = u32(&head[8], le);
        if (version == 0 || version > 99) {
            continue;
        }
        const uint32_t block = u32(&head[428], le);
        std::array<unsigned char, 12> sub{};
        if (block < 512 || block > (1U << 20) || (block & (block - 1)) != 0 || !f.seekg(block) ||
            !f.read(reinterpret_cast<char*>(sub.data()), sub.size())) {
            return std::nullopt;
        }
        const uint32_t level = u32(&sub[8], le);
        return level <= 31 ? std::optional<unsigned>(level) : std::nullopt;
    }
    return std::nullopt;
}

Judgement judge_left_out(const std::vector<PageVerdict>& pages, const PageClasses& classes, unsigned level)
{
    uint64_t kept = 0, outside = 0, zero = 0, cache = 0, user = 0, free = 0;
    std::vector<uint64_t> unexplained, reserved_dropped;
    for (const auto& p : pages) {
        if (p.kept) {
            ++kept;
            continue;
        }
        if (!p.in_vmcore) {
            ++outside;
            continue;
        }
        // makedumpfile's order: what the page is, then whether it is zero;
        // each reason only where the level allows it.
        const auto why = classes.reason(p.phys);
        if (why == LeftOut::Free && (level & DL_FREE) != 0) {
            ++free;
        } else if (why == LeftOut::User && (level & DL_USER) != 0) {
            ++user;
        } else if (why == LeftOut::Cache && (level & (DL_CACHE | DL_CACHE_PRIVATE)) != 0) {
            ++cache;
        } else if (p.zero && (level & DL_ZERO) != 0) {
            ++zero;
        } else if (classes.reserved(p.phys)) {
            reserved_dropped.push_back(p.phys);
        } else {
            unexplained.push_back(p.phys);
        }
    }
    const bool ok = unexplained.empty() && reserved_dropped.empty() && kept > 0;
    std::string detail = fmt::format(
        "{} pages kept; left out: {} zero, {} free, {} user, {} page cache, {} not in "
        "/proc/vmcore (crash's kmem -p/-F: {} frames, {} free)",
        kept, zero, free, user, cache, outside, classes.frames(), classes.free_pages());
    if (!unexplained.empty()) {
        detail +=
            fmt::format("; {} left out that -d {} must keep: {}", unexplained.size(), level, first_few(unexplained));
    }
    if (!reserved_dropped.empty()) {
        detail += fmt::format("; {} non-zero PG_reserved pages left out: {}", reserved_dropped.size(),
                              first_few(reserved_dropped));
    }
    if (kept == 0) {
        detail += "; no page kept";
    }
    return {ok, detail};
}

Judgement judge_free_left_out(const std::vector<PageVerdict>& pages, const PageClasses& classes)
{
    uint64_t free = 0, left_out = 0, zero_kept = 0;
    std::vector<uint64_t> kept;
    for (const auto& p : pages) {
        if (classes.reason(p.phys) != LeftOut::Free) {
            continue;
        }
        ++free;
        if (!p.kept) {
            ++left_out;
        } else if (p.zero) {
            ++zero_kept;
        } else {
            kept.push_back(p.phys);
        }
    }
    std::string detail =
        fmt::format("{} free pages (crash's kmem -F): {} left out, {} zero-filled", free, left_out, zero_kept);
    if (!kept.empty()) {
        detail += fmt::format("; {} non-zero free pages kept (-d 16 did not recognise them): {}", kept.size(),
                              first_few(kept));
    }
    if (free == 0) {
        detail += "; crash listed no free page";
    }
    return {free > 0 && kept.empty(), detail};
}

namespace {

// NAME.open: the dump opens as a ppc64 diskdump with the CPUs expected, a
// sane page size and a dump level; its page size (and `level`, -d 31 when
// unreadable) when the pages can be read, else the page checks failed.
std::optional<uint64_t> check_open(const FilteredDumpInput& in, KdumpCtx& kd, unsigned* level, Report& r)
{
    std::string err;
    const bool opened = kd.open(in.dump, &err);
    const auto format = opened ? kd.str("file.format") : std::nullopt;
    const auto arch = opened ? kd.str("arch.name") : std::nullopt;
    const auto cpus = opened ? kd.number("cpu.number") : std::nullopt;
    const auto page_size = opened ? kd.number("arch.page_size") : std::nullopt;
    const bool cpus_ok = !in.cpus || cpus == *in.cpus;
    const bool page_ok =
        page_size && *page_size >= 4096 && (*page_size & (*page_size - 1)) == 0 && *page_size <= (256 << 10);
    const auto read_level = opened ? kdump_dump_level(in.dump) : std::nullopt;
    const std::string level_text = read_level ? std::to_string(read_level.value_or(0)) : "unreadable (sub-header)";
    *level = read_level.value_or(31);
    r.expect(in.name + ".open",
             opened && format == "diskdump" && arch == "ppc64" && cpus_ok && page_ok && read_level.has_value(),
             opened
                 ? fmt::format("libkdumpfile: format {}, arch {}, {} CPUs{}, page size {}; dump level {}",
                               format.value_or("?"), arch.value_or("?"), cpus.value_or(0),
                               in.cpus ? fmt::format(" ({} online)", *in.cpus) : "", page_size.value_or(0), level_text)
                 : err);
    if (!opened || !page_ok) {
        r.fail(in.name + ".kept_pages", "the dump did not open (see " + in.name + ".open)");
        r.fail(in.name + ".left_out", "the dump did not open (see " + in.name + ".open)");
        r.fail(in.name + ".free_left_out", "the dump did not open (see " + in.name + ".open)");
        return std::nullopt;
    }
    return page_size;
}

}  // namespace

void check_filtered_dump(const FilteredDumpInput& in, Report& r)
{
    KdumpCtx kd;
    unsigned level = 31;
    const auto page_size = check_open(in, kd, &level, r);
    if (!page_size) {
        return;
    }
    const uint64_t page = *page_size;
    std::optional<uint64_t> gt_page;
    std::optional<TruthPages> hashes;
    std::vector<std::pair<uint64_t, uint64_t>> skip = in.firmware_reserved;
    std::string truth_error;
    if (in.truth != nullptr) {
        gt_page = in.truth->page_size;
        hashes.emplace(*in.truth);
        for (const auto& [a, size] : in.truth->firmware_ranges) {
            skip.emplace_back(a, a + size);
        }
        if (page % *gt_page != 0) {
            truth_error = fmt::format("ground truth page size {} does not divide the kernel's {}", *gt_page, page);
        }
    } else {
        truth_error = "no ground truth (not recorded by this QEMU)";
    }
    const bool compare = truth_error.empty();
    const PageHash zero_hash = compare ? [&] {
        const std::vector<unsigned char> z(*gt_page, 0);
        return page_hash(z.data(), z.size());
    }() : PageHash{};

    // A 4 KiB piece is compared when /proc/vmcore held all of it.
    auto in_vmcore = [&](uint64_t a, uint64_t len) {
        if (!in.vmcore_ranges) {
            return true;
        }
        for (const auto& [s, e] : *in.vmcore_ranges) {
            if (a >= s && e - a >= len && a < e) {
                return true;
            }
        }
        return false;
    };
    auto touches_vmcore = [&](uint64_t a, uint64_t len) {
        if (!in.vmcore_ranges) {
            return true;
        }
        for (const auto& [s, e] : *in.vmcore_ranges) {
            if (a < e && s < a + len) {
                return true;
            }
        }
        return false;
    };
    std::vector<unsigned char> buf(page);
    std::vector<PageVerdict> verdicts;
    // PowerNV (firmware-owned memory given): skiboot's footer in RAM's last bytes.
    const bool footer_allowed = !in.firmware_reserved.empty();
    std::string tail_detail;
    uint64_t read_errors = 0, differ = 0, compared = 0, firmware = 0, not_held = 0;
    std::string first_error, first_differ;
    for (uint64_t phys = 0; in.ram_bytes - phys >= page; phys += page) {
        bool fw = false;
        for (const auto& [a, e] : skip) {
            fw = fw || (phys < e && a < phys + page);
        }
        size_t len = page;
        const kdump_status st = kdump_read(kd.ctx, KDUMP_MACHPHYSADDR, phys, buf.data(), &len);
        if (st != KDUMP_OK && st != KDUMP_ERR_NODATA) {
            if (read_errors++ == 0) {
                first_error = fmt::format("{:#x}: {}", phys, kdump_get_err(kd.ctx));
            }
            continue;
        }
        if (fw) {
            ++firmware;
            continue;
        }
        PageVerdict v{phys, st == KDUMP_OK && len == page, compare, touches_vmcore(phys, page)};
        for (uint64_t sub = 0; compare && sub < page / *gt_page; ++sub) {
            const uint64_t idx = phys / *gt_page + sub;
            if (idx >= hashes->count()) {
                v.zero = false;
                break;
            }
            v.zero = v.zero && hashes->is(idx, zero_hash);
            if (!in_vmcore(phys + sub * *gt_page, *gt_page)) {
                not_held += v.kept ? 1 : 0;
                continue;
            }
            if (v.kept) {
                ++compared;
                const unsigned char* bytes = buf.data() + sub * *gt_page;
                if (!hashes->matches(idx, bytes, *gt_page) &&
                    !(footer_allowed &&
                      only_skiboot_footer_differs(*in.truth, phys + sub * *gt_page, *gt_page, bytes, &tail_detail)) &&
                    differ++ == 0) {
                    first_differ = fmt::format("{:#x}", phys + sub * *gt_page);
                }
            }
        }
        verdicts.push_back(v);
    }
    const std::string read_detail =
        read_errors ? fmt::format("; {} pages unreadable (first {})", read_errors, first_error) : "";
    const std::string fw_detail =
        (firmware ? fmt::format("; {} pages of firmware-owned memory not judged", firmware) : "") +
        (not_held
             ? fmt::format("; {} x {} B outside /proc/vmcore's PT_LOADs not compared", not_held, gt_page.value_or(0))
             : "") +
        (in.vmcore_ranges ? "" : "; /proc/vmcore's ranges unknown: every page compared");
    if (!compare) {
        r.fail(in.name + ".kept_pages", truth_error);
    } else {
        r.expect(in.name + ".kept_pages", compared > 0 && differ == 0 && read_errors == 0,
                 fmt::format("{} pages of {} KiB read back, {} x {} B compared with the ground truth, {} differ{}",
                             std::count_if(verdicts.begin(), verdicts.end(), [](const auto& v) { return v.kept; }),
                             page >> 10, compared, *gt_page, differ,
                             first_differ.empty() ? "" : " (first at " + first_differ + ")") +
                     tail_detail + read_detail + fw_detail);
    }
    if (in.classes == nullptr || !compare) {
        const std::string why = in.classes == nullptr
                                    ? "no crash view of the pages (see makedumpfile.crash.open)"
                                    : "zero pages cannot be told without the ground truth: " + truth_error;
        r.fail(in.name + ".left_out", why);
        r.fail(in.name + ".free_left_out", why);
    } else {
        const auto j = judge_left_out(verdicts, *in.classes, level);
        r.expect(in.name + ".left_out", j.ok && read_errors == 0, j.detail + read_detail + fw_detail);
        if ((level & DL_FREE) != 0) {
            const auto f = judge_free_left_out(verdicts, *in.classes);
            r.expect(in.name + ".free_left_out", f.ok, f.detail);
        } else {
            r.skip(in.name + ".free_left_out", fmt::format("dump level {} keeps free pages (no -d 16)", level));
        }
    }
}

}  // namespace lab
