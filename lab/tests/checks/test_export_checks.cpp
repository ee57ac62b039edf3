// The export's checks: the glue's trace read as it prints it, two files
// compared byte for byte (a mutated byte found where it is), and a
// difference named by the part of the real vmcore it falls in.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "dump_access.hpp"
#include "export_checks.hpp"
#include "synthetic_core.hpp"

namespace {

const std::string HEAD =
    std::string(FADUMP_LAB_TEST_DATA) + "/../../../lib/tests/data/linux-6.12-pseries-2G-smp2.vmcore-head";

// Two copies of a real vmcore's head, a and b, in a directory of their own
// under the temporary directory, removed with it.
struct TwoCopies {
    explicit TwoCopies(const char* name) : dir(std::filesystem::temp_directory_path() / name)
    {
        std::filesystem::create_directories(dir);
        std::filesystem::copy_file(HEAD, a, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::copy_file(HEAD, b, std::filesystem::copy_options::overwrite_existing);
    }
    ~TwoCopies()
    {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    TwoCopies(const TwoCopies&) = delete;
    TwoCopies& operator=(const TwoCopies&) = delete;
    std::filesystem::path dir;
    std::string a = (dir / "a").string();
    std::string b = (dir / "b").string();
};

TEST(ExportChecks, TheGluesTraceIsRead)
{
    const std::string log =
        "spapr_fadump_reset dump reboot 1 rma_size 0x14000000\n"
        "fadump_export_start /r/export/vmcore: 1812004864 bytes, memory 1811873360 bytes, 2 cpus, 2 loads\n"
        "fadump_export_done ok 1 /r/export/vmcore: 1812004864 bytes, 29901008 written in 68924201 ns \n"
        "fadump_export_done ok 1 /r/export/opalcore: 29557052 bytes, 2163056 written in 4000000 ns \n";
    const auto t = lab::export_trace(log, "/r/export/vmcore");
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->ok);
    EXPECT_EQ(t->path, "/r/export/vmcore");
    EXPECT_EQ(t->file_bytes, 1812004864u);
    EXPECT_EQ(t->data_bytes, 29901008u);
    EXPECT_EQ(t->ns, 68924201u);
    const auto opal = lab::export_trace(log, "/r/export/opalcore");
    ASSERT_TRUE(opal);
    EXPECT_EQ(opal->path, "/r/export/opalcore");
    EXPECT_EQ(opal->file_bytes, 29557052u);

    const auto refused = lab::export_trace(
        "fadump_export_done ok 0 /r/export/vmcore: 0 bytes, 0 written in 0 ns crash info header: magic 0x0 is not "
        "FADMPSIG\n",
        "/r/export/vmcore");
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->ok);
    EXPECT_EQ(refused->why, "crash info header: magic 0x0 is not FADMPSIG");
    EXPECT_FALSE(lab::export_trace("fadump_moves moved 1 bytes in 2 ns\n", "/r/export/vmcore"));
    // Another file of the same name (a QMP export on demand) is not this one.
    EXPECT_FALSE(lab::export_trace(log, "/elsewhere/vmcore"));
    EXPECT_FALSE(lab::export_trace(log, "vmcore"));
}

TEST(ExportChecks, AMutatedByteIsFoundWhereItIs)
{
    const TwoCopies copies("lab-export-checks");
    const std::string& a = copies.a;
    const std::string& b = copies.b;
    const uint64_t size = std::filesystem::file_size(a);
    EXPECT_FALSE(lab::first_difference(a, b, size));
    {
        std::fstream f(b, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(0x10123);
        f.put('\x7f');
    }
    const auto diff = lab::first_difference(a, b, size);
    ASSERT_TRUE(diff);
    EXPECT_EQ(*diff, 0x10123u);
    EXPECT_EQ(lab::vmcore_part(a, *diff), "notes");
    // A copy shorter than the vmcore differs where it ends.
    std::filesystem::resize_file(b, 0x8000);
    EXPECT_EQ(lab::first_difference(a, b, size).value_or(0), 0x8000u);
}

// The raw vmcore takes the proof run on QEMU's export only when the two are
// the same file: every byte, and the same length.
TEST(ExportChecks, OnlyTheSameFileStandsForAnother)
{
    const TwoCopies copies("lab-export-same");
    const std::string& a = copies.a;
    const std::string& b = copies.b;
    const uint64_t size = std::filesystem::file_size(a);
    EXPECT_EQ(lab::not_the_same_file(a, b, size), std::nullopt);
    // The last byte flipped.
    {
        std::fstream f(b, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(size - 1));
        const char c = static_cast<char>(f.get());
        f.seekp(static_cast<std::streamoff>(size - 1));
        f.put(static_cast<char>(c ^ 1));
    }
    EXPECT_EQ(lab::not_the_same_file(a, b, size).value_or(""), fmt::format("first difference at byte {:#x}", size - 1));
    // Equal bytes, but one file longer (a zero byte appended, which a
    // comparison of `bytes` bytes alone would not see).
    std::filesystem::copy_file(a, b, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(b, size + 1);
    EXPECT_EQ(lab::not_the_same_file(a, b, size).value_or(""),
              fmt::format("{} bytes against {}, {} expected", size, size + 1, size));
    std::filesystem::remove(b);
    EXPECT_EQ(lab::not_the_same_file(a, b, size).value_or(""), "cannot read the size of " + b);
}

// Sparse files, as the export and the copy-out are: a hole equals written
// zeros, and a byte in a range that is a hole in the other file is found.
TEST(ExportChecks, HolesAreZerosAndDataInAHoleIsFound)
{
    const auto dir = std::filesystem::temp_directory_path() / "lab-export-holes";
    std::filesystem::create_directories(dir);
    const auto a = (dir / "a").string();
    const auto b = (dir / "b").string();
    constexpr uint64_t SIZE = 64ULL << 20;
    auto write_at = [](const std::string& path, uint64_t off, const std::string& bytes) {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(off));
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    };
    for (const auto& p : {a, b}) {
        std::ofstream(p).close();
        std::filesystem::resize_file(p, SIZE);
        write_at(p, 0, "ELF");
        write_at(p, 40ULL << 20, "page");
    }
    // Zeros written into b where a has a hole: still equal.
    write_at(b, 20ULL << 20, std::string(1 << 20, '\0'));
    EXPECT_FALSE(lab::first_difference(a, b, SIZE));
    // A byte deep in a's hole, b's zeros there: found, either way round.
    write_at(a, (20ULL << 20) + 12345, "x");
    EXPECT_EQ(lab::first_difference(a, b, SIZE).value_or(0), (20ULL << 20) + 12345);
    EXPECT_EQ(lab::first_difference(b, a, SIZE).value_or(0), (20ULL << 20) + 12345);
    // In a range that is a hole in both but for one byte of b.
    write_at(a, (20ULL << 20) + 12345, std::string(1, '\0'));
    write_at(b, (50ULL << 20) + 7, "y");
    EXPECT_EQ(lab::first_difference(a, b, SIZE).value_or(0), (50ULL << 20) + 7);
    // The last byte.
    write_at(b, (50ULL << 20) + 7, std::string(1, '\0'));
    write_at(a, SIZE - 1, "z");
    EXPECT_EQ(lab::first_difference(a, b, SIZE).value_or(0), SIZE - 1);
    EXPECT_FALSE(lab::first_difference(a, b, SIZE - 1));
    std::filesystem::remove_all(dir);
}

TEST(ExportChecks, ADifferenceIsNamedByItsPart)
{
    EXPECT_EQ(lab::vmcore_part(HEAD, 0x30), "ELF header and program headers");
    EXPECT_EQ(lab::vmcore_part(HEAD, 0x20005), "PT_LOAD 1 (paddr 0x5)");
    EXPECT_EQ(lab::vmcore_part(HEAD, 0x140201b0), "PT_LOAD 2 (paddr 0x280101b0)");
    EXPECT_EQ(lab::vmcore_part(HEAD, 0x18000), "padding");
}

TEST(ExportChecks, NoTraceOrARefusalFailsTheCheck)
{
    lab::Report r;
    EXPECT_FALSE(lab::check_export(
        {.qemu_log = "", .export_path = "/nonexistent", .proc_vmcore = {}, .proc_vmcore_bytes = 0}, r));
    ASSERT_FALSE(r.passed());
    lab::Report refused;
    EXPECT_FALSE(
        lab::check_export({.qemu_log = "fadump_export_done ok 0 /x: 0 bytes, 0 written in 0 ns no dump is active\n",
                           .export_path = "/x",
                           .proc_vmcore = {},
                           .proc_vmcore_bytes = 0},
                          refused));
    ASSERT_FALSE(refused.passed());
}

// The real vmcore head taken for an export of its size: written, and equal
// to itself as the raw copy; a trace that says another size fails it.
TEST(ExportChecks, AWholeExportIsWrittenAndCompared)
{
    const auto bytes = std::filesystem::file_size(HEAD);
    const auto trace = [](uint64_t n) {
        return fmt::format("fadump_export_done ok 1 {}: {} bytes, 4096 written in 1000 ns \n", HEAD, n);
    };
    lab::Report r;
    EXPECT_TRUE(lab::check_export(
        {.qemu_log = trace(bytes), .export_path = HEAD, .proc_vmcore = HEAD, .proc_vmcore_bytes = bytes}, r));
    EXPECT_TRUE(r.passed());
    EXPECT_EQ(r.checks().size(), 2u);
    lab::Report other_size;
    EXPECT_FALSE(lab::check_export(
        {.qemu_log = trace(bytes + 1), .export_path = HEAD, .proc_vmcore = {}, .proc_vmcore_bytes = 0}, other_size));
    EXPECT_FALSE(other_size.passed());
}

}  // namespace

namespace {

// A stand-in makedumpfile (a shell script): the check must tell its exit
// status and whether what it wrote is kdump-compressed.
std::string fake_makedumpfile(const std::filesystem::path& dir, const std::string& body)
{
    const auto p = dir / "makedumpfile";
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    std::filesystem::permissions(p, std::filesystem::perms::owner_all);
    return p.string();
}

}  // namespace

TEST(ExportChecks, MakedumpfileOverTheExportMustWriteAKdumpFile)
{
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("export-filter-{}", getpid());
    std::filesystem::create_directories(dir);
    lab::ExportFilterInput in;
    in.export_path = HEAD;
    in.out = (dir / "vmcore.kdump").string();
    // Arguments as makedumpfile takes them: the output file is the last.
    in.makedumpfile = fake_makedumpfile(dir, "for a; do out=$a; done; printf 'KDUMP   rest' > \"$out\"");
    lab::Report ok;
    EXPECT_TRUE(lab::filter_export(in, ok));
    EXPECT_EQ(ok.checks().at(0).verdict, lab::Verdict::Pass) << ok.checks().at(0).detail;
    EXPECT_EQ(ok.facts["export_kdump_bytes"], 12);

    in.makedumpfile = fake_makedumpfile(dir, "for a; do out=$a; done; printf 'ELF' > \"$out\"");
    lab::Report not_kdump;
    EXPECT_FALSE(lab::filter_export(in, not_kdump));
    EXPECT_NE(not_kdump.checks().at(0).detail.find("is not kdump-compressed"), std::string::npos);

    in.makedumpfile = fake_makedumpfile(dir, "echo 'Excluding unnecessary pages'; echo 'get_mem_map: Cannot'; exit 1");
    lab::Report failed;
    EXPECT_FALSE(lab::filter_export(in, failed));
    EXPECT_EQ(failed.checks().at(0).detail, "makedumpfile exit 1: get_mem_map: Cannot");
    EXPECT_FALSE(std::filesystem::exists(in.out));
    std::filesystem::remove_all(dir);
}

TEST(ExportChecks, OnPowerNvTheGroundTruthJudgesADifference)
{
    // Two copies of a 4-page core: /proc/vmcore's page 2 rewritten (as
    // skiboot rewrites its free-region header after the MPIPL boot), and
    // page 3 inside firmware-owned memory differing too.
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("export-truth-{}", getpid());
    std::filesystem::create_directories(dir);
    lab::test::SyntheticCore core;
    core.load_paddr = 0x100000;
    core.load_pages = 4;
    const auto exported = core.bytes();
    auto proc = exported;
    // The PT_LOAD's offset, from the program header after the PT_NOTE's.
    Elf64_Phdr load{};
    std::memcpy(&load, exported.data() + sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), sizeof load);
    const uint64_t page = lab::test::SyntheticCore::PAGE;
    proc[load.p_offset + 2 * page + 16] ^= 0xff;
    proc[load.p_offset + 3 * page + 8] ^= 0xff;
    const auto write = [&](const std::string& name, const std::vector<unsigned char>& b) {
        std::ofstream(dir / name, std::ios::binary)
            .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
        return (dir / name).string();
    };
    // The crash-time pages are the export's.
    fadump::GroundTruthDoc truth;
    truth.page_size = page;
    truth.ram_size = 0x100000 + 4 * page;
    truth.page_hashes.resize(truth.ram_size / page * fadump::PAGE_HASH_BYTES);
    for (uint64_t p = 0; p < 4; ++p) {
        const auto h = lab::page_hash(exported.data() + load.p_offset + p * page, page);
        std::copy(h.begin(), h.end(), truth.page_hashes.begin() + static_cast<long>((0x100 + p) * h.size()));
    }
    lab::ExportInput in;
    in.export_path = write("export", exported);
    in.qemu_log = "fadump_export_done ok 1 " + in.export_path + ": " + std::to_string(exported.size()) +
                  " bytes, 1 written in 1 ns \n";
    in.proc_vmcore = write("proc", proc);
    in.proc_vmcore_bytes = proc.size();
    in.firmware_reserved = {{0x100000 + 3 * page, 0x100000 + 4 * page}};
    in.truth = &truth;
    lab::Report judged;
    ASSERT_TRUE(lab::check_export(in, judged));
    const auto& c = judged.checks().back();
    EXPECT_EQ(c.verdict, lab::Verdict::Pass) << c.detail;
    EXPECT_NE(c.detail.find("1 range(s) of firmware-owned memory"), std::string::npos) << c.detail;
    EXPECT_NE(c.detail.find("1 page(s) where the export equals the ground truth"), std::string::npos) << c.detail;

