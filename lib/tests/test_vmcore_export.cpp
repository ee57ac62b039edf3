// The platform's own vmcore (issue 23), judged by what a real capture kernel
// exported from the same dump: the fixture lib/tests/data/linux-6.12-pseries-
// 2G-smp2.* (capture-fadump-fixture.py) holds the crash info header, the
// register save area and VMCOREINFO as preserved, QMP's view of the
// registration, and the first 128 KiB of that kernel's /proc/vmcore (ELF
// header, program headers, notes). The export must reproduce those bytes
// exactly; what the guest writes is refused by name when it is wrong.
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fadump/export/vmcore_writer.hpp"
#include "fadump/papr/register_save_area.hpp"
#include "fadump/papr/vmcore_source.hpp"
#include "fadump/vmcore/cpu_notes.hpp"
#include "fadump/vmcore/vmcore_layout.hpp"
#include "fake_guest.hpp"

using namespace fadump;
using namespace fadump::vmcore;

namespace {

constexpr uint64_t GIB = 1ULL << 30;

using test::fixture;

// The registration as QMP showed it after the dump: sections with the
// platform's results.
papr::Registration registration()
{
    const auto bytes = fixture("query-fadump.json");
    const auto q = nlohmann::json::parse(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    papr::Registration reg;
    for (const auto& s : q["sections"]) {
        papr::FdmSection& out = reg.sections[reg.count++];
        out.source_data_type = s["type"].get<uint16_t>();
        out.error_flags = s["error-flags"].get<uint16_t>();
        out.source_address = s["source"].get<uint64_t>();
        out.source_length = s["length"].get<uint64_t>();
        out.bytes_dumped = s["bytes-dumped"].get<uint64_t>();
        out.destination_address = s["destination"].get<uint64_t>();
    }
    return reg;
}

// A 2 GiB guest holding what the real dump left: the crash info header at
// 0x28010000, the register save area at 0x14000000, VMCOREINFO at
// 0x15790000 (the addresses of the fixture's run).
struct RealDump {
    test::FakeGuest mem{2 * GIB};
    papr::Registration reg = registration();
    NodeRange ram{*GuestRange::make(GuestAddr{0}, ByteLen{2 * GIB}), 0};
    RealDump()
    {
        EXPECT_TRUE(mem.write(GuestAddr{0x28010000}, fixture("crash-info")));
        EXPECT_TRUE(mem.write(GuestAddr{0x14000000}, fixture("cpu-state")));
        EXPECT_TRUE(mem.write(GuestAddr{0x15790000}, fixture("vmcoreinfo")));
    }
};

// The real dump's plan, its file layout and its memory's pieces.
struct Planned {
    vmcore::VmcorePlan plan;
    FileLayout layout;
    std::vector<HostPiece> pieces;
};

Planned planned(RealDump& d)
{
    auto plan = papr::plan_vmcore(d.mem, d.reg, {&d.ram, 1}, 2);
    EXPECT_TRUE(plan.ok()) << plan.error().message;
    Planned p{.plan = std::move(plan.value()), .layout = {}, .pieces = {}};
    p.layout = file_layout(p.plan);
    auto pieces = host_pieces(d.mem, p.plan, p.layout);
    EXPECT_TRUE(pieces.ok()) << pieces.error().message;
    p.pieces = std::move(pieces.value());
    return p;
}

struct TempDir {
    std::string path;
    int fd = -1;
    TempDir()
    {
        char tmpl[] = "/tmp/fadump-export-XXXXXX";
        path = mkdtemp(tmpl);
        fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
    }
    ~TempDir()
    {
        close(fd);
        std::filesystem::remove_all(path);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] std::vector<std::string> names() const
    {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path)) {
            out.push_back(e.path().filename());
        }
        return out;
    }
};

std::vector<std::byte> read_file(const std::string& path, size_t n)
{
    std::ifstream f(path, std::ios::binary);
    std::vector<std::byte> out(n);
    f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
    out.resize(static_cast<size_t>(f.gcount()));
    return out;
}

TEST(VmcoreExport, ThePlanOfARealDumpHasTheCaptureKernelsNotesAndLoads)
{
    RealDump d;
    auto plan = papr::plan_vmcore(d.mem, d.reg, {&d.ram, 1}, 2);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_FALSE(plan->big_endian);
    EXPECT_EQ(plan->cpus, 2u);
    EXPECT_EQ(plan->page_size, 65536u);
    const auto head = fixture("vmcore-head");
    ASSERT_EQ(plan->notes.size(), 0x10d0u);
    EXPECT_EQ(std::memcmp(plan->notes.data(), head.data() + 0x10000, 0x10d0), 0);
    // Boot memory [0, 320 MiB) from its destination; the rest of RAM above
    // the reserved area, which ends with the crash info header.
    ASSERT_EQ(plan->loads.size(), 2u);
    EXPECT_EQ(plan->loads[0], (Load{.paddr = 0, .bytes = 0x14000000, .from = GuestAddr{0x14010000}}));
    EXPECT_EQ(plan->loads[1], (Load{.paddr = 0x280101b0, .bytes = 0x57fefe50, .from = GuestAddr{0x280101b0}}));
}

