#include "capture_archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include "process.hpp"

namespace fs = std::filesystem;

namespace lab {
namespace {

const char* kind_of(fs::file_type t)
{
    switch (t) {
        case fs::file_type::symlink:
            return "symlink";
        case fs::file_type::fifo:
            return "fifo";
        case fs::file_type::block:
            return "block device";
        case fs::file_type::character:
            return "character device";
        case fs::file_type::socket:
            return "socket";
        default:
            return "other";
    }
}

}  // namespace

UnpackedCapture unpack_capture(const std::string& disk, const fs::path& root, double timeout_s)
{
    UnpackedCapture u;
    std::error_code ec;
    fs::remove_all(root, ec);
    fs::create_directories(root, ec);
    u.tar_status = run_command(
        {"tar", "-xf", disk, "-C", root.string(), "--no-same-owner", "--no-same-permissions", "--no-overwrite-dir"},
        &u.tar_output, timeout_s);
    if (u.tar_output.size() > 4096) {
        u.tar_output.resize(4096);
    }
    u.removed = keep_plain_entries(root);
    return u;
}

std::vector<std::string> keep_plain_entries(const fs::path& root)
{
    std::error_code ec;
    std::vector<std::pair<fs::path, fs::file_type>> odd;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        const fs::file_type t = it->symlink_status(ec).type();
        if (t == fs::file_type::regular || t == fs::file_type::directory) {
            const bool dir = t == fs::file_type::directory;
            fs::permissions(it->path(), dir ? fs::perms(0755) : fs::perms(0644), fs::perm_options::replace, ec);
            (void)::lchown(it->path().c_str(), ::getuid(), ::getgid());
        } else {
            odd.emplace_back(it->path(), t);
        }
    }
    std::vector<std::string> removed;
    for (const auto& [p, t] : odd) {
        fs::remove(p, ec);
        removed.push_back(fs::relative(p, root, ec).string() + " (" + kind_of(t) + ")");
    }
    return removed;
}

std::string read_capped(const fs::path& path, size_t max_bytes)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    struct stat st {};
    std::string out;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        out.resize(std::min<size_t>(max_bytes, static_cast<size_t>(st.st_size)));
        size_t got = 0;
        while (got < out.size()) {
            const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
            if (n <= 0) {
                break;
            }
            got += static_cast<size_t>(n);
        }
        out.resize(got);
    }
    ::close(fd);
    return out;
}

}  // namespace lab
