// check_vmcore on vmcores a hostile capture kernel could have written and on
// malformed ground truth: every case is a failed named check, never a crash,
// an exception or a read outside the mapped file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "dump_access.hpp"
#include "elf_file.hpp"
#include "synthetic_core.hpp"
#include "vmcore_checks.hpp"

namespace {

namespace fs = std::filesystem;
using lab::test::SyntheticCore;

class VmcoreHostile : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_dir = fs::temp_directory_path() / ("fadump-vmcore-hostile-" + std::to_string(getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_dir);
        m_in.vmcore = (m_dir / "vmcore").string();
        m_in.vmlinux = (m_dir / "vmlinux").string();  // absent: vmlinux.symbols fails, nothing else needs it
        m_in.ground_truth = (m_dir / "truth.cbor").string();
        truth(doc(R"({"page_size": 4096, "trigger_cpu_index": 0, "cpus": []})"));
    }
    void TearDown() override { fs::remove_all(m_dir); }

    // A ground-truth document from JSON text; unless the text names them,
    // `hash_bytes` zero bytes of page hashes (a CBOR byte string), the
    // reader's version, RAM as large as the hashes cover, a hash time.
    static nlohmann::json doc(const std::string& json, size_t hash_bytes = 0)
    {
        auto d = nlohmann::json::parse(json);
        if (d.is_object()) {
            if (!d.contains(lab::PAGE_HASH_KEY)) {
                d[lab::PAGE_HASH_KEY] = nlohmann::json::binary(std::vector<uint8_t>(hash_bytes));
            }
            d.emplace("version", fadump::GROUND_TRUTH_VERSION);
            d.emplace("ram_size", hash_bytes / lab::PAGE_HASH_BYTES * 4096);
            d.emplace("hash_ns", 0);
        }
        return d;
    }
    // Writes the ground truth as the engine does (CBOR).
    void truth(const nlohmann::json& d)
    {
        const auto bytes = nlohmann::json::to_cbor(d);
        std::ofstream(*m_in.ground_truth, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }

    lab::Verdict verdict(const lab::Report& r, const std::string& name)
    {
        for (const auto& c : r.checks()) {
            if (c.name == name) {
                return c.verdict;
            }
        }
        ADD_FAILURE() << "no check " << name;
        return lab::Verdict::Skip;
    }
    std::string detail(const lab::Report& r, const std::string& name)
    {
        for (const auto& c : r.checks()) {
            if (c.name == name) {
                return c.detail;
            }
        }
        return "";
    }

    fs::path m_dir;
    lab::CheckInput m_in;
};

TEST_F(VmcoreHostile, ZeroPagesizeIsAFailedCheck)
{
    SyntheticCore core;
    core.vmcoreinfo = "OSRELEASE=6.1.0-test\nPAGESIZE=0\n";
    core.write(m_in.vmcore);
    m_in.firmware_reserved = {{0x1000, 0x2000}};  // rounded to PAGESIZE
    lab::Report r;
    check_vmcore(m_in, r);
    EXPECT_EQ(verdict(r, "vmcore.vmcoreinfo_pagesize"), lab::Verdict::Fail);
    EXPECT_FALSE(r.passed());
}

TEST_F(VmcoreHostile, GarbledPagesizeIsAFailedCheck)
{
    for (const char* v : {"zz", "", "99999999999999999999999", "4096x", "12288"}) {
        SyntheticCore core;
        core.vmcoreinfo = std::string("OSRELEASE=6.1.0-test\nPAGESIZE=") + v + "\n";
        core.write(m_in.vmcore);
        lab::Report r;
        check_vmcore(m_in, r);
        EXPECT_EQ(verdict(r, "vmcore.vmcoreinfo_pagesize"), lab::Verdict::Fail) << "PAGESIZE=" << v;
    }
}

TEST_F(VmcoreHostile, GoodPagesizePasses)
{
    SyntheticCore().write(m_in.vmcore);
    lab::Report r;
    check_vmcore(m_in, r);
    EXPECT_EQ(verdict(r, "vmcore.vmcoreinfo_pagesize"), lab::Verdict::Pass) << detail(r, "vmcore.vmcoreinfo_pagesize");
}

TEST_F(VmcoreHostile, WrappingLoadOffsetIsNotReadPastTheFile)
{
    for (const uint64_t off : {0xFFFFFFFFFFFFF000ULL, 0xFFFFFFFFFFFFFFFFULL, 0x8000000000000000ULL}) {
        SyntheticCore core;
        core.load_offset_override = off;
        core.write(m_in.vmcore);
        truth(doc(R"({"page_size": 4096, "trigger_cpu_index": 0, "cpus": []})", 2 * lab::PAGE_HASH_BYTES));
        lab::Report r;
        check_vmcore(m_in, r);
        EXPECT_EQ(verdict(r, "memory.pt_load_hashes"), lab::Verdict::Fail) << std::hex << off;
        EXPECT_NE(detail(r, "memory.pt_load_hashes").find("outside the file"), std::string::npos)
            << detail(r, "memory.pt_load_hashes");
    }
}

TEST_F(VmcoreHostile, WrappingLoadSizeIsNotReadPastTheFile)
{
    SyntheticCore core;
    core.load_paddr = 0xFFFFFFFFFFFFE000ULL;
    core.load_filesz_override = 0x4000;  // paddr + filesz wraps
    core.write(m_in.vmcore);
    truth(doc(R"({"page_size": 4096, "trigger_cpu_index": 0, "cpus": []})"));
    lab::Report r;
    check_vmcore(m_in, r);
    EXPECT_EQ(verdict(r, "memory.pt_load_hashes"), lab::Verdict::Fail);
}

TEST_F(VmcoreHostile, MalformedGroundTruthIsAFailedCheck)
{
    SyntheticCore().write(m_in.vmcore);
    const std::vector<nlohmann::json> docs = {
        doc(R"({"trigger_cpu_index": "zero", "cpus": []})"),
        doc(R"({"page_size": 0, "trigger_cpu_index": 0, "cpus": []})"),
        doc(R"({"page_size": 4096, "page_xxh3_128": 7, "trigger_cpu_index": 0, "cpus": []})"),
        doc(R"({"page_size": 4096, "page_xxh3_128": "00", "trigger_cpu_index": 0, "cpus": []})"),
        doc(R"({"page_size": 4096, "trigger_cpu_index": 0, "cpus": []})", lab::PAGE_HASH_BYTES + 1),
        doc(R"({"version": 3, "page_size": 4096, "trigger_cpu_index": 0, "cpus": []})"),
        doc(R"({"page_size": 4096, "ram_size": 1048576, "trigger_cpu_index": 0, "cpus": []})", 32),
        doc(R"({"page_size": 4096, "unreadable_pages": "all", "trigger_cpu_index": 0, "cpus": []})", 32),
        doc(R"({"page_size": 4096, "trigger_cpu_index": 0,
                "cpus": [{"cpu_index": 0, "logical_id": 1, "gpr": ["zz"]}]})"),
        doc(R"([1, 2, 3])"),
    };
    for (const auto& t : docs) {
        truth(t);
        lab::Report r;
        check_vmcore(m_in, r);
        EXPECT_FALSE(r.passed()) << t;
        bool named = false;
        for (const auto& c : r.checks()) {
            named = named || (c.verdict == lab::Verdict::Fail &&
                              (c.name.rfind("ground_truth", 0) == 0 || c.name.rfind("registers", 0) == 0 ||
                               c.name.rfind("memory", 0) == 0));
        }
        EXPECT_TRUE(named) << t;
    }
}

