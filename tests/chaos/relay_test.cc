// PairRelay forwards both ways, holds each direction on its own, and lets
// what it held through once released.
#include "tests/chaos/relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace zabkeeper::chaos {
namespace {

int Listen(int& port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(listen(fd, 4), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

int Dial(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// What arrives on `fd` within `ms` (empty if nothing).
std::string ReadFor(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return "";
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST(PairRelay, ForwardsHoldsEachDirectionAndReleases) {
  int target_port = 0;
  const int listener = Listen(target_port);
  PairRelay relay(target_port);
  ASSERT_TRUE(relay.ok());
  const int dialer = Dial(relay.port());
  const int accepted = accept(listener, nullptr, nullptr);
  ASSERT_GE(accepted, 0);

  ASSERT_EQ(write(dialer, "ping", 4), 4);
  EXPECT_EQ(ReadFor(accepted, 2000), "ping");
  ASSERT_EQ(write(accepted, "pong", 4), 4);
  EXPECT_EQ(ReadFor(dialer, 2000), "pong");

  // Forward held: nothing reaches the target, the way back still works.
  relay.Hold(true, false);
  ASSERT_EQ(write(dialer, "held", 4), 4);
  EXPECT_EQ(ReadFor(accepted, 300), "");
  ASSERT_EQ(write(accepted, "back", 4), 4);
  EXPECT_EQ(ReadFor(dialer, 2000), "back");

  // Released: the held bytes arrive.
  relay.Hold(false, false);
  EXPECT_EQ(ReadFor(accepted, 2000), "held");

  // Backward held.
  relay.Hold(false, true);
  ASSERT_EQ(write(accepted, "late", 4), 4);
  EXPECT_EQ(ReadFor(dialer, 300), "");
  relay.Hold(false, false);
  EXPECT_EQ(ReadFor(dialer, 2000), "late");

  close(dialer);
  close(accepted);
  close(listener);
}

TEST(PairRelay, DelaysOneDirection) {
  int target_port = 0;
  const int listener = Listen(target_port);
  PairRelay relay(target_port);
  ASSERT_TRUE(relay.ok());
  const int dialer = Dial(relay.port());
  const int accepted = accept(listener, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  relay.Delay(300, 0);
  ASSERT_EQ(write(dialer, "slow", 4), 4);
  EXPECT_EQ(ReadFor(accepted, 150), "");  // not yet
  EXPECT_EQ(ReadFor(accepted, 2000), "slow");
  ASSERT_EQ(write(accepted, "fast", 4), 4);
  EXPECT_EQ(ReadFor(dialer, 150), "fast");  // the other way is on time
  close(dialer);
  close(accepted);
  close(listener);
}

TEST(PairRelay, TargetDownEndsTheDialersConnection) {
  int port = 0;
  const int listener = Listen(port);
  close(listener);  // nothing listens on `port` now
  PairRelay relay(port);
  ASSERT_TRUE(relay.ok());
  const int dialer = Dial(relay.port());
  pollfd p{dialer, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  char c;
  EXPECT_LE(read(dialer, &c, 1), 0);  // EOF or reset, not data
  close(dialer);
}

}  // namespace
}  // namespace zabkeeper::chaos
