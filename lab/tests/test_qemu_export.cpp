// The platform's own vmcore in the built QEMU (fadump-export=DIR), with no
// guest kernel: qtest writes what a crashing Linux leaves (its crash info
// header, VMCOREINFO) and calls ibm,os-term; the export must then be an ELF
// vmcore of that memory, and every hostile header must be refused with its
// reason, no file and QEMU still up, the guest's dump untouched. Needs
// FADUMP_QEMU and FADUMP_FIRMWARE, as test_qemu_rtas.cpp.
#include <fcntl.h>
#include <fmt/format.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fadump/fadump.h"
#include "fake_guest.hpp"
#include "qtest_qemu.hpp"

using namespace fadump::qtest;
namespace fs = std::filesystem;

namespace {

// linux_like(2): RMR [0, 128 MiB) preserved at 0x10100000, so the kernel's
// crash info header is at 0x10100000 + 128 MiB.
constexpr uint64_t HEADER = 0x10100000 + 0x8000000;
constexpr uint64_t NOTE_SRC = 0x100000;                     // VMCOREINFO where the kernel had it
constexpr uint64_t NOTE_RELOCATED = 0x10100000 + NOTE_SRC;  // where the header says (preserved)
constexpr uint64_t PATTERN = 0x200000;                      // a marked page of boot memory

template <typename T>
void put(std::vector<std::byte>& b, size_t off, T v)
{
    if constexpr (std::endian::native == std::endian::big) {
        v = fadump::byteswap(v);  // the little-endian kernel's order
    }
    std::memcpy(b.data() + off, &v, sizeof v);
}

// A little-endian kernel's version-1 header: NR_CPUS 64, CPUs 0 and 1
// online, CPU 0 crashing with NIP 0xc000000000123456.
struct Header {
    uint64_t magic = 0x4641444D50534947;
    uint32_t version = 1;
    uint64_t vmcoreinfo = NOTE_RELOCATED;
    uint64_t vmcoreinfo_size = 0x1000;
    uint32_t pt_regs_sz = 384;
    uint32_t cpu_mask_sz = 8;
    [[nodiscard]] std::vector<std::byte> bytes() const
    {
        std::vector<std::byte> b(0x1A8 + 8);
        put<uint64_t>(b, 0, magic);
        put<uint32_t>(b, 0x8, version);
        put<uint32_t>(b, 0xC, 0);
        put<uint64_t>(b, 0x10, vmcoreinfo);
        put<uint64_t>(b, 0x18, vmcoreinfo_size);
        put<uint32_t>(b, 0x20, pt_regs_sz);
        put<uint32_t>(b, 0x24, cpu_mask_sz);
        put<uint64_t>(b, 0x28 + 32 * 8, 0xc000000000123456);  // nip
        put<uint64_t>(b, 0x1A8, 0x3);
        return b;
    }
};

std::vector<std::byte> vmcoreinfo_note()
{
    const std::string text = "OSRELEASE=6.12-qtest\nPAGESIZE=65536\nSYMBOL(contig_page_data)=c000000001000000\n";
    std::vector<std::byte> b(12 + 12 + ((text.size() + 3) & ~size_t{3}));
    put<uint32_t>(b, 0, 11);
    put<uint32_t>(b, 4, static_cast<uint32_t>(text.size()));
    put<uint32_t>(b, 8, 0);
    std::memcpy(b.data() + 12, "VMCOREINFO", 11);
    std::memcpy(b.data() + 24, text.data(), text.size());
    return b;
}

// FADUMP_EXPORT_COMPLETED's "export", waiting about tries / 5 seconds
// (null when none came).
nlohmann::json export_completed(QtestQemu& q, int tries = 50)
{
    for (int i = 0; i < tries; ++i) {
        for (const auto& e : q.events(0.2)) {
            if (e.value("event", "") == "FADUMP_EXPORT_COMPLETED") {
                return e["data"]["export"];
            }
        }
    }
    return {};
}

// Registers, leaves `header` and VMCOREINFO as a crashing kernel does and
// dumps; returns FADUMP_EXPORT_COMPLETED's "export" (null when none came).
nlohmann::json dump_and_export(QtestQemu& q, const std::vector<std::byte>& header, int tries = 50)
{
    auto fdm = linux_like(2);
    q.write(FDM, fdm);
    q.write(NOTE_SRC, vmcoreinfo_note());
    q.write(PATTERN, std::vector<std::byte>(64, std::byte{0xA5}));
    q.write(HEADER, header);
    EXPECT_EQ(q.configure(1, FDM, static_cast<uint32_t>(fdm.size())), FADUMP_RTAS_SUCCESS);
    EXPECT_TRUE(dump_through_os_term(q));
    return export_completed(q, tries);
}

class QemuExport : public QemuRtas {};

TEST_F(QemuExport, TheDumpsVmcoreIsWrittenFromWhatTheGuestLeft)
{
    const fs::path dir = fs::temp_directory_path() / ("fadump-export-qtest-" + std::to_string(getpid()));
    fs::create_directories(dir);
    QtestQemu q(",fadump-export=" + dir.string());
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");
    ASSERT_NO_FATAL_FAILURE(q.listen());
    const auto e = dump_and_export(q, Header{}.bytes());
    ASSERT_EQ(e.value("state", ""), "done") << e.dump() << q.stderr_text();
    EXPECT_EQ(e.value("cpus", 0), 2);
    const std::string path = (dir / "vmcore").string();
    EXPECT_EQ(e.value("path", ""), path);

    // An independent reader: libelf.
    const int fd = open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    elf_version(EV_CURRENT);
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    GElf_Ehdr eh{};
    ASSERT_NE(gelf_getehdr(elf, &eh), nullptr);
    EXPECT_EQ(eh.e_type, ET_CORE);
    EXPECT_EQ(eh.e_machine, EM_PPC64);
    EXPECT_EQ(eh.e_ident[EI_DATA], ELFDATA2LSB);
    size_t n = 0;
    ASSERT_EQ(elf_getphdrnum(elf, &n), 0);
    // PT_NOTE; boot memory from its copy; 128-256 MiB; RAM above the
    // reserved area (the CPU state data up to the crash info header's end).
    ASSERT_EQ(n, 4u);
    GElf_Phdr note{};
    GElf_Phdr boot{};
    gelf_getphdr(elf, 0, &note);
    gelf_getphdr(elf, 1, &boot);
    EXPECT_EQ(note.p_type, PT_NOTE);
    EXPECT_EQ(note.p_filesz, 2 * (12 + 8 + 504) + vmcoreinfo_note().size());
    EXPECT_EQ(boot.p_paddr, 0u);
    EXPECT_EQ(boot.p_filesz, 0x8000000u);
    GElf_Phdr high{};
    gelf_getphdr(elf, 3, &high);
    EXPECT_EQ(high.p_paddr, HEADER + 0x1A8 + 8);
    EXPECT_EQ(high.p_paddr + high.p_filesz, 1ULL << 30);
    std::byte marked{};
    EXPECT_EQ(pread(fd, &marked, 1, static_cast<off_t>(boot.p_offset + PATTERN)), 1);
    EXPECT_EQ(marked, std::byte{0xA5});
    // The crashing CPU's NIP from the header, in the first note's pr_reg.
    uint64_t nip = 0;
    EXPECT_EQ(pread(fd, &nip, 8, static_cast<off_t>(note.p_offset + 20 + 112 + 32 * 8)), 8);
    EXPECT_EQ(nip, 0xc000000000123456u);
    elf_end(elf);
    close(fd);
    fs::remove_all(dir);
}

TEST_F(QemuExport, HostileHeadersAreRefusedWithTheirReasonAndNoFile)
{
    const fs::path dir = fs::temp_directory_path() / ("fadump-export-hostile-" + std::to_string(getpid()));
    fs::create_directories(dir);
    struct Case {
        const char* name;
        Header h;
        const char* reason;
    };
    std::vector<Case> cases;
    cases.push_back({"wrong magic", Header{.magic = 0x4641444D50494E46}, "FADMPINF"});
    cases.push_back({"version", Header{.version = 2}, "version 2"});
    cases.push_back({"pt_regs size", Header{.pt_regs_sz = 4096}, "pt_regs_sz"});
    cases.push_back({"mask size", Header{.cpu_mask_sz = 1u << 20}, "cpu_mask_sz"});
    cases.push_back({"VMCOREINFO past RAM", Header{.vmcoreinfo = (1ULL << 30) - 8}, "not inside RAM"});
    cases.push_back({"VMCOREINFO wraps", Header{.vmcoreinfo = ~uint64_t{0} - 4}, "not inside RAM"});
    cases.push_back({"VMCOREINFO too large", Header{.vmcoreinfo_size = 1ULL << 40}, "vmcoreinfo_size"});
    QtestQemu q(",fadump-export=" + dir.string(), "2", {"-d", "guest_errors"});
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");
    ASSERT_NO_FATAL_FAILURE(q.listen());
    for (const auto& c : cases) {
        const auto e = dump_and_export(q, c.h.bytes());
        EXPECT_EQ(e.value("state", ""), "failed") << c.name;
        EXPECT_NE(e.value("reason", "").find(c.reason), std::string::npos) << c.name << ": " << e.dump();
        EXPECT_TRUE(fs::is_empty(dir)) << c.name;
        // QEMU is up and the guest's dump is as the platform took it.
        const auto info = q.qmp({{{"execute", "query-fadump"}}});
        ASSERT_TRUE(info) << c.name << ": QEMU stopped answering";
        EXPECT_EQ((*info)[0].value("state", ""), "dump-active") << c.name;
        EXPECT_EQ((*info)[0]["last-export"].value("state", ""), "failed") << c.name;
        ASSERT_EQ(q.configure(3, FDM, static_cast<uint32_t>(linux_like(2).size())), FADUMP_RTAS_SUCCESS) << c.name;
    }
    EXPECT_NE(q.stderr_text().find("no vmcore export"), std::string::npos) << "no LOG_GUEST_ERROR line";
    fs::remove_all(dir);
}

TEST_F(QemuExport, QmpExportsTheActiveDumpOnDemand)
{
    const fs::path dir = fs::temp_directory_path() / ("fadump-export-qmp-" + std::to_string(getpid()));
    fs::create_directories(dir);
    QtestQemu q("");  // no fadump-export property: nothing is written at the dump
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");
    ASSERT_NO_FATAL_FAILURE(q.listen());
    const nlohmann::json args = {{"dir", dir.string()}};
    EXPECT_FALSE(q.qmp({{{"execute", "fadump-export"}, {"arguments", args}}}, true));
    EXPECT_NE(q.last_error().find("no firmware-assisted dump is active"), std::string::npos) << q.last_error();
    EXPECT_TRUE(dump_and_export(q, Header{}.bytes(), 5).is_null()) << "an export without the property";
    EXPECT_TRUE(fs::is_empty(dir));
    ASSERT_TRUE(q.qmp({{{"execute", "fadump-export"}, {"arguments", args}}})) << q.last_error();
    const auto done = export_completed(q);
    EXPECT_EQ(done.value("state", ""), "done") << done.dump();
    EXPECT_TRUE(fs::exists(dir / "vmcore"));
    // A directory that is not there: an error naming it, no export.
    const nlohmann::json missing = {{"dir", (dir / "missing").string()}};
    EXPECT_FALSE(q.qmp({{{"execute", "fadump-export"}, {"arguments", missing}}}, true));
    EXPECT_NE(q.last_error().find("cannot open"), std::string::npos) << q.last_error();
    fs::remove_all(dir);
}

TEST_F(QemuExport, InvalidateWhileTheExportIsWrittenAnswersBusyAndTheFileStaysWhole)
{
    // 512 MiB of RAM above the reserved area hold data (qtest's memset), so
    // the export writes about 540 MB and takes far longer than the RTAS
    // call made as soon as FADUMP_EXPORT_STARTED arrives.
    constexpr uint64_t FILLED = 0x20000000;
    constexpr uint64_t FILLED_BYTES = 0x20000000;
    const fs::path dir = fs::temp_directory_path() / ("fadump-export-busy-" + std::to_string(getpid()));
    fs::create_directories(dir);
    QtestQemu q(",fadump-export=" + dir.string());
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");
    ASSERT_EQ(q.cmd(fmt::format("memset {:#x} {} 0x5a", FILLED, FILLED_BYTES)), "OK");
    ASSERT_NO_FATAL_FAILURE(q.listen());
    auto fdm = linux_like(2);
    q.write(FDM, fdm);
    q.write(NOTE_SRC, vmcoreinfo_note());
    q.write(HEADER, Header{}.bytes());
    ASSERT_EQ(q.configure(1, FDM, static_cast<uint32_t>(fdm.size())), FADUMP_RTAS_SUCCESS);
    ASSERT_TRUE(dump_through_os_term(q));
    bool started = false;
    bool completed_early = false;
    for (int i = 0; i < 50 && !started; ++i) {
        for (const auto& e : q.events(0.1)) {
            started = started || e.value("event", "") == "FADUMP_EXPORT_STARTED";
            completed_early = completed_early || e.value("event", "") == "FADUMP_EXPORT_COMPLETED";
        }
    }
    ASSERT_TRUE(started) << q.stderr_text();
    ASSERT_FALSE(completed_early) << "the export finished before the INVALIDATE could race it";
    const auto len = static_cast<uint32_t>(fdm.size());
    EXPECT_EQ(q.configure(3, FDM, len), FADUMP_RTAS_BUSY) << "INVALIDATE while the export reads the dump";
    const auto info = q.qmp({{{"execute", "query-fadump"}}});
    ASSERT_TRUE(info);
    EXPECT_EQ((*info)[0].value("state", ""), "dump-active") << "a refused INVALIDATE changes nothing";
    const auto done = export_completed(q, 300);
    ASSERT_EQ(done.value("state", ""), "done") << done.dump();
    EXPECT_GE(done.value("data-bytes", uint64_t{0}), FILLED_BYTES);
    // Every filled byte is in the file: the last page of the filled range.
    const std::string path = (dir / "vmcore").string();
    const int fd = open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    elf_version(EV_CURRENT);
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    size_t n = 0;
    ASSERT_EQ(elf_getphdrnum(elf, &n), 0);
    GElf_Phdr high{};
    ASSERT_NE(gelf_getphdr(elf, static_cast<int>(n - 1), &high), nullptr);
    ASSERT_LE(high.p_paddr, FILLED);
    std::vector<std::byte> last(4096);
    const uint64_t off = high.p_offset + (FILLED + FILLED_BYTES - last.size() - high.p_paddr);
    EXPECT_EQ(pread(fd, last.data(), last.size(), static_cast<off_t>(off)), static_cast<ssize_t>(last.size()));
    EXPECT_EQ(std::count(last.begin(), last.end(), std::byte{0x5a}), static_cast<long>(last.size()));
    elf_end(elf);
    close(fd);
    // Once written, the guest's INVALIDATE goes through.
    EXPECT_EQ(q.configure(3, FDM, len), FADUMP_RTAS_SUCCESS);
    fs::remove_all(dir);
}

}  // namespace