TEST_F(VmcoreHostile, AGroundTruthThatIsNotCborIsAFailedLoad)
{
    SyntheticCore().write(m_in.vmcore);
    for (const std::string& raw :
         {std::string(R"({"page_size": 4096, "cpus": []})"), std::string("\xbf\x61", 2), std::string()}) {
        std::ofstream(*m_in.ground_truth, std::ios::binary) << raw;
        lab::Report r;
        check_vmcore(m_in, r);
        EXPECT_EQ(verdict(r, "ground_truth.load"), lab::Verdict::Fail) << raw;
    }
}

}  // namespace

// A sparse vmcore (the capture kernel copies /proc/vmcore with holes for
// zero pages): a page in a hole is compared as zeros without being read,
// and a hole where the engine saw data is a difference.
TEST_F(VmcoreHostile, PagesInAHoleOfTheFileAreZerosUnread)
{
    SyntheticCore core;
    core.load_pages = 4;
    core.write(m_in.vmcore);
    // The PT_LOAD's file offset: the first page filled with 1s.
    const auto bytes = core.bytes();
    uint64_t load_off = 0;
    while (load_off < bytes.size() && !(bytes[load_off] == 1 && bytes[load_off + 4095] == 1)) {
        load_off += 4096;
    }
    ASSERT_LT(load_off, bytes.size());
    const int fd = ::open(m_in.vmcore.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    const bool punched =
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(load_off + 4096), 4096) == 0;
    ::close(fd);
    if (!punched) {
        GTEST_SKIP() << "the temporary directory's file system cannot punch holes";
    }
    std::string err;
    const auto elf = lab::ElfFile::open(m_in.vmcore, &err);
    ASSERT_TRUE(elf) << err;
    EXPECT_TRUE(elf->in_hole(load_off + 4096, 4096));
    EXPECT_FALSE(elf->in_hole(load_off, 4096));
    EXPECT_FALSE(elf->in_hole(load_off + 4096, 8192));
    EXPECT_FALSE(elf->in_hole(elf->size() - 1, 2));
    // gdb's scratch copy keeps the hole and every byte.
    const std::string copy = (m_dir / "copy").string();
    ASSERT_TRUE(elf->copy_sparse(copy, &err)) << err;
    const auto copied = lab::ElfFile::open(copy, &err);
    ASSERT_TRUE(copied) << err;
    ASSERT_EQ(copied->size(), elf->size());
    EXPECT_EQ(std::memcmp(copied->data(), elf->data(), elf->size()), 0);
    EXPECT_TRUE(copied->in_hole(load_off + 4096, 4096));
    EXPECT_FALSE(copied->in_hole(load_off, 4096));

    auto hashes_with_page1 = [](unsigned char fill) {
        std::vector<uint8_t> h;
        for (unsigned p = 0; p < 4; ++p) {
            const std::vector<unsigned char> page(4096, p == 1 ? fill : static_cast<unsigned char>(p + 1));
            const lab::PageHash ph = lab::page_hash(page.data(), page.size());
            h.insert(h.end(), ph.begin(), ph.end());
        }
        return h;
    };
    for (const unsigned char fill : std::initializer_list<unsigned char>{0, 2}) {
        auto d = doc(R"({"page_size": 4096, "trigger_cpu_index": 0, "cpus": []})");
        d[lab::PAGE_HASH_KEY] = nlohmann::json::binary(hashes_with_page1(fill));
        d["ram_size"] = 4 * 4096;
        truth(d);
        lab::Report r;
        check_vmcore(m_in, r);
        if (fill == 0) {
            EXPECT_EQ(verdict(r, "memory.pt_load_hashes"), lab::Verdict::Pass) << detail(r, "memory.pt_load_hashes");
        } else {
            EXPECT_EQ(verdict(r, "memory.pt_load_hashes"), lab::Verdict::Fail);
            EXPECT_NE(detail(r, "memory.pt_load_hashes").find("1 differ (first at 0x1000)"), std::string::npos)
                << detail(r, "memory.pt_load_hashes");
        }
    }
}

// A vmcore that shrinks after it was opened (a capture still being cut, a
// disk replaced): gdb's scratch copy stops where the file ends and says
// so, not with whatever errno held.
TEST_F(VmcoreHostile, AScratchCopyOfAFileThatShrankSaysShortCopy)
{
    SyntheticCore core;
    core.load_pages = 4;
    core.write(m_in.vmcore);
    std::string err;
    const auto elf = lab::ElfFile::open(m_in.vmcore, &err);
    ASSERT_TRUE(elf) << err;
    const uint64_t half = elf->size() / 2;
    fs::resize_file(m_in.vmcore, half);
    errno = EACCES;  // a stale error the message must not name
    EXPECT_FALSE(elf->copy_sparse((m_dir / "copy").string(), &err));
    EXPECT_NE(err.find("short copy"), std::string::npos) << err;
    EXPECT_EQ(err.find(std::strerror(EACCES)), std::string::npos) << err;
}
