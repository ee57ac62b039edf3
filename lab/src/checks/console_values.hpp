// Values the guest prints on its console ("FADUMP-LAB: ..." lines of
// lab/guest/init). The console is hostile input: every reader returns the
// value or says what was wrong with which line, and never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lab {

/// A value read from the console: `value` when present and well formed;
/// otherwise `error` says why (empty `error` and no value: not printed).
template <class T>
struct ConsoleValue {
    std::optional<T> value;
    std::string error;
};

/// The whole of `s` as an unsigned number in `base` (10 or 16, no sign, no
/// prefix, no trailing text); nullopt when it is not one or overflows.
std::optional<uint64_t> parse_u64(std::string_view s, int base = 10);

/// The decimal number after the last `key` in the console ("vmcore_size=123"),
/// up to the next blank.
ConsoleValue<uint64_t> last_value(const std::vector<std::string>& lines, const std::string& key);

/// CPUs the crashed kernel had online when it went down: the last
/// "FADUMP-LAB: cpus-online 0-3,6" (the list format of
/// /sys/devices/system/cpu/online) before "FADUMP-LAB: crashing",
/// "hanging" or "raising S0" (a scenario may take CPUs offline or add some
/// first).
ConsoleValue<unsigned> cpus_online(const std::vector<std::string>& lines);

/// The same CPUs as a list of logical ids, in ascending order.
ConsoleValue<std::vector<unsigned>> cpus_online_list(const std::vector<std::string>& lines);

/// CPUs the first kernel had online when its init started: the first
/// "FADUMP-LAB: cpus-online" line (nothing when there is none).
ConsoleValue<unsigned> cpus_at_boot(const std::vector<std::string>& lines);

/// "FADUMP-LAB: reserved-ranges <hex>": big-endian (u64 address, u64 size)
/// pairs from each boot's device tree, as [start, end); the union of every
/// such line.
ConsoleValue<std::vector<std::pair<uint64_t, uint64_t>>> reserved_ranges(const std::vector<std::string>& lines);

/// The last "FADUMP-LAB: reserved-names ..." list ("" when none).
std::string reserved_names(const std::vector<std::string>& lines);

/// skiboot's in-memory console (INMEM_CON_START, 1 MiB, skiboot
/// include/mem-map.h; it keeps the debug lines the serial console leaves
/// out) as raw guest bytes: the `n` lines stamped "[ SECONDS.FRACTION,LEVEL]"
/// with the greatest timestamps, oldest first (the ring may still hold a
/// previous boot's lines; the timebase goes on across an MPIPL, so the
/// newest lines are the last boot's). Bytes that are not printable end a
/// line; a line is cut at 200 characters. Hostile input: never throws.
std::vector<std::string> skiboot_log_tail(const std::string& bytes, size_t n);

/// What the console said about the dump's path, for a failed run's report
/// (a CI log shows it; the console file may be gone with the machine):
/// from the first crash trigger ("FADUMP-LAB: crashing", "hanging",
/// "raising S0"; the whole console when there is none) the lab's guest's
/// lines, skiboot's dump and MPIPL steps ("DUMP:", "SBE", "Performing
/// MPIPL", "Falling back") and its errors (log levels 0-3), each boot's
/// first line, panics, oopses and QEMU's errors; then the console's last 8
/// lines. At most `max` lines (3 or more): beyond it the first and last
/// halves, with a line saying how many were left out between them. Lines
/// are cut at 200 characters.
std::vector<std::string> dump_path_excerpt(const std::vector<std::string>& lines, size_t max);

}  // namespace lab
