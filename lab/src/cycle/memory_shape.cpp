#include "memory_shape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace lab {
namespace {

constexpr uint64_t MiB = 1ULL << 20;

std::string backend_object(const std::string& kind, const std::string& id, uint64_t bytes, const std::string& dir)
{
    const std::string size = fmt::format("id={},size={}M", id, bytes / MiB);
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
    if (shape.numa == 0 && shape.backend.empty()) {
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
        out.args = {"-object", backend_object(kind, "ram0", ram_bytes, dir)};
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
        out.args.insert(out.args.end(), {"-object", backend_object(kind, id, node, dir), "-numa",
                                         fmt::format("node,nodeid={},memdev={}", i, id)});
    }
    return out;
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
