// Test double for guest memory: a host buffer standing in for guest RAM at
// guest physical 0, with switches to withhold host pointers or fail accesses.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#include "fadump/endian.hpp"
#include "fadump/guest_memory.hpp"
#include "fadump/papr/fdm.hpp"

namespace fadump::test {

class FakeGuest final : public GuestMemory {
public:
    // calloc: large zeroed buffers come from fresh mappings, so a 2 GiB
    // "guest" costs nothing until touched.
    explicit FakeGuest(uint64_t ram_bytes)
        : m_ram(static_cast<std::byte*>(std::calloc(ram_bytes, 1))), m_size(ram_bytes)
    {
        if (m_ram == nullptr) {
            throw std::bad_alloc();
        }
    }
    ~FakeGuest() override { std::free(m_ram); }
    FakeGuest(const FakeGuest&) = delete;
    FakeGuest& operator=(const FakeGuest&) = delete;
    FakeGuest(FakeGuest&& o) noexcept
        : give_host_ptr(o.give_host_ptr), fail_at(o.fail_at), m_ram(o.m_ram), m_size(o.m_size)
    {
        o.m_ram = nullptr;
    }

    bool give_host_ptr = true;
    uint64_t fail_at = UINT64_MAX;  // any access touching this address fails
    std::vector<GuestRange> dirty;
    uint64_t movable = 0;  // page size movable_page_size reports (0: none)
    struct Note {
        uint64_t src, dst, len;
        std::string how, why;
    };
    std::vector<Note> notes;                // note_preserve calls
    std::function<void()> on_before_moves;  // run by before_moves
    int before_moves_calls = 0;

    [[nodiscard]] GuestRange ram() const override { return *GuestRange::make(GuestAddr{0}, ByteLen{m_size}); }
    [[nodiscard]] bool read(GuestAddr addr, std::span<std::byte> out) override
    {
        if (!ok(addr, out.size())) {
            return false;
        }
        std::memcpy(out.data(), m_ram + addr.value, out.size());
        return true;
    }
    [[nodiscard]] bool write(GuestAddr addr, std::span<const std::byte> in) override
    {
        if (!ok(addr, in.size())) {
            return false;
        }
        std::memcpy(m_ram + addr.value, in.data(), in.size());
        return true;
    }
    /// RAM as the VMM's blocks: a host span ends at the next of these
    /// addresses (as a NUMA node's backend ends), and a piece handed to
    /// movable_page_size must lie within one block.
    std::vector<uint64_t> block_starts;
    /// Guest addresses with no host mapping (read/write still work), as
    /// memory a VMM serves without a RAM block.
    std::vector<GuestRange> unmapped;
    /// Ranges movable_page_size was asked about, in order.
    std::vector<GuestRange> movable_asked;

    [[nodiscard]] std::byte* host_span(GuestAddr addr, ByteLen max, uint64_t& span) override
    {
        span = 0;
        if (!give_host_ptr || addr.value >= m_size) {
            return nullptr;
        }
        uint64_t end = std::min(m_size, addr.value + std::min(max.bytes, m_size - addr.value));
        for (const uint64_t b : block_starts) {
            if (b > addr.value && b < end) {
                end = b;
            }
        }
        for (const GuestRange& u : unmapped) {
            if (addr.value >= u.start().value && addr.value < u.end()) {
                return nullptr;
            }
            if (u.start().value > addr.value && u.start().value < end) {
                end = u.start().value;
            }
        }
        if (fail_at >= addr.value && fail_at < end) {
            end = fail_at;
        }
        span = end - addr.value;
        return span != 0 ? m_ram + addr.value : nullptr;
    }
    void mark_dirty(GuestRange r) override { dirty.push_back(r); }
    [[nodiscard]] uint64_t movable_page_size(GuestRange r, const char** why) override
    {
        movable_asked.push_back(r);
        *why = "FakeGuest: moves switched off";
        return movable;
    }
    /// Whether `r` lies inside one of block_starts' blocks.
    [[nodiscard]] bool in_one_block(GuestRange r) const
    {
        for (const uint64_t b : block_starts) {
            if (b > r.start().value && b < r.end()) {
                return false;
            }
        }
        return true;
    }
    void note_preserve(GuestRange src, GuestAddr dst, const char* how, const char* why) override
    {
        notes.push_back({src.start().value, dst.value, src.len().bytes, how, why != nullptr ? why : ""});
    }
    void before_moves() override
    {
        ++before_moves_calls;
        if (on_before_moves) {
            on_before_moves();
        }
    }

    std::byte* at(uint64_t addr) { return m_ram + addr; }
    template <typename T>
    void put(uint64_t addr, const T& v)
    {
        std::memcpy(at(addr), &v, sizeof(T));
    }
    template <typename T>
    T get(uint64_t addr)
    {
        T v;
        std::memcpy(&v, at(addr), sizeof(T));
        return v;
    }
    void fill_pattern(uint64_t addr, uint64_t len, uint8_t seed)
    {
        for (uint64_t i = 0; i < len; ++i) {
            m_ram[addr + i] = static_cast<std::byte>((i * 131 + seed) & 0xFF);
        }
    }

private:
    bool ok(GuestAddr addr, uint64_t len) const
    {
        auto r = GuestRange::make(addr, ByteLen{len});
        if (!r || r->end() > m_size) {
            return false;
        }
        return !(fail_at >= addr.value && fail_at < r->end());
    }
    std::byte* m_ram;
    uint64_t m_size;
};

/// Builds fdm bytes the way Linux 6.12 rtas-fadump.c lays them out.
struct FdmBuilder {
    papr::FdmHeader header{};
    std::vector<papr::FdmSection> sections;

    FdmBuilder()
    {
        header.dump_format_version = papr::FDM_VERSION;
        header.offset_first_section = sizeof(papr::FdmHeader);
    }
    FdmBuilder& section(uint16_t type, uint64_t src, uint64_t len, uint64_t dst)
    {
        papr::FdmSection s{};
        s.request_flags = papr::REQUEST_COPY;
        s.source_data_type = type;
        s.source_address = src;
        s.source_length = len;
        s.destination_address = dst;
        sections.push_back(s);
        return *this;
    }
    std::vector<std::byte> bytes() const
    {
        papr::FdmHeader h = header;
        if (h.num_sections == 0) {
            h.num_sections = static_cast<uint16_t>(sections.size());
        }
        std::vector<std::byte> out(h.offset_first_section + sections.size() * sizeof(papr::FdmSection));
        std::memcpy(out.data(), &h, sizeof(h));
        for (size_t i = 0; i < sections.size(); ++i) {
            std::memcpy(out.data() + h.offset_first_section + i * sizeof(papr::FdmSection), &sections[i],
                        sizeof(papr::FdmSection));
        }
        return out;
    }
};

/// The bytes of lib/tests/data/linux-6.12-pseries-2G-smp2.EXT, what a real
/// 6.12 kernel left (lib/tests/data/capture-fadump-fixture.py); empty when
/// the file is missing.
inline std::vector<std::byte> fixture(const std::string& ext)
{
#ifdef FADUMP_TEST_DATA
    std::ifstream f(std::string(FADUMP_TEST_DATA) + "/linux-6.12-pseries-2G-smp2." + ext, std::ios::binary);
    const std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(raw.size());
    std::memcpy(out.data(), raw.data(), raw.size());
    return out;
#else
    return {};
#endif
}

}  // namespace fadump::test
