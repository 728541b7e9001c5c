#include "tests/chaos/relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace zabkeeper::chaos {
namespace {

constexpr int kPollMs = 20;  // how soon a stop or a release is noticed

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

// Waits until `fd` is ready for `events`; false on stop or timeout.
bool WaitReady(int fd, short events, const std::atomic<bool>& stop) {
  pollfd p{fd, events, 0};
  return !stop.load() && poll(&p, 1, kPollMs) > 0;
}

}  // namespace

PairRelay::PairRelay(int target_port) : target_port_(target_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listen_fd_ >= 0) close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

PairRelay::~PairRelay() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : conns_) {
    c->forward.join();
    c->backward.join();
    close(c->client_fd);
    close(c->target_fd);
  }
  if (listen_fd_ >= 0) close(listen_fd_);
}

void PairRelay::Hold(bool forward, bool backward) {
  hold_forward_ = forward;
  hold_backward_ = backward;
}

void PairRelay::Delay(int forward_ms, int backward_ms) {
  delay_forward_ms_ = forward_ms;
  delay_backward_ms_ = backward_ms;
}

void PairRelay::AcceptLoop() {
  while (!stop_.load()) {
    ReapFinished();
    if (!WaitReady(listen_fd_, POLLIN, stop_)) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int target = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Loopback(target_port_);
    if (target < 0 || connect(target, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      // The target is down: the dialer sees its connection end, as it would
      // if it had reached the dead server itself.
      close(client);
      if (target >= 0) close(target);
      continue;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(target, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::lock_guard<std::mutex> lock(mu_);
    auto conn = std::make_unique<Conn>();
    Conn* c = conn.get();
    c->client_fd = client;
    c->target_fd = target;
    c->forward = std::thread(
        [this, c] { Pump(c, c->client_fd, c->target_fd, &hold_forward_, &delay_forward_ms_); });
    c->backward = std::thread(
        [this, c] { Pump(c, c->target_fd, c->client_fd, &hold_backward_, &delay_backward_ms_); });
    conns_.push_back(std::move(conn));
  }
}

void PairRelay::Pump(Conn* conn, int from, int to, const std::atomic<bool>* held,
                     const std::atomic<int>* delay_ms) {
  char buf[64 * 1024];
  while (!stop_.load()) {
    if (held->load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      continue;
    }
    if (!WaitReady(from, POLLIN, stop_)) continue;
    const ssize_t n = read(from, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms->load());
    while (std::chrono::steady_clock::now() < due && !stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // A hold that began while these bytes were read applies to them too.
    while (held->load() && !stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
    ssize_t sent = 0;
    while (sent < n && !stop_.load()) {
      if (!WaitReady(to, POLLOUT, stop_)) continue;
      const ssize_t w = send(to, buf + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
      if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (w <= 0) break;
      sent += w;
    }
    if (sent < n) break;
  }
  // One side ended: end both, so the other pump and both servers notice.
  shutdown(conn->client_fd, SHUT_RDWR);
  shutdown(conn->target_fd, SHUT_RDWR);
  conn->pumps_left.fetch_sub(1);
}

void PairRelay::ReapFinished() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = conns_.begin(); it != conns_.end();) {
    Conn& c = **it;
    if (c.pumps_left.load() != 0) {
      ++it;
      continue;
    }
    c.forward.join();
    c.backward.join();
    close(c.client_fd);
    close(c.target_fd);
    it = conns_.erase(it);
  }
}

}  // namespace zabkeeper::chaos
