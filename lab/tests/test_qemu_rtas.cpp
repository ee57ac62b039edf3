// The RTAS interface of the built QEMU, with no guest kernel: QEMU's qtest
// accelerator writes guest memory and calls ibm,configure-kernel-dump, and
// QMP dumpdtb shows the /rtas properties. Needs FADUMP_QEMU (the binary)
// and FADUMP_FIRMWARE (its -L directory).
#include <gtest/gtest.h>
#include <libfdt.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "fadump/fadump.h"
#include "fadump/papr/fdm.hpp"
#include "fake_guest.hpp"

using fadump::test::FdmBuilder;
namespace fs = std::filesystem;

namespace {

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v ? v : "";
}

// A QEMU under -accel qtest, driven line by line over pipes, plus QMP.
class QtestQemu {
public:
    explicit QtestQemu(const std::string& machine_opts, const std::string& smp = "2")
    {
        m_dir = fs::temp_directory_path() / ("fadump-qtest-" + std::to_string(getpid()) + "-" + std::to_string(s_n++));
        fs::create_directories(m_dir);
        m_qmp = (m_dir / "qmp.sock").string();
        int to_q[2];
        int from_q[2];
        if (pipe(to_q) != 0 || pipe(from_q) != 0) {
            return;
        }
        m_pid = fork();
        if (m_pid == 0) {
            dup2(to_q[0], 0);
            dup2(from_q[1], 1);
            const std::string qemu = env("FADUMP_QEMU");
            const std::string fw = env("FADUMP_FIRMWARE");
            const std::string qmp = "unix:" + m_qmp + ",server=on,wait=off";
            execl(qemu.c_str(), qemu.c_str(), "-M", ("pseries,x-vof=on" + machine_opts).c_str(), "-accel", "qtest",
                  "-qtest", "stdio", "-qtest-log", "/dev/null", "-display", "none", "-nodefaults", "-m", "1G", "-smp", smp.c_str(), "-L",
                  fw.c_str(), "-qmp", qmp.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(to_q[0]);
        close(from_q[1]);
        m_in = fdopen(to_q[1], "w");
        m_out = fdopen(from_q[0], "r");
    }
    ~QtestQemu()
    {
        if (m_in) {
            std::fclose(m_in);
        }
        if (m_out) {
            std::fclose(m_out);
        }
        if (m_pid > 0) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    bool ok() const { return m_in && m_out && m_pid > 0; }

    std::string cmd(const std::string& line)
    {
        std::fprintf(m_in, "%s\n", line.c_str());
        std::fflush(m_in);
        char buf[4096];
        while (std::fgets(buf, sizeof buf, m_out)) {
            std::string s(buf);
            if (s.rfind("IRQ", 0) == 0) {
                continue;
            }
            while (!s.empty() && s.back() == '\n') {
                s.pop_back();
            }
            return s;
        }
        return "EOF";
    }
    void write(uint64_t addr, const std::vector<std::byte>& bytes)
    {
        std::string hex;
        for (auto b : bytes) {
            char h[3];
            std::snprintf(h, sizeof h, "%02x", static_cast<unsigned>(b));
            hex += h;
        }
        ASSERT_EQ(cmd("write 0x" + to_hex(addr) + " " + std::to_string(bytes.size()) + " 0x" + hex), "OK");
    }
    // ibm,configure-kernel-dump(cmd, addr, len) with args/rets at 0x1000.
    int32_t configure(uint32_t c, uint32_t addr, uint32_t len, int nargs = 3)
    {
        cmd("writel 0x1000 0x" + to_hex(c));
        cmd("writel 0x1004 0x" + to_hex(addr));
        cmd("writel 0x1008 0x" + to_hex(len));
        cmd("writel 0x1100 0xdeadbeef");
        const std::string r = cmd("rtas ibm,configure-kernel-dump " + std::to_string(nargs) + " 0x1000 1 0x1100");
        EXPECT_EQ(r, "OK 0");
        const std::string v = cmd("readl 0x1100");
        return static_cast<int32_t>(std::stoul(v.substr(3), nullptr, 16));
    }
    // The device tree QEMU built at reset, through QMP dumpdtb.
    std::vector<char> dtb()
    {
        const std::string path = (m_dir / "dump.dtb").string();
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, m_qmp.c_str(), sizeof sa.sun_path - 1);
        for (int i = 0; i < 100 && connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        const std::string req = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"dumpdtb\",\"arguments\":"
                                "{\"filename\":\"" + path + "\"}}\n";
        (void)::write(fd, req.data(), req.size());
        std::string got;
        char buf[4096];
        while (got.find("\"return\"", got.find("\"return\"") + 1) == std::string::npos) {
            const ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0) {
                break;
            }
            got.append(buf, static_cast<size_t>(n));
        }
        close(fd);
        std::ifstream f(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    }
    static std::string to_hex(uint64_t v)
    {
        char b[20];
        std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
        return b;
    }

private:
    static inline int s_n = 0;
    fs::path m_dir;
    std::string m_qmp;
    pid_t m_pid = -1;
    FILE* m_in = nullptr;
    FILE* m_out = nullptr;
};

constexpr uint32_t FDM = 0x10000;

std::vector<std::byte> linux_like(uint32_t threads)
{
    const uint64_t cpu = fadump_spapr_cpu_state_size(threads);
    FdmBuilder b;
    b.section(0x0001, 0, cpu, 0x10000000)
        .section(0x0002, 0, 0, 0x10000000 + cpu)
        .section(0x0011, 0, 0x8000000, 0x10100000);
    return b.bytes();
}

class QemuRtas : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (env("FADUMP_QEMU").empty() || env("FADUMP_FIRMWARE").empty()) {
            FAIL() << "set FADUMP_QEMU and FADUMP_FIRMWARE (scripts/test does)";
        }
    }
};

}  // namespace

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
    EXPECT_EQ(q.configure(1, FDM, len - 1), FADUMP_RTAS_PARAM_ERROR);      // not the exact length
    EXPECT_EQ(q.configure(1, 0x7FFFFFF0, len), FADUMP_RTAS_PARAM_ERROR);   // outside RAM and the RMA
    EXPECT_EQ(q.configure(9, FDM, len), FADUMP_RTAS_PARAM_ERROR);          // unknown command
    EXPECT_EQ(q.configure(1, FDM, len, 2), FADUMP_RTAS_PARAM_ERROR);       // wrong argument count
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
    q.cmd("readl 0x0");   // qtest is up
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
        return (uint32_t{sizes[4 * i]} << 24) | (uint32_t{sizes[4 * i + 1]} << 16) |
               (uint32_t{sizes[4 * i + 2]} << 8) | sizes[4 * i + 3];
    };
    EXPECT_EQ(be32(0), 1u);
    EXPECT_EQ((uint64_t{be32(1)} << 32) | be32(2), fadump_spapr_cpu_state_size(8));   // maxcpus, SMT included
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
