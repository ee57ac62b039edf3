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

/// JSON document (values "0x..." hex strings unless said otherwise):
///   {"version":1, "page_size":4096, "ram_size":N (number),
///    "cpus":[{"cpu_index","logical_id","pir" (numbers),"gpr":[32],
///             "nip","msr","cr","ctr","lr","xer","dar","dsisr"}...],
///    "page_sha256":"<64 hex chars per page; page i at offset 64*i;
///                    64 '-' for a page that could not be read>",
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
