// PeerTransport on 127.0.0.1: a connection to the peer port that never
// names itself is cut after kHandshakeTimeout, and a link that did stays up
// past it.
#include "server/peer_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <thread>

#include "gtest/gtest.h"
#include "tests/free_port.h"
#include "tests/wait_until.h"

namespace zabkeeper::server {
namespace {

using ::zabkeeper::testing::FreePort;
using ::zabkeeper::testing::WaitUntil;

std::map<int64_t, PeerAddress> TwoServers(int port1, int port2) {
  std::map<int64_t, PeerAddress> servers;
  servers[1].host = "127.0.0.1";
  servers[1].peer_port = port1;
  servers[2].host = "127.0.0.1";
  servers[2].peer_port = port2;
  return servers;
}

// What a transport's callbacks saw.
struct Seen {
  std::atomic<int> up{0};
  std::atomic<int> down{0};
  std::atomic<int> frames{0};

  PeerTransport::Callbacks Callbacks() {
    PeerTransport::Callbacks c;
    c.up = [this](uint64_t) { ++up; };
    c.down = [this](uint64_t) { ++down; };
    c.frame = [this](uint64_t, proto::PeerFrame) { ++frames; };
    return c;
  }
};

TEST(PeerTransport, ConnectionThatNeverSaysHello_IsCutAfterTheHandshakeTimeout) {
  const int port1 = FreePort();  // server 1 never runs: 2 only accepts
  const int port2 = FreePort();
  Seen seen;
  PeerTransport transport(2, TwoServers(port1, port2), seen.Callbacks());
  ASSERT_TRUE(transport.Start().ok());

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port2));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // Bounded: a transport that never cuts the connection fails the test here.
  timeval limit{};
  limit.tv_sec =
      4 *
      std::chrono::duration_cast<std::chrono::seconds>(PeerTransport::kHandshakeTimeout).count();
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)), 0);

  const auto start = std::chrono::steady_clock::now();
  char byte;
  const ssize_t n = recv(fd, &byte, 1, 0);
  const int err = errno;
  const auto waited = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_TRUE(n == 0 || (n < 0 && err == ECONNRESET))
      << "the silent connection was not cut: recv returned " << n << ", errno " << err;
  // Not before its time: a slow but real peer gets the whole timeout.
  EXPECT_GE(waited, PeerTransport::kHandshakeTimeout - std::chrono::milliseconds(100));
  EXPECT_EQ(seen.up.load(), 0);
  EXPECT_EQ(seen.frames.load(), 0);
  transport.Stop();
}

TEST(PeerTransport, LinkThatSaidHello_StaysUpPastTheHandshakeTimeout) {
  const int port1 = FreePort();
  const int port2 = FreePort();
  Seen seen1;
  Seen seen2;
  PeerTransport t1(1, TwoServers(port1, port2), seen1.Callbacks());
  PeerTransport t2(2, TwoServers(port1, port2), seen2.Callbacks());
  ASSERT_TRUE(t2.Start().ok());
  ASSERT_TRUE(t1.Start().ok());  // 1 dials 2
  ASSERT_TRUE(WaitUntil([&] { return seen1.up.load() == 1 && seen2.up.load() == 1; },
                        std::chrono::seconds(10)));

  // What is checked is that nothing happens: the time must pass.
  std::this_thread::sleep_for(PeerTransport::kHandshakeTimeout + std::chrono::milliseconds(500));
  EXPECT_EQ(seen1.down.load(), 0);
  EXPECT_EQ(seen2.down.load(), 0);
  proto::PeerFrame frame;
  frame.set_from(1);
  t1.Send(2, frame);
  EXPECT_TRUE(WaitUntil([&] { return seen2.frames.load() == 1; }, std::chrono::seconds(10)));
  t1.Stop();
  t2.Stop();
}

}  // namespace
}  // namespace zabkeeper::server
