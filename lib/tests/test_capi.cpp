// The C boundary as the QEMU glue uses it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "../src/capi_internal.hpp"
#include "alloc_fail.hpp"
#include "fadump/fadump.h"
#include "fadump/fadump_export.h"
#include "fadump/fadump_truth.h"
#include "fadump/ground_truth.hpp"
#include "fadump/papr/fdm.hpp"
#include "fake_guest.hpp"

using fadump::test::FakeGuest;
using fadump::test::FdmBuilder;

namespace {

FadumpGuestOps ops_for(FakeGuest& g)
{
    FadumpGuestOps ops{};
    ops.opaque = &g;
    ops.read = [](void* o, uint64_t gpa, void* buf, uint64_t len) {
        return static_cast<FakeGuest*>(o)->read(fadump::GuestAddr{gpa}, std::span(static_cast<std::byte*>(buf), len));
    };
    ops.write = [](void* o, uint64_t gpa, const void* buf, uint64_t len) {
        return static_cast<FakeGuest*>(o)->write(fadump::GuestAddr{gpa},
                                                 std::span(static_cast<const std::byte*>(buf), len));
    };
    ops.host_span = [](void* o, uint64_t gpa, uint64_t max_len, uint64_t* span) -> void* {
        return static_cast<FakeGuest*>(o)->host_span(fadump::GuestAddr{gpa}, fadump::ByteLen{max_len}, *span);
    };
    ops.mark_dirty = [](void*, uint64_t, uint64_t) {};
    return ops;
}

// ibm,configure-kernel-dump through the C interface: the RTAS status the
// guest gets, after checking the call's FadumpStatus agrees with it (OK for
// 0, REFUSED for a guest error, INTERNAL for a hardware error without an
// engine).
int32_t configure(FadumpSpapr* fd, const FadumpGuestOps* ops, uint32_t cmd, uint64_t addr, uint64_t len,
                  char* msg = nullptr, size_t msg_len = 0)
{
    int32_t status = 12345;
    const FadumpStatus rc = fadump_spapr_configure(fd, ops, cmd, addr, len, &status, msg, msg_len);
    if (status == FADUMP_RTAS_SUCCESS) {
        EXPECT_EQ(rc, FADUMP_OK);
    } else if (fd == nullptr || ops == nullptr) {
        EXPECT_EQ(rc, FADUMP_E_INTERNAL);
    } else {
        EXPECT_TRUE(rc == FADUMP_E_REFUSED || rc == FADUMP_E_INTERNAL) << rc;
        EXPECT_LT(status, 0);
    }
    return status;
}

// The ground truth's CBOR document, as fadump_ground_truth_finish made it
// (null when it returned nothing).
nlohmann::json finish_doc(FadumpGroundTruth* gt, const FadumpSpapr* fd, const FadumpDumpStats* st)
{
    size_t len = 0;
    void* p = fadump_ground_truth_finish(gt, fd, st, &len);
    if (p == nullptr) {
        return nullptr;
    }
    const auto* b = static_cast<const uint8_t*>(p);
    auto doc = nlohmann::json::from_cbor(std::vector<uint8_t>(b, b + len));
    std::free(p);
    return doc;
}

// Page `i`'s hash in a document, as lower-case hex.
std::string hash_hex(const nlohmann::json& doc, uint64_t i)
{
    const auto& b = doc.at("page_xxh3_128").get_binary();
    std::string out;
    for (size_t k = 0; k < 16; ++k) {
        char h[3];
        std::snprintf(h, sizeof h, "%02x", b.at(i * 16 + k));
        out += h;
    }
    return out;
}

}  // namespace

TEST(CApi, RejectsNullsWithoutCrashing)
{
    EXPECT_EQ(fadump_spapr_new(nullptr), nullptr);
    FadumpSpaprConfig zero{1 << 20, 1 << 20, 0};
    EXPECT_EQ(fadump_spapr_new(&zero), nullptr);
    char msg[64];
    EXPECT_EQ(configure(nullptr, nullptr, 1, 0, 0, msg, sizeof msg), FADUMP_RTAS_HW_ERROR);
    EXPECT_FALSE(fadump_spapr_begin_dump(nullptr));
    size_t len = 5;
    EXPECT_EQ(fadump_spapr_prop_sizes(nullptr, nullptr, 0, &len), FADUMP_E_INTERNAL);
    EXPECT_EQ(len, 0u);
    fadump_spapr_free(nullptr);
}

TEST(CApi, GuestErrorsComeBackAsStatusAndMessage)
{
    FakeGuest g(64 << 20);
    auto ops = ops_for(g);
    FadumpSpaprConfig cfg{64 << 20, 64 << 20, 2};
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    ASSERT_NE(fd, nullptr);
    char msg[256];
    // Version 0 at address 0x1000.
    EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x1000, 0x50, msg, sizeof msg), FADUMP_RTAS_PARAM_ERROR);
    EXPECT_NE(std::string(msg).find("version"), std::string::npos) << msg;
    // A short message buffer is truncated, still NUL-terminated.
    char tiny[8];
    EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_INVALIDATE, 0, 0, tiny, sizeof tiny), FADUMP_RTAS_PARAM_ERROR);
    EXPECT_EQ(std::strlen(tiny), 7u);
    // Unmapped fdm beyond RAM.
    EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, (64 << 20) - 0x10, 0x50, msg, sizeof msg),
              FADUMP_RTAS_PARAM_ERROR);
    fadump_spapr_free(fd);
}