TEST(VmcoreExport, TheFileStartsByteForByteAsTheCaptureKernelsProcVmcore)
{
    RealDump d;
    auto plan = papr::plan_vmcore(d.mem, d.reg, {&d.ram, 1}, 2);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    const FileLayout layout = file_layout(*plan);
    auto pieces = host_pieces(d.mem, *plan, layout);
    ASSERT_TRUE(pieces.ok()) << pieces.error().message;
    TempDir dir;
    auto w = write_vmcore(dir.fd, "vmcore", *plan, layout, *pieces, nullptr);
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_EQ(w->file_bytes, layout.bytes);
    EXPECT_EQ(layout.bytes, 0x14020000u + 0x57ff0000u);
    const auto head = fixture("vmcore-head");
    EXPECT_EQ(read_file(dir.path + "/vmcore", head.size()), head);
    // Only what is not zero was written: the ELF header and its 3 program
    // headers (not the padding up to the notes), the notes, and the
    // memory's non-zero 4 KiB blocks.
    uint64_t nonzero = 0;
    for (const auto& p : *pieces) {
        for (uint64_t off = 0; off < p.bytes; off += 4096) {
            const uint64_t n = std::min<uint64_t>(4096, p.bytes - off);
            const auto* b = p.host + off;
            nonzero += std::any_of(b, b + n, [](std::byte x) { return x != std::byte{0}; }) ? n : 0;
        }
    }
    EXPECT_GT(nonzero, 0u);
    EXPECT_EQ(w->data_bytes, 64u + 3 * 56 + 0x10d0 + nonzero);
    EXPECT_EQ(dir.names(), std::vector<std::string>{"vmcore"});
}

