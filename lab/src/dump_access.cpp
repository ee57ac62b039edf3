#include "dump_access.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
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

std::optional<uint64_t> KdumpCtx::number(const std::string& key)
{
    kdump_num_t n = 0;
    if (kdump_get_number_attr(ctx, key.c_str(), &n) != KDUMP_OK) {
        return std::nullopt;
    }
    return n;
}

std::optional<std::string> KdumpCtx::str(const std::string& key)
{
    const char* s = nullptr;
    if (kdump_get_string_attr(ctx, key.c_str(), &s) != KDUMP_OK || s == nullptr) {
        return std::nullopt;
    }
    return std::string(s);
}

uint64_t parse_hex(const nlohmann::json& v)
{
    std::string_view s = v.get_ref<const std::string&>();
    if (s.rfind("0x", 0) == 0) {
        s.remove_prefix(2);
    }
    const auto n = parse_u64(s, 16);
    if (!n) {
        throw std::invalid_argument("not a hex number: " + v.dump());
    }
    return *n;
}

std::string page_hash_hex(const unsigned char* p, size_t n)
{
    std::array<char, PAGE_HASH_HEX + 1> hex{};
    fadump::page_hash_hex(p, n, hex.data());
    return std::string(hex.data(), PAGE_HASH_HEX);
}

bool only_skiboot_footer_differs(const nlohmann::json& truth, uint64_t p, uint64_t page, const unsigned char* bytes,
                                 std::string* detail)
{
    if (!truth.contains("ram_tail_page") || page < 8 || p + page != truth.at("ram_size").get<uint64_t>()) {
        return false;
    }
    const std::string& before = truth.at("ram_tail_page").get_ref<const std::string&>();
    if (before.size() < 2 * page) {
        return false;
    }
    for (uint64_t i = 0; i < page - 8; ++i) {
        if (parse_u64(std::string_view(before).substr(2 * i, 2), 16) != bytes[i]) {
            return false;
        }
    }
    std::string footer;
    for (uint64_t k = page - 8; k < page; ++k) {
        footer += fmt::format("{:02x}", bytes[k]);
    }
    *detail = "; the last 8 bytes of RAM hold skiboot's free-region footer (" + footer + ")";
    return true;
}

}  // namespace lab