// RAM ends where the engine was configured, whatever memory the callbacks
// could reach: a section past it is refused, the ground truth stops there.
TEST(CApi, RamEndsWhereTheEngineWasConfigured)
{
    FakeGuest g(256 << 20);  // read/write reach 256 MiB; no RAM block maps past 128 MiB
    g.unmapped = {*fadump::GuestRange::make(fadump::GuestAddr{128 << 20}, fadump::ByteLen{128 << 20})};
    auto ops = ops_for(g);
    FadumpSpaprConfig cfg{128 << 20, 128 << 20, 2};
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    ASSERT_NE(fd, nullptr);
    const uint64_t cpu = fadump_spapr_cpu_state_size(2);
    FdmBuilder past;
    past.section(0x0001, 0, cpu, 0x4000000).section(0x0011, 0, 0x1000000, 0x9000000);  // dest at 144 MiB
    auto bytes = past.bytes();
    std::memcpy(g.at(0x10000), bytes.data(), bytes.size());
    char msg[256];
    EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, bytes.size(), msg, sizeof msg), FADUMP_RTAS_PARAM_ERROR)
        << msg;
    FdmBuilder within;
    within.section(0x0001, 0, cpu, 0x4000000).section(0x0011, 0, 0x1000000, 0x5000000);
    bytes = within.bytes();
    std::memcpy(g.at(0x10000), bytes.data(), bytes.size());
    EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, bytes.size(), msg, sizeof msg), FADUMP_RTAS_SUCCESS)
        << msg;
    fadump_spapr_free(fd);
    std::vector<FadumpVcpuRegs> regs(1);
    FadumpGroundTruth* gt = fadump_ground_truth_take(&ops, 128 << 20, regs.data(), regs.size(), 0);
    ASSERT_NE(gt, nullptr);
    const auto doc = finish_doc(gt, nullptr, nullptr);
    ASSERT_FALSE(doc.is_null());
    EXPECT_EQ(doc["ram_size"], 128 << 20);
    EXPECT_EQ(doc["page_xxh3_128"].get_binary().size(), (128u << 20) / 4096 * 16);
}

TEST(CApi, CycleThroughTheCInterface)
{
    FakeGuest g(256 << 20);
    auto ops = ops_for(g);
    FadumpSpaprConfig cfg{256 << 20, 256 << 20, 2};
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    const uint64_t cpu = fadump_spapr_cpu_state_size(2);
    FdmBuilder b;
    b.section(0x0001, 0, cpu, 0x8000000).section(0x0011, 0, 0x1000000, 0x9000000);
    auto bytes = b.bytes();
    std::memcpy(g.at(0x10000), bytes.data(), bytes.size());
    ASSERT_EQ(configure(fd, &ops, 1, 0x10000, bytes.size()), 0);
    EXPECT_TRUE(fadump_spapr_registered(fd));
    ASSERT_TRUE(fadump_spapr_begin_dump(fd));
    std::vector<FadumpVcpuRegs> regs(2);
    FadumpDumpStats st{};
    char msg[128];
    EXPECT_EQ(fadump_spapr_dump(fd, &ops, regs.data(), regs.size(), nullptr, 0, &st, msg, sizeof msg), FADUMP_OK)
        << msg;
    EXPECT_EQ(st.bytes_preserved, cpu + 0x1000000);
    EXPECT_EQ(st.cpus_saved, 2u);
    EXPECT_EQ(st.preserving_boot, 1u);  // the dump is active
    EXPECT_EQ(fadump_spapr_reboot_limit(fd), 0x1000000u);
    std::vector<unsigned char> prop(512);
    size_t len = 0;
    EXPECT_EQ(fadump_spapr_prop_kernel_dump(fd, prop.data(), prop.size(), &len), FADUMP_OK);
    EXPECT_EQ(len, bytes.size());
    // The ground truth holds that property, read through the same C API.
    std::string hex;
    for (size_t i = 0; i < len; ++i) {
        hex += fmt::format("{:02x}", prop[i]);
    }
    FadumpGroundTruth* gt = fadump_ground_truth_take(&ops, 256 << 20, regs.data(), regs.size(), 0);
    ASSERT_NE(gt, nullptr);
    EXPECT_EQ(finish_doc(gt, fd, &st).value("kernel_dump", ""), hex);
    EXPECT_TRUE(fadump_spapr_reset(fd));
    EXPECT_TRUE(fadump_spapr_dump_active(fd));
    fadump_spapr_free(fd);
}