TEST(VmcoreExport, MemoryIsReadFromWhereTheDumpLeftIt)
{
    RealDump d;
    const std::byte boot_byte{0x5A};
    const std::byte high_byte{0xA5};
    ASSERT_TRUE(d.mem.write(GuestAddr{0x14010000 + 0x123456}, {&boot_byte, 1}));  // boot memory, moved
    ASSERT_TRUE(d.mem.write(GuestAddr{0x7000'0000}, {&high_byte, 1}));            // above: in place
    auto plan = papr::plan_vmcore(d.mem, d.reg, {&d.ram, 1}, 2);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    const FileLayout layout = file_layout(*plan);
    auto pieces = host_pieces(d.mem, *plan, layout);
    ASSERT_TRUE(pieces.ok());
    TempDir dir;
    ASSERT_TRUE(write_vmcore(dir.fd, "vmcore", *plan, layout, *pieces, nullptr).ok());

    // An independent reader: libelf's program headers say where paddr is.
    const int fd = openat(dir.fd, "vmcore", O_RDONLY);
    ASSERT_EQ(elf_version(EV_CURRENT), static_cast<unsigned>(EV_CURRENT));
    Elf* e = elf_begin(fd, ELF_C_READ, nullptr);
    size_t n = 0;
    ASSERT_EQ(elf_getphdrnum(e, &n), 0);
    ASSERT_EQ(n, 3u);
    auto byte_at = [&](uint64_t paddr) {
        for (int i = 0; i < static_cast<int>(n); ++i) {
            GElf_Phdr ph{};
            gelf_getphdr(e, i, &ph);
            if (ph.p_type == PT_LOAD && paddr >= ph.p_paddr && paddr < ph.p_paddr + ph.p_filesz) {
                std::byte b{};
                EXPECT_EQ(pread(fd, &b, 1, static_cast<off_t>(ph.p_offset + paddr - ph.p_paddr)), 1);
                EXPECT_EQ(ph.p_vaddr, PPC64_PAGE_OFFSET + ph.p_paddr);
                return b;
            }
        }
        ADD_FAILURE() << "no PT_LOAD holds " << paddr;
        return std::byte{0};
    };
    EXPECT_EQ(byte_at(0x123456), boot_byte);
    EXPECT_EQ(byte_at(0x7000'0000), high_byte);
    elf_end(e);
    close(fd);
}

TEST(VmcoreExport, ACancelledOrFailedExportLeavesNoFile)
{
    RealDump d;
    const Planned p = planned(d);
    TempDir dir;
    const int cancel = 1;
    auto w = write_vmcore(dir.fd, "vmcore", p.plan, p.layout, p.pieces, &cancel);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.code(), Errc::Busy);
    EXPECT_TRUE(dir.names().empty());

    // A directory that refuses the file: an error naming the call, no file.
    const int rdonly = open("/proc", O_RDONLY | O_DIRECTORY);
    auto refused = write_vmcore(rdonly, "vmcore", p.plan, p.layout, p.pieces, nullptr);
    close(rdonly);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.code(), Errc::HardwareError);
    EXPECT_NE(refused.error().message.find("open"), std::string::npos) << refused.error().message;
}

TEST(VmcoreExport, ANewExportReplacesTheOldWhole)
{
    RealDump d;
    const Planned p = planned(d);
    TempDir dir;
    std::ofstream(dir.path + "/vmcore") << "an older dump";
    ASSERT_TRUE(write_vmcore(dir.fd, "vmcore", p.plan, p.layout, p.pieces, nullptr).ok());
    EXPECT_EQ(read_file(dir.path + "/vmcore", 4)[1], std::byte{'E'});
    EXPECT_EQ(dir.names(), std::vector<std::string>{"vmcore"});
}

// --- what the guest wrote, refused by name ---

TEST(VmcoreExport, AHostileRegisterSaveAreaIsRefusedByName)
{
    const auto rsa = fixture("cpu-state");
    const auto hdr = fixture("crash-info");
    const auto ram = *GuestRange::make(GuestAddr{0}, ByteLen{2 * GIB});
    auto info = parse_crash_info(hdr, ram);
    ASSERT_TRUE(info.ok());
    std::array<CpuRegs, 2> out{};
    auto refused = [&](std::vector<std::byte> bad, size_t room, const char* why) {
        auto r = pseries_cpu_regs(bad, *info, {out.data(), room});
        ASSERT_FALSE(r.ok()) << why;
        EXPECT_EQ(r.code(), Errc::ParamError);
        EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
    };
    ASSERT_TRUE(pseries_cpu_regs(rsa, *info, out).ok());
    auto no_magic = rsa;
    no_magic[0] = std::byte{0};
    refused(no_magic, 2, "no REGSAVE magic");
    refused(rsa, 1, "2 CPUs, the machine has 1");
    auto far_offset = rsa;
    far_offset[0x0C] = std::byte{0x7f};
    refused(far_offset, 2, "NumCpusOffset");
    refused({rsa.begin(), rsa.begin() + 0x400}, 2, "without CPUEND");
    auto no_start = rsa;
    no_start[0x20] = std::byte{'X'};
    refused(no_start, 2, "does not start with CPUSTRT");
}

TEST(VmcoreExport, TheRegistersAreTheCaptureKernelsChoice)
{
    const auto ram = *GuestRange::make(GuestAddr{0}, ByteLen{2 * GIB});
    auto info = parse_crash_info(fixture("crash-info"), ram);
    ASSERT_TRUE(info.ok());
    std::array<CpuRegs, 2> out{};
    auto n = pseries_cpu_regs(fixture("cpu-state"), *info, out);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(n.value(), 2u);
    for (const auto& c : out) {
        if (c.cpu == info->crashing_cpu) {
            EXPECT_EQ(c.regs, info->regs);  // the header's pt_regs, whole
        } else {
            EXPECT_NE(c.regs[32], 0u);  // NIP from the save area
            EXPECT_EQ(c.regs[34], 0u);  // orig_gpr3: not in the save area
        }
    }
    // A CPU offline at the crash gets no note.
    auto one = *info;
    one.cpu_mask[0] = uint64_t{1} << info->crashing_cpu;
    auto m = pseries_cpu_regs(fixture("cpu-state"), one, out);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m.value(), 1u);
    EXPECT_EQ(out[0].cpu, info->crashing_cpu);
}

TEST(VmcoreExport, AVmcoreinfoNoteRunningPastItsBytesIsRefused)
{
    auto note = fixture("vmcoreinfo");
    std::array<CpuRegs, 1> cpus{};
    ASSERT_TRUE(vmcore_notes(cpus, note, false).ok());
    note[4] = std::byte{0xff};  // n_descsz's low byte: past the 64 KiB
    note[5] = std::byte{0xff};
    note[6] = std::byte{0x01};
    auto r = vmcore_notes(cpus, note, false);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("runs past"), std::string::npos) << r.error().message;
    std::vector<std::byte> empty(64);
    EXPECT_FALSE(vmcore_notes(cpus, empty, false).ok());
}

TEST(VmcoreExport, ADumpTheCaptureKernelWouldRefuseIsNotExported)
{
    RealDump d;
    d.reg.sections[2].error_flags = papr::ERR_INVALID_DESTINATION;
    auto flagged = papr::plan_vmcore(d.mem, d.reg, {&d.ram, 1}, 2);
    ASSERT_FALSE(flagged.ok());
    EXPECT_NE(flagged.error().message.find("error flags"), std::string::npos);

    RealDump wrong_magic;
    const std::byte zero{0};
    ASSERT_TRUE(wrong_magic.mem.write(GuestAddr{0x28010000}, {&zero, 1}));
    auto r = papr::plan_vmcore(wrong_magic.mem, wrong_magic.reg, {&wrong_magic.ram, 1}, 2);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("magic"), std::string::npos) << r.error().message;
}

