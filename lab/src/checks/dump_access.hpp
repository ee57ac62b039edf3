// Small shared readers for the dump checks: libkdumpfile's context as an
// owned object, the ground truth's hex numbers and XXH3-128 page hashes.
#pragma once

#include <libkdumpfile/kdumpfile.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "fadump/ground_truth.hpp"

namespace lab {

/// A libkdumpfile context and the file it reads (either may be unset when
/// opening failed). Closes both.
struct KdumpCtx {
    kdump_ctx_t* ctx = kdump_new();
    int fd = -1;
    KdumpCtx() = default;
    KdumpCtx(const KdumpCtx&) = delete;
    KdumpCtx& operator=(const KdumpCtx&) = delete;
    ~KdumpCtx();
    /// Opens `path` read-only and gives it to libkdumpfile; false (with
    /// kdump_get_err in `error`) when it cannot.
    bool open(const std::string& path, std::string* error);
    /// A number/string attribute ("cpu.number", "arch.name"), nullopt when absent.
    [[nodiscard]] std::optional<uint64_t> number(const std::string& key) const;
    [[nodiscard]] std::optional<std::string> str(const std::string& key) const;
};

/// The ground truth file (fadump/ground_truth.hpp: CBOR) read and checked
/// by the engine's own reader; throws std::exception (the callers turn it
/// into a failed check) when the file cannot be read or is malformed.
using fadump::GroundTruthDoc;
GroundTruthDoc load_ground_truth(const std::string& path);

/// The ground truth's page hashes: the engine's own (fadump/ground_truth.hpp:
/// XXH3-128, canonical, PAGE_HASH_BYTES a page under PAGE_HASH_KEY); the
/// lab hashes the dump's pages with the same function.
using fadump::PAGE_HASH_BYTES;
using fadump::PAGE_HASH_KEY;
using PageHash = std::array<uint8_t, PAGE_HASH_BYTES>;
PageHash page_hash(const unsigned char* p, size_t n);

class TruthPages {
public:
    /// Keeps a reference: `truth` must outlive it.
    explicit TruthPages(const GroundTruthDoc& truth) : m_truth(&truth) {}
    /// Pages hashed.
    [[nodiscard]] uint64_t count() const { return m_truth->pages(); }
    /// Whether page `idx` (< count()) was hashed as `h`; never for a page the
    /// engine could not read.
    [[nodiscard]] bool is(uint64_t idx, const PageHash& h) const;
    /// Whether `n` bytes at `p` hash as page `idx` did.
    [[nodiscard]] bool matches(uint64_t idx, const unsigned char* p, size_t n) const
    {
        return is(idx, page_hash(p, n));
    }

private:
    const GroundTruthDoc* m_truth;
};

/// skiboot (PowerNV) ends the free region it hands to the OS with an 8-byte
/// footer in the last bytes of RAM, written on every boot: true when the
/// ground-truth page at `p` (`page` bytes, of the truth's page size) is the
/// last of RAM and `bytes` equal the truth's `ram_tail_page` but for those
/// 8 bytes, which `detail` then names.
bool only_skiboot_footer_differs(const GroundTruthDoc& truth, uint64_t p, uint64_t page, const unsigned char* bytes,
                                 std::string* detail);

}  // namespace lab