// A value longer than the caller's buffer is an error with nothing written,
// never a length the glue would pass on to fdt_setprop.
TEST(CApi, PropertyLongerThanTheBufferIsAnError)
{
    FadumpSpaprConfig cfg{16 << 20, 16 << 20, 2};
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    ASSERT_NE(fd, nullptr);
    std::vector<unsigned char> buf(64, 0xAA);
    size_t len = 0;
    EXPECT_EQ(fadump_spapr_prop_sizes(fd, buf.data(), 23, &len), FADUMP_E_TOO_SMALL);
    EXPECT_EQ(len, 24u);
    EXPECT_EQ(fadump_spapr_prop_version(fd, buf.data(), 3, &len), FADUMP_E_TOO_SMALL);
    EXPECT_EQ(len, 4u);
    EXPECT_EQ(fadump_spapr_prop_version(fd, nullptr, 0, &len), FADUMP_E_TOO_SMALL);
    EXPECT_EQ(len, 4u);
    EXPECT_EQ(std::count(buf.begin(), buf.end(), 0xAA), 64);
    EXPECT_EQ(fadump_spapr_prop_sizes(fd, buf.data(), 24, &len), FADUMP_OK);
    EXPECT_EQ(len, 24u);
    EXPECT_EQ(fadump_spapr_prop_version(fd, nullptr, 4, &len), FADUMP_E_INTERNAL);
    EXPECT_EQ(len, 0u);
    EXPECT_EQ(fadump_spapr_prop_version(fd, buf.data(), 4, nullptr), FADUMP_E_INTERNAL);
    // No dump active: ibm,kernel-dump is absent, whatever the buffer.
    EXPECT_EQ(fadump_spapr_prop_kernel_dump(fd, buf.data(), 0, &len), FADUMP_ABSENT);
    EXPECT_EQ(len, 0u);
    fadump_spapr_free(fd);
}

TEST(CApi, KernelDumpLongerThanTheBufferIsAnError)
{
    FakeGuest g(16 << 20);
    auto ops = ops_for(g);
    FadumpSpaprConfig cfg{16 << 20, 16 << 20, 2};
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    FdmBuilder b;
    b.section(0x0001, 0, fadump_spapr_cpu_state_size(2), 0x800000).section(0x0011, 0, 0x100000, 0x900000);
    auto bytes = b.bytes();
    std::memcpy(g.at(0x10000), bytes.data(), bytes.size());
    ASSERT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, bytes.size()), 0);
    ASSERT_TRUE(fadump_spapr_begin_dump(fd));
    std::vector<FadumpVcpuRegs> regs(2);
    ASSERT_EQ(fadump_spapr_dump(fd, &ops, regs.data(), regs.size(), nullptr, 0, nullptr, nullptr, 0), FADUMP_OK);
    std::vector<unsigned char> buf(512, 0xAA);
    size_t len = 0;
    EXPECT_EQ(fadump_spapr_prop_kernel_dump(fd, buf.data(), bytes.size() - 1, &len), FADUMP_E_TOO_SMALL);
    EXPECT_EQ(len, bytes.size());
    EXPECT_EQ(std::count(buf.begin(), buf.end(), 0xAA), 512);
    EXPECT_EQ(fadump_spapr_prop_kernel_dump(fd, buf.data(), bytes.size(), &len), FADUMP_OK);
    EXPECT_EQ(len, bytes.size());
    fadump_spapr_free(fd);
}

