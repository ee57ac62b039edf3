// The export's checks: the glue's trace read as it prints it, two files
// compared byte for byte (a mutated byte found where it is), and a
// difference named by the part of the real vmcore it falls in.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "export_checks.hpp"

namespace {

const std::string HEAD =
    std::string(FADUMP_LAB_TEST_DATA) + "/../../../lib/tests/data/linux-6.12-pseries-2G-smp2.vmcore-head";

TEST(ExportChecks, TheGluesTraceIsRead)
{
    const std::string log =
        "spapr_fadump_reset dump reboot 1 rma_size 0x14000000\n"
        "fadump_export_start /r/export/vmcore: 1812004864 bytes, memory 1811873360 bytes, 2 cpus, 2 loads\n"
        "fadump_export_done ok 1 /r/export/vmcore: 1812004864 bytes, 29901008 written in 68924201 ns \n";
    const auto t = lab::export_trace(log);
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->ok);
    EXPECT_EQ(t->path, "/r/export/vmcore");
    EXPECT_EQ(t->file_bytes, 1812004864u);
    EXPECT_EQ(t->data_bytes, 29901008u);
    EXPECT_EQ(t->ns, 68924201u);

    const auto refused = lab::export_trace(
        "fadump_export_done ok 0 /r/export/vmcore: 0 bytes, 0 written in 0 ns crash info header: magic 0x0 is not "
        "FADMPSIG\n");
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->ok);
    EXPECT_EQ(refused->why, "crash info header: magic 0x0 is not FADMPSIG");
    EXPECT_FALSE(lab::export_trace("fadump_moves moved 1 bytes in 2 ns\n"));
}

TEST(ExportChecks, AMutatedByteIsFoundWhereItIs)
{
    const auto dir = std::filesystem::temp_directory_path() / "lab-export-checks";
    std::filesystem::create_directories(dir);
    const auto a = (dir / "a").string();
    const auto b = (dir / "b").string();
    std::filesystem::copy_file(HEAD, a, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(HEAD, b, std::filesystem::copy_options::overwrite_existing);
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
    std::filesystem::remove_all(dir);
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
        return fmt::format("fadump_export_done ok 1 /r/export/vmcore: {} bytes, 4096 written in 1000 ns \n", n);
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
