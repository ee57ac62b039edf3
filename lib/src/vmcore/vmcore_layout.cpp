#include "fadump/vmcore/vmcore_layout.hpp"

#include <algorithm>
#include <string>
#include <string_view>

namespace fadump::vmcore {
namespace {

// Appends [start, end) of RAM (the crashed kernel's bytes still in place),
// if not empty.
Result<void> add_in_place(std::vector<Load>& out, uint64_t start, uint64_t end)
{
    if (start >= end) {
        return {};
    }
    if (out.size() == MAX_LOADS) {
        return fail(Errc::ParamError, "more than " + std::to_string(MAX_LOADS) + " memory ranges");
    }
    out.push_back(Load{.paddr = start, .bytes = end - start, .from = GuestAddr{start}});
    return {};
}

}  // namespace

Result<std::vector<Load>> vmcore_loads(const DumpMemory& mem)
{
    std::vector<Load> out;
    uint64_t boot_top = 0;
    for (const auto& b : mem.boot) {
        const auto src = GuestRange::make(b.source, b.size);
        if (!src || !GuestRange::make(b.dest, b.size) || b.source.value < boot_top) {
            return fail(Errc::ParamError, "boot memory regions overlap, wrap or are not ascending");
        }
        if (out.size() == MAX_LOADS) {
            return fail(Errc::ParamError, "more than " + std::to_string(MAX_LOADS) + " boot regions");
        }
        out.push_back(Load{.paddr = b.source.value, .bytes = b.size.bytes, .from = b.dest});
        boot_top = src->end();
    }
    const uint64_t ra_start = mem.reserved.start().value;
    const uint64_t ra_end = mem.reserved.end();
    for (const auto& r : mem.ram) {
        const uint64_t start = std::max(r.start().value, boot_top);
        const uint64_t end = r.end();
        if (start >= end) {
            continue;
        }
        const bool overlaps = !mem.reserved.empty() && ra_start < end && ra_end > start;
        auto first = add_in_place(out, start, overlaps ? std::min(end, ra_start) : end);
        auto second = overlaps ? add_in_place(out, std::max(start, ra_end), end) : Result<void>{};
        if (!first || !second) {
            return !first ? first.error() : second.error();
        }
    }
    return out;
}

}  // namespace fadump::vmcore

namespace fadump::vmcore {
namespace {

constexpr uint64_t EHDR_BYTES = 64;
constexpr uint64_t PHDR_BYTES = 56;

constexpr uint64_t round_up(uint64_t v, uint64_t page)
{
    return (v + page - 1) & ~(page - 1);
}

constexpr uint64_t round_down(uint64_t v, uint64_t page)
{
    return v & ~(page - 1);
}

}  // namespace

Result<std::vector<GuestRange>> memblock_ranges(std::span<const NodeRange> ranges, bool numa_kernel)
{
    if (ranges.size() > MAX_LOADS) {
        return fail(Errc::ParamError, "more than " + std::to_string(MAX_LOADS) + " memory ranges");
    }
    std::vector<NodeRange> sorted(ranges.begin(), ranges.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const NodeRange& a, const NodeRange& b) { return a.range.start().value < b.range.start().value; });
    std::vector<GuestRange> out;
    uint32_t last_node = 0;
    for (const auto& r : sorted) {
        if (r.range.empty()) {
            continue;
        }
        const bool same_node = !numa_kernel || r.node == last_node;
        if (!out.empty() && same_node && out.back().end() == r.range.start().value) {
            out.back() = *GuestRange::make(out.back().start(), ByteLen{out.back().len().bytes + r.range.len().bytes});
        } else if (!out.empty() && out.back().end() > r.range.start().value) {
            return fail(Errc::ParamError, "memory ranges overlap");
        } else {
            out.push_back(r.range);
        }
        last_node = r.node;
    }
    return out;
}

bool vmcoreinfo_numa(std::span<const std::byte> note)
{
    const std::string_view text{reinterpret_cast<const char*>(note.data()), note.size()};
    return text.find("\nSYMBOL(node_data)=") != std::string_view::npos;
}

uint64_t vmcoreinfo_page_size(std::span<const std::byte> note)
{
    constexpr std::string_view KEY = "\nPAGESIZE=";
    const std::string_view text{reinterpret_cast<const char*>(note.data()), note.size()};
    const size_t at = text.find(KEY);
    uint64_t v = 0;
    for (size_t i = at == std::string_view::npos ? text.size() : at + KEY.size(); i < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9' || v > (uint64_t{1} << 20)) {
            break;
        }
        v = v * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    const bool ok = v >= 4096 && v <= 65536 && (v & (v - 1)) == 0;
    return ok ? v : 65536;
}

namespace {

// create_opalcore: notes after the headers, PT_LOADs end to end from the
// page after the PT_NOTE.
FileLayout opal_core_layout(const VmcorePlan& plan)
{
    FileLayout f;
    f.notes_offset = EHDR_BYTES + PHDR_BYTES * (1 + plan.loads.size());
    uint64_t off = round_up(f.notes_offset + plan.pt_note_bytes, plan.page_size);
    f.load_offsets.reserve(plan.loads.size());
    for (const auto& l : plan.loads) {
        f.load_offsets.push_back(off);
        off += l.bytes;
    }
    f.bytes = off;
    f.granule = 1;
    return f;
}

}  // namespace

FileLayout file_layout(const VmcorePlan& plan)
{
    if (plan.shape == CoreShape::OpalCore) {
        return opal_core_layout(plan);
    }
    const uint64_t page = plan.page_size;
    FileLayout f;
    f.notes_offset = round_up(EHDR_BYTES + PHDR_BYTES * (1 + plan.loads.size()), page);
    uint64_t off = f.notes_offset + round_up(plan.notes.size(), page);
    f.load_offsets.reserve(plan.loads.size());
    for (const auto& l : plan.loads) {
        const uint64_t start = round_down(l.from.value, page);
        const uint64_t end = round_up(l.from.value + l.bytes, page);
        f.load_offsets.push_back(off + (l.from.value - start));
        off += end - start;
    }
    f.bytes = off;
    f.granule = page;
    return f;
}

Result<std::vector<HostPiece>> host_pieces(GuestMemory& mem, const VmcorePlan& plan, const FileLayout& layout)
{
    const uint64_t page = layout.granule;
    std::vector<HostPiece> out;
    for (size_t i = 0; i < plan.loads.size(); ++i) {
        const Load& l = plan.loads[i];
        uint64_t gpa = round_down(l.from.value, page);
        const uint64_t end = round_up(l.from.value + l.bytes, page);
        uint64_t file = layout.load_offsets[i] - (l.from.value - gpa);
        while (gpa < end) {
            uint64_t span = 0;
            const std::byte* host = mem.host_span(GuestAddr{gpa}, ByteLen{end - gpa}, span);
            const bool inside_load = gpa + page > l.from.value && gpa < l.from.value + l.bytes;
            if (host == nullptr && inside_load) {
                return fail(Errc::ParamError, "vmcore: PT_LOAD " + std::to_string(i) + " at " + std::to_string(gpa) +
                                                  " is not RAM the host maps");
            }
            if (host == nullptr) {
                span = std::min(page, end - gpa);  // a rounding page past RAM: a hole
            } else if (out.size() == MAX_LOADS * 8) {
                return fail(Errc::ParamError, "vmcore: its memory is in too many pieces");
            } else {
                out.push_back(HostPiece{.file_offset = file, .host = host, .bytes = span});
            }
            gpa += span;
            file += span;
        }
    }
    return out;
}

}  // namespace fadump::vmcore
