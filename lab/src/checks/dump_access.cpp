#include "dump_access.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include "console_values.hpp"

namespace lab {

KdumpCtx::~KdumpCtx()
{
    if (ctx != nullptr) {
        kdump_free(ctx);
    }
    if (fd >= 0) {
        close(fd);
    }
}

bool KdumpCtx::open(const std::string& path, std::string* error)
{
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ctx == nullptr || fd < 0) {
        *error = ctx == nullptr ? "kdump_new failed" : "cannot open " + path;
        return false;
    }
    if (kdump_open_fd(ctx, fd) != KDUMP_OK) {
        *error = std::string("kdump_open_fd failed: ") + kdump_get_err(ctx);
        return false;
    }
    return true;
}

std::optional<uint64_t> KdumpCtx::number(const std::string& key) const
{
    kdump_num_t n = 0;
    if (kdump_get_number_attr(ctx, key.c_str(), &n) != KDUMP_OK) {
        return std::nullopt;
    }
    return n;
}

std::optional<std::string> KdumpCtx::str(const std::string& key) const
{
    const char* s = nullptr;
    if (kdump_get_string_attr(ctx, key.c_str(), &s) != KDUMP_OK || s == nullptr) {
        return std::nullopt;
    }
    return std::string(s);
}

GroundTruthDoc load_ground_truth(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        throw std::runtime_error("cannot open the ground truth " + path);
    }
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return fadump::read_ground_truth(std::span<const uint8_t>(bytes));
}

PageHash page_hash(const unsigned char* p, size_t n)
{
    PageHash h{};
    fadump::page_hash(p, n, h.data());
    return h;
}

bool TruthPages::is(uint64_t idx, const PageHash& h) const
{
    const auto& unreadable = m_truth->unreadable_pages;
    return idx < count() && std::memcmp(m_truth->page_hashes.data() + idx * PAGE_HASH_BYTES, h.data(), h.size()) == 0 &&
           !std::binary_search(unreadable.begin(), unreadable.end(), idx);
}

bool only_skiboot_footer_differs(const GroundTruthDoc& truth, uint64_t p, uint64_t page, const unsigned char* bytes,
                                 std::string* detail)
{
    if (truth.ram_tail_page.empty() || page < 8 || p + page != truth.ram_size) {
        return false;
    }
    const std::vector<uint8_t>& before = truth.ram_tail_page;
    if (before.size() < page || std::memcmp(before.data(), bytes, page - 8) != 0) {
        return false;
    }
    std::string footer;
    for (uint64_t k = page - 8; k < page; ++k) {
        footer += fmt::format("{:02x}", bytes[k]);
    }
    *detail = "; the last 8 bytes of RAM hold skiboot's free-region footer (" + footer + ")";
    return true;
}

}  // namespace lab
