// Ground truth for the lab's proof: what the guest looked like at the instant
// every vCPU stopped, before any preservation. Not part of the dump itself;
// the VMM records it only when asked (QEMU: a machine property naming a file).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "fadump/guest_memory.hpp"
#include "fadump/vcpu.hpp"

namespace fadump {

/// Page size of the memory hashes.
inline constexpr uint64_t GROUND_TRUTH_PAGE = 4096;

/// The page hash: XXH3-128 (xxHash 0.8, not cryptographic: it tells a
/// changed page from an unchanged one at memory speed) in its canonical
/// big-endian form, as lower-case hex: PAGE_HASH_HEX characters.
inline constexpr size_t PAGE_HASH_HEX = 32;
inline constexpr const char* PAGE_HASH_KEY = "page_xxh3_128";

/// Writes the hash of `len` bytes at `data` to `out` (PAGE_HASH_HEX
/// characters and a NUL).
void page_hash_hex(const void* data, size_t len, char* out) noexcept;

/// JSON document (values "0x..." hex strings unless said otherwise):
///   {"version":2, "page_size":4096, "ram_size":N (number),
///    "cpus":[{"cpu_index","logical_id","pir" (numbers),"gpr":[32],
///             "nip","msr","cr","ctr","lr","xer","dar","dsisr"}...],
///    "page_xxh3_128":"<32 hex chars per page (page_hash_hex); page i at
///                      offset 32*i; 32 '-' for a page that could not be
///                      read>",
///    "ram_tail_page":"<hex of the last 4 KiB of RAM>",
///    "hash_ns": N, "trigger_cpu_index": N (cpu_index of the vCPU whose
///    call started the dump, added by the C interface),
///    "dump":{"bytes_preserved","preserve_ns","sections_ok",
///            "sections_failed","cpus_saved"} (numbers, added by finish),
///    "registered_fdm":"<hex bytes>", "kernel_dump":"<hex bytes>"}
class GroundTruth {
public:
    /// Records registers and page hashes now.
    static GroundTruth take(GuestMemory& mem, std::span<const VcpuState> cpus);
    nlohmann::json& doc() { return m_doc; }

private:
    nlohmann::json m_doc;
};

/// Lower-case hex of a byte string.
[[nodiscard]] std::string hex_bytes(std::span<const std::byte> bytes);

}  // namespace fadump
