// PeerTransport: the links between the servers of an ensemble. One gRPC
// bidirectional stream per pair of servers, dialed by the lower id (with
// backoff while the other is down) and accepted by the higher one. Outgoing
// frames queue per link and are merged into one stream write while the
// previous write is in flight, so a slow or dead peer delays only its own
// link. Per link, delivery is FIFO; a broken link reports Down and drops what
// was queued (the consensus core treats messages to a down peer as lost).
//
// Callbacks run on transport threads; they must not block for long.
#ifndef ZABKEEPER_SERVER_PEER_TRANSPORT_H_
#define ZABKEEPER_SERVER_PEER_TRANSPORT_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "server/config.h"
#include "zabkeeper/peer.grpc.pb.h"

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

  PeerTransport(uint64_t my_sid, std::map<int64_t, PeerAddress> servers, Callbacks callbacks);
  ~PeerTransport();

  // Listens on this server's peer address and starts dialing the peers with
  // a higher id (the lower id of a pair dials).
  absl::Status Start();
  void Stop();

  // Queues a frame for sid; dropped when no link to sid is up.
  void Send(uint64_t sid, proto::PeerFrame frame);
  bool IsUp(uint64_t sid) const;

  // Internal: links report here.
  void LinkUp(uint64_t sid, const std::shared_ptr<PeerLink>& link);
  void LinkDown(uint64_t sid, const PeerLink* link);
  void Deliver(uint64_t sid, const PeerLink* link, proto::PeerFrame frame);
  uint64_t my_sid() const { return my_sid_; }
  bool stopping() const { return stopping_.load(); }
  const std::map<int64_t, PeerAddress>& servers() const { return servers_; }

 private:
  class Service;
  void DialLoop(uint64_t sid);

  const uint64_t my_sid_;
  const std::map<int64_t, PeerAddress> servers_;
  Callbacks callbacks_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<PeerLink>> links_;  // current link per peer
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::thread> dialers_;
};

// One live link: an outbox plus a way to write it. Both sides use gRPC's
// synchronous stream API, with one reader and one writer thread per link.
class PeerLink {
 public:
  virtual ~PeerLink() = default;
  // Queues a frame; false when the link is closed or over its bound.
  virtual bool Send(proto::PeerFrame frame) = 0;
  virtual void Close() = 0;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_PEER_TRANSPORT_H_
