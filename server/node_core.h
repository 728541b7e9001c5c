// NodeCore: one zabkeeper server node as a deterministic state machine, in
// the style of consensus/peer.h. It holds the ZAB core (zab::Peer), the
// preparer (zxids come from Peer::Propose, which hands them to prepare), the
// applied state, sessions and their expiry, watches, container/TTL reaping
// and the client connections' reply order. It has no threads, clocks,
// sockets or files: a runtime (the server process, or the simulator) feeds
// it inputs and carries out the NodeReady batches it returns.
//
// Inputs: client connections and their requests (by connection id), peer
// frames and link changes, storage completions (Persisted, the two epoch
// writes) and ticks carrying the time.
//
// The NodeReady contract. After any input, take the batch with TakeReady()
// and carry it out:
//   1. storage, in list order:
//        kInstall    durably empty the log, then replace the state store
//                    with `state` (a SNAP): synchronously;
//        kTruncate   durably drop log entries after `zxid`: synchronously;
//        kAppend     append `entries`; once everything appended up to z is
//                    durable, report Persisted(z) (group commit is fine;
//                    later ops of the list may go ahead meanwhile, but a
//                    later kInstall/kTruncate waits for earlier appends,
//                    and an append made before a kTruncate(t) is reported
//                    as Persisted(min(z, t)), before a kInstall not at all:
//                    the log after it may hold other entries up to z);
//                    with `ack_to` set (a follower in broadcast), send that
//                    peer AckFrame(z) once they are durable, before the
//                    Persisted report, unless a truncation below z came
//                    first -- the core sends no ACK for them itself;
//        kAcceptedEpoch / kCurrentEpoch
//                    write durably, then report the matching *Persisted;
//        kState      write the applied changes; no sync of its own (it only
//                    holds committed txns, which are durable in this node's
//                    log already: a crash may lose a suffix of these
//                    writes, and the restart replays the log after the
//                    state's durable point);
//        kPurge      drop log entries before `zxid`, but none after the
//                    state store's durable point (StateStore::
//                    DurableApplied); may be lost in a crash.
//   2. frames: send, per peer in order (FIFO per link);
//   3. client: send each response on its connection, in order; then close
//      the connections in `close` (after their responses).
// Nothing in a batch gets ahead of the disk: an ACK, an epoch acknowledgement
// or a reply to a write is produced only after the input that reported the
// write it depends on durable. So 2 and 3 may go out at once, before 1's
// asynchronous parts (appends, epoch writes) complete.
#ifndef ZABKEEPER_SERVER_NODE_CORE_H_
#define ZABKEEPER_SERVER_NODE_CORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "consensus/peer.h"
#include "server/audit_log.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/local_sessions.h"
#include "server/preparer.h"
#include "server/read_executor.h"
#include "server/session_tracker.h"
#include "server/state_machine.h"
#include "server/watch_manager.h"
#include "server/write_request.h"
#include "storage/epoch_store.h"
#include "storage/state_store.h"
#include "storage/txn_log.h"
#include "zabkeeper/peer.pb.h"

namespace zabkeeper::server {

using ConnId = uint64_t;

struct NodeCoreConfig {
  int64_t my_id = 1;
  std::vector<uint64_t> voters;  // includes my_id; {my_id} is standalone
  int64_t tick_ms = 100;         // time between two Tick()s, nominally
  int init_limit_ticks = 40;
  int sync_limit_ticks = 20;
  int32_t min_session_timeout_ms = 4000;
  int32_t max_session_timeout_ms = 40000;
  int container_check_interval_ms = 60000;
  int container_max_per_minute = 10000;
  PreparerLimits limits;
  ReadLimits read_limits;  // maxWatchesPerSession, maxChildrenPerReply
  std::string super_digest;
  bool enforce_auth = false;  // enforce.auth.enabled / enforce.auth.schemes
  std::set<std::string> enforce_auth_schemes;
  bool audit_enabled = false;                      // audit.enable: NodeReady::audit lines
  std::string audit_server_user;                   // the "user" of the server's own audit lines
  size_t max_parked = 10000;                       // writes waiting for a new leader's catch-up
  size_t committed_log_window = 10000;             // committed txns kept for DIFF; older: SNAP
  size_t committed_log_bytes = size_t{256} << 20;  // ... and at most this many bytes of them
  // readonlymode.enabled: once without a quorum for read_only_after_ms,
  // serve reads to clients that allow a read-only session.
  bool read_only_enabled = false;
  int64_t read_only_after_ms = 2000;
  bool local_sessions_enabled = false;            // new sessions are local (no txn)
  bool local_sessions_upgrading_enabled = false;  // ... and become global for an ephemeral
  uint64_t random_seed = 1;   // session passwords and the ZAB core's election jitter
  int64_t start_wall_ms = 0;  // seeds session ids (ZooKeeper's scheme); WallMs()