TEST(CApi, GroundTruthHashesEveryPage)
{
    FakeGuest g(1 << 20);
    g.fill_pattern(0, 1 << 20, 5);
    *g.at(37 * 4096 + 100) ^= std::byte{0xFF};  // page 37 unlike its neighbours
    auto ops = ops_for(g);
    std::vector<FadumpVcpuRegs> regs(2);
    regs[1].cpu_index = 1;
    regs[1].nia = 0xC0000000DEADBEEFULL;
    regs[1].gpr[1] = 0x1234;
    FadumpGroundTruth* gt = fadump_ground_truth_take(&ops, g.ram().len().bytes, regs.data(), regs.size(), 1);
    ASSERT_NE(gt, nullptr);
    FadumpDumpStats st{123, 456, 3, 1, 2, 0};
    const auto doc = finish_doc(gt, nullptr, &st);
    ASSERT_FALSE(doc.is_null());
    EXPECT_EQ(doc["page_size"], 4096);
    EXPECT_EQ(doc["cpus"].size(), 2u);
    EXPECT_EQ(doc["dump"]["bytes_preserved"], 123);
    EXPECT_EQ(doc["trigger_cpu_index"], 1);
    EXPECT_EQ(doc["dump"]["sections_failed"], 1);
    EXPECT_EQ(doc["version"], fadump::GROUND_TRUTH_VERSION);
    // Read back typed, as the lab reads it.
    const fadump::GroundTruthDoc t = fadump::read_ground_truth(doc);
    ASSERT_EQ(t.cpus.size(), 2u);
    EXPECT_EQ(t.cpus[1].nip, 0xC0000000DEADBEEFULL);
    EXPECT_EQ(t.cpus[1].gpr[1], 0x1234u);
    EXPECT_EQ(t.cpus[1].cpu_index, 1u);
    EXPECT_EQ(t.trigger_cpu_index, 1u);
    ASSERT_TRUE(t.dump.has_value());
    EXPECT_EQ(t.dump->bytes_preserved, 123u);
    EXPECT_EQ(t.dump->sections_failed, 1u);
    EXPECT_EQ(t.pages(), 256u);
    EXPECT_EQ(t.ram_size, 1u << 20);
    ASSERT_EQ(doc["page_xxh3_128"].get_binary().size(), 256u * 16);
    EXPECT_FALSE(doc.contains("unreadable_pages"));
    // XXH3-128 of page 37 in canonical (big-endian) byte order, computed
    // here from its two halves.
    const XXH128_hash_t h = XXH3_128bits(g.at(37 * 4096), 4096);
    char hexd[33];
    std::snprintf(hexd, sizeof(hexd), "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    EXPECT_EQ(hash_hex(doc, 37), std::string(hexd));
    EXPECT_NE(hash_hex(doc, 36), std::string(hexd));
    // The last page of RAM is kept raw.
    const auto& tail = doc["ram_tail_page"].get_binary();
    ASSERT_EQ(tail.size(), 4096u);
    EXPECT_EQ(std::memcmp(tail.data(), g.at((1 << 20) - 4096), 4096), 0);
}

// The reader refuses what the writer never makes, naming the field.
TEST(GroundTruthDoc, MalformedDocumentsAreRefusedNamingTheField)
{
    const auto good = [] {
        nlohmann::json d = {{"version", fadump::GROUND_TRUTH_VERSION}, {"page_size", 4096}, {"ram_size", 8192},
                            {"cpus", nlohmann::json::array()},         {"hash_ns", 1},      {"trigger_cpu_index", 0}};
        d[fadump::PAGE_HASH_KEY] = nlohmann::json::binary(std::vector<uint8_t>(2 * fadump::PAGE_HASH_BYTES));
        return d;
    };
    EXPECT_NO_THROW((void)fadump::read_ground_truth(good()));
    const auto refused = [&](const std::function<void(nlohmann::json&)>& mutate, const std::string& says) {
        auto d = good();
        mutate(d);
        try {
            (void)fadump::read_ground_truth(d);
            ADD_FAILURE() << "accepted: " << says;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
        }
    };
    refused([](auto& d) { d["version"] = 3; }, "version 3");
    refused([](auto& d) { d["page_size"] = 0; }, "page_size 0");
    refused([](auto& d) { d["page_size"] = "4096"; }, "page_size");
    refused([](auto& d) { d.erase("cpus"); }, "cpus");
    refused([](auto& d) { d["cpus"] = nlohmann::json::array({{{"cpu_index", 0}}}); }, "cpus");
    refused([](auto& d) { d[fadump::PAGE_HASH_KEY] = nlohmann::json::binary(std::vector<uint8_t>(17)); },
            fadump::PAGE_HASH_KEY);
    refused([](auto& d) { d["ram_size"] = 3 * 4096; }, fadump::PAGE_HASH_KEY);  // fewer hashes than pages
    refused([](auto& d) { d[fadump::PAGE_HASH_KEY] = "00"; }, fadump::PAGE_HASH_KEY);
    refused([](auto& d) { d["firmware_ranges"] = nlohmann::json::array({"0x1"}); }, "firmware_ranges");
    refused([](auto& d) { d["dump"] = nlohmann::json::object(); }, "bytes_preserved");
    const std::vector<uint8_t> junk{0xff, 0x00, 0x13};
    EXPECT_THROW((void)fadump::read_ground_truth(std::span<const uint8_t>(junk)), std::runtime_error);
}

TEST(CApi, GroundTruthListsPagesItCouldNotRead)
{
    FakeGuest g(1 << 20);
    g.fill_pattern(0, 1 << 20, 6);
    g.give_host_ptr = false;
    g.fail_at = 9 * 4096 + 17;  // page 9 cannot be read
    auto ops = ops_for(g);
    std::vector<FadumpVcpuRegs> regs(1);
    const auto doc = finish_doc(fadump_ground_truth_take(&ops, 1 << 20, regs.data(), regs.size(), 0), nullptr, nullptr);
    ASSERT_FALSE(doc.is_null());
    EXPECT_EQ(doc["unreadable_pages"], nlohmann::json::array({9}));
    EXPECT_EQ(hash_hex(doc, 9), std::string(32, '0'));
    char hex[33];
    fadump::page_hash_hex(g.at(10 * 4096), 4096, hex);
    EXPECT_EQ(hash_hex(doc, 10), std::string(hex, 32));
}

// No exception may leave a C entry point: every allocation an entry point
// makes is failed in turn (alloc_fail.hpp); each call must still return an
// error value instead of terminating QEMU.
TEST(CApiAllocFailure, SpaprEntryPointsReturnErrors)
{
    using fadump::test::fail_each_allocation;
    FakeGuest g(16 << 20);
    auto ops = ops_for(g);
    const FadumpSpaprConfig cfg{16 << 20, 16 << 20, 2};
    FdmBuilder b;
    b.section(0x0001, 0, fadump_spapr_cpu_state_size(2), 0x800000).section(0x0011, 0, 0x100000, 0x900000);
    const auto fdm = b.bytes();
    std::memcpy(g.at(0x10000), fdm.data(), fdm.size());
    std::vector<FadumpVcpuRegs> regs(2);
    char msg[128];
    FadumpSpapr* fd = nullptr;
    auto fresh = [&] {
        fadump_spapr_free(fd);
        fd = fadump_spapr_new(&cfg);
        ASSERT_NE(fd, nullptr);
    };
    auto registered = [&] {
        fresh();
        ASSERT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, fdm.size()), 0);
        ASSERT_TRUE(fadump_spapr_begin_dump(fd));
    };
    EXPECT_GT(fail_each_allocation([] {},
                                   [&] {
                                       FadumpSpapr* f = fadump_spapr_new(&cfg);
                                       fadump_spapr_free(f);
                                   }),
              0);
    fail_each_allocation(fresh, [&] {
        unsigned char buf[512];
        size_t len = 0;
        const int rc = fadump_spapr_prop_sizes(fd, buf, sizeof buf, &len);
        EXPECT_TRUE(rc == FADUMP_OK || (rc == FADUMP_E_INTERNAL && len == 0)) << rc;
    });
    // The null-engine message is longer than std::string keeps inline.
    fail_each_allocation(
        [] {},
        [&] { EXPECT_EQ(configure(nullptr, &ops, FADUMP_CMD_REGISTER, 0, 0, msg, sizeof msg), FADUMP_RTAS_HW_ERROR); });
    EXPECT_GT(fail_each_allocation(fresh,
                                   [&] {
                                       const int32_t rc = configure(fd, &ops, 7, 0, 0, msg, sizeof msg);
                                       EXPECT_TRUE(rc == FADUMP_RTAS_PARAM_ERROR || rc == FADUMP_RTAS_HW_ERROR) << rc;
                                   }),
              0);
    fail_each_allocation(fresh, [&] {
        const int32_t rc = configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, fdm.size(), msg, sizeof msg);
        EXPECT_TRUE(rc == FADUMP_RTAS_SUCCESS || rc == FADUMP_RTAS_HW_ERROR) << rc;
    });
    fail_each_allocation(registered, [&] {
        FadumpDumpStats st{};
        const FadumpStatus rc = fadump_spapr_dump(fd, &ops, regs.data(), regs.size(), nullptr, 0, &st, msg, sizeof msg);
        EXPECT_TRUE(rc == FADUMP_OK || rc == FADUMP_E_INTERNAL) << rc;
        // A dump stopped by an internal error says so until the reset,
        // which drops it: never "dumping" for ever, never a dump-active boot.
        FadumpSpaprInfo info{};
        ASSERT_EQ(fadump_spapr_info(fd, &info), FADUMP_OK);
        EXPECT_EQ(info.state, rc == FADUMP_OK ? FADUMP_SPAPR_DUMP_ACTIVE : FADUMP_SPAPR_DUMP_FAILED);
        if (rc == FADUMP_E_INTERNAL) {
            EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, fdm.size()), FADUMP_RTAS_BUSY);
            EXPECT_FALSE(fadump_spapr_reset(fd));
            ASSERT_EQ(fadump_spapr_info(fd, &info), FADUMP_OK);
            EXPECT_EQ(info.state, FADUMP_SPAPR_IDLE);
        }
    });
    fadump_spapr_free(fd);
}

