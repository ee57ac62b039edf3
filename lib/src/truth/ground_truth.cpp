#include "fadump/ground_truth.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "fadump/spr.hpp"

namespace fadump {
namespace {

// Hashing threads at most, and pages each at least (below that a thread
// costs more than it saves).
constexpr uint64_t MAX_HASH_THREADS = 4;
constexpr uint64_t MIN_PAGES_PER_THREAD = 4096;

// A CBOR item head (RFC 8949 section 3): major type and argument, in the
// shortest form, as nlohmann::json::to_cbor writes them.
void cbor_head(std::vector<uint8_t>& out, uint8_t major, uint64_t n)
{
    const auto m = static_cast<uint8_t>(major << 5);
    if (n < 24) {
        out.push_back(static_cast<uint8_t>(m | n));
        return;
    }
    int bytes = 8;
    uint8_t info = 27;
    if (n <= 0xFF) {
        bytes = 1, info = 24;
    } else if (n <= 0xFFFF) {
        bytes = 2, info = 25;
    } else if (n <= 0xFFFFFFFF) {
        bytes = 4, info = 26;
    }
    out.push_back(static_cast<uint8_t>(m | info));
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<uint8_t>(n >> (8 * i)));
    }
}

constexpr uint8_t CBOR_BYTES = 2;
constexpr uint8_t CBOR_TEXT = 3;
constexpr uint8_t CBOR_MAP = 5;

}  // namespace

GroundTruth::Framed GroundTruth::frame() const
{
    Framed f;
    f.meta = nlohmann::json::to_cbor(m_doc);
    // meta is one map: its head (count of entries) is replaced by one that
    // counts the byte strings too.
    if (f.meta.empty() || (f.meta[0] >> 5) != CBOR_MAP || (f.meta[0] & 0x1F) > 27) {
        throw std::logic_error("the ground truth's document is not a CBOR map");
    }
    const uint8_t info = f.meta[0] & 0x1F;
    f.meta_head = info < 24 ? 1 : 1 + (size_t{1} << (info - 24));
    uint64_t entries = info < 24 ? info : 0;
    for (size_t i = 1; i < f.meta_head; ++i) {
        entries = (entries << 8) | f.meta.at(i);
    }
    auto add = [&](std::string_view key, const std::vector<uint8_t>& bytes) {
        std::vector<uint8_t> head;
        cbor_head(head, CBOR_TEXT, key.size());
        head.insert(head.end(), key.begin(), key.end());
        cbor_head(head, CBOR_BYTES, bytes.size());
        f.strings.emplace_back(std::move(head), &bytes);
    };
    add(PAGE_HASH_KEY, m_pages);
    if (!m_tail.empty()) {
        add("ram_tail_page", m_tail);
    }
    cbor_head(f.map_head, CBOR_MAP, entries + f.strings.size());
    return f;
}

size_t GroundTruth::Framed::size() const
{
    size_t n = map_head.size() + meta.size() - meta_head;
    for (const auto& [head, bytes] : strings) {
        n += head.size() + bytes->size();
    }
    return n;
}

void GroundTruth::Framed::write(uint8_t* out) const
{
    auto put = [&](const uint8_t* p, size_t n) {
        if (n != 0) {
            std::memcpy(out, p, n);
            out += n;
        }
    };
    put(map_head.data(), map_head.size());
    put(meta.data() + meta_head, meta.size() - meta_head);
    for (const auto& [head, bytes] : strings) {
        put(head.data(), head.size());
        put(bytes->data(), bytes->size());
    }
}

void page_hash(const void* data, size_t len, uint8_t* out) noexcept
{
    // The canonical (big-endian) form: the same bytes on every host.
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(data, len));
    static_assert(sizeof(c.digest) == PAGE_HASH_BYTES);
    std::memcpy(out, c.digest, PAGE_HASH_BYTES);
}

