// Ground truth for the lab's proof: what the guest looked like at the instant
// every vCPU stopped, before any preservation. Not part of the dump itself;
// the VMM records it only when asked (QEMU: a machine property naming a file).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "fadump/guest_memory.hpp"
#include "fadump/vcpu.hpp"

namespace fadump {

/// Page size of the memory hashes.
inline constexpr uint64_t GROUND_TRUTH_PAGE = 4096;

/// JSON document:
///   {"version":1, "page_size":4096, "ram_size":N,
///    "cpus":[{"cpu_index","logical_id","pir","gpr":[32 hex strings],
///             "nip","msr","cr","ctr","lr","xer","dar","dsisr"}...],
///    "page_sha256":"<64 hex chars per page, page i at offset 64*i>",
///    "hash_ns": N}
/// Values are "0x..." hex strings. Pages that cannot be read hash as
/// 64 '-' characters.
[[nodiscard]] std::string ground_truth_json(GuestMemory& mem, std::span<const VcpuState> cpus,
                                            uint64_t* elapsed_ns);

}  // namespace fadump