TEST(CApiAllocFailure, GroundTruthEntryPointsReturnNull)
{
    using fadump::test::fail_each_allocation;
    FakeGuest g(64 << 10);
    auto ops = ops_for(g);
    std::vector<FadumpVcpuRegs> regs(2);
    const FadumpRange fw[2] = {{0x1000, 0x2000}, {0x8000, 0x1000}};
    const FadumpDumpStats st{1, 2, 3, 4, 5, 0};
    EXPECT_GT(fail_each_allocation([] {},
                                   [&] {
                                       FadumpGroundTruth* gt = fadump_ground_truth_take(&ops, g.ram().len().bytes,
                                                                                        regs.data(), regs.size(), 0);
                                       fadump_ground_truth_note_ranges(gt, "firmware_ranges", fw, 2);
                                       size_t len = 0;
                                       std::free(fadump_ground_truth_finish(gt, nullptr, &st, &len));
                                   }),
              100);
}

TEST(CApiAllocFailure, MpiplEntryPointsReturnErrors)
{
    using fadump::test::fail_each_allocation;
    const FadumpMpiplConfig cfg{64 << 20, 1};
    FadumpMpipl* mp = nullptr;
    char msg[128];
    auto fresh = [&] {
        fadump_mpipl_free(mp);
        mp = fadump_mpipl_new(&cfg);
        ASSERT_NE(mp, nullptr);
    };
    // A base that leaves skiboot's tables outside RAM: the reason is
    // formatted into a new string.
    EXPECT_GT(fail_each_allocation(
                  fresh, [&] { EXPECT_NE(fadump_mpipl_stash(mp, 0, 0x03, 63ULL << 20, msg, sizeof msg), FADUMP_OK); }),
              0);
    EXPECT_GT(fail_each_allocation(
                  fresh, [&] { EXPECT_NE(fadump_mpipl_stash(mp, 99, 0x03, 0x1000000, msg, sizeof msg), FADUMP_OK); }),
              0);
    EXPECT_GT(fail_each_allocation(fresh, [&] { EXPECT_NE(fadump_mpipl_s0(mp, 0, msg, sizeof msg), FADUMP_OK); }), 0);
    FakeGuest g(64 << 20);
    auto ops = ops_for(g);
    auto started = [&] {
        fresh();
        ASSERT_EQ(fadump_mpipl_stash(mp, 0, 0x03, 0x1000000, nullptr, 0), FADUMP_OK);
        ASSERT_EQ(fadump_mpipl_s0(mp, 0, nullptr, 0), FADUMP_OK);
    };
    std::vector<FadumpVcpuRegs> regs(2);
    const FadumpRange reload{0, 0x100000};
    EXPECT_GT(fail_each_allocation(started,
                                   [&] {
                                       FadumpDumpStats st{};
                                       EXPECT_NE(fadump_mpipl_dump(mp, &ops, regs.data(), regs.size(), &reload, 1, &st,
                                                                   msg, sizeof msg),
                                                 FADUMP_OK);
                                   }),
              0);
    fadump_mpipl_free(mp);
}

