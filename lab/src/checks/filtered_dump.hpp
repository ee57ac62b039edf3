// The proof of a filtered dump: what makedumpfile (-d 31, kdump-compressed
// format, as distributions' kdump services run it in the capture kernel)
// kept and what it left out.
//
// Kept pages are read back through libkdumpfile and compared with the
// engine's ground truth (the guest's pages when the vCPUs stopped). Left-out
// pages are judged by an independent view of the crashed kernel's memory:
// the crash utility's `kmem -p` (every struct page: physical address,
// mapping, flags) and `kmem -F` (the buddy allocator's free blocks), run on
// the same filtered dump. Dump level 31 may leave out only (makedumpfile(8)):
//   1 zero pages, 2 page-cache pages, 4 page-cache pages with private data,
//   8 user-process (anonymous) pages, 16 free pages.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crash_checks.hpp"
#include "fadump/ground_truth.hpp"
#include "report.hpp"

namespace lab {

/// One line of crash's `kmem -p`: "PAGE PHYSICAL MAPPING INDEX CNT FLAGS".
struct CrashPage {
    uint64_t page = 0;     // struct page's kernel virtual address
    uint64_t phys = 0;     // the page frame's physical address
    uint64_t mapping = 0;  // page->mapping (bit 0: anonymous)
    std::string flags;     // crash's decoded names, "uptodate,lru,..."; may be empty
};
std::vector<CrashPage> parse_kmem_p(const std::string& text);

/// The free blocks of crash's `kmem -F`: the struct page of each block's
/// first page and the block's order (2^order pages).
std::vector<std::pair<uint64_t, unsigned>> parse_kmem_free(const std::string& text);

/// Why -d 31 may leave a page out.
enum class LeftOut { Zero, Cache, User, Free };

/// Crash's view of every page frame, keyed by physical address.
class PageClasses {
public:
    /// From `kmem -p` and `kmem -F` text; `page_size` the kernel's.
    PageClasses(const std::string& kmem_p, const std::string& kmem_free, uint64_t page_size);
    [[nodiscard]] size_t frames() const { return m_pages.size(); }
    [[nodiscard]] uint64_t free_pages() const { return m_free; }
    /// The reason -d 31 (without the zero test, which needs the content)
    /// allows `phys` to be left out, or nullopt (also for a frame crash did
    /// not list, and for a "mapping" that is no kernel pointer: a tail page
    /// or a struct page layout crash does not know).
    [[nodiscard]] std::optional<LeftOut> reason(uint64_t phys) const;
    /// Marked PG_reserved (kernel image, struct pages, firmware-given memory).
    [[nodiscard]] bool reserved(uint64_t phys) const;

private:
    struct Frame {
        uint64_t mapping = 0;
        bool lru = false, swapcache = false, reserved = false, free = false;
    };
    std::map<uint64_t, Frame> m_pages;
    uint64_t m_free = 0;
};

/// One page of the dump as the checks see it.
struct PageVerdict {
    uint64_t phys = 0;
    bool kept = false;
    bool zero = false;      // all zero in the ground truth
    bool in_vmcore = true;  // some of it lies in a PT_LOAD of /proc/vmcore
};

/// makedumpfile's dump level bits (makedumpfile(8) -d): which pages it may leave out.
inline constexpr unsigned DL_ZERO = 1, DL_CACHE = 2, DL_CACHE_PRIVATE = 4, DL_USER = 8, DL_FREE = 16;

/// The dump level a kdump-compressed file was written with (-d N, 0..31):
/// the 32-bit dump_level after the 64-bit phys_base at the start of the
/// kdump sub-header, which starts at the main header's block_size (byte
/// 428 of the "KDUMP   " header; makedumpfile's diskdump_mod.h, 64-bit
/// layout). The byte order is the one in which header_version (byte 8)
/// reads 1..99. nullopt for another file, a block size that is not a power
/// of two in [512, 1 MiB], or a level above 31; reads 12 bytes past it at most.
std::optional<unsigned> kdump_dump_level(const std::string& path);

/// makedumpfile.*.left_out: every page left out is outside /proc/vmcore, or
/// one dump level `level` may drop (zero: DL_ZERO; by `classes`: free
/// DL_FREE, user DL_USER, page cache DL_CACHE or DL_CACHE_PRIVATE), and no
/// non-zero PG_reserved page was left out (the kernel image and struct
/// pages crash needs). Counts per reason in detail.
Judgement judge_left_out(const std::vector<PageVerdict>& pages, const PageClasses& classes, unsigned level = 31);

/// makedumpfile.*.free_left_out: -d 16 worked: no page on the buddy
/// allocator's free lists (crash's kmem -F) was kept unless it is all zero
/// (then -d 1 writes it as the shared zero page). makedumpfile finds free
/// pages through the kernel's page_type encoding in VMCOREINFO; a version
/// that does not know the kernel's encoding keeps them all.
Judgement judge_free_left_out(const std::vector<PageVerdict>& pages, const PageClasses& classes);

struct FilteredDumpInput {
    std::string dump;                               // makedumpfile's output file
    std::string name;                               // check prefix, "makedumpfile.lzo"
    const fadump::GroundTruthDoc* truth = nullptr;  // engine's ground truth, when recorded
    uint64_t ram_bytes = 0;                         // guest RAM: frames 0 .. ram_bytes / page size
    std::optional<unsigned> cpus;                   // online CPUs at crash time
    /// Memory the firmware rewrote across the reboot ([start, end)).
    std::vector<std::pair<uint64_t, uint64_t>> firmware_reserved;
    const PageClasses* classes = nullptr;  // crash's view; null: left_out fails
    /// The physical ranges /proc/vmcore held ([start, end) of its PT_LOADs,
    /// from its headers): only these are compared; a page wholly outside
    /// them is not in the dump at all (the fadump area itself).
    std::optional<std::vector<std::pair<uint64_t, uint64_t>>> vmcore_ranges;
};

/// Records NAME.open (libkdumpfile opens it as a diskdump of a ppc64 kernel
/// with one register set per CPU; its dump level read), NAME.kept_pages
/// (every page it holds equals the ground truth, 4 KiB by 4 KiB),
/// NAME.left_out (judged by the file's own dump level, as the user's
/// MAKEDUMP_ARGS chose it) and NAME.free_left_out (skipped when the level
/// keeps free pages).
void check_filtered_dump(const FilteredDumpInput& in, Report& report);

}  // namespace lab
