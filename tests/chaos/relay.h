// PairRelay: a TCP relay on 127.0.0.1 for the one peer link of a pair of
// servers, so that loopback mode can cut server-to-server traffic without
// network namespaces. The lower id of a pair dials the higher one
// (server/peer_transport.h); its zoo.cfg names the relay instead of the peer,
// so everything that pair says to each other passes through here.
//
// Each direction can be delayed, or held: bytes stop being forwarded and wait in the relay
// and in the kernel's socket buffers until released, as a cut network keeps
// them until TCP gives up or the cut heals (the servers' own timeouts decide
// which comes first). New connections are accepted while held; their bytes
// wait the same way.
#ifndef ZABKEEPER_TESTS_CHAOS_RELAY_H_
#define ZABKEEPER_TESTS_CHAOS_RELAY_H_

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace zabkeeper::chaos {

class PairRelay {
 public:
  // Listens on a fresh 127.0.0.1 port; forwards to 127.0.0.1:target_port.
  explicit PairRelay(int target_port);
  ~PairRelay();  // closes every connection and joins every thread
  PairRelay(const PairRelay&) = delete;
  PairRelay& operator=(const PairRelay&) = delete;

  bool ok() const { return listen_fd_ >= 0; }
  int port() const { return port_; }
  // Holds (true) or releases bytes from the dialer to the target (`forward`)
  // and back (`backward`).
  void Hold(bool forward, bool backward);
  // Delays each chunk of bytes by at least this many ms in that direction
  // (a chunk read while an earlier one waits waits longer, up to twice).
  void Delay(int forward_ms, int backward_ms);

 private:
  struct Conn {
    int client_fd = -1;
    int target_fd = -1;
    std::atomic<int> pumps_left{2};
    std::thread forward, backward;
  };
  void AcceptLoop();
  void Pump(Conn* conn, int from, int to, const std::atomic<bool>* held,
            const std::atomic<int>* delay_ms);
  void ReapFinished();  // joins the threads of connections both pumps left

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> hold_forward_{false};
  std::atomic<bool> hold_backward_{false};
  std::atomic<int> delay_forward_ms_{0};
  std::atomic<int> delay_backward_ms_{0};
  std::mutex mu_;
  std::list<std::unique_ptr<Conn>> conns_;
  std::thread acceptor_;
};

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_RELAY_H_
