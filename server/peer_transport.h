// PeerTransport: the links between the servers of an ensemble. One TCP
// connection per pair of servers, dialed by the lower id (with backoff while
// the other is down) and accepted by the higher one. A frame on the wire is a
// 4-byte big-endian length and a serialized proto::PeerFrame; the first frame
// a dialer sends names it (`from`), and the acceptor refuses unknown or
// higher ids.
//
// Sending does not hand off to another thread when it need not: Send writes
// the frame straight to the socket from the caller's thread (non-blocking)
// when nothing is queued before it; only what the kernel does not take at
// once is queued and written by the transport's event loop. So a follower's
// storage thread puts its ACK on the wire itself, and the leader's core
// thread its PROPOSALs. Per link, delivery is FIFO; a broken link reports
// Down and drops what was queued (the consensus core treats messages to a
// down peer as lost). A link whose queue grows past kMaxQueuedFrames is cut,
// and so is one not carrying frames kHandshakeTimeout after its connect.
//
// With sslQuorum every link is TLS (OpenSSL through asio::ssl), both sides
// showing a certificate signed by ssl.quorum.caFile: a peer without one gets
// no link. TLS writes always go through the event loop (an OpenSSL session
// is not shared between threads), which costs the sender's shortcut.
//
// One thread runs the event loop: accepts, dials, handshakes, reads (each
// frame is handed to the `frame` callback) and the queued writes. Callbacks
// run on it and must not block for long.
#ifndef ZABKEEPER_SERVER_PEER_TRANSPORT_H_
#define ZABKEEPER_SERVER_PEER_TRANSPORT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "asio/executor_work_guard.hpp"
#include "asio/io_context.hpp"
#include "asio/ip/tcp.hpp"
#include "asio/ssl/context.hpp"
#include "server/config.h"
#include "zabkeeper/peer.pb.h"

namespace zabkeeper::server {

class PeerLink;

class PeerTransport {
 public:
  struct Callbacks {
    std::function<void(uint64_t sid)> up;
    std::function<void(uint64_t sid)> down;
    std::function<void(uint64_t sid, proto::PeerFrame frame)> frame;
  };
  // A link whose queue grows past this many frames is cut: its peer is too
  // slow or gone, and an unbounded queue would eat our memory instead.
  static constexpr size_t kMaxQueuedFrames = 100000;
  // A SNAP of a large tree travels as one frame; allow up to 1 GiB.
  static constexpr uint32_t kMaxFrameBytes = 1u << 30;
  // A connection not carrying frames this long after its TCP connect (its
  // TLS handshake, and an accepted one's hello, not done) is cut, as
  // ZooKeeper's cnxTimeout (5 s) does: a peer, or anything else, that
  // connects and stalls must not hold a link, or a dialer's redial, forever.
  static constexpr std::chrono::milliseconds kHandshakeTimeout{5000};

  // `tls` (sslQuorum): gives the context a new link shakes hands with, in
  // both roles (a TlsContextSource's, so rotated files take effect on the
  // next link); empty for plain TCP.
  using TlsProvider = std::function<std::shared_ptr<asio::ssl::context>()>;
  PeerTransport(uint64_t my_sid, std::map<int64_t, PeerAddress> servers, Callbacks callbacks,
                TlsProvider tls = nullptr);
  ~PeerTransport();

  // Listens on this server's peer address and starts dialing the peers with
  // a higher id (the lower id of a pair dials).
  absl::Status Start();
  void Stop();

  // Sends a frame to sid (any thread); dropped when no link to sid is up.
  void Send(uint64_t sid, const proto::PeerFrame& frame);
  bool IsUp(uint64_t sid) const;

  // Internal: links report here (on the event loop).
  bool Accepts(uint64_t from) const;  // a dialer's id we take links from
  void LinkUp(uint64_t sid, const std::shared_ptr<PeerLink>& link);
  void LinkDown(uint64_t sid, const PeerLink* link);
  void Deliver(uint64_t sid, const PeerLink* link, proto::PeerFrame frame);
  const TlsProvider& tls() const { return tls_; }

 private:
  void Accept();
  void Dial(uint64_t sid, std::chrono::milliseconds backoff);

  // Declared first, destroyed last: the sockets below belong to it.
  asio::io_context io_;
  const uint64_t my_sid_;
  const std::map<int64_t, PeerAddress> servers_;
  Callbacks callbacks_;
  const TlsProvider tls_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<PeerLink>> links_;  // current link per peer

  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::thread loop_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_PEER_TRANSPORT_H_
