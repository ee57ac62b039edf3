// Host traffic into the guest while it crashes: a stream of Ethernet
// broadcast frames sent over UDP to QEMU's `-netdev dgram` (each datagram
// is one frame the guest's NIC receives), so the NIC keeps writing guest
// memory up to the instant the machine stops for the dump.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace lab {

class NetFlood {
public:
    /// Binds the sending socket on 127.0.0.1 and picks the port QEMU will
    /// listen on; nullopt with `*err` when the host has no loopback UDP.
    static std::unique_ptr<NetFlood> make(std::string* err);
    /// Stops sending and joins the sender.
    ~NetFlood();
    NetFlood(const NetFlood&) = delete;
    NetFlood& operator=(const NetFlood&) = delete;

    /// QEMU's arguments for a NIC on this flood: `device` is the QEMU
    /// device ("virtio-net-pci", or pseries' "spapr-vlan"), `bus` where it
    /// goes ("" for the machine's default; PCI devices only).
    [[nodiscard]] std::vector<std::string> qemu_args(const std::string& device, const std::string& bus) const;
    /// Starts sending (QEMU must be listening by then; datagrams sent
    /// before are lost, which is harmless).
    void start();
    /// Frames sent so far.
    [[nodiscard]] uint64_t sent() const { return m_sent.load(); }

    /// The frame numbered `n`: broadcast destination, a local source MAC,
    /// EtherType 0x88b5 (local experimental), `n` and a pattern derived
    /// from it in the payload, so consecutive frames differ everywhere.
    static std::vector<uint8_t> frame(uint64_t n);

private:
    NetFlood(int fd, uint16_t own_port, uint16_t qemu_port);
    void run();

    int m_fd;
    uint16_t m_own_port;
    uint16_t m_qemu_port;
    std::atomic<bool> m_stop{false};
    std::atomic<uint64_t> m_sent{0};
    std::thread m_thread;
};

}  // namespace lab
