// ZkServer: one zabkeeper server's request pipeline, standalone or as a
// member of an ensemble.
//
//   client stream --> ZkServer::HandleRequest
//      reads ------> executed against the local tree, after the session's
//                    pending writes (see Connection)
//      writes: EnsembleDriver -> leader: ZAB propose (Preparer with the zxid
//                    it assigns) -> quorum -> commit; follower: forwarded to
//                    the leader. Commits reach the apply thread in zxid
//                    order. Standalone is a one-voter ensemble: the same path,
//                    its own log sync being the quorum.
//      apply thread: StateMachine::Apply, fire watches, reply to the session
//                    if it is attached here (matched by session id and xid),
//                    persist the touched state (rides behind the log).
//
// Restart loads the state store and hands the log to the ZAB core, which
// decides what of its tail commits (all of it, standalone).
//
// Lock order: prep_mu_ -> tree_mu_ -> conns_mu_ -> Connection's lock.
#ifndef ZABKEEPER_SERVER_ZK_SERVER_H_
#define ZABKEEPER_SERVER_ZK_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "consensus/types.h"
#include "server/bounded_queue.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/ensemble_driver.h"
#include "server/log_stage.h"
#include "server/node_status.h"
#include "server/preparer.h"
#include "server/read_executor.h"
#include "server/session_tracker.h"
#include "server/state_machine.h"
#include "server/watch_manager.h"
#include "server/write_request.h"
#include "storage/rocksdb_storage.h"

namespace zabkeeper::server {

class ZkServer {
 public:
  static constexpr size_t kMaxInFlight = 8192;

  static absl::StatusOr<std::unique_ptr<ZkServer>> Open(const ServerConfig& config);
  ~ZkServer();

  // Starts the pipeline threads, the session expiry ticker and, in an
  // ensemble, the ZAB driver and peer transport.
  absl::Status Start();
  // Drains the pipeline, stops threads, closes the database.
  void Stop();

  // Called by the transport, in stream order, for each request of a stream.
  void HandleRequest(const std::shared_ptr<Connection>& conn, const proto::Request& request);
  // The stream ended (client went away or transport closed it).
  void HandleDisconnect(const std::shared_ptr<Connection>& conn);
  // False when the client address already has maxClientCnxns connections.
  bool AdmitConnection(const std::string& peer_ip);
  void ReleaseConnection(const std::string& peer_ip);

  ServerStats Stats() const;
  DriverStatus EnsembleStatus() const;
  bool ensemble() const { return !config_.standalone(); }

  // ---- For the EnsembleDriver (driver thread) -------------------------------
  proto::Txn PrepareWrite(const WriteRequest& write, int64_t zxid);
  void ResetPreparer();
  // Queues entries for the group-committing log stage (which reports
  // Persisted), or with `now` writes them synced before returning.
  void AppendToLog(std::vector<::zab::LogEntry> entries, bool now = false);
  absl::Status TruncateLog(uint64_t zxid);
  absl::Status InstallSnapshot(uint64_t zxid, const std::string& data);
  absl::Status PersistAcceptedEpoch(uint32_t epoch);
  absl::Status PersistCurrentEpoch(uint32_t epoch);
  void EnqueueCommitted(std::vector<::zab::LogEntry> entries);
  void EnqueueSnapshotRequest(uint64_t follower, uint64_t zxid);
  // leader|follower|looking; a server that stops serving closes its client
  // streams (clients reattach elsewhere), a new leader takes over expiry.
  void SetRole(const std::string& state, bool serving, bool leader);
  uint64_t last_applied() const { return last_applied_.load(); }
  void FailWrite(int64_t session_id, int64_t xid, proto::ErrorCode code,
                 const std::string& message);
  // The session's `sync` (xid) completes once this server applied zxid.
  void AddPendingSync(int64_t session_id, int64_t xid, uint64_t zxid);
  void TouchSessions(const google::protobuf::RepeatedField<int64_t>& sessions);
  // An expiry that could not be proposed: expire the session again soon,
  // unless it is closed meanwhile (a second closeSession would follow).
  void RetryExpire(int64_t session_id);
  std::vector<int64_t> TakeTouchedSessions();
  // A consistent (zxid, digest) pair of the tree.
  std::pair<int64_t, uint64_t> Digest() const;
  const ServerConfig& config() const { return config_; }
  // session -> its ephemeral paths (admin `dump`).
  std::vector<std::pair<int64_t, std::vector<std::string>>> EphemeralsBySession() const;
  // path -> watching sessions (admin `wchp`).
  std::vector<std::pair<std::string, std::vector<int64_t>>> Watches(WatchKind kind) const {
    return watches_.Snapshot(kind);
  }