// The operators' view (QMP query-fadump): the registration as the guest made
// it, then the platform's results.
TEST(CApi, InfoShowsTheRegistrationThenTheDump)
{
    FakeGuest g(256 << 20);
    auto ops = ops_for(g);
    FadumpSpaprConfig cfg{256 << 20, 256 << 20, 2};
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    ASSERT_NE(fd, nullptr);
    FadumpSpaprInfo info{};
    ASSERT_EQ(fadump_spapr_info(fd, &info), FADUMP_OK);
    EXPECT_EQ(info.state, FADUMP_SPAPR_IDLE);
    EXPECT_EQ(info.n_sections, 0);
    const uint64_t cpu = fadump_spapr_cpu_state_size(2);
    FdmBuilder b;
    b.section(0x0001, 0, cpu, 0x8000000).section(0x0011, 0, 0x1000000, 0x9000000);
    auto bytes = b.bytes();
    std::memcpy(g.at(0x10000), bytes.data(), bytes.size());
    ASSERT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, bytes.size()), 0);
    ASSERT_EQ(fadump_spapr_info(fd, &info), FADUMP_OK);
    EXPECT_EQ(info.state, FADUMP_SPAPR_REGISTERED);
    EXPECT_EQ(info.fdm_address, 0x10000u);
    EXPECT_EQ(info.fdm_length, bytes.size());
    ASSERT_EQ(info.n_sections, 2);
    EXPECT_EQ(info.sections[1].type, 0x0011);
    EXPECT_EQ(info.sections[1].length, 0x1000000u);
    EXPECT_EQ(info.sections[1].destination, 0x9000000u);
    EXPECT_EQ(info.sections[1].bytes_dumped, 0u);
    ASSERT_TRUE(fadump_spapr_begin_dump(fd));
    ASSERT_EQ(fadump_spapr_info(fd, &info), FADUMP_OK);
    EXPECT_EQ(info.state, FADUMP_SPAPR_DUMPING);
    std::vector<FadumpVcpuRegs> regs(2);
    ASSERT_EQ(fadump_spapr_dump(fd, &ops, regs.data(), regs.size(), nullptr, 0, nullptr, nullptr, 0), FADUMP_OK);
    ASSERT_EQ(fadump_spapr_info(fd, &info), FADUMP_OK);
    EXPECT_EQ(info.state, FADUMP_SPAPR_DUMP_ACTIVE);
    EXPECT_EQ(info.status_flags, 0xC000);  // performed, triggered
    EXPECT_EQ(info.sections[0].bytes_dumped, cpu);
    EXPECT_EQ(info.sections[1].bytes_dumped, 0x1000000u);
    EXPECT_EQ(info.sections[1].error_flags, 0);
    EXPECT_EQ(fadump_spapr_info(nullptr, &info), FADUMP_E_INTERNAL);
    EXPECT_EQ(fadump_spapr_info(fd, nullptr), FADUMP_E_INTERNAL);
    fadump_spapr_free(fd);

    const FadumpMpiplConfig mcfg{64 << 20, 2};
    FadumpMpipl* mp = fadump_mpipl_new(&mcfg);
    ASSERT_NE(mp, nullptr);
    FadumpMpiplInfo mi{};
    ASSERT_EQ(fadump_mpipl_info(mp, &mi), FADUMP_OK);
    EXPECT_EQ(mi.chips, 2u);
    EXPECT_EQ(mi.stashed, 0u);
    ASSERT_EQ(fadump_mpipl_stash(mp, 1, 0x03, 0x1000000, nullptr, 0), FADUMP_OK);
    ASSERT_EQ(fadump_mpipl_info(mp, &mi), FADUMP_OK);
    EXPECT_EQ(mi.stashed, 2u);
    EXPECT_EQ(mi.stash[1], 0x1000000u);
    EXPECT_FALSE(mi.in_progress);
    ASSERT_EQ(fadump_mpipl_s0(mp, 0, nullptr, 0), FADUMP_OK);
    ASSERT_EQ(fadump_mpipl_info(mp, &mi), FADUMP_OK);
    EXPECT_TRUE(mi.in_progress);
    EXPECT_FALSE(mi.ipl_pending);
    // The dump ran (nothing valid at the base: a normal boot next), the
    // reset has not: the SBE would ignore S0, and the info says so.
    FakeGuest pg(64 << 20);
    auto pops = ops_for(pg);
    FadumpDumpStats st{};
    char msg[256];
    st.preserving_boot = 7;
    fadump_mpipl_dump(mp, &pops, regs.data(), regs.size(), nullptr, 0, &st, msg, sizeof msg);
    EXPECT_EQ(st.preserving_boot, 0u);  // nothing valid at the base: a normal boot
    ASSERT_EQ(fadump_mpipl_info(mp, &mi), FADUMP_OK);
    EXPECT_FALSE(mi.in_progress);
    EXPECT_TRUE(mi.ipl_pending);
    EXPECT_NE(fadump_mpipl_s0(mp, 0, msg, sizeof msg), FADUMP_OK);
    EXPECT_FALSE(fadump_mpipl_reset(mp, &pops, 0x30000000));
    ASSERT_EQ(fadump_mpipl_info(mp, &mi), FADUMP_OK);
    EXPECT_FALSE(mi.ipl_pending);
    fadump_mpipl_free(mp);
}

