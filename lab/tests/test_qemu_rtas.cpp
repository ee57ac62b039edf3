// The RTAS interface of the built QEMU, with no guest kernel: QEMU's qtest
// accelerator writes guest memory and calls ibm,configure-kernel-dump, and
// QMP dumpdtb shows the /rtas properties. Needs FADUMP_QEMU (the binary)
// and FADUMP_FIRMWARE (its -L directory). Every answer is awaited at most
// FADUMP_QTEST_TIMEOUT seconds (default 30): a QEMU that stops answering
// fails the test instead of blocking it. QMP replies are parsed as JSON.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libfdt.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "fadump/fadump.h"
#include "fadump/papr/fdm.hpp"
#include "fake_guest.hpp"
#include "qtest_qemu.hpp"

using fadump::test::FdmBuilder;
using namespace fadump::qtest;
namespace fs = std::filesystem;

TEST_F(QemuRtas, RegisterUnregisterInvalidate)
{
    QtestQemu q("");
    ASSERT_TRUE(q.ok());
    auto fdm = linux_like(2);
    q.write(FDM, fdm);
    const auto len = static_cast<uint32_t>(fdm.size());
    EXPECT_EQ(q.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
    EXPECT_EQ(q.configure(1, FDM, len), FADUMP_RTAS_ALREADY_REGISTERED);
    // INVALIDATE with no active dump: -3, and the registration survives.
    EXPECT_EQ(q.configure(3, FDM, len), FADUMP_RTAS_PARAM_ERROR);
    EXPECT_EQ(q.configure(1, FDM, len), FADUMP_RTAS_ALREADY_REGISTERED);
    EXPECT_EQ(q.configure(2, FDM, len), FADUMP_RTAS_SUCCESS);
    EXPECT_EQ(q.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
}

TEST_F(QemuRtas, HostileRegistrationsAreParameterErrors)
{
    QtestQemu q("");
    ASSERT_TRUE(q.ok());
    auto fdm = linux_like(2);
    const auto len = static_cast<uint32_t>(fdm.size());
    auto bad_version = fdm;
    bad_version[3] = std::byte{2};
    q.write(FDM, bad_version);
    EXPECT_EQ(q.configure(1, FDM, len), FADUMP_RTAS_PARAM_ERROR);
    q.write(FDM, fdm);
    EXPECT_EQ(q.configure(1, FDM, len - 1), FADUMP_RTAS_PARAM_ERROR);     // not the exact length
    EXPECT_EQ(q.configure(1, 0x7FFFFFF0, len), FADUMP_RTAS_PARAM_ERROR);  // outside RAM and the RMA
    EXPECT_EQ(q.configure(9, FDM, len), FADUMP_RTAS_PARAM_ERROR);         // unknown command
    EXPECT_EQ(q.configure(1, FDM, len, 2), FADUMP_RTAS_PARAM_ERROR);      // wrong argument count
    auto overlap = fdm;
    // RMR destination onto the CPU-state area.
    std::memcpy(overlap.data() + 0x28 + 2 * 0x28 + 0x20, overlap.data() + 0x28 + 0x20, 8);
    q.write(FDM, overlap);
    EXPECT_EQ(q.configure(1, FDM, len), FADUMP_RTAS_PARAM_ERROR);
    // Nothing above registered anything.
    q.write(FDM, fdm);
    EXPECT_EQ(q.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
}

TEST_F(QemuRtas, RtasPropertiesCountEveryPossibleThread)
{
    QtestQemu q("", "2,maxcpus=8,threads=2");
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");  // qtest is up
    auto dtb = q.dtb();
    ASSERT_FALSE(dtb.empty());
    const void* fdt = dtb.data();
    const int rtas = fdt_path_offset(fdt, "/rtas");
    ASSERT_GE(rtas, 0);
    int len = 0;
    const auto* token = static_cast<const uint8_t*>(fdt_getprop(fdt, rtas, "ibm,configure-kernel-dump", &len));
    ASSERT_NE(token, nullptr);
    EXPECT_EQ(len, 4);
    const auto* ver = static_cast<const uint8_t*>(fdt_getprop(fdt, rtas, "ibm,configure-kernel-dump-version", &len));
    ASSERT_EQ(len, 4);
    EXPECT_EQ(std::vector<uint8_t>(ver, ver + 4), (std::vector<uint8_t>{0, 1, 0, 1}));
    const auto* sizes = static_cast<const uint8_t*>(fdt_getprop(fdt, rtas, "ibm,configure-kernel-dump-sizes", &len));
    ASSERT_EQ(len, 24);
    auto be32 = [&](int i) {
        return (uint32_t{sizes[4 * i]} << 24) | (uint32_t{sizes[4 * i + 1]} << 16) | (uint32_t{sizes[4 * i + 2]} << 8) |
               sizes[4 * i + 3];
    };
    EXPECT_EQ(be32(0), 1u);
    EXPECT_EQ((uint64_t{be32(1)} << 32) | be32(2), fadump_spapr_cpu_state_size(8));  // maxcpus, SMT included
    EXPECT_EQ(be32(3), 2u);
    EXPECT_EQ(be32(5), 0u);
    EXPECT_NE(fdt_getprop(fdt, rtas, "ibm,extended-os-term", &len), nullptr);
    EXPECT_EQ(fdt_getprop(fdt, rtas, "ibm,kernel-dump", &len), nullptr);
}

TEST_F(QemuRtas, SwitchedOffMeansNoToken)
{
    QtestQemu q(",fadump=off");
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");
    auto dtb = q.dtb();
    ASSERT_FALSE(dtb.empty());
    const int rtas = fdt_path_offset(dtb.data(), "/rtas");
    int len = 0;
    EXPECT_EQ(fdt_getprop(dtb.data(), rtas, "ibm,configure-kernel-dump", &len), nullptr);
    EXPECT_EQ(fdt_getprop(dtb.data(), rtas, "ibm,configure-kernel-dump-sizes", &len), nullptr);
}

namespace {

// Waits for an incoming migration: "completed", or "exited N" when QEMU
// gave up (it exits on a refused stream), or "" with a test failure.
std::string incoming_outcome(QtestQemu& q)
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(answer_timeout_s());
    while (std::chrono::steady_clock::now() < end) {
        if (const auto rc = q.wait_exit(0)) {
            return "exited " + std::to_string(*rc);
        }
        if (const auto r = q.qmp({{{"execute", "query-migrate"}}}, true)) {
            const std::string st = (*r)[0].value("status", "");
            if (st == "completed") {
                return st;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the incoming migration neither completed nor failed within " << answer_timeout_s() << " s";
    return "";
}

std::string read_all(const fs::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The migration stream with the byte at `offset` from the fadump state's
// magic ("FDSP" after the subsection name) replaced by `value`.
std::string mutate_state(const std::string& stream, long offset, char value)
{
    const auto sub = stream.find("spapr/fadump");
    EXPECT_NE(sub, std::string::npos);
    const auto magic = stream.find("FDSP", sub);
    EXPECT_NE(magic, std::string::npos);
    std::string m = stream;
    if (sub != std::string::npos && magic != std::string::npos) {
        m[static_cast<size_t>(static_cast<long>(magic) + offset)] = value;
    }
    return m;
}

class QemuMigration : public QemuRtas {
protected:
    // A registered source migrated to a file: its path.
    std::string registered_stream(QtestQemu& a)
    {
        auto fdm = linux_like(2);
        a.write(FDM, fdm);
        EXPECT_EQ(a.configure(1, FDM, static_cast<uint32_t>(fdm.size())), FADUMP_RTAS_SUCCESS);
        const std::string path = (a.dir() / "stream").string();
        EXPECT_EQ(a.migrate_to(path), "completed");
        return path;
    }
};

}  // namespace

// Upstream 11.1.3, tried the same way, answers 0 to the second REGISTER: the
// registration was dropped and a crash after migration is not dumped.
TEST_F(QemuMigration, ARegistrationSurvivesMigration)
{
    QtestQemu a("");
    ASSERT_TRUE(a.ok());
    const std::string stream = registered_stream(a);
    EXPECT_NE(read_all(stream).find("spapr/fadump"), std::string::npos);
    QtestQemu b("", "2", {"-incoming", "file:" + stream});
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(incoming_outcome(b), "completed") << b.stderr_text();
    const auto len = static_cast<uint32_t>(linux_like(2).size());
    EXPECT_EQ(b.configure(1, FDM, len), FADUMP_RTAS_ALREADY_REGISTERED);
    EXPECT_EQ(b.configure(2, FDM, len), FADUMP_RTAS_SUCCESS);
    EXPECT_EQ(b.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
}

TEST_F(QemuMigration, AnUnregisteredGuestCarriesNoFadumpState)
{
    QtestQemu a("");
    ASSERT_TRUE(a.ok());
    a.cmd("readl 0x0");
    const std::string stream = (a.dir() / "stream").string();
    ASSERT_EQ(a.migrate_to(stream), "completed");
    EXPECT_EQ(read_all(stream).find("spapr/fadump"), std::string::npos);
}

TEST_F(QemuMigration, AnActiveDumpSurvivesMigration)
{
    QtestQemu a("");
    ASSERT_TRUE(a.ok());
    auto fdm = linux_like(2);
    a.write(FDM, fdm);
    const auto len = static_cast<uint32_t>(fdm.size());
    ASSERT_EQ(a.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
    ASSERT_TRUE(dump_through_os_term(a)) << "no ibm,kernel-dump after os-term";
    const std::string stream = (a.dir() / "stream").string();
    ASSERT_EQ(a.migrate_to(stream), "completed");
    QtestQemu b("", "2", {"-incoming", "file:" + stream});
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(incoming_outcome(b), "completed") << b.stderr_text();
    // The destination knows the dump: REGISTER is refused, its next reset
    // still describes it to the firmware, INVALIDATE releases it.
    EXPECT_EQ(b.configure(1, FDM, len), FADUMP_RTAS_DUMP_ACTIVE);
    ASSERT_TRUE(b.qmp({{{"execute", "system_reset"}}}));
    bool described = false;
    for (int i = 0; i < 100 && !described; ++i) {
        const auto dtb = b.dtb();
        int plen = 0;
        const auto* kd = static_cast<const uint8_t*>(
            dtb.empty() ? nullptr
                        : fdt_getprop(dtb.data(), fdt_path_offset(dtb.data(), "/rtas"), "ibm,kernel-dump", &plen));
        described = kd != nullptr && plen == static_cast<int>(len) && (kd[6] & 0x80) != 0;  // DUMP_PERFORMED
        if (!described) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    EXPECT_TRUE(described) << "the destination's reset did not describe the migrated dump";
    EXPECT_EQ(b.configure(3, FDM, len), FADUMP_RTAS_SUCCESS);
    EXPECT_EQ(b.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
}

TEST_F(QemuMigration, AHostileStateIsRefused)
{
    QtestQemu a("");
    ASSERT_TRUE(a.ok());
    const std::string stream = read_all(registered_stream(a));
    // Offsets from the state's magic; the state's length (u32 BE, 0xc0)
    // comes right before it.
    const std::tuple<long, char, const char*> cases[] = {
        {0x20 + 3, '\x00', "fadump: incoming state: fdm:"},                                // fdm version 1 -> 0
        {-3, '\x01', "Input validation failed: spapr/fadump"},                             // length -> 0x100c0
        {-2, '\x01', "fadump: incoming state: 448 bytes where the header announces 192"},  // -> 0x1c0
    };
    for (const auto& [offset, value, why] : cases) {
        const fs::path bad = a.dir() / "bad-stream";
        std::ofstream(bad, std::ios::binary) << mutate_state(stream, offset, value);
        QtestQemu b("", "2", {"-incoming", "file:" + bad.string()});
        ASSERT_TRUE(b.ok());
        const std::string outcome = incoming_outcome(b);
        EXPECT_EQ(outcome.rfind("exited ", 0), 0u) << outcome;
        EXPECT_NE(outcome, "exited 0");
        EXPECT_NE(b.stderr_text().find(why), std::string::npos) << b.stderr_text();
    }
}

TEST_F(QemuMigration, ADestinationWithoutFadumpRefusesARegisteredGuest)
{
    QtestQemu a("");
    ASSERT_TRUE(a.ok());
    const std::string stream = registered_stream(a);
    QtestQemu b(",fadump=off", "2", {"-incoming", "file:" + stream});
    ASSERT_TRUE(b.ok());
    const std::string outcome = incoming_outcome(b);
    EXPECT_EQ(outcome.rfind("exited ", 0), 0u) << outcome;
    EXPECT_NE(b.stderr_text().find("fadump=off"), std::string::npos) << b.stderr_text();
}

// savevm/loadvm (QMP snapshot-save/-load into a qcow2 node QEMU creates
// itself): a snapshot taken while registered restores the registration, and
// one taken before does not keep the registration, active dump or lowered
// RMA made after it.
TEST_F(QemuMigration, SnapshotsRestoreTheRegistrationTheyHold)
{
    QtestQemu a("");
    ASSERT_TRUE(a.ok());
    a.cmd("readl 0x0");
    const std::string img = (a.dir() / "snapshots.qcow2").string();
    ASSERT_EQ(
        a.job({{"execute", "blockdev-create"},
               {"arguments", {{"job-id", "c1"}, {"options", {{"driver", "file"}, {"filename", img}, {"size", 0}}}}}},
              "c1"),
        "");
    ASSERT_TRUE(a.qmp(
        {{{"execute", "blockdev-add"}, {"arguments", {{"driver", "file"}, {"filename", img}, {"node-name", "f0"}}}}}));
    ASSERT_EQ(a.job({{"execute", "blockdev-create"},
                     {"arguments",
                      {{"job-id", "c2"}, {"options", {{"driver", "qcow2"}, {"file", "f0"}, {"size", 64 << 20}}}}}},
                    "c2"),
              "");
    ASSERT_TRUE(a.qmp(
        {{{"execute", "blockdev-add"}, {"arguments", {{"driver", "qcow2"}, {"file", "f0"}, {"node-name", "disk0"}}}}}));
    auto snapshot = [&](const char* cmd, const char* tag) {
        const std::string id = std::string(cmd) + "-" + tag;
        return a.job({{"execute", cmd},
                      {"arguments", {{"job-id", id}, {"tag", tag}, {"vmstate", "disk0"}, {"devices", {"disk0"}}}}},
                     id);
    };
    ASSERT_EQ(snapshot("snapshot-save", "before"), "");
    auto fdm = linux_like(2);
    a.write(FDM, fdm);
    const auto len = static_cast<uint32_t>(fdm.size());
    ASSERT_EQ(a.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
    ASSERT_EQ(snapshot("snapshot-save", "registered"), "");
    ASSERT_EQ(snapshot("snapshot-load", "before"), "");
    ASSERT_TRUE(a.qmp({{{"execute", "cont"}}}));
    a.write(FDM, fdm);                                         // the snapshot's RAM has no fdm yet
    EXPECT_EQ(a.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);  // nothing registered any more
    ASSERT_EQ(a.configure(2, FDM, len), FADUMP_RTAS_SUCCESS);
    ASSERT_EQ(snapshot("snapshot-load", "registered"), "");
    ASSERT_TRUE(a.qmp({{{"execute", "cont"}}}));
    EXPECT_EQ(a.configure(1, FDM, len), FADUMP_RTAS_ALREADY_REGISTERED);
    // An active dump survives resets, not the load of a snapshot that had
    // none (loadvm's reset alone would keep it), and neither does the RMA
    // its reboot lowered below the preserved memory.
    auto rma = [&] {
        const auto r = a.qmp({{{"execute", "query-fadump"}}});
        return r ? (*r)[0].value("rma-size", uint64_t{0}) : 0;
    };
    const uint64_t normal_rma = rma();
    ASSERT_GT(normal_rma, 0x10000000u);
    ASSERT_TRUE(dump_through_os_term(a));
    ASSERT_EQ(a.configure(1, FDM, len), FADUMP_RTAS_DUMP_ACTIVE);
    EXPECT_EQ(rma(), 0x8000000u);  // the RMR's end, below the lowest destination
    ASSERT_EQ(snapshot("snapshot-load", "before"), "");
    EXPECT_EQ(rma(), normal_rma);
    ASSERT_TRUE(a.qmp({{{"execute", "cont"}}}));
    a.write(FDM, fdm);
    EXPECT_EQ(a.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
}

// QMP query-fadump, HMP info fadump and the FADUMP_* events, through a
// registration and a dump.
TEST_F(QemuMigration, OperatorsSeeTheRegistrationTheDumpAndItsEvents)
{
    QtestQemu q("");
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");
    ASSERT_NO_FATAL_FAILURE(q.listen());
    auto query = [&] {
        const auto r = q.qmp({{{"execute", "query-fadump"}}});
        return r ? (*r)[0] : nlohmann::json();
    };
    auto info = query();
    EXPECT_EQ(info.value("platform", ""), "pseries");
    EXPECT_EQ(info.value("enabled", false), true);
    EXPECT_EQ(info.value("state", ""), "idle");
    EXPECT_FALSE(info.contains("last-dump"));
    auto fdm = linux_like(2);
    q.write(FDM, fdm);
    const auto len = static_cast<uint32_t>(fdm.size());
    ASSERT_EQ(q.configure(1, FDM, len), FADUMP_RTAS_SUCCESS);
    info = query();
    EXPECT_EQ(info.value("state", ""), "registered");
    EXPECT_EQ(info.value("fdm-address", 0u), FDM);
    ASSERT_EQ(info["sections"].size(), 3u) << info.dump();
    EXPECT_EQ(info["sections"][2]["type"], 0x11);
    EXPECT_EQ(info["sections"][2]["length"], 0x8000000);
    EXPECT_EQ(info["sections"][2]["destination"], 0x10100000);
    EXPECT_EQ(info["sections"][2]["bytes-dumped"], 0);
    ASSERT_TRUE(dump_through_os_term(q));
    info = query();
    EXPECT_EQ(info.value("state", ""), "dump-active");
    EXPECT_EQ(info.value("status-flags", 0), 0xC000);
    EXPECT_EQ(info["sections"][2]["bytes-dumped"], 0x8000000) << info.dump();
    const uint64_t cpu = fadump_spapr_cpu_state_size(2);
    ASSERT_TRUE(info.contains("last-dump")) << info.dump();
    EXPECT_EQ(info["last-dump"]["bytes"], cpu + 0x8000000);
    EXPECT_EQ(info["last-dump"]["trigger"], "os-term");
    EXPECT_EQ(info["last-dump"]["cpus"], 2);
    EXPECT_EQ(info["last-dump"]["preserving-boot"], true);
    // The events, in order: registered, dumping, dump-active, the dump's
    // start and end (bytes and time), and the memory-preserving reset keeps
    // the dump (no state change).
    std::vector<std::string> seen;
    nlohmann::json completed;
    for (const auto& e : q.events()) {
        const std::string name = e["event"];
        if (name == "FADUMP_STATE_CHANGED") {
            seen.push_back(name + " " + e["data"]["state"].get<std::string>() + " " +
                           e["data"]["reason"].get<std::string>());
        } else if (name.rfind("FADUMP_", 0) == 0 || name == "STOP" || name == "RESET" || name == "RESUME") {
            seen.push_back(name);
            if (name == "FADUMP_DUMP_COMPLETED") {
                completed = e["data"]["dump"];
            }
        }
    }
    // The machine stops whole for the dump (devices too: STOP), is reset
    // still stopped and runs again.
    EXPECT_EQ(seen, (std::vector<std::string>{"FADUMP_STATE_CHANGED registered register",
                                              "FADUMP_STATE_CHANGED dumping os-term", "FADUMP_DUMP_STARTED", "STOP",
                                              "FADUMP_STATE_CHANGED dump-active dump", "FADUMP_DUMP_COMPLETED", "RESET",
                                              "RESUME"}));
    EXPECT_EQ(completed.value("bytes", 0u), cpu + 0x8000000);
    EXPECT_GT(completed.value("duration-ns", 0u), 0u);
    const auto hmp = q.qmp({{{"execute", "human-monitor-command"}, {"arguments", {{"command-line", "info fadump"}}}}});
    ASSERT_TRUE(hmp);
    const std::string text = (*hmp)[0];
    EXPECT_NE(text.find("state: dump-active"), std::string::npos) << text;
    EXPECT_NE(text.find("section type 0x0011: 0x0 +0x8000000 -> 0x10100000, dumped 0x8000000"), std::string::npos)
        << text;
    EXPECT_NE(text.find("last dump (os-term)"), std::string::npos) << text;
    ASSERT_EQ(q.configure(3, FDM, len), FADUMP_RTAS_SUCCESS);
    EXPECT_EQ(query().value("state", ""), "idle");
    const auto after = q.events();
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0]["data"]["reason"], "invalidate");
}

TEST_F(QemuMigration, OperatorsSeeASwitchedOffFadump)
{
    QtestQemu q(",fadump=off");
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");
    const auto r = q.qmp({{{"execute", "query-fadump"}}});
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].value("enabled", true), false);
    EXPECT_FALSE((*r)[0].contains("state"));
}

// A reset between ibm,os-term and the dump (here ibm,system-reboot from
// the same qtest read, so QEMU runs both before its main loop acts on
// either): no dump at all. The reset drops the registration; the dump then
// finds nothing to do: DUMP_COMPLETED says no preserving boot, no second
// reset follows, nothing claims a dump.
TEST_F(QemuRtas, AResetBeforeTheDumpRunsGivesNoDumpAndNoSecondReset)
{
    QtestQemu q("");
    ASSERT_TRUE(q.ok());
    q.cmd("readl 0x0");
    ASSERT_NO_FATAL_FAILURE(q.listen());
    auto fdm = linux_like(2);
    q.write(FDM, fdm);
    ASSERT_EQ(q.configure(1, FDM, static_cast<uint32_t>(fdm.size())), FADUMP_RTAS_SUCCESS);
    q.cmd("writel 0x1000 0x1200");
    const auto answers = q.cmds({"rtas ibm,os-term 1 0x1000 1 0x1100", "rtas system-reboot 0 0x0 1 0x1180"});
    ASSERT_EQ(answers, (std::vector<std::string>{"OK 0", "OK 0"}));
    EXPECT_EQ(q.cmd("readl 0x1100"), "OK 0x0000000000000000");  // os-term: success
    std::vector<std::string> seen;
    nlohmann::json completed;
    for (int i = 0; i < 20 && completed.is_null(); ++i) {
        for (const auto& e : q.events(0.5)) {
            const std::string name = e["event"];
            if (name == "RESET" || name == "FADUMP_DUMP_STARTED") {
                seen.push_back(name);
            } else if (name == "FADUMP_DUMP_COMPLETED") {
                seen.push_back(name);
                completed = e["data"]["dump"];
            }
        }
    }
    for (const auto& e : q.events(1)) {  // anything after: a second reset
        if (e["event"] == "RESET") {
            seen.push_back("RESET");
        }
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"FADUMP_DUMP_STARTED", "RESET", "FADUMP_DUMP_COMPLETED"}));
    EXPECT_EQ(completed.value("preserving-boot", true), false) << completed.dump();
    EXPECT_EQ(completed.value("bytes", 1u), 0u) << completed.dump();
    const auto r = q.qmp({{{"execute", "query-fadump"}}});
    ASSERT_TRUE(r);
    EXPECT_NE((*r)[0].value("state", ""), "dump-active") << (*r)[0].dump();
    const auto dtb = q.dtb();
    ASSERT_FALSE(dtb.empty());
    int plen = 0;
    EXPECT_EQ(fdt_getprop(dtb.data(), fdt_path_offset(dtb.data(), "/rtas"), "ibm,kernel-dump", &plen), nullptr);
}

// QMP inject-sbe-s0 (what a BMC does on PowerNV) refuses what the SBE would
// ignore or cannot do, and says why; query-fadump shows PowerNV's side.
TEST_F(QemuMigration, HostS0IsRefusedWhereTheSbeWouldIgnoreIt)
{
    QtestQemu pnv("", "1", {}, "powernv10");
    ASSERT_TRUE(pnv.ok());
    pnv.cmd("readl 0x0");
    const auto info = pnv.qmp({{{"execute", "query-fadump"}}});
    ASSERT_TRUE(info);
    EXPECT_EQ((*info)[0].value("platform", ""), "powernv");
    EXPECT_EQ((*info)[0].value("enabled", false), true);
    EXPECT_EQ((*info)[0]["stash"].size(), 0u);  // no skiboot ran: nothing stashed
    EXPECT_EQ((*info)[0].value("mpipl-boot", true), false);
    EXPECT_FALSE(pnv.qmp({{{"execute", "inject-sbe-s0"}}}, true));
    EXPECT_NE(pnv.last_error().find("no SBE holds skiboot's base"), std::string::npos) << pnv.last_error();
    EXPECT_FALSE(pnv.qmp({{{"execute", "inject-sbe-s0"}, {"arguments", {{"chip", 5}}}}}, true));
    EXPECT_NE(pnv.last_error().find("no chip 5"), std::string::npos) << pnv.last_error();
    QtestQemu off(",mpipl=off", "1", {}, "powernv10");
    ASSERT_TRUE(off.ok());
    off.cmd("readl 0x0");
    EXPECT_FALSE(off.qmp({{{"execute", "inject-sbe-s0"}}}, true));
    EXPECT_NE(off.last_error().find("MPIPL is off"), std::string::npos) << off.last_error();
    QtestQemu ps("");
    ASSERT_TRUE(ps.ok());
    ps.cmd("readl 0x0");
    EXPECT_FALSE(ps.qmp({{{"execute", "inject-sbe-s0"}}}, true));
    EXPECT_NE(ps.last_error().find("needs a PowerNV machine"), std::string::npos) << ps.last_error();
}

namespace {

// skiboot's STASH_MPIPL_CONFIG (chip-op 0xD707, key 0x03: its base) to
// chip 0's SBE of a powernv10, through the XSCOM MMIO window as the OS's
// putscom would: mailbox registers 0-2, then the host-to-SBE doorbell.
void stash_skiboot_base(QtestQemu& q, uint64_t base)
{
    const uint64_t xscom = 0x000603fc00000000ULL;  // chip 0's XSCOM window on POWER10
    const uint64_t mbox = 0xD0050;                 // its SBE mailbox (PCB address)
    auto reg = [&](uint64_t pcba) { return "0x" + QtestQemu::to_hex(xscom + (pcba << 3)); };
    EXPECT_EQ(q.cmd("writeq " + reg(mbox + 0) + " 0x1d707"), "OK");  // sequence 1, STASH_MPIPL_CONFIG
    EXPECT_EQ(q.cmd("writeq " + reg(mbox + 1) + " 0x3"), "OK");      // key: skiboot's base
    EXPECT_EQ(q.cmd("writeq " + reg(mbox + 2) + " 0x" + QtestQemu::to_hex(base)), "OK");
    EXPECT_EQ(q.cmd("writeq " + reg(mbox + 0x10) + " 0x8000000000000000"), "OK");  // message waiting
}

// A big-endian ppc64 ELF with one PT_LOAD of `size` bytes at physical 0,
// which QEMU's pseries loads at its kernel address (0x400000).
void write_tiny_kernel(const fs::path& path, uint32_t size)
{
    auto be = [](std::vector<uint8_t>& v, size_t off, uint64_t x, int n) {
        for (int i = 0; i < n; ++i) {
            v[off + i] = static_cast<uint8_t>(x >> (8 * (n - 1 - i)));
        }
    };
    std::vector<uint8_t> f(0x1000 + size, 0);
    const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 2 /* big-endian */, 1};
    std::memcpy(f.data(), ident, sizeof ident);
    be(f, 16, 2, 2);        // e_type ET_EXEC
    be(f, 18, 21, 2);       // e_machine EM_PPC64
    be(f, 20, 1, 4);        // e_version
    be(f, 24, 0, 8);        // e_entry
    be(f, 32, 64, 8);       // e_phoff
    be(f, 52, 64, 2);       // e_ehsize
    be(f, 54, 56, 2);       // e_phentsize
    be(f, 56, 1, 2);        // e_phnum
    be(f, 64, 1, 4);        // p_type PT_LOAD
    be(f, 68, 7, 4);        // p_flags RWX
    be(f, 72, 0x1000, 8);   // p_offset
    be(f, 80, 0, 8);        // p_vaddr
    be(f, 88, 0, 8);        // p_paddr
    be(f, 96, size, 8);     // p_filesz
    be(f, 104, size, 8);    // p_memsz
    be(f, 112, 0x1000, 8);  // p_align
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
}

}  // namespace

// Once an MPIPL dumped the machine, the SBE ignores S0 until the IPL (the
// reset) runs; with -action reboot=shutdown,shutdown=pause the reset never
// comes and the machine stays paused: inject-sbe-s0 must say so, not answer
// {} for an S0 nothing acts on (QMP system_reset is a shutdown too under
// that policy: only quitting ends it).
TEST_F(QemuMigration, HostS0AfterTheDumpWithTheIplPendingIsRefused)
{
    QtestQemu pnv("", "1", {"-action", "reboot=shutdown,shutdown=pause"}, "powernv10", "2G");
    ASSERT_TRUE(pnv.ok());
    pnv.cmd("readl 0x0");
    stash_skiboot_base(pnv, 0x30000000);
    const auto info = pnv.qmp({{{"execute", "query-fadump"}}});
    ASSERT_TRUE(info);
    ASSERT_EQ((*info)[0]["stash"].size(), 1u) << (*info)[0].dump();
    ASSERT_TRUE(pnv.qmp({{{"execute", "inject-sbe-s0"}}}));
    auto status = [&] {
        const auto r = pnv.qmp({{{"execute", "query-status"}}});
        return r ? (*r)[0].value("status", "") : "";
    };
    for (int i = 0; i < 100 && status() != "shutdown"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(status(), "shutdown") << "the dump's reboot under reboot=shutdown,shutdown=pause";
    EXPECT_FALSE(pnv.qmp({{{"execute", "inject-sbe-s0"}}}, true));
    EXPECT_NE(pnv.last_error().find("IPL (the reset) has not run"), std::string::npos) << pnv.last_error();
    const auto after = pnv.qmp({{{"execute", "query-fadump"}}});
    ASSERT_TRUE(after);
    EXPECT_EQ((*after)[0].value("mpipl-ipl-pending", false), true) << (*after)[0].dump();
    EXPECT_EQ((*after)[0].value("mpipl-in-progress", true), false);
}

// Every reset reloads -kernel and -initrd into guest RAM before the capture
// kernel runs: a destination there would be overwritten, so REGISTER refuses
// it with -3 (before, only a destination below 128 MiB was warned about).
TEST_F(QemuRtas, DestinationsTheResetReloadsAreParameterErrors)
{
    const fs::path dir = fs::temp_directory_path() / ("fadump-reload-" + std::to_string(getpid()));
    fs::create_directories(dir);
    write_tiny_kernel(dir / "vmlinux", 0x100000);
    std::ofstream(dir / "initrd", std::ios::binary) << std::string(0x200000, 'i');
    QtestQemu q("", "2", {"-kernel", (dir / "vmlinux").string(), "-initrd", (dir / "initrd").string()});
    ASSERT_TRUE(q.ok());
    ASSERT_NE(q.cmd("readl 0x0"), "TIMEOUT") << q.stderr_text();
    const uint64_t cpu = fadump_spapr_cpu_state_size(2);
    auto fdm_to = [&](uint64_t dst) {
        FdmBuilder b;
        b.section(0x0001, 0, cpu, 0x20000000).section(0x0011, 0x100000, 0x10000, dst);
        return b.bytes();
    };
    // The kernel at 0x400000 (1 MiB), the initrd 64 KiB-aligned after it.
    for (const uint64_t dst : {uint64_t{0x400000}, uint64_t{0x4FF000}, uint64_t{0x520000}, uint64_t{0x6F0000}}) {
        const auto fdm = fdm_to(dst);
        q.write(FDM, fdm);
        EXPECT_EQ(q.configure(1, FDM, static_cast<uint32_t>(fdm.size())), FADUMP_RTAS_PARAM_ERROR) << std::hex << dst;
    }
    const auto fdm = fdm_to(0x21000000);
    q.write(FDM, fdm);
    EXPECT_EQ(q.configure(1, FDM, static_cast<uint32_t>(fdm.size())), FADUMP_RTAS_SUCCESS);
    fs::remove_all(dir);
}
