#include "memory_shape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace lab {
namespace {

constexpr uint64_t MiB = 1ULL << 20;

std::string backend_object(const std::string& kind, const std::string& id, uint64_t bytes, const std::string& dir,
                           bool noreserve)
{
    const std::string size =
        fmt::format("id={},size={}M", id, bytes / MiB) + (noreserve ? std::string(",reserve=off") : std::string());
    if (kind == "ram") {
        return "memory-backend-ram," + size;
    }
    if (kind == "memfd") {
        return "memory-backend-memfd," + size + ",share=on";
    }
    if (kind == "file") {
        return "memory-backend-file," + size + ",share=off,mem-path=" + dir;
    }
    return "memory-backend-memfd," + size + ",hugetlb=on";  // hugetlb
}

// A "Key: value kB" line of /proc/meminfo, in bytes (0 when absent).
uint64_t meminfo_bytes(const std::string& meminfo, const std::string& key)
{
    std::istringstream in(meminfo);
    std::string k;
    uint64_t value = 0;
    while (in >> k >> value) {
        if (k == key + ":") {
            return value * 1024;
        }
        in.ignore(256, '\n');
    }
    return 0;
}

}  // namespace

const std::vector<std::string>& memory_backends()
{
    static const std::vector<std::string> kinds = {"ram", "memfd", "file", "hugetlb"};
    return kinds;
}

std::variant<MemoryArgs, std::string> memory_args(const MemoryShape& shape, uint64_t ram_bytes,
                                                  const std::string& machine, const std::string& dir)
{
    MemoryArgs out;
    if (shape.numa == 0 && shape.backend.empty() && !shape.noreserve) {
        return out;
    }
    const std::string kind = shape.backend.empty() ? "ram" : shape.backend;
    const auto& kinds = memory_backends();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
        return fmt::format("unknown memory backend {} (ram, memfd, file, hugetlb)", kind);
    }
    if (shape.numa == 0) {
        if (ram_bytes % MiB != 0) {
            return fmt::format("{} bytes of RAM are not whole MiB", ram_bytes);
        }
        out.machine_suffix = ",memory-backend=ram0";
        out.args = {"-object", backend_object(kind, "ram0", ram_bytes, dir, shape.noreserve)};
        return out;
    }
    if (machine != "pseries") {
        return fmt::format("QEMU's {} does not support NUMA (\"NUMA is not supported by this machine-type\")", machine);
    }
    if (ram_bytes % (shape.numa * MiB) != 0) {
        return fmt::format("{} bytes of RAM do not split into {} nodes of whole MiB", ram_bytes, shape.numa);
    }
    const uint64_t node = ram_bytes / shape.numa;
    for (unsigned i = 0; i < shape.numa; ++i) {
        const std::string id = fmt::format("m{}", i);
        out.args.insert(out.args.end(), {"-object", backend_object(kind, id, node, dir, shape.noreserve), "-numa",
                                         fmt::format("node,nodeid={},memdev={}", i, id)});
    }
    return out;
}

std::string host_cannot_commit(const std::string& meminfo, int overcommit, uint64_t ram_bytes)
{
    if (overcommit == 1) {
        return "";
    }
    if (overcommit == 2) {
        const uint64_t limit = meminfo_bytes(meminfo, "CommitLimit");
        const uint64_t used = meminfo_bytes(meminfo, "Committed_AS");
        if (used <= limit && ram_bytes <= limit - used) {
            return "";
        }
        return fmt::format(
            "strict overcommit (vm.overcommit_memory=2) leaves {} MiB to commit; the guest's {} MiB do not fit "
            "and reserve=off does not help there",
            used <= limit ? (limit - used) / MiB : 0, ram_bytes / MiB);
    }
    const uint64_t host = meminfo_bytes(meminfo, "MemTotal") + meminfo_bytes(meminfo, "SwapTotal");
    if (host == 0 || ram_bytes <= host) {  // 0: meminfo unread; QEMU will say
        return "";
    }
    return fmt::format(
        "the guest's {} MiB are more than the host's RAM and swap ({} MiB), which Linux's "
        "heuristic overcommit refuses in one mapping",
        ram_bytes / MiB, host / MiB);
}

std::string hugetlb_shortfall(const std::string& meminfo, uint64_t ram_bytes)
{
    uint64_t free_pages = 0;
    uint64_t page_kib = 0;
    std::istringstream in(meminfo);
    std::string key;
    uint64_t value = 0;
    while (in >> key >> value) {
        if (key == "HugePages_Free:") {
            free_pages = value;
        } else if (key == "Hugepagesize:") {
            page_kib = value;
        }
        in.ignore(256, '\n');
    }
    if (page_kib == 0) {
        return "the host has no huge pages (no Hugepagesize in /proc/meminfo)";
    }
    const uint64_t need = (ram_bytes + page_kib * 1024 - 1) / (page_kib * 1024);
    if (free_pages >= need) {
        return "";
    }
    return fmt::format(
        "the host has {} free huge pages of {} kB; the guest's {} MiB need {} "
        "(as root: echo {} > /proc/sys/vm/nr_hugepages)",
        free_pages, page_kib, ram_bytes / MiB, need, need);
}

}  // namespace lab
