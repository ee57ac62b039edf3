// Small shared readers for the dump checks: libkdumpfile's context as an
// owned object, the ground truth's hex numbers and XXH3-128 page hashes.
#pragma once

#include <libkdumpfile/kdumpfile.h>

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
    std::optional<uint64_t> number(const std::string& key);
    std::optional<std::string> str(const std::string& key);
};

/// A "0x..." string of the ground truth; throws std::invalid_argument (the
/// callers turn it into a failed check) when it is not one.
uint64_t parse_hex(const nlohmann::json& v);

/// The ground truth's page hashes (version 2) are the engine's own
/// (fadump/ground_truth.hpp: XXH3-128, canonical, PAGE_HASH_HEX hex digits
/// each under PAGE_HASH_KEY); the lab hashes the dump's pages with the same
/// function.
using fadump::PAGE_HASH_HEX;
using fadump::PAGE_HASH_KEY;
std::string page_hash_hex(const unsigned char* p, size_t n);

/// skiboot (PowerNV) ends the free region it hands to the OS with an 8-byte
/// footer in the last bytes of RAM, written on every boot: true when the
/// ground-truth page at `p` (`page` bytes, of the truth's page size) is the
/// last of RAM and `bytes` equal the truth's `ram_tail_page` but for those
/// 8 bytes, which `detail` then names. Throws on a malformed ground truth.
bool only_skiboot_footer_differs(const nlohmann::json& truth, uint64_t p, uint64_t page, const unsigned char* bytes,
                                 std::string* detail);

}  // namespace lab
