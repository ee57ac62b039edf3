// A guest's own disk image on the host (--guest debian, --disk IMAGE): the
// run's raw copy of it, the ext2/3/4 root file system inside it (the whole
// disk or a partition), and files read from or written into that file
// system with e2fsprogs' debugfs, never mounted. The image is the user's
// or the guest's: what is read from it is hostile, and nothing here runs
// a program from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lab {

/// Makes `dst` a raw copy of the disk image `src`: qcow2 (its magic
/// "QFI\xfb") through qemu-img convert, anything else copied sparse (cp
/// --sparse=always). False with `error` set when the copy failed.
bool raw_copy(const std::string& src, const std::string& dst, std::string* error);

/// The root file system of a raw disk image: the device the guest sees it
/// as (/dev/vda, or /dev/vdaN for partition N of the first virtio disk)
/// and its byte offset in the image.
struct RootFs {
    std::string device;
    uint64_t offset = 0;
};

/// The first ext2/3/4 file system holding /etc/os-release: the whole disk
/// when it has no partition table (partx), else the first such partition,
/// in partition order. nullopt with `error` saying what was looked at, or
/// that the file system needs journal recovery (needs_recovery: debugfs
/// writes would be undone by the guest's replay of its journal).
std::optional<RootFs> find_root_fs(const std::string& raw, std::string* error);

/// debugfs's name for the file system at `offset` bytes into `raw`
/// ("raw?offset=N": e2fsprogs' unix I/O option).
std::string debugfs_device(const std::string& raw, uint64_t offset);

/// Copies the regular file `guest_path` of the file system to `host_path`;
/// false (nothing written) when it is not there, is not a regular file or
/// is larger than `max_bytes`.
bool copy_guest_file(const RootFs& root, const std::string& raw, const std::string& guest_path,
                     const std::string& host_path, size_t max_bytes);

/// Copies the directory `guest_dir` of the file system, recursively, into
/// the host directory `host_dir` (debugfs rdump: it lands as
/// host_dir/<its name>, entries as the guest made them: the caller makes
/// them plain). `said` gets debugfs' words; false when debugfs did not finish.
bool copy_guest_dir(const RootFs& root, const std::string& raw, const std::string& guest_dir,
                    const std::string& host_dir, std::string* said);

/// The content of `guest_path` in the file system, nullopt when it is not
/// there, is not a regular file or is larger than `max_bytes`.
std::optional<std::string> read_guest_file(const RootFs& root, const std::string& raw, const std::string& guest_path,
                                           size_t max_bytes);

/// Writes host files into the file system: each of `dirs` is made when
/// missing (its parent must exist); each pair of `files` (guest path, host
/// file) replaces what was at that path, keeping the host file's mode; each
/// pair of `links` (link, target) makes a symbolic link. False with `error`
/// (debugfs' words) when one did not land.
bool install_guest_files(const RootFs& root, const std::string& raw, const std::vector<std::string>& dirs,
                         const std::vector<std::pair<std::string, std::string>>& files,
                         const std::vector<std::pair<std::string, std::string>>& links, std::string* error);

/// The versions of `packages` in a dpkg status file's text ("Package:",
/// "Version:", "Status: install ok installed" stanzas); absent packages
/// are left out.
std::vector<std::pair<std::string, std::string>> dpkg_versions(const std::string& status,
                                                               const std::vector<std::string>& packages);

}  // namespace lab