// The page hashes are taken by several threads when host pointers exist:
// the same text as one thread reading page by page, and each page's own hash.
TEST(CApi, GroundTruthPageHashesDoNotDependOnTheThreads)
{
    FakeGuest g(128 << 20);
    g.fill_pattern(0, 128 << 20, 3);
    for (uint64_t p = 0; p < (128u << 20) / 4096; p += 97) {
        g.put<uint64_t>(p * 4096, p * 0x9E3779B97F4A7C15ULL);  // pages differ from each other
    }
    auto ops = ops_for(g);
    std::vector<FadumpVcpuRegs> regs(1);
    auto hashes = [&] {
        FadumpGroundTruth* gt = fadump_ground_truth_take(&ops, 128 << 20, regs.data(), regs.size(), 0);
        return finish_doc(gt, nullptr, nullptr);
    };
    g.give_host_ptr = true;
    const auto threaded = hashes();
    g.give_host_ptr = false;
    const auto sequential = hashes();
    ASSERT_EQ(threaded["page_xxh3_128"].get_binary().size(), (128u << 20) / 4096 * 16);
    EXPECT_EQ(threaded["page_xxh3_128"], sequential["page_xxh3_128"]);
    for (uint64_t p : {uint64_t{0}, uint64_t{4095}, uint64_t{4096}, uint64_t{16383}, uint64_t{16384},
                       uint64_t{(128u << 20) / 4096 - 1}}) {
        char hex[33];
        fadump::page_hash_hex(g.at(p * 4096), 4096, hex);
        EXPECT_EQ(hash_hex(threaded, p), std::string(hex, 32)) << "page " << p;
    }
}

// RAM in several blocks (NUMA nodes' backends), one not page aligned and a
// range without host pointers: the hashes are the same as one block's.
TEST(CApi, GroundTruthPageHashesDoNotDependOnTheRamBlocks)
{
    FakeGuest g(64 << 20);
    g.fill_pattern(0, 64 << 20, 5);
    for (uint64_t p = 0; p < (64u << 20) / 4096; p += 13) {
        g.put<uint64_t>(p * 4096, p * 0x9E3779B97F4A7C15ULL);
    }
    auto ops = ops_for(g);
    std::vector<FadumpVcpuRegs> regs(1);
    auto hashes = [&] {
        return finish_doc(fadump_ground_truth_take(&ops, 64 << 20, regs.data(), regs.size(), 0), nullptr, nullptr);
    };
    const auto one_block = hashes();
    g.block_starts = {16 << 20, (32 << 20) + 100, 48 << 20};
    g.unmapped = {*fadump::GuestRange::make(fadump::GuestAddr{(40 << 20) + 8}, fadump::ByteLen{3 << 20})};
    const auto blocks = hashes();
    EXPECT_FALSE(blocks.contains("unreadable_pages"));
    EXPECT_EQ(blocks["page_xxh3_128"], one_block["page_xxh3_128"]);
    for (uint64_t p : {uint64_t{4095}, uint64_t{4096}, uint64_t{8192}, uint64_t{10240}, uint64_t{10241},
                       uint64_t{(64u << 20) / 4096 - 1}}) {
        char hex[33];
        fadump::page_hash_hex(g.at(p * 4096), 4096, hex);
        EXPECT_EQ(hash_hex(blocks, p), std::string(hex, 32)) << "page " << p;
    }
}

// What every reset reloads (-kernel, -initrd) is no place for a copy: a
// destination over it is refused at REGISTER and on a migration's arrival.
TEST(CApi, DestinationsTheResetReloadsAreRefused)
{
    FakeGuest g(256 << 20);
    auto ops = ops_for(g);
    FadumpSpaprConfig cfg{256 << 20, 128 << 20, 2};
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    ASSERT_NE(fd, nullptr);
    const uint64_t reload[] = {0x400000, 0x1000000, 0x9000000, 0x2000000};  // kernel, initrd at 144 MiB
    ASSERT_EQ(fadump_spapr_set_reload(fd, reload, 2), FADUMP_OK);
    const uint64_t cpu = fadump_spapr_cpu_state_size(2);
    auto fdm_to = [&](uint64_t dst) {
        FdmBuilder b;
        b.section(0x0001, 0, cpu, 0x4000000).section(0x0011, 0, 0x1000000, dst);
        auto bytes = b.bytes();
        std::memcpy(g.at(0x10000), bytes.data(), bytes.size());
        return bytes.size();
    };
    char msg[256];
    EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, fdm_to(0xA800000), msg, sizeof msg),
              FADUMP_RTAS_PARAM_ERROR);
    EXPECT_NE(std::string(msg).find("which the reboot reloads"), std::string::npos) << msg;
    const size_t len = fdm_to(0xB000000);  // just past the initrd
    ASSERT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, len, msg, sizeof msg), FADUMP_RTAS_SUCCESS) << msg;
    // A migrated registration meets the destination's own reload ranges.
    std::vector<uint8_t> blob(4096);
    size_t blen = 0;
    ASSERT_EQ(fadump_spapr_state_save(fd, blob.data(), blob.size(), &blen, msg, sizeof msg), FADUMP_OK) << msg;
    FadumpSpapr* there = fadump_spapr_new(&cfg);
    const uint64_t there_reload[] = {0xB000000, 0x100000};
    ASSERT_EQ(fadump_spapr_set_reload(there, there_reload, 1), FADUMP_OK);
    EXPECT_EQ(fadump_spapr_state_load(there, nullptr, blob.data(), blen, msg, sizeof msg), FADUMP_E_REFUSED);
    EXPECT_NE(std::string(msg).find("which the reboot reloads"), std::string::npos) << msg;
    // Hostile or impossible lists change nothing.
    const uint64_t wraps[] = {UINT64_MAX - 10, 100};
    EXPECT_EQ(fadump_spapr_set_reload(there, wraps, 1), FADUMP_E_REFUSED);
    EXPECT_EQ(fadump_spapr_set_reload(there, reload, FADUMP_MAX_RELOAD + 1), FADUMP_E_REFUSED);
    fadump_spapr_free(there);
    fadump_spapr_free(fd);
}

