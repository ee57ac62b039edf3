#include "fadump/vmcore/crash_info.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <string>
#include <vector>

#include "kernel_order.hpp"

namespace fadump::vmcore {
namespace {

constexpr uint64_t MAGIC = 0x4641444D50534947;      // "FADMPSIG"
constexpr uint64_t OLD_MAGIC = 0x4641444D50494E46;  // "FADMPINF": before version 1

using detail::hex;

template <typename T>
T read(std::span<const std::byte> b, size_t off, bool big_endian)
{
    return detail::load<T>(b, off, big_endian);
}

Error bad(const std::string& what)
{
    return fail(Errc::ParamError, "crash info header: " + what);
}

// The byte order the magic is written in, or an error naming what it is.
Result<bool> byte_order(std::span<const std::byte> b)
{
    const auto as_le = read<uint64_t>(b, 0, false);
    const auto as_be = read<uint64_t>(b, 0, true);
    if (as_le == MAGIC || as_be == MAGIC) {
        return as_be == MAGIC;
    }
    if (as_le == OLD_MAGIC || as_be == OLD_MAGIC) {
        return bad("magic FADMPINF: a kernel older than header version 1");
    }
    return bad("magic " + hex(as_be) + " is not FADMPSIG");
}

// The sizes and version, checked; the CPU mask's bytes in `mask_bytes`.
Result<void> check_shape(std::span<const std::byte> b, bool be, uint32_t* mask_bytes)
{
    const auto version = read<uint32_t>(b, 0x8, be);
    if (version != 1) {
        return bad("version " + std::to_string(version) + " (1 is known)");
    }
    const auto regs_sz = read<uint32_t>(b, 0x20, be);
    if (regs_sz != CRASH_INFO_PT_REGS_BYTES) {
        return bad("pt_regs_sz " + std::to_string(regs_sz) + " (ppc64's is 384)");
    }
    const auto mask_sz = read<uint32_t>(b, 0x24, be);
    if (mask_sz == 0 || mask_sz % 8 != 0 || mask_sz > CRASH_INFO_MAX_CPU_MASK_BYTES) {
        return bad("cpu_mask_sz " + std::to_string(mask_sz) + " (a multiple of 8, at most 1024)");
    }
    if (b.size() < CRASH_INFO_FIXED_BYTES + mask_sz) {
        return bad(std::to_string(b.size()) + " bytes, the header with its CPU mask takes " +
                   std::to_string(CRASH_INFO_FIXED_BYTES + mask_sz));
    }
    *mask_bytes = mask_sz;
    return {};
}

// VMCOREINFO's range, inside RAM.
Result<GuestRange> vmcoreinfo_range(std::span<const std::byte> b, bool be, const GuestRange& ram)
{
    const auto addr = read<uint64_t>(b, 0x10, be);
    const auto size = read<uint64_t>(b, 0x18, be);
    if (size == 0 || size > CRASH_INFO_MAX_VMCOREINFO_BYTES) {
        return bad("vmcoreinfo_size " + std::to_string(size) + " (1 byte to a 64 KiB page and its note's 36)");
    }
    const auto r = GuestRange::make(GuestAddr{addr}, ByteLen{size});
    if (!r || !ram.contains(*r)) {
        return bad("VMCOREINFO at " + hex(addr) + " +" + hex(size) + " is not inside RAM [" + hex(ram.start().value) +
                   ", " + hex(ram.end()) + ")");
    }
    return *r;
}

}  // namespace

Result<CrashInfo> parse_crash_info(std::span<const std::byte> bytes, const GuestRange& ram)
{
    if (bytes.size() < CRASH_INFO_FIXED_BYTES) {
        return bad(std::to_string(bytes.size()) + " bytes, fewer than the header's " +
                   std::to_string(CRASH_INFO_FIXED_BYTES));
    }
    auto order = byte_order(bytes);
    if (!order) {
        return order.error();
    }
    CrashInfo ci;
    ci.big_endian = order.value();
    if (auto shape = check_shape(bytes, ci.big_endian, &ci.cpu_mask_bytes); !shape) {
        return shape.error();
    }
    auto vmcoreinfo = vmcoreinfo_range(bytes, ci.big_endian, ram);
    if (!vmcoreinfo) {
        return vmcoreinfo.error();
    }
    ci.vmcoreinfo = vmcoreinfo.value();
    ci.crashing_cpu = read<uint32_t>(bytes, 0xC, ci.big_endian);
    for (size_t i = 0; i < ci.regs.size(); ++i) {
        ci.regs[i] = read<uint64_t>(bytes, 0x28 + i * 8, ci.big_endian);
    }
    for (size_t i = 0; i < ci.cpu_mask_bytes / 8; ++i) {
        ci.cpu_mask[i] = read<uint64_t>(bytes, CRASH_INFO_FIXED_BYTES + i * 8, ci.big_endian);
        ci.online_cpus += static_cast<uint32_t>(std::popcount(ci.cpu_mask[i]));
    }
    return ci;
}

Result<void> read_dump_bytes(GuestMemory& mem, uint64_t addr, std::span<std::byte> out, const char* what)
{
    if (out.empty()) {
        return {};  // nothing to read (no thread's data): no call with a null buffer
    }
    if (!mem.read(GuestAddr{addr}, out)) {
        return fail(Errc::HardwareError, std::string("vmcore: cannot read the ") + what);
    }
    return {};
}

Result<CrashInfo> read_crash_info(GuestMemory& mem, GuestAddr at)
{
    const GuestRange ram = mem.ram();
    if (at.value >= ram.end()) {
        return fail(Errc::ParamError, "vmcore: the crash info header's address is past RAM");
    }
    std::array<std::byte, CRASH_INFO_MAX_BYTES> buf{};
    const auto n = static_cast<size_t>(std::min<uint64_t>(buf.size(), ram.end() - at.value));
    if (auto r = read_dump_bytes(mem, at.value, {buf.data(), n}, "crash info header"); !r) {
        return r.error();
    }
    return parse_crash_info({buf.data(), n}, ram);
}

Result<std::vector<std::byte>> read_vmcoreinfo(GuestMemory& mem, const CrashInfo& ci)
{
    std::vector<std::byte> note(ci.vmcoreinfo.len().bytes);  // at most 64 KiB + 36
    if (auto r = read_dump_bytes(mem, ci.vmcoreinfo.start().value, note, "VMCOREINFO note"); !r) {
        return r.error();
    }
    return note;
}

}  // namespace fadump::vmcore