  // The settings a server derives from its zoo.cfg.
  static NodeCoreConfig From(const ServerConfig& config, uint64_t random_seed,
                             int64_t start_wall_ms);
};

struct StorageOp {
  enum Kind { kInstall, kTruncate, kAppend, kAcceptedEpoch, kCurrentEpoch, kState, kPurge };
  Kind kind = kAppend;
  Zxid zxid;                               // kTruncate: keep up to; kPurge: drop below
  uint32_t epoch = 0;                      // k*Epoch
  std::vector<storage::LogEntry> entries;  // kAppend
  uint64_t ack_to = 0;                     // kAppend: the leader to ACK once durable
  storage::StateBatch state;               // kInstall (full state), kState (changes)
};

// The frame that ACKs a follower's log up to `zxid` (StorageOp::ack_to).
proto::PeerFrame AckFrame(Zxid zxid);

struct ClientOut {
  ConnId conn = 0;
  proto::Response response;
};

struct NodeReady {
  std::vector<StorageOp> storage;
  std::map<uint64_t, proto::PeerFrame> frames;
  std::vector<ClientOut> client;
  std::vector<ConnId> close;
  std::vector<std::string> audit;  // audit log lines (audit.enable), in order

  bool empty() const {
    return storage.empty() && frames.empty() && client.empty() && close.empty() && audit.empty();
  }
};

class NodeCore {
 public:
  // Recovers from the stores (at start, before the core runs; reading them
  // is the runtime's only blocking I/O on behalf of the core).
  static absl::StatusOr<std::unique_ptr<NodeCore>> Open(const NodeCoreConfig& config,
                                                        const storage::TxnLog& log,
                                                        const storage::StateStore& state,
                                                        const storage::EpochStore& epochs);
  ~NodeCore();
  NodeCore(const NodeCore&) = delete;
  NodeCore& operator=(const NodeCore&) = delete;

  // ---- Inputs --------------------------------------------------------------
  // Time advances only here; other inputs happen "at" the last tick's time.
  // The first Tick starts the node (a one-voter ensemble elects itself).
  void Tick(int64_t now_ms);
  void PeerConnected(uint64_t sid);
  void PeerDisconnected(uint64_t sid);
  void PeerFrame(uint64_t from, proto::PeerFrame frame);
  void Persisted(Zxid zxid);
  void AcceptedEpochPersisted(uint32_t epoch);
  void CurrentEpochPersisted(uint32_t epoch);
  // The disk is full (storage_writer.h) / has room again. While full, the
  // node refuses client writes (NOT_READ_ONLY) and new sessions, and serves
  // reads and reattaching sessions; writes already in the pipeline wait for
  // the disk.
  void SetDiskFull(bool full);
  bool disk_full() const { return disk_full_; }
  // `peer` is the client's address as the transport names it ("ipv4:h:p").
  // `identities`: what the transport proved (a TLS client certificate's
  // x509 id), held for ACL checks beside ip:<address> and addAuth ids.
  void OpenConnection(ConnId conn, const std::string& peer, std::vector<proto::Id> identities = {});
  // Identities proven after the open (SASL), for the requests that follow.
  void AddIdentities(ConnId conn, std::vector<proto::Id> identities);
  void ClientRequest(ConnId conn, proto::Request request);
  // The client went away (or the runtime closed the stream).
  void CloseConnection(ConnId conn);

  // ---- Output --------------------------------------------------------------
  bool HasReady() const { return !ready_.empty(); }
  NodeReady TakeReady();

  // ---- Observers -----------------------------------------------------------
  const StateMachine& state() const { return state_; }
  const ::zab::Peer& peer() const { return *peer_; }
  ::zab::RoleState role() const { return role_; }
  // Serving clients: an established leader or a follower that got UPTODATE.
  bool serving() const { return serving_; }
  // Not serving, but answering reads of read-only sessions (isro: "ro").
  bool read_only() const { return read_only_; }
  size_t local_session_count() const { return local_.size(); }
  size_t connection_count() const { return conns_.size(); }
  size_t watch_count() const { return watches_.watch_count(); }
  const WatchManager& watches() const { return watches_; }
  // For checkers (the simulator): every txn applied, and every snapshot
  // installed (the applied state jumps to its zxid).
  std::function<void(Zxid zxid, const std::string& txn)> on_apply;
  std::function<void(Zxid zxid)> on_install;

 private:
  class CoreConnection;
  struct Parked {
    WriteRequest write;
    uint64_t from = 0;  // 0 = a local session
    uint64_t parked_at_tick = 0;
  };
  struct PendingSync {
    Zxid zxid;
    int64_t session_id = 0;
    int64_t xid = 0;
  };

  NodeCore(const NodeCoreConfig& config, ::zab::PersistentState recovered, StateMachine state);

  // node_core.cc: the ZAB side.
  void ProcessPeerReady();
  void OnRole(const ::zab::RoleState& role);
  void InstallSnapshot(const ::zab::SnapshotInstall& install);
  void HandleWrite(WriteRequest write, uint64_t from);
  void LeaderWrite(const WriteRequest& write, uint64_t from);
  void FailWrite(const WriteRequest& write, uint64_t from, proto::ErrorCode code,
                 const std::string& message);
  bool LeaderReady() const;
  void DrainParked();
  void OnForwardReply(const proto::ForwardReply& reply);