    // Without the ground truth, or with one the export's page does not
    // match, the difference outside firmware memory fails.
    in.truth = nullptr;
    lab::Report blind;
    lab::check_export(in, blind);
    EXPECT_EQ(blind.checks().back().verdict, lab::Verdict::Fail);
    truth.page_hashes[(0x100 + 2) * fadump::PAGE_HASH_BYTES] ^= 1;
    in.truth = &truth;
    lab::Report wrong;
    lab::check_export(in, wrong);
    EXPECT_EQ(wrong.checks().back().verdict, lab::Verdict::Fail) << wrong.checks().back().detail;
    EXPECT_NE(wrong.checks().back().detail.find("PT_LOAD 1 (paddr 0x102010)"), std::string::npos)
        << wrong.checks().back().detail;

    // The last page of RAM: both files hold skiboot's free-region footer in
    // its last 8 bytes, not the same one, and the crash-time page had none.
    auto footer = exported;
    auto proc_footer = exported;
    const uint64_t last = load.p_offset + 3 * page;
    footer[last + page - 1] = 0x11;
    proc_footer[last + page - 1] = 0x22;
    fadump::GroundTruthDoc tail = truth;
    tail.page_hashes[(0x100 + 2) * fadump::PAGE_HASH_BYTES] ^= 1;  // undo the mutation above
    tail.ram_tail_page.assign(exported.begin() + static_cast<long>(last),
                              exported.begin() + static_cast<long>(last + page));
    in.export_path = write("export-footer", footer);
    in.qemu_log = "fadump_export_done ok 1 " + in.export_path + ": " + std::to_string(footer.size()) +
                  " bytes, 1 written in 1 ns \n";
    in.proc_vmcore = write("proc-footer", proc_footer);
    in.firmware_reserved.clear();
    in.truth = &tail;
    lab::Report footers;
    lab::check_export(in, footers);
    EXPECT_EQ(footers.checks().back().verdict, lab::Verdict::Pass) << footers.checks().back().detail;
    EXPECT_NE(footers.checks().back().detail.find("free-region footer"), std::string::npos)
        << footers.checks().back().detail;
    // Anything else in that page differing is no footer.
    footer[last] ^= 0xff;
    in.export_path = write("export-footer", footer);
    lab::Report not_footer;
    lab::check_export(in, not_footer);
    EXPECT_EQ(not_footer.checks().back().verdict, lab::Verdict::Fail) << not_footer.checks().back().detail;
    std::filesystem::remove_all(dir);
}

