// The Kernel Dump Memory Structure ("fdm") of ibm,configure-kernel-dump.
//
// Layout: LoPAR section "ibm,configure-kernel-dump", tables "Dump Memory
// Structure Header" and "Dump Section"; all fields big-endian. Linux builds it
// in arch/powerpc/platforms/pseries/rtas-fadump.c (struct rtas_fadump_mem_struct).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fadump/endian.hpp"
#include "fadump/guest_memory.hpp"
#include "fadump/result.hpp"
#include "fadump/types.hpp"

namespace fadump::papr {

/// fdm header, 0x28 bytes (LoPAR "Dump Memory Structure Header").
struct FdmHeader {
    Be32 dump_format_version;   // 0x00: must be 1
    Be16 num_sections;          // 0x04
    Be16 dump_status_flags;     // 0x06: platform-set after a dump
    Be32 offset_first_section;  // 0x08: from the start of the structure
    Be32 dd_block_size;         // 0x0C: dump-disk fields, 0 = no disk dump
    Be64 dd_block_offset;       // 0x10
    Be64 dd_num_blocks;         // 0x18
    Be32 dd_offset_disk_path;   // 0x20
    Be32 max_time_auto;         // 0x24: ms after NMI before automatic dump
};
static_assert(sizeof(FdmHeader) == 0x28);
static_assert(offsetof(FdmHeader, num_sections) == 0x04);
static_assert(offsetof(FdmHeader, dump_status_flags) == 0x06);
static_assert(offsetof(FdmHeader, offset_first_section) == 0x08);
static_assert(offsetof(FdmHeader, dd_block_offset) == 0x10);
static_assert(offsetof(FdmHeader, dd_offset_disk_path) == 0x20);
static_assert(offsetof(FdmHeader, max_time_auto) == 0x24);

/// One dump section, 0x28 bytes (LoPAR "Dump Section").
struct FdmSection {
    Be32 request_flags;        // +0x00
    Be16 source_data_type;     // +0x04
    Be16 error_flags;          // +0x06: platform-set
    Be64 source_address;       // +0x08
    Be64 source_length;        // +0x10: requested bytes
    Be64 bytes_dumped;         // +0x18: platform-set
    Be64 destination_address;  // +0x20
};
static_assert(sizeof(FdmSection) == 0x28);
static_assert(offsetof(FdmSection, source_data_type) == 0x04);
static_assert(offsetof(FdmSection, error_flags) == 0x06);
static_assert(offsetof(FdmSection, source_address) == 0x08);
static_assert(offsetof(FdmSection, source_length) == 0x10);
static_assert(offsetof(FdmSection, bytes_dumped) == 0x18);
static_assert(offsetof(FdmSection, destination_address) == 0x20);

inline constexpr uint32_t FDM_VERSION = 1;
inline constexpr uint16_t FDM_MAX_SECTIONS = 10;
/// LoPAR: the whole version-1 structure fits in 512 bytes.
inline constexpr size_t FDM_MAX_BYTES = 512;

/// Header dump_status_flags (LoPAR).
inline constexpr uint16_t STATUS_DUMP_PERFORMED = 0x8000;
inline constexpr uint16_t STATUS_DUMP_TRIGGERED = 0x4000;
inline constexpr uint16_t STATUS_DUMP_ERROR = 0x2000;

/// Section request_flags: firmware copies source to partition memory.
inline constexpr uint32_t REQUEST_COPY = 0x00000001;

/// Section source_data_type (LoPAR; 0x0100-0xFFFF are OS-defined).
inline constexpr uint16_t TYPE_CPU_STATE = 0x0001;
inline constexpr uint16_t TYPE_HPTE = 0x0002;
inline constexpr uint16_t TYPE_REAL_MODE_REGION = 0x0011;
inline constexpr uint16_t TYPE_OS_STRING = 0x0012;
inline constexpr uint16_t TYPE_OS_DEFINED_FIRST = 0x0100;

/// Section error_flags (LoPAR).
inline constexpr uint16_t ERR_INVALID_TYPE = 0x8000;
inline constexpr uint16_t ERR_INVALID_SOURCE = 0x4000;
inline constexpr uint16_t ERR_LENGTH_EXCEEDS_SOURCE = 0x2000;
inline constexpr uint16_t ERR_INVALID_DESTINATION = 0x1000;
inline constexpr uint16_t ERR_DESTINATION_TOO_SMALL = 0x0800;

/// Machine facts a registration is validated against.
/// Ranges of guest RAM every reset reloads (QEMU's -kernel image and
/// -initrd): at most this many.
inline constexpr size_t MAX_RELOAD_RANGES = 4;

struct FdmLimits {
    GuestRange ram;                // guest RAM [0, ram size)
    GuestRange rmr;                // real mode region; the fdm must lie inside
    uint64_t cpu_state_bytes = 0;  // minimum length of a CPU-state section
    uint64_t hpte_bytes = 0;       // advertised HPTE save area size (0: none)
    /// What the memory-preserving reboot overwrites before the capture
    /// kernel runs: no destination may overlap it.
    std::array<GuestRange, MAX_RELOAD_RANGES> reload{};
    size_t nreload = 0;
    /// The VMM's memory, when known: a range outside `ram` whose every byte
    /// the VMM maps as RAM (GuestMemory::host_span: a hot-plugged DIMM) is
    /// RAM too; a hole or device memory with no DIMM is not.
    GuestMemory* blocks = nullptr;
};

/// A validated registration: the guest's fdm, copied once and checked whole.
/// After this point the library never re-reads guest tables.
struct Registration {
    GuestRange fdm;                              // where the guest had it
    std::array<std::byte, FDM_MAX_BYTES> raw{};  // the fdm as registered
    FdmHeader header{};
    std::array<FdmSection, FDM_MAX_SECTIONS> sections{};
    uint16_t count = 0;

    /// Lowest byte any section preserves into, or the top of boot memory,
    /// whichever is lower: the firmware reload must stay below it.
    [[nodiscard]] uint64_t reboot_limit() const;
};

/// Where an fdm of `len` bytes at `addr` may be: its length within
/// [header, FDM_MAX_BYTES] and all of it inside the RMR. Errors: ParamError.
[[nodiscard]] Result<GuestRange> place_fdm(GuestAddr addr, ByteLen len, const FdmLimits& limits);

/// Reads the fdm at [addr, addr + len) once (placed by place_fdm) and
/// validates all of it.
/// Errors: ParamError (any rule; message says which), HardwareError (the
/// guest memory could not be read).
[[nodiscard]] Result<Registration> register_fdm(GuestMemory& mem, GuestAddr addr, ByteLen len, const FdmLimits& limits);

/// Validates an fdm already copied into `bytes` (the parser behind
/// register_fdm; also the fuzz entry point). `where` is the guest range.
[[nodiscard]] Result<Registration> parse_fdm(std::span<const std::byte> bytes, GuestRange where,
                                             const FdmLimits& limits);

}  // namespace fadump::papr
