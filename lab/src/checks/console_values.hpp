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

/// "FADUMP-LAB: reserved-ranges <hex>": big-endian (u64 address, u64 size)
/// pairs from each boot's device tree, as [start, end); the union of every
/// such line.
ConsoleValue<std::vector<std::pair<uint64_t, uint64_t>>> reserved_ranges(const std::vector<std::string>& lines);

/// The last "FADUMP-LAB: reserved-names ..." list ("" when none).
std::string reserved_names(const std::vector<std::string>& lines);

}  // namespace lab