 private:
  explicit ZkServer(const ServerConfig& config);
  absl::Status Recover();
  ::zab::PersistentState recovered_;  // ensemble: what the ZAB core starts from

  void HandleConnect(const std::shared_ptr<Connection>& conn, const proto::Request& request);
  // The read executor of a session's stream (Connection::Read/CompleteWrite);
  // it runs with tree_mu_ held (shared).
  Connection::ReadFn ReaderFor(int64_t session_id, Connection& conn);
  // Gives every session a full timeout from now; caller holds tree_mu_.
  void TrackAllSessions();

  // Write path.
  void Submit(const std::shared_ptr<Connection>& conn, WriteRequest write);
  proto::Txn PrepareLocked(const WriteRequest& write, int64_t zxid);

  // Apply path.
  struct ApplyItem {
    std::vector<::zab::LogEntry> entries;  // committed, in zxid order
    bool snapshot = false;                 // leader: snapshot for `follower`
    uint64_t follower = 0;
    uint64_t snapshot_zxid = 0;
  };
  void ApplyLoop();
  void ApplyEntries(const std::vector<::zab::LogEntry>& entries);
  void ApplyOne(int64_t zxid, const proto::Txn& txn);
  void CompletePendingSyncs();
  void WaitApplyIdle();
  void PurgeLog();
  void ExpiryLoop();
  // Deletes empty containers and expired TTL nodes (expiry owner only).
  void ReapNodes();
  std::chrono::steady_clock::time_point next_reap_;  // expiry thread only
  void CloseAllClientStreams();

  std::shared_ptr<Connection> ConnOf(int64_t session_id) const;

  const ServerConfig config_;
  std::unique_ptr<storage::RocksDb> rocks_;
  std::unique_ptr<storage::RocksTxnLog> txn_log_;
  std::unique_ptr<storage::RocksStateStore> state_store_;
  std::unique_ptr<storage::RocksEpochStore> epoch_store_;

  std::mutex prep_mu_;
  Preparer preparer_;

  mutable std::shared_mutex tree_mu_;
  StateMachine state_;
  RecentDeletes recent_deletes_;  // guarded by tree_mu_

  SessionTracker tracker_;
  WatchManager watches_;
  ReadExecutor read_executor_{state_, watches_, recent_deletes_, config_.super_digest};

  mutable std::mutex conns_mu_;
  absl::flat_hash_map<int64_t, std::shared_ptr<Connection>> session_conns_;
  absl::flat_hash_map<std::string, int> conns_per_ip_;
  size_t connection_count_ = 0;

  std::unique_ptr<LogStage> log_stage_;
  BoundedQueue<ApplyItem> apply_queue_{kMaxInFlight};
  std::mutex apply_idle_mu_;
  std::condition_variable apply_idle_cv_;
  uint64_t apply_enqueued_ = 0;  // guarded by apply_idle_mu_
  uint64_t apply_done_ = 0;      // guarded by apply_idle_mu_
  std::thread apply_thread_;
  std::atomic<uint64_t> last_applied_{0};
  std::deque<uint64_t> retained_zxids_;  // apply thread: recent zxids, for log purge

  struct PendingSync {
    uint64_t zxid;
    int64_t session_id;
    int64_t xid;
  };
  std::mutex syncs_mu_;
  std::vector<PendingSync> pending_syncs_;

  std::unique_ptr<EnsembleDriver> driver_;
  std::atomic<bool> serving_{true};
  std::atomic<bool> expiry_enabled_{true};
  mutable std::mutex role_mu_;
  std::condition_variable role_cv_;  // SetRole: serving_ changed
  std::string role_state_ = "looking";
  std::mutex touched_mu_;
  absl::flat_hash_set<int64_t> touched_;
  std::thread expiry_thread_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool started_ = false;

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> reads_{0};
  std::atomic<uint64_t> writes_{0};
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_ZK_SERVER_H_
