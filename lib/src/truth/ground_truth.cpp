#include "fadump/ground_truth.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "fadump/spr.hpp"

namespace fadump {
namespace {

std::string hex(uint64_t v)
{
    return fmt::format("0x{:x}", v);
}

void append_page_hash(std::string& out, const std::byte* data, size_t len)
{
    char hex[PAGE_HASH_HEX + 1];
    page_hash_hex(data, len, hex);
    out.append(hex, PAGE_HASH_HEX);
}

// Hashing threads at most, and pages each at least (below that a thread
// costs more than it saves).
constexpr uint64_t MAX_HASH_THREADS = 4;
constexpr uint64_t MIN_PAGES_PER_THREAD = 4096;

}  // namespace

void page_hash_hex(const void* data, size_t len, char* out) noexcept
{
    // The canonical (big-endian) form: the same bytes on every host.
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(data, len));
    static constexpr char DIGITS[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(c.digest); ++i) {
        out[2 * i] = DIGITS[c.digest[i] >> 4];
        out[2 * i + 1] = DIGITS[c.digest[i] & 0xF];
    }
    out[PAGE_HASH_HEX] = '\0';
}

std::string hex_bytes(std::span<const std::byte> bytes)
{
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::byte b : bytes) {
        out += fmt::format("{:02x}", static_cast<unsigned>(b));
    }
    return out;
}

GroundTruth GroundTruth::take(GuestMemory& mem, std::span<const VcpuState> cpus)
{
    const auto t0 = std::chrono::steady_clock::now();
    GroundTruth gt;
    // Objects are created up front, not by operator[] on a null value:
    // nlohmann::json 3.11.2 marks the null value an object before allocating
    // the map, so an allocation failure there leaves a value whose
    // destructor dereferences a null map.
    gt.m_doc = nlohmann::json::object();
    nlohmann::json& doc = gt.m_doc;
    doc["version"] = 2;
    doc["page_size"] = GROUND_TRUTH_PAGE;
    const GuestRange ram = mem.ram();
    doc["ram_size"] = ram.len().bytes;
    auto& jcpus = doc["cpus"] = nlohmann::json::array();
    for (const VcpuState& c : cpus) {
        nlohmann::json j = nlohmann::json::object();
        j["cpu_index"] = c.cpu_index;
        j["logical_id"] = c.logical_id;
        j["pir"] = c.pir;
        auto& g = j["gpr"] = nlohmann::json::array();
        for (uint64_t v : c.gpr) {
            g.push_back(hex(v));
        }
        j["nip"] = hex(c.nia);
        j["msr"] = hex(c.msr);
        j["cr"] = hex(c.cr);
        j["ctr"] = hex(c.ctr);
        j["lr"] = hex(c.lr);
        j["xer"] = hex(c.xer);
        j["dar"] = hex(c.spr[spr::DAR]);
        j["dsisr"] = hex(c.spr[spr::DSISR]);
        jcpus.push_back(std::move(j));
    }
    std::string pages;
    const uint64_t npages = ram.len().bytes / GROUND_TRUTH_PAGE;
    pages.reserve(npages * PAGE_HASH_HEX);
    std::array<std::byte, GROUND_TRUTH_PAGE> buf{};
    const std::byte* base = mem.host_ptr(ram);
    if (base != nullptr) {
        // Every CPU the host gives us hashes a slice (the vCPUs are stopped
        // while this runs): each thread writes only its own pages' text.
        pages.resize(npages * PAGE_HASH_HEX);
        const uint64_t want = std::clamp<uint64_t>(std::thread::hardware_concurrency(), 1, MAX_HASH_THREADS);
        const uint64_t n = std::max<uint64_t>(1, std::min(want, npages / MIN_PAGES_PER_THREAD));
        auto hash_slice = [&](uint64_t first, uint64_t last) {
            char hex[PAGE_HASH_HEX + 1];
            for (uint64_t p = first; p < last; ++p) {
                page_hash_hex(base + p * GROUND_TRUTH_PAGE, GROUND_TRUTH_PAGE, hex);
                std::memcpy(pages.data() + p * PAGE_HASH_HEX, hex, PAGE_HASH_HEX);
            }
        };
        std::vector<std::thread> helpers;
        const uint64_t per = (npages + n - 1) / n;
        for (uint64_t t = 1; t < n; ++t) {
            helpers.emplace_back(hash_slice, std::min(npages, t * per), std::min(npages, (t + 1) * per));
        }
        hash_slice(0, std::min(npages, per));
        for (auto& h : helpers) {
            h.join();
        }
    } else {
        for (uint64_t p = 0; p < npages; ++p) {
            const uint64_t addr = p * GROUND_TRUTH_PAGE;
            if (mem.read(GuestAddr{addr}, buf)) {
                append_page_hash(pages, buf.data(), buf.size());
            } else {
                pages.append(PAGE_HASH_HEX, '-');
            }
        }
    }
    doc[PAGE_HASH_KEY] = std::move(pages);
    // The last page of RAM, raw: skiboot writes its free-region footer into
    // the last 8 bytes of RAM on every boot, so a checker needs the bytes,
    // not a hash, to tell that footer from any other change.
    if (npages > 0) {
        std::array<std::byte, GROUND_TRUTH_PAGE> tail{};
        const uint64_t addr = (npages - 1) * GROUND_TRUTH_PAGE;
        if (base != nullptr) {
            std::memcpy(tail.data(), base + addr, tail.size());
            doc["ram_tail_page"] = hex_bytes(tail);
        } else if (mem.read(GuestAddr{addr}, tail)) {
            doc["ram_tail_page"] = hex_bytes(tail);
        }
    }
    const auto ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    doc["hash_ns"] = ns;
    return gt;
}

}  // namespace fadump
