// The OPAL core's gdb check against real gdb-multiarch output on the OPAL
// core of a powernv10 MPIPL (-smp 2: PIRs 0 and 4, CPU 0 stopped inside
// skiboot), with the registers of that run's ground truth (pir, nip, lr,
// r1; the run found them equal), and the same mutated.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "opalcore_checks.hpp"

namespace {

std::string data(const std::string& name)
{
    std::ifstream f(std::string(FADUMP_LAB_TEST_DATA) + "/opalcore-powernv10/" + name);
    EXPECT_TRUE(f) << name;
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// The run's ground truth (version 3, registers as "0x..." text), as the
// typed document the checks take.
fadump::GroundTruthDoc truth()
{
    const auto hex = [](const nlohmann::json& v) { return std::stoull(v.get<std::string>(), nullptr, 16); };
    fadump::GroundTruthDoc d;
    const auto recorded = nlohmann::json::parse(data("ground-truth-cpus.json"));
    for (const auto& c : recorded.at("cpus")) {
        fadump::TruthCpu t;
        t.cpu_index = c.at("cpu_index").get<uint32_t>();
        t.pir = c.at("pir").get<uint32_t>();
        t.nip = hex(c.at("nip"));
        t.lr = hex(c.at("lr"));
        for (size_t g = 0; g < c.at("gpr").size(); ++g) {
            t.gpr[g] = hex(c.at("gpr")[g]);
        }
        d.cpus.push_back(t);
    }
    return d;
}

TEST(OpalcoreGdb, ParsesEveryThreadsRegisters)
{
    const auto t = lab::parse_gdb_thread_registers(data("gdb-opalcore.txt"));
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t.at(100).at("pc"), 0x300479acu);
    EXPECT_EQ(t.at(104).at("lr"), 0xc000000000073fe0u);
    EXPECT_EQ(t.at(104).at("r1"), 0xc00000007bf57d50u);
}

TEST(OpalcoreGdb, PassesTheRealCoreAndFailsMutations)
{
    const std::string text = data("gdb-opalcore.txt");
    const auto ok = lab::judge_opalcore_registers(lab::parse_gdb_thread_registers(text), truth());
    EXPECT_TRUE(ok.ok) << ok.detail;

    // A thread whose saved LR is not the CPU's.
    std::string lr = text;
    lr.replace(lr.find("0x300479a4"), 10, "0x300479a8");
    const auto j = lab::judge_opalcore_registers(lab::parse_gdb_thread_registers(lr), truth());
    EXPECT_FALSE(j.ok);
    EXPECT_NE(j.detail.find("PIR 0x0 lr 0x300479a8 != 0x300479a4"), std::string::npos) << j.detail;

    // A CPU without its thread (its NT_PRSTATUS missing).
    auto missing = lab::parse_gdb_thread_registers(text);
    missing.erase(104);
    const auto m = lab::judge_opalcore_registers(missing, truth());
    EXPECT_FALSE(m.ok);
    EXPECT_NE(m.detail.find("no thread LWP 104"), std::string::npos) << m.detail;

    // A thread no CPU had.
    auto extra = lab::parse_gdb_thread_registers(text);
    extra[108] = extra[104];
    EXPECT_FALSE(lab::judge_opalcore_registers(extra, truth()).ok);

    // gdb printed nothing usable.
    EXPECT_FALSE(lab::judge_opalcore_registers({}, truth()).ok);
}

}  // namespace
