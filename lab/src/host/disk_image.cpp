#include "disk_image.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "process.hpp"
#include "text_file.hpp"

namespace fs = std::filesystem;

namespace lab {
namespace {

bool is_qcow2(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    char magic[4] = {};
    return f.read(magic, sizeof magic) && std::string(magic, sizeof magic) == "QFI\xfb";
}

// debugfs run on the file system with one request; its output, stdout and
// stderr merged (debugfs exits 0 whatever happened: its words tell).
std::string debugfs(const std::string& device, const std::string& request, bool write = false)
{
    std::vector<std::string> argv = {"debugfs"};
    if (write) {
        argv.emplace_back("-w");
    }
    argv.insert(argv.end(), {"-R", request, device});
    std::string out;
    if (run_command(argv, &out, 120) != 0) {
        out += "\n(debugfs did not finish)";
    }
    return out;
}

// What debugfs' stat says of an inode: its type ("regular", "directory",
// "symlink"...; "" when the path is not there) and size in bytes.
struct InodeStat {
    std::string type;
    uint64_t size = 0;
};

InodeStat inode_stat(const std::string& device, const std::string& path)
{
    const std::string out = debugfs(device, "stat \"" + path + "\"");
    InodeStat st;
    if (const auto at = out.find("Type: "); at != std::string::npos) {
        const auto end = out.find_first_of(" \t\n", at + 6);
        st.type = out.substr(at + 6, end - at - 6);
    }
    if (const auto at = out.find("Size: "); at != std::string::npos) {
        st.size = std::strtoull(out.c_str() + at + 6, nullptr, 10);
    }
    return st;
}

std::string inode_type(const std::string& device, const std::string& path)
{
    return inode_stat(device, path).type;
}

}  // namespace

bool raw_copy(const std::string& src, const std::string& dst, std::string* error)
{
    std::string out;
    const std::vector<std::string> argv =
        is_qcow2(src) ? std::vector<std::string>{"qemu-img", "convert", "-f", "qcow2", "-O", "raw", src, dst}
                      : std::vector<std::string>{"cp", "--sparse=always", src, dst};
    if (run_command(argv, &out, 600) != 0) {
        *error = fmt::format("{} failed: {}", argv.front(), out.substr(0, 300));
        return false;
    }
    return true;
}

std::string debugfs_device(const std::string& raw, uint64_t offset)
{
    return offset == 0 ? raw : fmt::format("{}?offset={}", raw, offset);
}

std::optional<RootFs> find_root_fs(const std::string& raw, std::string* error)
{
    std::vector<RootFs> candidates;
    std::string table;
    // NR START (512-byte sectors); no partition table: partx fails.
    if (run_command({"partx", "--raw", "--noheadings", "-o", "NR,START", raw}, &table, 60) == 0) {
        std::istringstream in(table);
        for (uint64_t nr = 0, start = 0; in >> nr >> start;) {
            if (start <= UINT64_MAX / 512) {
                candidates.push_back({fmt::format("/dev/vda{}", nr), start * 512});
            }
        }
    }
    if (candidates.empty()) {
        candidates.push_back({"/dev/vda", 0});
    }
    std::string seen;
    for (const auto& c : candidates) {
        const std::string dev = debugfs_device(raw, c.offset);
        if (!inode_type(dev, "/etc/os-release").empty() || !inode_type(dev, "/usr/lib/os-release").empty()) {
            // Written with debugfs, a file system whose journal still holds
            // writes would have them replayed over the lab's at the guest's
            // next mount (and read back stale).
            std::istringstream stats(debugfs(dev, "stats"));
            for (std::string line; std::getline(stats, line);) {
                if (line.rfind("Filesystem features:", 0) == 0 && line.find(" needs_recovery") != std::string::npos) {
                    *error = fmt::format(
                        "the file system of {} ({} in the guest) needs journal recovery: it was not "
                        "shut down cleanly; run e2fsck -fy on it (or shut its guest down) first",
                        raw, c.device);
                    return std::nullopt;
                }
            }
            return c;
        }
        seen += fmt::format(" {} (offset {})", c.device, c.offset);
    }
    *error = "no ext2/3/4 file system with /etc/os-release in " + raw + ": looked at" + seen;
    return std::nullopt;
}

bool copy_guest_file(const RootFs& root, const std::string& raw, const std::string& guest_path,
                     const std::string& host_path, size_t max_bytes)
{
    const std::string dev = debugfs_device(raw, root.offset);
    const InodeStat st = inode_stat(dev, guest_path);
    if (st.type != "regular" || st.size > max_bytes) {  // never a host file sized by the guest
        return false;
    }
    std::error_code ec;
    fs::remove(host_path, ec);  // debugfs' dump makes the file itself
    debugfs(dev, fmt::format("dump \"{}\" {}", guest_path, host_path));
    return fs::is_regular_file(host_path, ec);
}

bool copy_guest_dir(const RootFs& root, const std::string& raw, const std::string& guest_dir,
                    const std::string& host_dir, std::string* said)
{
    std::string out;
    const int rc = run_command(
        {"debugfs", "-R", fmt::format("rdump \"{}\" {}", guest_dir, host_dir), debugfs_device(raw, root.offset)}, &out,
        300);
    *said = out.substr(0, 300);
    return rc == 0;
}

std::optional<std::string> read_guest_file(const RootFs& root, const std::string& raw, const std::string& guest_path,
                                           size_t max_bytes)
{
    char tmpl[] = "/tmp/fadump-guest-file-XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0) {
        return std::nullopt;
    }
    close(fd);
    std::optional<std::string> text;
    if (copy_guest_file(root, raw, guest_path, tmpl, max_bytes)) {
        text = read_text(tmpl);
    }
    std::error_code ec;
    fs::remove(tmpl, ec);
    return text;
}