// RAM the VMM maps past boot memory (a hot-plugged DIMM) is RAM: a section
// there registers; where no block maps (device memory with no DIMM) it does
// not, and a migrated registration is judged by the destination's blocks.
TEST(CApi, SectionsInHotPluggedDimmsRegister)
{
    FakeGuest g(256 << 20);
    g.unmapped = {*fadump::GuestRange::make(fadump::GuestAddr{192 << 20}, fadump::ByteLen{64 << 20})};
    auto ops = ops_for(g);
    FadumpSpaprConfig cfg{128 << 20, 128 << 20, 2};  // boot memory; a "DIMM" maps [128, 192) MiB
    FadumpSpapr* fd = fadump_spapr_new(&cfg);
    ASSERT_NE(fd, nullptr);
    const uint64_t cpu = fadump_spapr_cpu_state_size(2);
    auto fdm = [&](uint64_t src, uint64_t dst) {
        FdmBuilder b;
        b.section(0x0001, 0, cpu, 0x4000000).section(0x0011, src, 0x1000000, dst);
        auto bytes = b.bytes();
        std::memcpy(g.at(0x10000), bytes.data(), bytes.size());
        return bytes.size();
    };
    char msg[256];
    EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, fdm(0xC000000, 0x5000000), msg, sizeof msg),
              FADUMP_RTAS_PARAM_ERROR)
        << "source in device memory with no DIMM";
    EXPECT_EQ(configure(fd, &ops, FADUMP_CMD_REGISTER, 0x10000, fdm(0x7800000, 0x5000000), msg, sizeof msg),
              FADUMP_RTAS_SUCCESS)
        << msg;  // source across boot memory's end into the DIMM
    std::vector<uint8_t> blob(4096);
    size_t blen = 0;
    ASSERT_EQ(fadump_spapr_state_save(fd, blob.data(), blob.size(), &blen, msg, sizeof msg), FADUMP_OK) << msg;
    FadumpSpapr* there = fadump_spapr_new(&cfg);
    EXPECT_EQ(fadump_spapr_state_load(there, &ops, blob.data(), blen, msg, sizeof msg), FADUMP_OK) << msg;
    FadumpSpapr* no_dimm = fadump_spapr_new(&cfg);
    EXPECT_EQ(fadump_spapr_state_load(no_dimm, nullptr, blob.data(), blen, msg, sizeof msg), FADUMP_E_REFUSED);
    fadump_spapr_free(no_dimm);
    fadump_spapr_free(there);
    fadump_spapr_free(fd);
}

TEST(CApiExport, MpiplVmcorePlanNeedsAKernelsDumpAndRefusesOtherwise)
{
    FakeGuest g{1ULL << 30};
    const FadumpGuestOps ops = ops_for(g);
    const FadumpMpiplConfig cfg{.ram_size = 1ULL << 30, .chips = 1};
    FadumpMpipl* mp = fadump_mpipl_new(&cfg);
    ASSERT_NE(mp, nullptr);
    const FadumpNodeRange ram{.addr = 0, .size = 1ULL << 30, .node = 0, .reserved = 0};
    FadumpVmcore* vc = reinterpret_cast<FadumpVmcore*>(0x1);  // must be cleared
    FadumpVmcoreSummary summary{};
    char msg[128] = {};
    EXPECT_FALSE(fadump_mpipl_kernel_dump(mp));
    EXPECT_FALSE(fadump_mpipl_kernel_dump(nullptr));
    EXPECT_EQ(fadump_mpipl_vmcore_plan(mp, &ops, &ram, 1, &vc, &summary, msg, sizeof msg), FADUMP_E_REFUSED);
    EXPECT_EQ(vc, nullptr);
    EXPECT_STREQ(msg, "no MPIPL preserved a kernel's dump");
    EXPECT_EQ(fadump_mpipl_vmcore_plan(nullptr, &ops, &ram, 1, &vc, &summary, msg, sizeof msg), FADUMP_E_INTERNAL);
    EXPECT_EQ(fadump_mpipl_vmcore_plan(mp, &ops, nullptr, 1, &vc, &summary, msg, sizeof msg), FADUMP_E_INTERNAL);
    fadump_mpipl_free(mp);
}