void page_hash_hex(const void* data, size_t len, char* out) noexcept
{
    uint8_t h[PAGE_HASH_BYTES];
    page_hash(data, len, h);
    static constexpr char DIGITS[] = "0123456789abcdef";
    for (size_t i = 0; i < PAGE_HASH_BYTES; ++i) {
        out[2 * i] = DIGITS[h[i] >> 4];
        out[2 * i + 1] = DIGITS[h[i] & 0xF];
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

namespace {

// Whole pages of RAM with a host mapping: `count` pages from page `first`,
// the first at `base`. One run per RAM block (a NUMA node's backend, ...).
struct HostPages {
    uint64_t first;
    uint64_t count;
    const std::byte* base;
};

// The host-mapped runs of the first `npages` pages, in order (as many as
// the VMM has RAM blocks there; pages split between blocks, or unmapped,
// are left out and read instead).
std::vector<HostPages> host_pages(GuestMemory& mem, uint64_t npages)
{
    std::vector<HostPages> runs;
    const uint64_t end = npages * GROUND_TRUTH_PAGE;
    uint64_t at = 0;
    while (at < end) {
        uint64_t span = 0;
        const std::byte* p = mem.host_span(GuestAddr{at}, ByteLen{end - at}, span);
        const uint64_t first = (at + GROUND_TRUTH_PAGE - 1) / GROUND_TRUTH_PAGE;
        if (p == nullptr) {
            at = first * GROUND_TRUTH_PAGE + GROUND_TRUTH_PAGE;  // past this page: read it instead
            continue;
        }
        const uint64_t last = (at + span) / GROUND_TRUTH_PAGE;  // exclusive
        if (last > first) {
            runs.push_back({first, last - first, p + (first * GROUND_TRUTH_PAGE - at)});
        }
        at += span;
    }
    return runs;
}

// Hashes the runs' pages into `out`, a slice of pages per thread (up to
// MAX_HASH_THREADS; the vCPUs are stopped while this runs): each thread
// writes only its own pages' hashes.
void hash_host_pages(const std::vector<HostPages>& runs, uint64_t npages, uint8_t* out)
{
    const uint64_t want = std::clamp<uint64_t>(std::thread::hardware_concurrency(), 1, MAX_HASH_THREADS);
    const uint64_t n = std::max<uint64_t>(1, std::min(want, npages / MIN_PAGES_PER_THREAD));
    const uint64_t per = (npages + n - 1) / n;
    auto hash_slice = [&](uint64_t lo, uint64_t hi) {
        for (const HostPages& r : runs) {
            const uint64_t a = std::max(lo, r.first);
            const uint64_t b = std::min(hi, r.first + r.count);
            for (uint64_t p = a; p < b; ++p) {
                page_hash(r.base + (p - r.first) * GROUND_TRUTH_PAGE, GROUND_TRUTH_PAGE, out + p * PAGE_HASH_BYTES);
            }
        }
    };
    std::vector<std::thread> helpers;
    for (uint64_t t = 1; t < n; ++t) {
        helpers.emplace_back(hash_slice, std::min(npages, t * per), std::min(npages, (t + 1) * per));
    }
    hash_slice(0, std::min(npages, per));
    for (auto& h : helpers) {
        h.join();
    }
}

}  // namespace

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
    doc["version"] = GROUND_TRUTH_VERSION;
    doc["page_size"] = GROUND_TRUTH_PAGE;
    const GuestRange ram = mem.ram();
    doc["ram_size"] = ram.len().bytes;
    auto& jcpus = doc["cpus"] = nlohmann::json::array();
    for (const VcpuState& c : cpus) {
        // Filled as a named value, not converted in place: a conversion
        // whose allocation fails inside nlohmann::json's constructor leaks
        // what it built (its destructor never runs); this one's does.
        nlohmann::json j;
        to_json(j, TruthCpu::of(c));
        jcpus.push_back(std::move(j));
    }
    const uint64_t npages = ram.len().bytes / GROUND_TRUTH_PAGE;
    gt.m_pages.resize(npages * PAGE_HASH_BYTES);
    uint8_t* out = gt.m_pages.data();
    const std::vector<HostPages> runs = host_pages(mem, npages);
    hash_host_pages(runs, npages, out);
    // Pages without a host mapping (none, usually) are read on this thread:
    // guest memory accessors are the VMM's, not for helper threads.
    auto unreadable = nlohmann::json::array();
    std::array<std::byte, GROUND_TRUTH_PAGE> buf{};
    uint64_t next = 0;
    auto read_until = [&](uint64_t end) {
        for (; next < end; ++next) {
            if (mem.read(GuestAddr{next * GROUND_TRUTH_PAGE}, buf)) {
                page_hash(buf.data(), buf.size(), out + next * PAGE_HASH_BYTES);
            } else {
                unreadable.push_back(next);
            }
        }
    };
    for (const HostPages& r : runs) {
        read_until(r.first);
        next = r.first + r.count;
    }
    read_until(npages);
    if (!unreadable.empty()) {
        doc["unreadable_pages"] = std::move(unreadable);
    }
    // The last page of RAM, raw: skiboot writes its free-region footer into
    // the last 8 bytes of RAM on every boot, so a checker needs the bytes,
    // not a hash, to tell that footer from any other change.
    if (npages > 0) {
        std::vector<uint8_t> tail(GROUND_TRUTH_PAGE);
        const uint64_t addr = (npages - 1) * GROUND_TRUTH_PAGE;
        if (mem.read(GuestAddr{addr}, std::as_writable_bytes(std::span(tail)))) {
            gt.m_tail = std::move(tail);
        }
    }
    const auto ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    doc["hash_ns"] = ns;
    return gt;
}

TruthCpu TruthCpu::of(const VcpuState& c)
{
    TruthCpu t;
    t.cpu_index = c.cpu_index;
    t.logical_id = c.logical_id;
    t.pir = c.pir;
    std::copy(std::begin(c.gpr), std::end(c.gpr), t.gpr.begin());
    t.nip = c.nia;
    t.msr = c.msr;
    t.cr = c.cr;
    t.ctr = c.ctr;
    t.lr = c.lr;
    t.xer = c.xer;
    t.dar = c.spr[spr::DAR];
    t.dsisr = c.spr[spr::DSISR];
    return t;
}

void to_json(nlohmann::json& j, const TruthCpu& c)
{
    j = nlohmann::json::object();
    j["cpu_index"] = c.cpu_index;
    j["logical_id"] = c.logical_id;
    j["pir"] = c.pir;
    // Element by element into an array made first, for the same reason.
    auto& gpr = j["gpr"] = nlohmann::json::array();
    for (const uint64_t v : c.gpr) {
        gpr.push_back(v);
    }
    for (const auto& r : TRUTH_REGS) {
        j[r.name] = c.*r.field;
    }
}

void from_json(const nlohmann::json& j, TruthCpu& c)
{
    j.at("cpu_index").get_to(c.cpu_index);
    j.at("logical_id").get_to(c.logical_id);
    j.at("pir").get_to(c.pir);
    j.at("gpr").get_to(c.gpr);
    for (const auto& r : TRUTH_REGS) {
        j.at(r.name).get_to(c.*r.field);
    }
}

namespace {

// `field` of `doc` as T; a missing field or one of another type names
// itself in the error.
template <typename T>
T field(const nlohmann::json& doc, const char* name)
{
    try {
        return doc.at(name).get<T>();
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(fmt::format("ground truth: {}: {}", name, e.what()));
    }
}

std::vector<uint8_t> bytes_field(const nlohmann::json& doc, const char* name)
{
    if (!doc.contains(name) || !doc.at(name).is_binary()) {
        throw std::runtime_error(fmt::format("ground truth: {} is missing or not a byte string", name));
    }
    return doc.at(name).get_binary();
}

}  // namespace

GroundTruthDoc read_ground_truth(const nlohmann::json& doc)
{
    if (!doc.is_object()) {
        throw std::runtime_error("ground truth: not a map");
    }
    if (const int v = field<int>(doc, "version"); v != GROUND_TRUTH_VERSION) {
        throw std::runtime_error(
            fmt::format("ground truth: version {}, this reader reads version {}", v, GROUND_TRUTH_VERSION));
    }
    GroundTruthDoc d;
    d.page_size = field<uint64_t>(doc, "page_size");
    if (d.page_size == 0 || (d.page_size & (d.page_size - 1)) != 0) {
        throw std::runtime_error(fmt::format("ground truth: page_size {} is not a power of two", d.page_size));
    }
    d.ram_size = field<uint64_t>(doc, "ram_size");
    d.cpus = field<std::vector<TruthCpu>>(doc, "cpus");
    d.page_hashes = bytes_field(doc, PAGE_HASH_KEY);
    if (d.page_hashes.size() % PAGE_HASH_BYTES != 0 || d.pages() < d.ram_size / d.page_size) {
        throw std::runtime_error(fmt::format("ground truth: {} holds {} bytes, not {} whole {}-byte hashes",
                                             PAGE_HASH_KEY, d.page_hashes.size(), d.ram_size / d.page_size,
                                             PAGE_HASH_BYTES));
    }
    if (doc.contains("unreadable_pages")) {
        d.unreadable_pages = field<std::vector<uint64_t>>(doc, "unreadable_pages");
        std::sort(d.unreadable_pages.begin(), d.unreadable_pages.end());
    }
    if (doc.contains("ram_tail_page")) {
        d.ram_tail_page = bytes_field(doc, "ram_tail_page");
    }
    d.hash_ns = field<uint64_t>(doc, "hash_ns");
    d.trigger_cpu_index = field<uint32_t>(doc, "trigger_cpu_index");
    if (doc.contains("dump")) {
        const auto& j = doc.at("dump");
        d.dump = TruthDump{field<uint64_t>(j, "bytes_preserved"), field<uint64_t>(j, "preserve_ns"),
                           field<uint32_t>(j, "sections_ok"), field<uint32_t>(j, "sections_failed"),
                           field<uint32_t>(j, "cpus_saved")};
    }
    if (doc.contains("firmware_ranges")) {
        d.firmware_ranges = field<std::vector<std::pair<uint64_t, uint64_t>>>(doc, "firmware_ranges");
    }
    if (doc.contains("kernel_dump")) {
        d.kernel_dump = field<std::string>(doc, "kernel_dump");
    }
    return d;
}

GroundTruthDoc read_ground_truth(std::span<const uint8_t> cbor)
{
    nlohmann::json doc;
    try {
        doc = nlohmann::json::from_cbor(cbor.begin(), cbor.end());
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("ground truth: not CBOR: ") + e.what());
    }
    return read_ground_truth(doc);
}

}  // namespace fadump
