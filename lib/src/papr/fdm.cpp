// Validation of the fdm: every rule of LoPAR "ibm,configure-kernel-dump"
// that a registration can break, checked once on a private copy.
#include "fadump/papr/fdm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace fadump::papr {
namespace {

struct Span {
    GuestRange range;
    int section;  // index, or -1 for the fdm itself
    bool is_dest;
};

std::string hex(uint64_t v)
{
    return fmt::format("0x{:x}", v);
}

std::string range_str(const GuestRange& r)
{
    return fmt::format("[0x{:x}, 0x{:x})", r.start().value, r.end());
}

bool copies_memory(uint16_t type)
{
    return type == TYPE_REAL_MODE_REGION || type >= TYPE_OS_DEFINED_FIRST;
}

}  // namespace

uint64_t Registration::reboot_limit() const
{
    uint64_t lowest_dest = UINT64_MAX;
    uint64_t boot_top = 0;
    for (uint16_t i = 0; i < count; ++i) {
        const FdmSection& s = sections[i];
        const uint64_t len = s.source_length;
        if (len == 0) {
            continue;
        }
        lowest_dest = std::min<uint64_t>(lowest_dest, s.destination_address);
        if (s.source_data_type == TYPE_REAL_MODE_REGION) {
            boot_top = std::max<uint64_t>(boot_top, s.source_address + len);
        }
    }
    if (boot_top == 0) {
        boot_top = UINT64_MAX;
    }
    const uint64_t limit = std::min(lowest_dest, boot_top);
    return limit == UINT64_MAX ? 0 : limit;
}

namespace {

// Every byte of `r` mapped by the VMM as RAM (bounded by its RAM blocks,
// not by the guest: each step is one block).
bool mapped_by_vmm(GuestMemory& mem, const GuestRange& r)
{
    uint64_t at = r.start().value;
    while (at < r.end()) {
        uint64_t span = 0;
        if (mem.host_span(GuestAddr{at}, ByteLen{r.end() - at}, span) == nullptr || span == 0) {
            return false;
        }
        at += span;
    }
    return true;
}

bool in_ram(const FdmLimits& limits, const GuestRange& r)
{
    return limits.ram.contains(r) || (limits.blocks != nullptr && !r.empty() && mapped_by_vmm(*limits.blocks, r));
}

}  // namespace

