#include "net_flood.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace lab {
namespace {

constexpr size_t FRAME_BYTES = 1014;  // 14-byte header, 1000 bytes of payload

// A UDP socket bound to 127.0.0.1 on a free port, and that port; -1 on failure.
int bound_udp(uint16_t* port, std::string* err)
{
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = fmt::format("socket: {}", std::strerror(errno));
        return -1;
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        *err = fmt::format("bind 127.0.0.1: {}", std::strerror(errno));
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

}  // namespace

std::unique_ptr<NetFlood> NetFlood::make(std::string* err)
{
    uint16_t own = 0;
    uint16_t qemu = 0;
    const int fd = bound_udp(&own, err);
    if (fd < 0) {
        return nullptr;
    }
    // A free port for QEMU: bound once, released for QEMU to take.
    const int probe = bound_udp(&qemu, err);
    if (probe < 0) {
        close(fd);
        return nullptr;
    }
    close(probe);
    return std::unique_ptr<NetFlood>(new NetFlood(fd, own, qemu));
}

NetFlood::NetFlood(int fd, uint16_t own_port, uint16_t qemu_port)
    : m_fd(fd), m_own_port(own_port), m_qemu_port(qemu_port)
{
}

NetFlood::~NetFlood()
{
    m_stop = true;
    if (m_thread.joinable()) {
        m_thread.join();
    }
    close(m_fd);
}

std::vector<std::string> NetFlood::qemu_args(const std::string& device, const std::string& bus) const
{
    const bool pci = device.ends_with("-pci");
    return {"-netdev",
            fmt::format("dgram,id=flood,local.type=inet,local.host=127.0.0.1,local.port={},"
                        "remote.type=inet,remote.host=127.0.0.1,remote.port={}",
                        m_qemu_port, m_own_port),
            "-device",
            device + ",netdev=flood,mac=52:54:00:fa:d0:01" + (pci ? ",romfile=" : "") +
                (pci && !bus.empty() ? "," + bus : "")};
}

void NetFlood::start()
{
    if (!m_thread.joinable()) {
        m_thread = std::thread([this] { run(); });
    }
}

std::vector<uint8_t> NetFlood::frame(uint64_t n)
{
    std::vector<uint8_t> f(FRAME_BYTES);
    std::memset(f.data(), 0xff, 6);                               // broadcast
    const uint8_t src[6] = {0x52, 0x54, 0x00, 0xfa, 0xd0, 0x02};  // a local MAC
    std::memcpy(f.data() + 6, src, sizeof src);
    f[12] = 0x88;
    f[13] = 0xb5;
    for (size_t i = 14; i < f.size(); ++i) {
        f[i] = static_cast<uint8_t>((n >> (8 * (i % 8))) ^ (i * 131));
    }
    return f;
}

void NetFlood::run()
{
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(m_qemu_port);
    uint64_t n = 0;
    while (!m_stop) {
        // Bursts of 64 frames, then a millisecond: tens of thousands of
        // frames a second, without taking a host core from the guest.
        for (int i = 0; i < 64 && !m_stop; ++i, ++n) {
            const auto f = frame(n);
            if (sendto(m_fd, f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) > 0) {
                ++m_sent;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace lab
