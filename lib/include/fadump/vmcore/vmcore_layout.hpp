// The memory of the vmcore the capture kernel exports, and where its bytes
// are after the dump: the PT_LOADs, computed on the host (issue 23).
//
// Follows Linux arch/powerpc/kernel/fadump.c (fadump_populate_elfcorehdr,
// version-1 crash info headers, Linux 6.10 and later): first one PT_LOAD per
// boot memory region, whose bytes are at that region's destination; then
// every memory range above the boot memory's top, less fadump's reserved
// area (the CPU state data's destination up to the end of the crash info
// header), whose bytes are where they were. Guest physical addresses and
// bytes throughout.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fadump/guest_memory.hpp"
#include "fadump/result.hpp"
#include "fadump/types.hpp"

namespace fadump::vmcore {

/// ppc64's PAGE_OFFSET: a PT_LOAD's p_vaddr is p_paddr plus this (__va).
inline constexpr uint64_t PPC64_PAGE_OFFSET = 0xc000000000000000ULL;
/// At most this many PT_LOADs: a guest's memory ranges (NUMA nodes, DIMMs)
/// split in two at most by the reserved area, plus the boot regions.
inline constexpr size_t MAX_LOADS = 256;

/// A boot memory region the firmware preserved (an RMR section, an MDST
/// range): its bytes, which the crashed kernel had at [source, +size), are
/// now at [dest, +size).
struct BootRegion {
    GuestAddr source;
    ByteLen size;
    GuestAddr dest;
};

/// A range of the guest's memory and the NUMA node the platform gives it
/// (each NUMA node's RAM, each DIMM).
struct NodeRange {
    GuestRange range;
    uint32_t node = 0;
};

/// The guest's memory as the capture kernel's memblock holds it: `ranges`
/// sorted, and merged where they touch and, for a kernel built with NUMA,
/// share a node (mm/memblock.c memblock_merge_regions merges neighbours of
/// one node; a kernel without CONFIG_NUMA puts all memory in node 0, as the
/// lab's does: one PT_LOAD over two QEMU NUMA nodes). At most MAX_LOADS
/// ranges are taken (Errc::ParamError past that).
[[nodiscard]] Result<std::vector<GuestRange>> memblock_ranges(std::span<const NodeRange> ranges, bool numa_kernel);

/// Whether VMCOREINFO's text says the kernel was built with CONFIG_NUMA
/// (kernel/vmcore_info.c writes SYMBOL(node_data) only then).
[[nodiscard]] bool vmcoreinfo_numa(std::span<const std::byte> note);

/// What the vmcore covers.
struct DumpMemory {
    std::span<const BootRegion> boot;  ///< in the order the kernel registered them, ascending sources
    std::span<const GuestRange> ram;   ///< the guest's memory ranges (memblock's), ascending
    GuestRange reserved;               ///< fadump's reserved area, left out of the vmcore
};

/// One PT_LOAD: guest physical [paddr, +bytes) of the crashed kernel, whose
/// bytes are now at guest physical `from`.
struct Load {
    uint64_t paddr = 0;
    uint64_t bytes = 0;
    GuestAddr from;
    constexpr bool operator==(const Load&) const = default;
};

/// The PT_LOADs, in the capture kernel's order. Errors (ParamError): boot
/// regions not ascending or overlapping, more than MAX_LOADS.
[[nodiscard]] Result<std::vector<Load>> vmcore_loads(const DumpMemory& mem);

}  // namespace fadump::vmcore