// PowerNV's OPAL core beside the vmcore: written whole and equal to the
// capture kernel's copy; a changed byte is named by where it is.
TEST(ExportChecks, TheOpalCoreIsWrittenAndComparedWithTheCapturesCopy)
{
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("export-opalcore-{}", getpid());
    std::filesystem::create_directories(dir);
    const auto core = lab::test::SyntheticCore{}.bytes();
    const auto put = [&](const std::string& name, const std::vector<unsigned char>& b) {
        const auto path = (dir / name).string();
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
        return path;
    };
    lab::OpalCoreExportInput in;
    in.export_path = put("opalcore", core);
    in.qemu_log =
        "fadump_export_done ok 1 /r/export/vmcore: 1 bytes, 1 written in 1 ns \n"
        "fadump_export_done ok 1 " +
        in.export_path + ": " + std::to_string(core.size()) + " bytes, 4096 written in 2000000 ns \n";
    in.capture = put("capture", core);
    in.capture_bytes = core.size();
    lab::Report equal;
    EXPECT_TRUE(lab::check_export_opalcore(in, equal));
    EXPECT_TRUE(equal.passed());
    EXPECT_EQ(equal.checks().size(), 2u);

    auto changed = core;
    changed[0x2000] ^= 0x40;  // in the PT_LOAD
    in.capture = put("capture-changed", changed);
    lab::Report differs;
    EXPECT_TRUE(lab::check_export_opalcore(in, differs));
    ASSERT_EQ(differs.checks().back().verdict, lab::Verdict::Fail);
    EXPECT_NE(differs.checks().back().detail.find("PT_LOAD"), std::string::npos) << differs.checks().back().detail;

    in.capture_bytes = core.size() - 1;
    lab::Report shorter;
    lab::check_export_opalcore(in, shorter);
    EXPECT_EQ(shorter.checks().back().verdict, lab::Verdict::Fail);

    // Only the vmcore's trace, or a refusal: not written.
    lab::Report none;
    in.qemu_log = "fadump_export_done ok 1 /r/export/vmcore: 1 bytes, 1 written in 1 ns \n";
    EXPECT_FALSE(lab::check_export_opalcore(in, none));
    lab::Report refused;
    in.qemu_log =
        "fadump_export_done ok 0 " + in.export_path + ": 0 bytes, 0 written in 0 ns OPAL core: no boot_entry\n";
    EXPECT_FALSE(lab::check_export_opalcore(in, refused));
    EXPECT_NE(refused.checks().back().detail.find("no boot_entry"), std::string::npos);
    // Another OPAL core's trace (elsewhere, same name) is not this one's.
    lab::Report elsewhere;
    in.qemu_log = "fadump_export_done ok 1 /r/export/opalcore: 1 bytes, 1 written in 1 ns \n";
    EXPECT_FALSE(lab::check_export_opalcore(in, elsewhere));
    EXPECT_NE(elsewhere.checks().back().detail.find("no fadump_export_done"), std::string::npos);
    std::filesystem::remove_all(dir);
}
