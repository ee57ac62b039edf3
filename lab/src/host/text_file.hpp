// A whole text file read on the host (the lab's own files, QEMU's logs,
// /proc): no size limit, so never for what the guest wrote (capture_archive's
// read_capped is for that).
#pragma once

#include <filesystem>
#include <string>

namespace lab {

/// The file's bytes; empty when it cannot be opened. Works on /proc files,
/// whose size stat does not know.
[[nodiscard]] std::string read_text(const std::filesystem::path& path);

}  // namespace lab
