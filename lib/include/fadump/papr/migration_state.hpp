// The pseries engine's state as it travels in a migration stream or a
// snapshot (QEMU: a vmstate subsection of the spapr machine, sent only while
// a dump is registered or active).
//
// What travels is what the guest gave us, not our conclusions: the fdm bytes
// exactly as the guest registered them, where they were, and, for an active
// dump, the platform's results (header status, per-section error flags and
// bytes dumped). The receiving engine validates the fdm again with the same
// rules as a REGISTER against its own machine (RAM, RMR, threads), and the
// results against the fdm, so a stream from a damaged or hostile source, or
// onto a smaller machine, is refused and never trusted. Everything the
// sections point at is guest RAM and travels with it.
//
// Layout, version 1, all fields big-endian:
//   SpaprStateHeader (0x20 bytes)
//   fdm_length bytes: the fdm as registered (<= FDM_MAX_BYTES)
//   result_count x SpaprSectionResult (0x10 bytes each), DumpActive only
#pragma once

#include <cstddef>
#include <cstdint>

#include "fadump/endian.hpp"
#include "fadump/papr/fdm.hpp"

namespace fadump::papr {

inline constexpr uint32_t STATE_MAGIC = 0x46445350;  // "FDSP"
inline constexpr uint16_t STATE_VERSION = 1;

/// Engine state carried (SpaprStateHeader::state).
enum class CarriedState : uint16_t { Registered = 1, DumpActive = 2 };

struct SpaprStateHeader {
    Be32 magic;              // 0x00: STATE_MAGIC
    Be16 version;            // 0x04: STATE_VERSION
    Be16 state;              // 0x06: CarriedState
    Be64 fdm_address;        // 0x08: guest physical address of the fdm
    Be32 fdm_length;         // 0x10: bytes of the fdm that follow
    Be16 dump_status_flags;  // 0x14: DumpActive: the header status; else 0
    Be16 result_count;       // 0x16: DumpActive: the fdm's section count; else 0
    Be64 reserved;           // 0x18: 0
};
static_assert(sizeof(SpaprStateHeader) == 0x20);
static_assert(offsetof(SpaprStateHeader, fdm_address) == 0x08);
static_assert(offsetof(SpaprStateHeader, fdm_length) == 0x10);
static_assert(offsetof(SpaprStateHeader, dump_status_flags) == 0x14);
static_assert(offsetof(SpaprStateHeader, result_count) == 0x16);

/// What the dump did with one section, in fdm order.
struct SpaprSectionResult {
    Be16 error_flags;   // 0x00: ERR_* bits
    Be16 reserved0;     // 0x02: 0
    Be32 reserved1;     // 0x04: 0
    Be64 bytes_dumped;  // 0x08: <= the section's source_length
};
static_assert(sizeof(SpaprSectionResult) == 0x10);
static_assert(offsetof(SpaprSectionResult, bytes_dumped) == 0x08);

/// Largest state of this version (the VMM's fixed buffer may be larger).
inline constexpr size_t STATE_MAX_BYTES =
    sizeof(SpaprStateHeader) + FDM_MAX_BYTES + FDM_MAX_SECTIONS * sizeof(SpaprSectionResult);

/// Section error flags the platform may set (LoPAR), and header status bits.
inline constexpr uint16_t ERR_KNOWN = ERR_INVALID_TYPE | ERR_INVALID_SOURCE | ERR_LENGTH_EXCEEDS_SOURCE |
                                      ERR_INVALID_DESTINATION | ERR_DESTINATION_TOO_SMALL;
inline constexpr uint16_t STATUS_KNOWN = STATUS_DUMP_PERFORMED | STATUS_DUMP_TRIGGERED | STATUS_DUMP_ERROR;

}  // namespace fadump::papr