Result<Registration> parse_fdm(std::span<const std::byte> bytes, GuestRange where, const FdmLimits& limits)
{
    const size_t len = bytes.size();
    if (len < sizeof(FdmHeader)) {
        return fail(Errc::ParamError, fmt::format("fdm length {} is shorter than its 0x28-byte header", len));
    }
    if (len > FDM_MAX_BYTES) {
        return fail(Errc::ParamError, fmt::format("fdm length {} exceeds the {}-byte maximum", len, FDM_MAX_BYTES));
    }
    Registration reg;
    reg.fdm = where;
    std::memcpy(reg.raw.data(), bytes.data(), len);
    std::memcpy(&reg.header, bytes.data(), sizeof(FdmHeader));
    const FdmHeader& h = reg.header;

    if (h.dump_format_version != FDM_VERSION) {
        return fail(Errc::ParamError,
                    fmt::format("fdm version {} is not supported (only {})", h.dump_format_version.get(), FDM_VERSION));
    }
    const uint16_t n = h.num_sections;
    if (n == 0 || n > FDM_MAX_SECTIONS) {
        return fail(Errc::ParamError, fmt::format("fdm has {} sections (1 to {} allowed)", n, FDM_MAX_SECTIONS));
    }
    const uint32_t first = h.offset_first_section;
    if (first < sizeof(FdmHeader) || first % 8 != 0) {
        return fail(Errc::ParamError,
                    fmt::format("first-section offset {} is inside the header or unaligned", hex(first)));
    }
    const uint64_t expected = uint64_t{first} + uint64_t{n} * sizeof(FdmSection);
    if (expected != len) {
        return fail(Errc::ParamError, fmt::format("fdm length {} does not equal offset {} + {} sections x 40 = {}", len,
                                                  hex(first), n, expected));
    }
    if (h.dd_block_size != 0 || h.dd_block_offset != 0 || h.dd_num_blocks != 0 || h.dd_offset_disk_path != 0) {
        return fail(Errc::ParamError, "dump to disk is requested but not supported");
    }
    reg.count = n;
    reg.header.dump_status_flags = 0;

    std::array<Span, 2 * FDM_MAX_SECTIONS + 1> spans{};
    size_t nspans = 0;
    spans[nspans++] = Span{where, -1, false};
    bool have_cpu = false;
    bool have_hpte = false;

    for (uint16_t i = 0; i < n; ++i) {
        FdmSection& s = reg.sections[i];
        std::memcpy(&s, bytes.data() + first + size_t{i} * sizeof(FdmSection), sizeof(FdmSection));
        s.error_flags = 0;
        s.bytes_dumped = 0;
        const uint16_t type = s.source_data_type;
        const uint64_t src = s.source_address;
        const uint64_t slen = s.source_length;
        const uint64_t dst = s.destination_address;

        if (s.request_flags != REQUEST_COPY) {
            return fail(Errc::ParamError, fmt::format("section {}: request flags {} (only 0x1, copy to memory, "
                                                      "is supported)",
                                                      i, hex(s.request_flags)));
        }
        auto dst_range = GuestRange::make(GuestAddr{dst}, ByteLen{slen});
        if (!dst_range) {
            return fail(Errc::ParamError,
                        fmt::format("section {}: destination {} + length {} overflows", i, hex(dst), hex(slen)));
        }
        if (type == TYPE_CPU_STATE) {
            if (have_cpu) {
                return fail(Errc::ParamError, fmt::format("section {}: second CPU state section", i));
            }
            have_cpu = true;
            if (src != 0) {
                return fail(Errc::ParamError,
                            fmt::format("section {}: CPU state source offset {} is not 0", i, hex(src)));
            }
            if (slen < limits.cpu_state_bytes) {
                return fail(Errc::ParamError,
                            fmt::format("section {}: CPU state length {} is below the {} advertised in "
                                        "ibm,configure-kernel-dump-sizes",
                                        i, hex(slen), hex(limits.cpu_state_bytes)));
            }
        } else if (type == TYPE_HPTE) {
            if (have_hpte) {
                return fail(Errc::ParamError, fmt::format("section {}: second HPTE section", i));
            }
            have_hpte = true;
            if (slen > limits.hpte_bytes) {
                return fail(Errc::ParamError, fmt::format("section {}: HPTE length {} exceeds the advertised {}", i,
                                                          hex(slen), hex(limits.hpte_bytes)));
            }
        } else if (copies_memory(type)) {
            auto src_range = GuestRange::make(GuestAddr{src}, ByteLen{slen});
            if (!src_range) {
                return fail(Errc::ParamError,
                            fmt::format("section {}: source {} + length {} overflows", i, hex(src), hex(slen)));
            }
            if (!in_ram(limits, *src_range)) {
                return fail(Errc::ParamError, fmt::format("section {}: source {} is outside guest RAM {}", i,
                                                          range_str(*src_range), range_str(limits.ram)));
            }
            if (src != dst && !src_range->empty()) {
                spans[nspans++] = Span{*src_range, i, false};
            }
        } else if (type == TYPE_OS_STRING) {
            return fail(Errc::ParamError, fmt::format("section {}: OS-identified string sections are not "
                                                      "supported",
                                                      i));
        } else {
            return fail(Errc::ParamError, fmt::format("section {}: unknown source data type {}", i, hex(type)));
        }
        if (!dst_range->empty()) {
            if (!in_ram(limits, *dst_range)) {
                return fail(Errc::ParamError, fmt::format("section {}: destination {} is outside guest RAM {}", i,
                                                          range_str(*dst_range), range_str(limits.ram)));
            }
            for (size_t k = 0; k < limits.nreload && k < limits.reload.size(); ++k) {
                if (dst_range->overlaps(limits.reload[k])) {
                    return fail(Errc::ParamError,
                                fmt::format("section {}: destination {} overlaps {}, which the reboot reloads (the "
                                            "kernel or initrd image)",
                                            i, range_str(*dst_range), range_str(limits.reload[k])));
                }
            }
            spans[nspans++] = Span{*dst_range, i, true};
        }
    }

    // No destination may overlap another destination, the fdm, or any
    // section's source; a destination equal to its own source is legal
    // (preserved in place) and was not recorded as a source above.
    for (size_t a = 0; a < nspans; ++a) {
        if (!spans[a].is_dest) {
            continue;
        }
        for (size_t b = 0; b < nspans; ++b) {
            if (a == b || !spans[a].range.overlaps(spans[b].range)) {
                continue;
            }
            if (spans[b].is_dest && b < a) {
                continue;  // reported once, from the lower index
            }
            const std::string what = spans[b].section < 0 ? std::string("the fdm")
                                                          : fmt::format("section {}'s {}", spans[b].section,
                                                                        spans[b].is_dest ? "destination" : "source");
            return fail(Errc::ParamError, fmt::format("section {}: destination {} overlaps {} {}", spans[a].section,
                                                      range_str(spans[a].range), what, range_str(spans[b].range)));
        }
    }
    return reg;
}

Result<GuestRange> place_fdm(GuestAddr addr, ByteLen len, const FdmLimits& limits)
{
    if (len.bytes < sizeof(FdmHeader) || len.bytes > FDM_MAX_BYTES) {
        return fail(Errc::ParamError,
                    fmt::format("fdm length {} is outside [{}, {}]", len.bytes, sizeof(FdmHeader), FDM_MAX_BYTES));
    }
    auto where = GuestRange::make(addr, len);
    if (!where || !limits.rmr.contains(*where)) {
        return fail(Errc::ParamError, fmt::format("fdm at {} (+{}) is not inside the real mode region [0, {})",
                                                  hex(addr.value), len.bytes, hex(limits.rmr.end())));
    }
    return *where;
}

Result<Registration> register_fdm(GuestMemory& mem, GuestAddr addr, ByteLen len, const FdmLimits& limits)
{
    auto where = place_fdm(addr, len, limits);
    if (!where) {
        return where.error();
    }
    std::array<std::byte, FDM_MAX_BYTES> copy{};
    std::span<std::byte> buf(copy.data(), len.bytes);
    if (!mem.read(addr, buf)) {
        return fail(Errc::HardwareError, fmt::format("fdm at {} could not be read", hex(addr.value)));
    }
    return parse_fdm(buf, *where, limits);
}

}  // namespace fadump::papr
