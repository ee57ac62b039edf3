// Guest memory for fuzz targets: allocated once per process and reset
// between inputs by zeroing only what the last input could have changed,
// so every input starts from all-zero RAM (deterministic) without paying
// for a fresh multi-MiB allocation.
//
// Every way the engine can modify guest memory goes through this class:
// write() records the range it wrote, host_span() records the whole span it
// hands out (the engine may write anywhere in it), load() records what the
// harness itself placed. reset() zeroes exactly those ranges.
// FADUMP_FUZZ_CHECK_RESET=1 makes reset() verify that all of RAM is zero
// afterwards (slow; proves the bookkeeping misses nothing).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "fadump/guest_memory.hpp"

namespace fadump::fuzz {

class ReusableGuest final : public GuestMemory {
public:
    explicit ReusableGuest(uint64_t ram_bytes)
        : m_ram(static_cast<std::byte*>(std::calloc(ram_bytes, 1))),
          m_size(ram_bytes),
          m_verify(std::getenv("FADUMP_FUZZ_CHECK_RESET") != nullptr)
    {
        if (m_ram == nullptr) {
            std::abort();
        }
    }
    ~ReusableGuest() override { std::free(m_ram); }
    ReusableGuest(const ReusableGuest&) = delete;
    ReusableGuest& operator=(const ReusableGuest&) = delete;

    /// Back to all-zero RAM.
    void reset()
    {
        for (const auto& [start, len] : m_touched) {
            std::memset(m_ram + start, 0, len);
        }
        m_touched.clear();
        if (m_verify) {
            static const std::byte zero[65536] = {};
            for (uint64_t off = 0; off < m_size; off += sizeof zero) {
                const uint64_t n = std::min<uint64_t>(sizeof zero, m_size - off);
                if (std::memcmp(m_ram + off, zero, n) != 0) {
                    std::fprintf(stderr, "ReusableGuest: bytes in [0x%llx, +0x%llx) survived reset\n",
                                 static_cast<unsigned long long>(off), static_cast<unsigned long long>(n));
                    std::abort();
                }
            }
        }
    }
    /// The harness places input bytes at `addr` (clipped to RAM).
    void load(uint64_t addr, std::span<const uint8_t> bytes)
    {
        if (addr >= m_size) {
            return;
        }
        const uint64_t n = std::min<uint64_t>(bytes.size(), m_size - addr);
        std::memcpy(m_ram + addr, bytes.data(), n);
        touch(addr, n);
    }

    [[nodiscard]] GuestRange ram() const override { return *GuestRange::make(GuestAddr{0}, ByteLen{m_size}); }
    [[nodiscard]] bool read(GuestAddr addr, std::span<std::byte> out) override
    {
        if (!inside(addr.value, out.size())) {
            return false;
        }
        std::memcpy(out.data(), m_ram + addr.value, out.size());
        return true;
    }
    [[nodiscard]] bool write(GuestAddr addr, std::span<const std::byte> in) override
    {
        if (!inside(addr.value, in.size())) {
            return false;
        }
        std::memcpy(m_ram + addr.value, in.data(), in.size());
        touch(addr.value, in.size());
        return true;
    }
    [[nodiscard]] std::byte* host_span(GuestAddr addr, ByteLen max, uint64_t& span) override
    {
        span = 0;
        if (addr.value >= m_size) {
            return nullptr;
        }
        span = std::min(max.bytes, m_size - addr.value);
        touch(addr.value, span);
        return m_ram + addr.value;
    }
    void mark_dirty(GuestRange) override {}

private:
    bool inside(uint64_t addr, uint64_t len) const { return addr <= m_size && len <= m_size - addr; }
    void touch(uint64_t addr, uint64_t len)
    {
        if (len != 0) {
            m_touched.emplace_back(addr, len);
        }
    }

    std::byte* m_ram;
    uint64_t m_size;
    bool m_verify;
    std::vector<std::pair<uint64_t, uint64_t>> m_touched;
};

}  // namespace fadump::fuzz
