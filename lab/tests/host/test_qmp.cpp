// The lab's QMP client against a scripted QMP server on a Unix socket:
// events arriving between commands are kept (the lab waits on them), and a
// QEMU that goes away is an error, not an endless wait.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "qmp.hpp"

namespace {

// A one-client QMP server: greeting, the answer to qmp_capabilities, then
// `after` (raw lines) and it closes the connection.
class FakeQmp {
public:
    explicit FakeQmp(std::string after)
        : m_path((std::filesystem::temp_directory_path() / ("fadump-qmp-test-" + std::to_string(::getpid()))).string())
    {
        m_listen = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, m_path.c_str(), sizeof addr.sun_path - 1);
        ::unlink(m_path.c_str());
        EXPECT_EQ(::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(m_listen, 1), 0);
        m_thread = std::thread([this, after = std::move(after)] {
            const int c = ::accept(m_listen, nullptr, nullptr);
            if (c < 0) {
                return;
            }
            send(c, R"({"QMP": {"version": {}, "capabilities": []}})"
                    "\n");
            char buf[256];
            (void)::read(c, buf, sizeof buf);  // qmp_capabilities
            send(c, R"({"return": {}})"
                    "\n");
            send(c, after);
            ::close(c);
        });
    }
    ~FakeQmp()
    {
        m_thread.join();
        ::close(m_listen);
        ::unlink(m_path.c_str());
    }
    FakeQmp(const FakeQmp&) = delete;
    FakeQmp& operator=(const FakeQmp&) = delete;
    [[nodiscard]] const std::string& path() const { return m_path; }

private:
    static void send(int fd, const std::string& s) { (void)::write(fd, s.data(), s.size()); }
    std::string m_path;
    int m_listen = -1;
    std::thread m_thread;
};

TEST(Qmp, PollKeepsTheEventsThatArriveBetweenCommands)
{
    FakeQmp server(R"({"event": "FADUMP_STATE_CHANGED", "data": {"state": "registered"}, )"
                   R"("timestamp": {"seconds": 1, "microseconds": 2}})"
                   "\n");
    std::string err;
    auto q = lab::Qmp::connect(server.path(), 5, &err);
    ASSERT_TRUE(q) << err;
    for (int i = 0; i < 100 && q->events().empty(); ++i) {
        q->poll_events(0.05, &err);
    }
    ASSERT_EQ(q->events().size(), 1U);
    EXPECT_EQ(q->events()[0]["data"]["state"], "registered");
}

TEST(Qmp, PollSaysWhenQemuIsGone)
{
    FakeQmp server("");
    std::string err;
    auto q = lab::Qmp::connect(server.path(), 5, &err);
    ASSERT_TRUE(q) << err;
    bool alive = true;
    for (int i = 0; i < 100 && alive; ++i) {
        alive = q->poll_events(0.05, &err);
    }
    EXPECT_FALSE(alive);
    EXPECT_NE(err.find("closed"), std::string::npos) << err;
}

}  // namespace
