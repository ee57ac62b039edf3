// The RTAS interface of the built QEMU, with no guest kernel: QEMU's qtest
// accelerator writes guest memory and calls ibm,configure-kernel-dump, and
// QMP dumpdtb shows the /rtas properties. Needs FADUMP_QEMU (the binary)
// and FADUMP_FIRMWARE (its -L directory). Every answer is awaited at most
// FADUMP_QTEST_TIMEOUT seconds (default 30): a QEMU that stops answering
// fails the test instead of blocking it. QMP replies are parsed as JSON.
#include <gtest/gtest.h>
#include <libfdt.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

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

double answer_timeout_s()
{
    const std::string v = env("FADUMP_QTEST_TIMEOUT");
    return v.empty() ? 30 : std::stod(v);
}

// Lines from a descriptor, each awaited at most a deadline.
class LineReader {
public:
    explicit LineReader(int fd = -1) : m_fd(fd) {}
    /// The next line (without "\n"), or nullopt on EOF or when `timeout_s`
    /// passes first.
    std::optional<std::string> next(double timeout_s)
    {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (true) {
            const auto nl = m_buf.find('\n');
            if (nl != std::string::npos) {
                std::string line = m_buf.substr(0, nl);
                m_buf.erase(0, nl + 1);
                return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            if (m_fd < 0 || left.count() <= 0) {
                return std::nullopt;
            }
            pollfd pfd{m_fd, POLLIN, 0};
            const int n = poll(&pfd, 1, static_cast<int>(left.count()) + 1);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return std::nullopt;
            }
            char buf[4096];
            ssize_t r;
            do {
                r = read(m_fd, buf, sizeof buf);
            } while (r < 0 && errno == EINTR);
            if (r <= 0) {
                return std::nullopt;
            }
            m_buf.append(buf, static_cast<size_t>(r));
        }
    }

private:
    int m_fd;
    std::string m_buf;
};

// A QEMU under -accel qtest, driven line by line over pipes, plus QMP.
class QtestQemu {
public:
    explicit QtestQemu(const std::string& machine_opts, const std::string& smp = "2")
    {
        signal(SIGPIPE, SIG_IGN);   // a QEMU that died must fail the test, not kill it
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
        m_out_fd = from_q[0];
        m_out = LineReader(m_out_fd);
    }
    ~QtestQemu()
    {
        if (m_in) {
            std::fclose(m_in);
        }
        if (m_out_fd >= 0) {
            close(m_out_fd);
        }
        if (m_pid > 0) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    bool ok() const { return m_in && m_out_fd >= 0 && m_pid > 0; }

    /// One qtest command and its answer; "TIMEOUT" (a test failure, and
    /// every later command answers it at once) when QEMU stops answering.
    std::string cmd(const std::string& line)
    {
        if (m_silent) {
            return "TIMEOUT";
        }
        std::fprintf(m_in, "%s\n", line.c_str());
        std::fflush(m_in);
        const double timeout = answer_timeout_s();
        while (const auto s = m_out.next(timeout)) {
            if (s->rfind("IRQ", 0) != 0) {
                return *s;
            }
        }
        m_silent = true;
        ADD_FAILURE() << "QEMU did not answer within " << timeout << " s (or closed its output): " << line;
        return "TIMEOUT";
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
        if (v.rfind("OK 0x", 0) != 0) {
            ADD_FAILURE() << "readl answered \"" << v << "\"";
            return INT32_MIN;
        }
        return static_cast<int32_t>(std::stoul(v.substr(5), nullptr, 16));
    }
    // The device tree QEMU built at reset, through QMP dumpdtb (empty, with
    // a test failure, when QMP fails or does not answer in time).
    std::vector<char> dtb()
    {
        const std::string path = (m_dir / "dump.dtb").string();
        const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, m_qmp.c_str(), sizeof sa.sun_path - 1);
        bool connected = false;
        for (int i = 0; i < 100 && !(connected = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (!connected) {
            close(fd);
            ADD_FAILURE() << "cannot connect to QMP at " << m_qmp;
            return {};
        }
        const nlohmann::json caps = {{"execute", "qmp_capabilities"}, {"id", "caps"}};
        const nlohmann::json dump = {{"execute", "dumpdtb"}, {"arguments", {{"filename", path}}}, {"id", "dtb"}};
        const std::string req = caps.dump() + "\n" + dump.dump() + "\n";
        if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
            close(fd);
            ADD_FAILURE() << "cannot send QMP commands";
            return {};
        }
        // Replies, the greeting and events are one JSON object per line;
        // ours carry their "id".
        LineReader qmp(fd);
        bool done = false;
        while (!done) {
            const auto line = qmp.next(answer_timeout_s());
            if (!line) {
                ADD_FAILURE() << "QMP did not answer dumpdtb within " << answer_timeout_s() << " s";
                break;
            }
            const auto reply = nlohmann::json::parse(*line, nullptr, false);
            if (reply.is_discarded() || !reply.is_object()) {
                ADD_FAILURE() << "QMP sent something that is not a JSON object: " << *line;
                break;
            }
            if (!reply.contains("id")) {
                continue;   // the greeting, an event
            }
            if (reply.contains("error")) {
                ADD_FAILURE() << "QMP " << reply["id"] << " failed: " << reply["error"].dump();
                break;
            }
            done = reply["id"] == "dtb" && reply.contains("return");
        }
        close(fd);
        if (!done) {
            return {};
        }
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
    int m_out_fd = -1;
    LineReader m_out;
    bool m_silent = false;   // stopped answering: fail fast from then on
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