bool install_guest_files(const RootFs& root, const std::string& raw, const std::vector<std::string>& dirs,
                         const std::vector<std::pair<std::string, std::string>>& files,
                         const std::vector<std::pair<std::string, std::string>>& links, std::string* error)
{
    const std::string dev = debugfs_device(raw, root.offset);
    for (const auto& d : dirs) {
        if (inode_type(dev, d) != "directory") {
            const std::string out = debugfs(dev, "mkdir \"" + d + "\"", true);
            if (inode_type(dev, d) != "directory") {
                *error = fmt::format("{} could not be made in the image: {}", d, out.substr(0, 300));
                return false;
            }
        }
    }
    for (const auto& [guest, host] : files) {
        debugfs(dev, "rm \"" + guest + "\"", true);  // when it is there
        const std::string out = debugfs(dev, fmt::format("write \"{}\" \"{}\"", host, guest), true);
        if (inode_type(dev, guest) != "regular") {
            *error = fmt::format("{} did not land in the image: {}", guest, out.substr(0, 300));
            return false;
        }
    }
    for (const auto& [link, target] : links) {
        debugfs(dev, "rm \"" + link + "\"", true);
        const std::string out = debugfs(dev, fmt::format("symlink \"{}\" \"{}\"", link, target), true);
        if (inode_type(dev, link) != "symlink") {
            *error = fmt::format("the link {} did not land in the image: {}", link, out.substr(0, 300));
            return false;
        }
    }
    return true;
}

std::vector<std::pair<std::string, std::string>> dpkg_versions(const std::string& status,
                                                               const std::vector<std::string>& packages)
{
    std::vector<std::pair<std::string, std::string>> found;
    std::istringstream in(status + "\n\n");
    std::string line, name, version;
    bool installed = false;
    while (std::getline(in, line)) {
        if (line.empty()) {
            for (const auto& p : packages) {
                if (p == name && installed && !version.empty()) {
                    found.emplace_back(name, version);
                }
            }
            name.clear();
            version.clear();
            installed = false;
        } else if (line.rfind("Package: ", 0) == 0) {
            name = line.substr(9);
        } else if (line.rfind("Version: ", 0) == 0) {
            version = line.substr(9);
        } else if (line.rfind("Status: ", 0) == 0) {
            installed = line.find(" installed") != std::string::npos && line.find("not-installed") == std::string::npos;
        }
    }
    return found;
}

}  // namespace lab
