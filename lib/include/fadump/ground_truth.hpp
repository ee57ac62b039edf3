// Ground truth for the lab's proof: what the guest looked like at the instant
// every vCPU stopped, before any preservation. Not part of the dump itself;
// the VMM records it only when asked (QEMU: a machine property naming a file).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fadump/guest_memory.hpp"
#include "fadump/vcpu.hpp"

namespace fadump {

/// Page size of the memory hashes.
inline constexpr uint64_t GROUND_TRUTH_PAGE = 4096;

/// The page hash: XXH3-128 (xxHash 0.8, not cryptographic: it tells a
/// changed page from an unchanged one at memory speed) in its canonical
/// big-endian form: PAGE_HASH_BYTES bytes.
inline constexpr size_t PAGE_HASH_BYTES = 16;
inline constexpr const char* PAGE_HASH_KEY = "page_xxh3_128";
/// Hex form of a page hash (PAGE_HASH_HEX characters), for messages.
inline constexpr size_t PAGE_HASH_HEX = 2 * PAGE_HASH_BYTES;

/// Writes the canonical hash of `len` bytes at `data` to `out`
/// (PAGE_HASH_BYTES bytes).
void page_hash(const void* data, size_t len, uint8_t* out) noexcept;

/// Writes the hash of `len` bytes at `data` to `out` as lower-case hex
/// (PAGE_HASH_HEX characters and a NUL).
void page_hash_hex(const void* data, size_t len, char* out) noexcept;

/// The document, stored as CBOR (RFC 8949; nlohmann::json::to_cbor /
/// from_cbor), version GROUND_TRUTH_VERSION; every value a number unless
/// said otherwise:
///   {"version", "page_size":4096, "ram_size",
///    "cpus":[{"cpu_index","logical_id","pir","gpr":[32],
///             "nip","msr","cr","ctr","lr","xer","dar","dsisr"}...] (TruthCpu),
///    "page_xxh3_128": byte string, PAGE_HASH_BYTES per page (page_hash),
///                     page i at offset 16*i; an unreadable page's bytes are
///                     zero and its index is in "unreadable_pages",
///    "unreadable_pages": [page indexes] (only when a page could not be read),
///    "ram_tail_page": byte string, the last 4 KiB of RAM,
///    "hash_ns", "trigger_cpu_index" (cpu_index of the vCPU whose call
///    started the dump, added by the C interface),
///    "dump":{"bytes_preserved","preserve_ns","sections_ok",
///            "sections_failed","cpus_saved"} (added by finish),
///    "firmware_ranges":[[addr, size]...] (PowerNV, the C interface's
///    note_ranges), "kernel_dump":"<hex bytes>" (text: the fdm as
///    /rtas/ibm,kernel-dump shows it to the next boot)}
/// Binary, not JSON text: 16 bytes a page instead of 32 hex characters, and
/// no text to format while the guest waits for its dump (2 GiB: 8 MiB).
/// GroundTruth writes it; read_ground_truth reads it back as GroundTruthDoc,
/// both through the TruthCpu conversions below.
inline constexpr int GROUND_TRUTH_VERSION = 4;

/// One vCPU's registers in the document (a view of VcpuState: the
/// registers a vmcore's NT_PRSTATUS carries).
struct TruthCpu {
    uint32_t cpu_index = 0, logical_id = 0, pir = 0;
    std::array<uint64_t, 32> gpr{};
    uint64_t nip = 0, msr = 0, cr = 0, ctr = 0, lr = 0, xer = 0, dar = 0, dsisr = 0;
    /// The registers of `c` as the document records them.
    static TruthCpu of(const VcpuState& c);
};
/// TruthCpu's 64-bit registers by their name in the document, the one
/// list its writer and reader walk.
struct TruthReg {
    const char* name;
    uint64_t TruthCpu::*field;
};
inline constexpr TruthReg TRUTH_REGS[] = {
    {"nip", &TruthCpu::nip}, {"msr", &TruthCpu::msr}, {"cr", &TruthCpu::cr},   {"ctr", &TruthCpu::ctr},
    {"lr", &TruthCpu::lr},   {"xer", &TruthCpu::xer}, {"dar", &TruthCpu::dar}, {"dsisr", &TruthCpu::dsisr},
};
void to_json(nlohmann::json& j, const TruthCpu& c);
void from_json(const nlohmann::json& j, TruthCpu& c);

/// The dump's statistics in the document.
struct TruthDump {
    uint64_t bytes_preserved = 0, preserve_ns = 0;
    uint32_t sections_ok = 0, sections_failed = 0, cpus_saved = 0;
};

/// The whole document, typed (read_ground_truth).
struct GroundTruthDoc {
    uint64_t page_size = 0;
    uint64_t ram_size = 0;
    std::vector<TruthCpu> cpus;
    std::vector<uint8_t> page_hashes;        // PAGE_HASH_BYTES per page
    std::vector<uint64_t> unreadable_pages;  // sorted
    std::vector<uint8_t> ram_tail_page;      // empty when not recorded
    uint64_t hash_ns = 0;
    uint32_t trigger_cpu_index = 0;
    std::optional<TruthDump> dump;
    std::vector<std::pair<uint64_t, uint64_t>> firmware_ranges;  // {addr, size}
    std::string kernel_dump;                                     // hex, "" when absent
    /// Pages hashed.
    [[nodiscard]] uint64_t pages() const { return page_hashes.size() / PAGE_HASH_BYTES; }
};

/// Reads a document (CBOR bytes) back. Throws std::runtime_error saying
/// which field is missing, of the wrong type or inconsistent (a version
/// other than GROUND_TRUTH_VERSION, a page size not a power of two, hashes
/// not whole PAGE_HASH_BYTES, fewer hashes than ram_size's pages).
[[nodiscard]] GroundTruthDoc read_ground_truth(std::span<const uint8_t> cbor);
/// The same from the decoded document.
[[nodiscard]] GroundTruthDoc read_ground_truth(const nlohmann::json& doc);

// clang-tidy 14 flags its implicit noexcept members (a JSON document's
// destructor and moves), which do not throw: NOLINT(bugprone-exception-escape).
class GroundTruth {  // NOLINT(bugprone-exception-escape)
public:
    /// Records registers and page hashes now.
    static GroundTruth take(GuestMemory& mem, std::span<const VcpuState> cpus);
    /// The document but its two byte strings (PAGE_HASH_KEY,
    /// "ram_tail_page"), which are kept apart: nlohmann::json 3.11 leaves a
    /// binary value whose allocation failed half made, and its destructor
    /// then dereferences a null pointer.
    nlohmann::json& doc() { return m_doc; }
    /// The whole document as CBOR: doc()'s entries, then the byte strings,
    /// in one top-level map. `alloc(n)` gives the n bytes to write it into
    /// (nullptr: cbor returns nullptr); returns that buffer, filled, and
    /// its length in *len. Throws what nlohmann::json::to_cbor throws.
    template <typename Alloc>
    uint8_t* cbor(Alloc&& alloc, size_t* len) const
    {
        const Framed f = frame();
        *len = f.size();
        auto* out = static_cast<uint8_t*>(alloc(*len));
        if (out != nullptr) {
            f.write(out);
        }
        return out;
    }

private:
    // doc() as CBOR with its map head counting the byte strings too, and
    // the byte strings' heads: what cbor() writes, in order.
    struct Framed {
        std::vector<uint8_t> map_head;
        std::vector<uint8_t> meta;  // to_cbor(doc()) without its map head
        size_t meta_head = 0;
        std::vector<std::pair<std::vector<uint8_t>, const std::vector<uint8_t>*>> strings;  // head+key, bytes
        [[nodiscard]] size_t size() const;
        void write(uint8_t* out) const;
    };
    [[nodiscard]] Framed frame() const;

    nlohmann::json m_doc;
    std::vector<uint8_t> m_pages;  // PAGE_HASH_BYTES per page
    std::vector<uint8_t> m_tail;   // the last page of RAM, or empty
};

/// Lower-case hex of a byte string.
[[nodiscard]] std::string hex_bytes(std::span<const std::byte> bytes);

}  // namespace fadump
