// The distro-style capture's archive (/var/crash as the capture kernel's
// /init wrote it onto a disk with tar): the guest's, so hostile until
// unpacked into plain files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace lab {

struct UnpackedCapture {
    int tar_status = -1;     ///< GNU tar's exit status (0: every member extracted)
    std::string tar_output;  ///< what tar said (at most a few KiB)
    /// Members that were not regular files or directories (FIFOs, symlinks,
    /// device nodes, sockets), removed before anything reads the tree:
    /// "path (kind)", relative to the root.
    std::vector<std::string> removed;
};

/// Unpacks the tar archive `disk` into `root` (emptied first) with GNU tar,
/// which keeps members inside `root` (leading "/" stripped, members with
/// ".." refused) and, with --no-same-owner/--no-same-permissions, owns
/// nothing as root; then removes every entry that is not a regular file or
/// a directory, without following symlinks. Bounded: tar gets `timeout_s`.
UnpackedCapture unpack_capture(const std::string& disk, const std::filesystem::path& root, double timeout_s = 300);

/// Removes every entry below `root` that is not a regular file or a
/// directory, without following symlinks; makes what stays owned by the lab
/// with plain modes (0644 files, 0755 directories: no set-id bit a guest
/// gave survives). Returns what was removed, as UnpackedCapture::removed.
std::vector<std::string> keep_plain_entries(const std::filesystem::path& root);

/// At most `max_bytes` of the regular file `path`, never following a
/// symlink and never blocking on a FIFO or device ("" when it is not a
/// regular file or cannot be read).
std::string read_capped(const std::filesystem::path& path, size_t max_bytes);

}  // namespace lab
