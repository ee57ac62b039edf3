// The host side of the net-flood scenario: the frames and the stream QEMU's
// -netdev dgram receives.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "net_flood.hpp"

TEST(NetFlood, FramesAreBroadcastsOfTheLocalEtherTypeAndDifferEach)
{
    const auto a = lab::NetFlood::frame(0);
    const auto b = lab::NetFlood::frame(1);
    ASSERT_EQ(a.size(), 1014u);
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(a[i], 0xff) << i;
    }
    EXPECT_EQ(a[6] & 0x01, 0) << "the source MAC must be unicast";
    EXPECT_EQ(a[6] & 0x02, 0x02) << "and locally administered";
    EXPECT_EQ(a[12], 0x88);
    EXPECT_EQ(a[13], 0xb5);
    EXPECT_NE(a, b);
    EXPECT_EQ(a, lab::NetFlood::frame(0));
}

// What QEMU would receive: the port named in -netdev's local.port gets the
// frames, one per datagram, from the port named in remote.port.
TEST(NetFlood, SendsFramesToThePortItGivesQemu)
{
    std::string err;
    auto flood = lab::NetFlood::make(&err);
    ASSERT_NE(flood, nullptr) << err;
    const auto args = flood->qemu_args("virtio-net-pci", "bus=pcie.4,addr=0x0");
    ASSERT_EQ(args.size(), 4u);
    EXPECT_EQ(args[0], "-netdev");
    EXPECT_EQ(args[2], "-device");
    EXPECT_NE(args[3].find("virtio-net-pci,netdev=flood"), std::string::npos);
    EXPECT_NE(args[3].find(",bus=pcie.4,addr=0x0"), std::string::npos);
    // pseries' own virtual Ethernet is not PCI: no option ROM, no bus.
    const auto vlan = flood->qemu_args("spapr-vlan", "");
    ASSERT_EQ(vlan.size(), 4u);
    EXPECT_EQ(vlan[3], "spapr-vlan,netdev=flood,mac=52:54:00:fa:d0:01");
    const auto at = args[1].find("local.port=");
    ASSERT_NE(at, std::string::npos) << args[1];
    const int port = std::stoi(args[1].substr(at + 11));

    const int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(rx, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(static_cast<uint16_t>(port));
    ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    flood->start();
    pollfd p{rx, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1) << "no frame within 5 s";
    std::vector<uint8_t> got(2048);
    const ssize_t n = recv(rx, got.data(), got.size(), 0);
    ASSERT_EQ(n, 1014);
    got.resize(static_cast<size_t>(n));
    EXPECT_EQ(got, lab::NetFlood::frame(0));
    flood.reset();  // stops and joins the sender
    close(rx);
}
