// PowerNV MPIPL tables, as skiboot lays them out in memory relative to its
// relocated base (skiboot include/mem-map.h, include/opal-dump.h,
// hdata/spira.h; doc/mpipl.rst). All fields big-endian.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fadump/endian.hpp"

namespace fadump::opal {

/// Offsets from the skiboot base the SBE stash names (mem-map.h).
inline constexpr uint64_t PROC_DUMP_AREA_OFF = 0x10300;  // SPIRAH_OFF 0x10000 + SPIRAH_SIZE 0x300
inline constexpr uint64_t MDST_OFF = 0x10C00;
inline constexpr uint64_t MDDT_OFF = 0x11000;
inline constexpr uint64_t MDRT_OFF = 0x1C00000;
inline constexpr uint64_t DUMP_METADATA_OFF = 0x1C08000;  // DUMP_METADATA_AREA_BASE
/// The entry QEMU starts skiboot at (fdt_entry, asm/head.S).
inline constexpr uint64_t FDT_ENTRY_OFF = 0x10;
inline constexpr uint64_t SKIBOOT_SIZE = 0x1C10000;  // image, heap, MDRT and metadata
inline constexpr size_t MDST_ENTRIES = 64;           // 0x400 bytes each table
inline constexpr size_t MDRT_ENTRIES = 1024;         // 0x8000 bytes

/// Bit 63 (IBM bit 0) of table addresses: "real address" / HRMOR marker.
inline constexpr uint64_t HRMOR_BIT = 1ULL << 63;

/// data_region values (include/opal-dump.h).
inline constexpr uint8_t REGION_OPAL_MEMORY = 0x03;
inline constexpr uint8_t REGION_KERNEL_FIRST = 0x80;

/// MDST / MDDT entry, 16 bytes (struct mdst_table).
struct MdstEntry {
    Be64 addr;  // bit 63 = HRMOR marker
    uint8_t data_region;
    uint8_t dump_type;  // 0x00 MPIPL preserve
    Be16 reserved;
    Be32 size;
};
static_assert(sizeof(MdstEntry) == 16);
static_assert(offsetof(MdstEntry, data_region) == 8);
static_assert(offsetof(MdstEntry, size) == 12);

/// MDRT entry, 32 bytes (struct mdrt_table): what the SBE/hostboot preserved.
struct MdrtEntry {
    Be64 src_addr;
    Be64 dest_addr;
    uint8_t data_region;
    uint8_t dump_type;
    Be16 reserved;
    Be32 size;
    Be64 padding;
};
static_assert(sizeof(MdrtEntry) == 32);
static_assert(offsetof(MdrtEntry, data_region) == 16);
static_assert(offsetof(MdrtEntry, size) == 20);

/// Processor dump area, 0x30 bytes (struct proc_dump_area).
struct ProcDumpArea {
    Be32 thread_size;  // per-thread stride of the register data
    uint8_t version;   // 1 = POWER9 format
    uint8_t reserved[11];
    Be64 alloc_addr;  // skiboot-allocated destination | HRMOR_BIT
    Be32 reserved2;
    Be32 alloc_size;
    Be64 dest_addr;  // filled by the SBE/hostboot
    Be32 reserved3;
    Be32 act_size;  // filled by the SBE/hostboot
};
static_assert(sizeof(ProcDumpArea) == 0x30);
static_assert(offsetof(ProcDumpArea, alloc_addr) == 0x10);
static_assert(offsetof(ProcDumpArea, alloc_size) == 0x1C);
static_assert(offsetof(ProcDumpArea, dest_addr) == 0x20);
static_assert(offsetof(ProcDumpArea, act_size) == 0x2C);

/// skiboot's own MPIPL metadata, 20 bytes packed at DUMP_METADATA_OFF
/// (struct mpipl_metadata): written before S0 (opal_mpipl_save_crashing_pir,
/// opal_mpipl_register_tag), read again by the MPIPL boot's skiboot, which
/// hands crashing_pir to the next kernel for the OPAL core.
struct MpiplMetadata {
    Be32 crashing_pir;
    uint8_t kernel_tag[8];     // big-endian; unaligned in the packed struct
    uint8_t boot_mem_size[8];  // big-endian; unaligned in the packed struct
};
static_assert(sizeof(MpiplMetadata) == 20);
static_assert(offsetof(MpiplMetadata, kernel_tag) == 4);

/// HDAT architected register data: thread header, 24 bytes
/// (Linux arch/powerpc/platforms/powernv/opal-fadump.h hdat_fadump_thread_hdr).
struct ThreadHeader {
    Be32 pir;
    uint8_t core_state;  // 0x0F = inactive core (skipped by Linux)
    uint8_t reserved[3];
    Be32 offset;  // entries start at offsetof(offset) + offset
    Be32 ecnt;
    Be32 esize;
    Be32 eactsz;
};
static_assert(sizeof(ThreadHeader) == 24);
static_assert(offsetof(ThreadHeader, offset) == 8);

/// One register entry, 16 bytes (hdat_fadump_reg_entry).
struct ThreadRegEntry {
    Be32 reg_type;  // 1 GPR, 2 SPR
    Be32 reg_num;   // GPR index, SPR number, or 0x7D0 NIP / 0x7D1 MSR / 0x7D2 CR
    Be64 reg_val;
};
static_assert(sizeof(ThreadRegEntry) == 16);

inline constexpr uint32_t REG_TYPE_GPR = 1;
inline constexpr uint32_t REG_TYPE_SPR = 2;
inline constexpr uint32_t REG_ID_NIP = 0x7D0;
inline constexpr uint32_t REG_ID_MSR = 0x7D1;
inline constexpr uint32_t REG_ID_CR = 0x7D2;
inline constexpr uint8_t CPU_DATA_VERSION = 1;
/// Entries start this far from offsetof(ThreadHeader, offset).
inline constexpr uint32_t THREAD_ENTRY_OFFSET = sizeof(ThreadHeader) - offsetof(ThreadHeader, offset);
static_assert(THREAD_ENTRY_OFFSET == 0x10);

}  // namespace fadump::opal