TEST(VmcoreExport, LoadsFollowMemblockAroundTheReservedArea)
{
    const std::array<BootRegion, 1> boot{{{GuestAddr{0}, ByteLen{0x1000'0000}, GuestAddr{0x2000'0000}}}};
    const std::array<GuestRange, 2> nodes{*GuestRange::make(GuestAddr{0}, ByteLen{GIB}),
                                          *GuestRange::make(GuestAddr{GIB}, ByteLen{GIB})};
    const auto reserved = *GuestRange::make(GuestAddr{0x1f00'0000}, ByteLen{0x1200'0000});
    auto loads = vmcore_loads({.boot = boot, .ram = nodes, .reserved = reserved});
    ASSERT_TRUE(loads.ok());
    ASSERT_EQ(loads->size(), 4u);
    EXPECT_EQ((*loads)[0], (Load{.paddr = 0, .bytes = 0x1000'0000, .from = GuestAddr{0x2000'0000}}));
    EXPECT_EQ((*loads)[1], (Load{.paddr = 0x1000'0000, .bytes = 0x0f00'0000, .from = GuestAddr{0x1000'0000}}));
    EXPECT_EQ((*loads)[2], (Load{.paddr = 0x3100'0000, .bytes = GIB - 0x3100'0000, .from = GuestAddr{0x3100'0000}}));
    EXPECT_EQ((*loads)[3], (Load{.paddr = GIB, .bytes = GIB, .from = GuestAddr{GIB}}));

    const std::array<BootRegion, 2> backwards{
        {{GuestAddr{0x1000}, ByteLen{0x1000}, GuestAddr{0x9000}}, {GuestAddr{0}, ByteLen{0x1000}, GuestAddr{0x8000}}}};
    EXPECT_FALSE(vmcore_loads({.boot = backwards, .ram = nodes, .reserved = reserved}).ok());
}

TEST(VmcoreExport, MemoryMergesAsMemblockDoes)
{
    const auto r = [](uint64_t a, uint64_t n) { return *GuestRange::make(GuestAddr{a}, ByteLen{n}); };
    // Two QEMU NUMA nodes and a DIMM of node 1 right after them, given out
    // of order.
    const std::array<NodeRange, 3> nodes{{{r(GIB, GIB), 1}, {r(0, GIB), 0}, {r(2 * GIB, GIB), 1}}};
    auto flat = memblock_ranges(nodes, false);  // no CONFIG_NUMA: all node 0
    ASSERT_TRUE(flat.ok());
    EXPECT_EQ(*flat, (std::vector<GuestRange>{r(0, 3 * GIB)}));
    auto numa = memblock_ranges(nodes, true);
    ASSERT_TRUE(numa.ok());
    EXPECT_EQ(*numa, (std::vector<GuestRange>{r(0, GIB), r(GIB, 2 * GIB)}));
    const std::array<NodeRange, 2> overlapping{{{r(0, GIB), 0}, {r(GIB / 2, GIB), 1}}};
    EXPECT_FALSE(memblock_ranges(overlapping, true).ok());
    // The lab's kernel has no NUMA (VMCOREINFO names contig_page_data).
    EXPECT_FALSE(vmcoreinfo_numa(fixture("vmcoreinfo")));
    const std::string numa_info = "OSRELEASE=6.12\nSYMBOL(node_data)=c000000001234567\n";
    EXPECT_TRUE(vmcoreinfo_numa(std::as_bytes(std::span(numa_info))));
}

TEST(VmcoreExport, PageSizeComesFromVmcoreinfo)
{
    EXPECT_EQ(vmcoreinfo_page_size(fixture("vmcoreinfo")), 65536u);
    const std::string four_k = "....VMCOREINFO\nOSRELEASE=x\nPAGESIZE=4096\n";
    EXPECT_EQ(vmcoreinfo_page_size(std::as_bytes(std::span(four_k))), 4096u);
    const std::string odd = "\nPAGESIZE=12345\n";
    EXPECT_EQ(vmcoreinfo_page_size(std::as_bytes(std::span(odd))), 65536u);
}

}  // namespace
