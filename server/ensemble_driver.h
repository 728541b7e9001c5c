// EnsembleDriver: runs the ZAB core (consensus/peer.h) for one server of an
// ensemble. A single driver thread owns the core; everything else posts
// events to it (frames and link changes from the PeerTransport, ticks, "log
// durable up to z" from the log stage, snapshots from the apply thread, client
// writes from the server). After each input it carries out the core's Ready
// batch in the order consensus/types.h prescribes: install snapshot, truncate,
// append (group-committed by the log stage), persist epochs, hand commits to
// the apply thread, produce snapshots, send messages. Outgoing messages of
// one round of events are merged into one frame per peer.
//
// Writes: on the leader they are proposed, and Propose prepares them
// (ZkServer::PrepareWrite) with the zxid it assigns; on a follower they are
// forwarded to the leader. A leader prepares only once its applied state has
// caught up with every proposal it knows of (after it is established); until
// then writes wait, bounded in number and time, then fail with
// CONNECTION_LOSS.
#ifndef ZABKEEPER_SERVER_ENSEMBLE_DRIVER_H_
#define ZABKEEPER_SERVER_ENSEMBLE_DRIVER_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "consensus/peer.h"
#include "server/config.h"
#include "server/node_status.h"
#include "server/peer_transport.h"
#include "server/write_request.h"

namespace zabkeeper::server {

class ZkServer;

class EnsembleDriver {
 public:
  // Parked writes beyond this many fail at once.
  static constexpr size_t kMaxParked = 10000;
  // Core ticks per tickTime: at least 4, and at most 200 ms per core tick,
  // so elections settle in about a second even with the default 2 s tick
  // (ZooKeeper's election waits are 200 ms, independent of tickTime).
  static int CoreTicksPerTick(int tick_time_ms) { return std::max(4, tick_time_ms / 200); }

  EnsembleDriver(ZkServer* server, const ServerConfig& config);
  ~EnsembleDriver();

  absl::Status Start(::zab::PersistentState state);
  void Stop();

  // From client threads (via ZkServer).
  void SubmitWrite(WriteRequest write);
  // From the log stage thread.
  void OnPersisted(uint64_t zxid);
  // From the apply thread.
  void OnSnapshotReady(uint64_t follower, uint64_t zxid, std::string data);
  void OnApplied();

  DriverStatus Status() const;

 private:
  struct Event {
    enum Kind { kFrame, kUp, kDown, kTick, kPersisted, kSnapshot, kWrite, kApplied };
    explicit Event(Kind k, uint64_t s = 0, uint64_t z = 0) : kind(k), sid(s), zxid(z) {}
    Kind kind;
    uint64_t sid = 0;
    uint64_t zxid = 0;
    proto::PeerFrame frame;
    std::string data;
    WriteRequest write;
  };
  struct Parked {
    WriteRequest write;
    uint64_t from = 0;  // 0 = a local session
    uint64_t parked_at_tick = 0;
  };

  void Post(Event event);
  void Loop();
  void TickLoop();
  void Handle(Event& event);
  void ProcessReady();
  void OnRole(const ::zab::RoleState& role);
  void HandleFrame(uint64_t from, proto::PeerFrame& frame);
  void HandleWrite(WriteRequest write, uint64_t from);
  void LeaderWrite(const WriteRequest& write, uint64_t from);
  void FailWrite(const WriteRequest& write, uint64_t from, proto::ErrorCode code,
                 const std::string& message);
  bool LeaderReady() const;
  void DrainParked();
  // A follower's appends of one round of events are held and written with
  // one synchronous sync at its end (its ACKs wait for that sync anyway, and
  // the log stage's two thread hand-offs cost more than they overlap).
  void WriteHeldAppends();
  // Writes the held appends, tells the core, and carries out what follows.
  void SyncHeldAppends();
  void Flush();
  void PublishStatus();

  ZkServer* server_;
  const ServerConfig config_;
  std::unique_ptr<::zab::Peer> peer_;
  std::unique_ptr<PeerTransport> transport_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  bool stopping_ = false;
  std::thread loop_;
  std::thread ticker_;

  // Driver-thread state.
  std::map<uint64_t, proto::PeerFrame> outgoing_;
  std::deque<Parked> parked_;
  std::atomic<bool> has_parked_{false};
  uint64_t barrier_zxid_ = 0;  // leader prepares once applied >= this
  std::vector<::zab::LogEntry> held_appends_;
  uint64_t held_persisted_ = 0;  // written by WriteHeldAppends, not yet told
  uint64_t ticks_ = 0;
  ::zab::RoleState role_;

  mutable std::mutex status_mu_;
  DriverStatus status_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_ENSEMBLE_DRIVER_H_
