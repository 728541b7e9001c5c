// PairRelay forwards both ways, holds each direction on its own, and lets
// what it held through once released.
#include "tests/chaos/relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
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

// A target listening, a relay in front of it, and one connection through it.
class RelayedConnection : public ::testing::Test {
 protected:
  void SetUp() override {
    int target_port = 0;
    listener_ = Listen(target_port);
    relay_ = std::make_unique<PairRelay>(target_port);
    ASSERT_TRUE(relay_->ok());
    dialer_ = Dial(relay_->port());
    accepted_ = accept(listener_, nullptr, nullptr);
    ASSERT_GE(accepted_, 0);
  }
  void TearDown() override {
    relay_.reset();
    for (int fd : {dialer_, accepted_, listener_}) {
      if (fd >= 0) close(fd);
    }
  }

  int listener_ = -1, dialer_ = -1, accepted_ = -1;
  std::unique_ptr<PairRelay> relay_;
};

TEST_F(RelayedConnection, ForwardsHoldsEachDirectionAndReleases) {
  ASSERT_EQ(write(dialer_, "ping", 4), 4);
  EXPECT_EQ(ReadFor(accepted_, 2000), "ping");
  ASSERT_EQ(write(accepted_, "pong", 4), 4);
  EXPECT_EQ(ReadFor(dialer_, 2000), "pong");

  // Forward held: nothing reaches the target, the way back still works.
  relay_->Hold(true, false);
  ASSERT_EQ(write(dialer_, "held", 4), 4);
  EXPECT_EQ(ReadFor(accepted_, 300), "");
  ASSERT_EQ(write(accepted_, "back", 4), 4);
  EXPECT_EQ(ReadFor(dialer_, 2000), "back");

  // Released: the held bytes arrive.
  relay_->Hold(false, false);
  EXPECT_EQ(ReadFor(accepted_, 2000), "held");

  // Backward held.
  relay_->Hold(false, true);
  ASSERT_EQ(write(accepted_, "late", 4), 4);
  EXPECT_EQ(ReadFor(dialer_, 300), "");
  relay_->Hold(false, false);
  EXPECT_EQ(ReadFor(dialer_, 2000), "late");
}

TEST_F(RelayedConnection, DelaysOneDirection) {
  relay_->Delay(300, 0);
  ASSERT_EQ(write(dialer_, "slow", 4), 4);
  EXPECT_EQ(ReadFor(accepted_, 150), "");  // not yet
  EXPECT_EQ(ReadFor(accepted_, 2000), "slow");
  ASSERT_EQ(write(accepted_, "fast", 4), 4);
  EXPECT_EQ(ReadFor(dialer_, 150), "fast");  // the other way is on time
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
