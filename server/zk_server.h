// ZkServer: one standalone zabkeeper server's request pipeline.
//
//   client stream --> ZkServer::HandleRequest
//      reads ------> executed against the tree (after the session's pending
//                    writes, see Connection)
//      writes -----> Preparer (txn, zxid) -> LogStage (group-committed fsync)
//                    -> apply thread: StateMachine::Apply, fire watches,
//                    reply, persist the touched state (rides behind the log)
//
// Stages are separate types wired here; the number of proposals in flight
// (prepared, not yet applied) is bounded by kMaxInFlight. Restart loads the
// state store and replays the log tail after its lastApplied zxid.
//
// Lock order: prep_mu_ -> tree_mu_ -> conns_mu_ -> Connection's lock.
#ifndef ZABKEEPER_SERVER_ZK_SERVER_H_
#define ZABKEEPER_SERVER_ZK_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "server/bounded_queue.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/log_stage.h"
#include "server/preparer.h"
#include "server/session_tracker.h"
#include "server/state_machine.h"
#include "server/watch_manager.h"
#include "storage/rocksdb_storage.h"

namespace zabkeeper::server {

// Facts for the admin endpoints and metrics.
struct ServerStats {
  std::string state;  // standalone | leader | follower | looking
  int64_t zxid = 0;
  uint32_t epoch = 0;
  size_t node_count = 0;
  size_t session_count = 0;
  size_t connection_count = 0;
  size_t watch_count = 0;
  uint64_t digest = 0;
  uint64_t outstanding = 0;
  uint64_t txns_logged = 0;
  uint64_t log_syncs = 0;
  uint64_t avg_fsync_us = 0;
  uint64_t requests = 0;
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t approximate_data_size = 0;
  uint64_t ephemerals_count = 0;
};

class ZkServer {
 public:
  static constexpr size_t kMaxInFlight = 8192;

  static absl::StatusOr<std::unique_ptr<ZkServer>> Open(const ServerConfig& config);
  ~ZkServer();

  // Starts the pipeline threads and the session expiry ticker.
  void Start();
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

  void HandleConnect(const std::shared_ptr<Connection>& conn, const proto::Request& request);
  // Runs a read against the tree; the caller holds tree_mu_ (shared).
  void ExecuteRead(int64_t session_id, const std::string& peer, const proto::Request& request,
                   std::vector<proto::Response>* out);
  void FillRead(int64_t session_id, const std::string& peer, const proto::Request& request,
                proto::Response* response);
  void SetWatches(int64_t session_id, const proto::SetWatchesRequest& req,
                  std::vector<proto::Response>* events);

  // Write path.
  void SubmitWrite(const std::shared_ptr<Connection>& conn, const proto::Request& request);
  void SubmitCreateSession(const std::shared_ptr<Connection>& conn, int64_t xid, int64_t session_id,
                           int32_t timeout_ms, const std::string& password);
  void SubmitCloseSession(const std::shared_ptr<Connection>& conn, int64_t xid, int64_t session_id,
                          ProposalKind kind);
  void Enqueue(std::unique_ptr<Proposal> proposal);
  int64_t NextZxidLocked();
  void AcquireInFlight();
  void ReleaseInFlight(size_t n);
  void ApplyLoop();
  void ApplyBatch(LogStage::Batch batch, bool reply);
  void ApplyOne(Proposal& p, bool reply);
  void ExpiryLoop();

  std::shared_ptr<Connection> ConnOf(int64_t session_id) const;

  const ServerConfig config_;
  std::unique_ptr<storage::RocksDb> rocks_;
  std::unique_ptr<storage::RocksTxnLog> txn_log_;
  std::unique_ptr<storage::RocksStateStore> state_store_;
  std::unique_ptr<storage::RocksEpochStore> epoch_store_;

  std::mutex prep_mu_;
  Preparer preparer_;
  int64_t last_proposed_zxid_ = 0;  // guarded by prep_mu_

  mutable std::shared_mutex tree_mu_;
  StateMachine state_;

  SessionTracker tracker_;
  WatchManager watches_;

  mutable std::mutex conns_mu_;
  absl::flat_hash_map<int64_t, std::shared_ptr<Connection>> session_conns_;
  absl::flat_hash_map<std::string, int> conns_per_ip_;
  size_t connection_count_ = 0;

  std::mutex inflight_mu_;
  std::condition_variable inflight_cv_;
  size_t inflight_ = 0;

  std::unique_ptr<LogStage> log_stage_;
  BoundedQueue<LogStage::Batch> apply_queue_{kMaxInFlight};
  std::thread apply_thread_;
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