  // node_core_apply.cc: commits, replies, watches, expiry, reaping.
  void ApplyCommitted(std::vector<::zab::LogEntry>& entries);
  // An applied txn still in the log: counted toward the purge bounds.
  void Retain(Zxid zxid, size_t bytes);
  void ApplyOne(Zxid zxid, const proto::Txn& txn);
  void AddPendingSync(int64_t session_id, int64_t xid, Zxid zxid);
  void CompletePendingSyncs();
  void CompleteWrite(int64_t session_id, proto::Response response);
  // Audit lines for the write `xid` of `session_id` (attached here), applied
  // as `txn` or failed before it (null).
  void AuditWrite(int64_t session_id, int64_t xid, const proto::Txn* txn);
  void ExpireAndReap();
  void TrackAllSessions();

  // node_core_clients.cc: connections and requests.
  void HandleConnect(CoreConnection& conn, const proto::Request& request);
  // Binds the session to this stream (a stream that held it before loses it)
  // and answers the connect.
  void AcceptSession(CoreConnection& conn, int64_t xid, int64_t sid, const std::string& password,
                     int32_t timeout_ms);
  // A local session's (or a read-only server's) closeSession: no txn.
  void CloseLocally(CoreConnection& conn, const proto::Request& request);
  // Local sessions: the one that timed out, and the createSession txn that
  // makes one global before its first ephemeral.
  void ExpireLocal(int64_t session_id);
  // A session that ends (closed or expired): its watches go, its stream is
  // unbound and returned (null if none), to be answered or told.
  std::shared_ptr<CoreConnection> DetachSession(int64_t session_id);
  // The EXPIRED event at `zxid`, then the end of the stream.
  static void TellExpired(CoreConnection& conn, Zxid zxid);
  void UpgradeSession(int64_t session_id);
  void UpdateReadOnly();
  void Submit(CoreConnection* conn, WriteRequest write);
  CoreConnection* ConnOfSession(int64_t session_id) const;
  Connection::ReadFn ReaderFor(int64_t session_id, Connection& conn);
  void CloseAllClientStreams();
  // Forgets a closed connection (its session's watches go with it).
  void DropConnection(ConnId conn);
  SessionTracker::Clock::time_point Now() const;
  std::string NewPassword();
  // Has an identity of one of enforce.auth.schemes.
  bool Authenticated(const CoreConnection& conn) const;

  const NodeCoreConfig config_;
  std::unique_ptr<::zab::Peer> peer_;
  Preparer preparer_;
  StateMachine state_;
  RecentDeletes recent_deletes_;
  WatchManager watches_;
  SessionTracker tracker_;
  LocalSessions local_;
  ReadExecutor reads_{state_, watches_, recent_deletes_, config_.super_digest, config_.read_limits};

  // The node's clock, ms: monotonic (sessions expire by it, and a wall-clock
  // jump moves no deadline).
  int64_t now_ms_ = 0;
  // Wall-clock ms for what users read as dates (ctime, mtime; TTLs count from
  // mtime): the wall clock read once at start, advanced by the monotonic
  // clock, so that a clock step while running bends no znode time backwards.
  int64_t WallMs() const { return config_.start_wall_ms + now_ms_; }
  uint64_t ticks_ = 0;
  uint64_t rng_;
  ::zab::RoleState role_;
  bool serving_ = false;
  bool read_only_ = false;
  bool disk_full_ = false;
  int64_t not_serving_since_ms_ = -1;  // -1: before the first tick
  bool expiry_owner_ = false;
  int64_t next_reap_ms_ = 0;

  absl::btree_map<ConnId, std::shared_ptr<CoreConnection>> conns_;
  absl::flat_hash_map<int64_t, ConnId> session_conns_;
  absl::btree_map<int64_t, bool> touched_;  // follower: sessions to report to the leader
  std::deque<Parked> parked_;
  Zxid barrier_zxid_;  // leader prepares once applied >= this
  std::vector<PendingSync> pending_syncs_;
  // Applied txns still in the log, oldest first (zxid, bytes), for purge.
  std::deque<std::pair<Zxid, uint64_t>> retained_;  // (zxid, txn bytes), oldest first
  uint64_t retained_bytes_ = 0;

  NodeReady ready_;
};

// A client stream as the core sees it: what the Connection sends goes into
// the current batch. A closed one drops what is sent after the close.
class NodeCore::CoreConnection : public Connection {
 public:
  CoreConnection(NodeCore* core, ConnId id, std::string peer)
      : Connection(std::move(peer)), core_(core), id_(id) {}
  ConnId id() const { return id_; }
  bool closed() const { return closed_; }
  void CloseStream() override;
  // Audit records of this connection's writes still in the pipeline
  // (audit.enable), oldest first.
  std::deque<AuditedWrite> audited;

 protected:
  void Send(proto::Response response) override;

 private:
  NodeCore* core_;
  const ConnId id_;
  bool closed_ = false;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_NODE_CORE_H_