namespace fadump::vmcore {

/// How a core file is laid out (file_layout).
enum class CoreShape {
    /// fs/proc/vmcore.c's /proc/vmcore: headers, notes and each PT_LOAD's
    /// pages page-aligned; p_vaddr = PAGE_OFFSET + p_paddr.
    ProcVmcore,
    /// arch/powerpc/platforms/powernv/opal-core.c's OPAL core: notes right
    /// after the program headers, the PT_LOADs end to end from the next
    /// page; p_paddr counts from 0 over the PT_LOADs, p_vaddr = vaddr_base
    /// + p_paddr (opal-base-address), e_flags 0, PT_NOTE p_align 0.
    OpalCore,
};

/// Everything of the vmcore but the memory's bytes: what the platform read
/// and checked at the dump reboot, small and host-owned.
struct VmcorePlan {
    CoreShape shape = CoreShape::ProcVmcore;
    uint64_t vaddr_base = PPC64_PAGE_OFFSET;  ///< p_vaddr = vaddr_base + p_paddr
    bool big_endian = false;                  ///< the crashed kernel's byte order (EI_DATA)
    /// e_flags as the capture kernel sets it: 2 (ELF ABI v2) for a
    /// little-endian kernel, 1 (v1) for a big-endian one (a big-endian
    /// kernel built for ABI v2 writes 2; its vmcore differs in this field).
    uint32_t elf_flags = 2;
    std::vector<std::byte> notes;  ///< the PT_NOTE's bytes (cpu_notes.hpp)
    /// The PT_NOTE's p_filesz when it is not notes.size() (the OPAL core's
    /// notes may run past it: OpalCoreNotes); 0 otherwise.
    uint64_t pt_note_bytes = 0;
    std::vector<Load> loads;    ///< the PT_LOADs
    uint32_t cpus = 0;          ///< NT_PRSTATUS notes in `notes`
    uint32_t crashing_cpu = 0;  ///< as the crash info header says
    /// The capture kernel's page size in bytes: VMCOREINFO's PAGESIZE
    /// (the crashed kernel's, which a fadump capture kernel shares), 64 KiB
    /// when it names none or an odd one.
    uint64_t page_size = 65536;
};

/// Where each part of the file goes, as fs/proc/vmcore.c lays out
/// /proc/vmcore with `page_size` pages: the ELF header and program headers
/// (one PT_NOTE, then the PT_LOADs) padded to a page, the notes padded to a
/// page, then each PT_LOAD's pages whole: [rounddown(from), roundup(from +
/// bytes)), so p_offset = the page's file offset + (from - rounddown(from)).
/// The bytes around a PT_LOAD within its first and last page are memory's
/// too. Byte for byte the capture kernel's /proc/vmcore, given the same
/// notes and PT_LOADs. A CoreShape::OpalCore plan is laid out as
/// create_opalcore does: the notes right after the program headers, the
/// PT_LOADs' bytes end to end from the first page boundary after the
/// PT_NOTE (granule 1: no byte around them).
struct FileLayout {
    uint64_t notes_offset = 0;
    std::vector<uint64_t> load_offsets;  ///< p_offset of each PT_LOAD
    uint64_t bytes = 0;                  ///< the file's size
    uint64_t granule = 1;                ///< PT_LOAD bytes go out in whole granules
};
[[nodiscard]] FileLayout file_layout(const VmcorePlan& plan);

/// The page size VMCOREINFO's text names (PAGESIZE=n), when it is a power
/// of two from 4 KiB to 64 KiB; else 64 KiB. `note` is the VMCOREINFO note.
[[nodiscard]] uint64_t vmcoreinfo_page_size(std::span<const std::byte> note);

/// Host memory holding a stretch of the file: `bytes` at `host` go to
/// `file_offset`.
struct HostPiece {
    uint64_t file_offset = 0;
    const std::byte* host = nullptr;
    uint64_t bytes = 0;
};

/// The PT_LOADs' whole pages (FileLayout) as pieces of host memory, split
/// at the VMM's RAM blocks (GuestMemory::host_span); a page past the end of
/// RAM stays a hole (zeros). Errors (ParamError): a PT_LOAD's memory the
/// host does not map as RAM, more than MAX_LOADS * 8 pieces. Only valid
/// while the VMM keeps those RAM blocks.
[[nodiscard]] Result<std::vector<HostPiece>> host_pieces(GuestMemory& mem, const VmcorePlan& plan,
                                                         const FileLayout& layout);

}  // namespace fadump::vmcore
