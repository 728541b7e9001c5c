// NodeRuntime: the thin shell that runs one NodeCore as a server process.
// The core is deterministic and single-threaded; this is where the threads,
// the clock, RocksDB and the sockets live. Data flows one way:
//
//   gRPC stream reads ─┐                       ┌─> StorageWriter thread
//   peer link reads ───┼─> inbox ─> core thread┼─> peer sockets (written in place)
//   storage reports ───┘   (bounded)           └─> gRPC stream writes
//
// Threads, one job each:
//   core       takes every queued input, feeds the core, ticks it on time,
//              and carries out its NodeReady batches (node_core.h);
//   storage    StorageWriter: every blocking disk write, group-committed
//              (a follower's ACKs leave from here, once synced);
//   transport  PeerTransport: one event loop for every link's reads, the
//              dials and the writes a sender could not finish itself;
//   gRPC       ClientService: the threads polling the client streams;
//   admin      the HTTP admin endpoint (AdminServer).
// Client requests are bounded by globalOutstandingLimit: those queued in the
// inbox plus those the core took and has not answered yet (a front end that
// finds the bound reached waits: back-pressure onto its socket). Peer
// frames, storage reports and admin calls bypass the bound, so the core
// thread never waits on a producer that waits on it; peer frames are
// bounded by their senders instead.
#ifndef ZABKEEPER_SERVER_NODE_RUNTIME_H_
#define ZABKEEPER_SERVER_NODE_RUNTIME_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "server/audit_file.h"
#include "server/config.h"
#include "server/node_core.h"
#include "server/node_status.h"
#include "server/peer_transport.h"
#include "server/storage_writer.h"
#include "server/watch_manager.h"
#include "storage/rocksdb_storage.h"

namespace zabkeeper::server {

// A client stream as the runtime drives it. Called on the core thread only:
// neither may block (queue and return).
class ClientStream {
 public:
  virtual ~ClientStream() = default;
  virtual void Send(std::vector<proto::Response> responses) = 0;
  // Ends the stream once what was sent is flushed.
  virtual void Close() = 0;
};

class NodeRuntime {
 public:
  // Inputs queued beyond this make client streams wait.
  // Batches queued for the storage thread beyond this make the core wait.
  static constexpr size_t kStorageCapacity = 4096;

  static absl::StatusOr<std::unique_ptr<NodeRuntime>> Open(const ServerConfig& config);
  ~NodeRuntime();

  // Starts the threads; standalone (a one-voter ensemble) returns once the
  // node serves, as a standalone server is expected to from its first request.
  absl::Status Start();
  void Stop();

  // ---- The client front end (any thread) ------------------------------------
  // 0 when the address already has maxClientCnxns streams, or the server
  // maxCnxns (ZooKeeper refuses both the same way: it closes the socket).
  ConnId Connect(std::shared_ptr<ClientStream> stream, const std::string& peer,
                 const std::string& peer_ip, std::vector<proto::Id> identities = {});
  // Requests of one stream, in stream order; waits while the inbox is full.
  void Request(ConnId conn, proto::Request request);
  // Identities the front end proved after the connection opened (SASL):
  // they hold for the stream's requests that come after this call.
  void AddIdentities(ConnId conn, std::vector<proto::Id> identities);
  void Disconnect(ConnId conn, const std::string& peer_ip);

  // ---- Status (any thread) ---------------------------------------------------
  // Each asks the core thread (and waits at most a few seconds for it).
  ServerStats Stats();
  // Stats and the ZAB side, read together in one call onto the core thread.
  std::pair<ServerStats, ZabStatus> StatsAndZab();
  std::pair<int64_t, uint64_t> Digest();  // (zxid, digest), consistent
  std::vector<std::pair<int64_t, std::vector<std::string>>> EphemeralsBySession();
  std::vector<std::pair<std::string, std::vector<int64_t>>> Watches(WatchKind kind);
  const ServerConfig& config() const { return config_; }
  bool ensemble() const { return !config_.standalone(); }

 private:
  struct Input {
    enum Kind {
      kPeerUp,
      kPeerDown,
      kFrame,
      kPersisted,
      kAcceptedEpoch,
      kCurrentEpoch,
      kOpen,
      kIdentities,
      kRequest,
      kClose,
      kCall
    };
    explicit Input(Kind k, uint64_t i = 0) : kind(k), id(i) {}
    Kind kind;
    uint64_t id;  // peer sid, connection, zxid or epoch
    proto::PeerFrame frame;
    proto::Request request;
    std::shared_ptr<ClientStream> stream;
    std::string peer;
    std::vector<proto::Id> identities;  // kOpen, kIdentities
    std::function<void()> call;
  };

  explicit NodeRuntime(const ServerConfig& config);
  // `bounded` inputs wait while the inbox is full. False once stopping.
  bool Post(Input input, bool bounded);
  // Runs fn on the core thread and waits (bounded) for it; false on timeout.
  bool Call(std::function<void()> fn);
  void CoreLoop();
  void Dispatch(Input& input);
  void CarryOut();
  // `n` requests are answered or will never be: room for the front ends.
  void Release(size_t n);
  void NoteRole();
  void Publish();
  int64_t NowMs() const;

  const ServerConfig config_;
  NodeCoreConfig core_config_;
  std::unique_ptr<storage::RocksDb> rocks_;
  std::unique_ptr<storage::RocksTxnLog> log_;
  std::unique_ptr<storage::RocksStateStore> state_store_;
  std::unique_ptr<storage::RocksEpochStore> epoch_store_;
  std::unique_ptr<NodeCore> core_;  // the core thread's alone once started
  std::unique_ptr<StorageWriter> storage_;
  std::unique_ptr<PeerTransport> transport_;
  std::unique_ptr<AuditFile> audit_;  // audit.enable; the core thread writes it
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();

  // The inbox.
  std::mutex mu_;
  std::condition_variable inbox_cv_;
  std::condition_variable not_full_;
  std::deque<Input> inbox_;
  // Client requests in the inbox or the core, not answered yet (globalOutstandingLimit).
  size_t outstanding_ = 0;
  bool stopping_ = false;
  std::thread core_thread_;

  // Core thread only.
  absl::flat_hash_map<ConnId, std::shared_ptr<ClientStream>> streams_;
  absl::flat_hash_map<ConnId, size_t> unanswered_;  // requests the core owes each stream
  ::zab::RoleState noted_role_;

  // Admission (front-end threads).
  std::mutex conns_mu_;
  absl::flat_hash_map<std::string, int> conns_per_ip_;
  size_t connection_count_ = 0;
  std::atomic<ConnId> next_conn_{1};

  // Published by the core thread for status readers that cannot wait.
  std::mutex status_mu_;
  std::condition_variable serving_cv_;
  ServerStats stats_;
  ZabStatus zab_status_;
  bool serving_ = false;

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> reads_{0};
  std::atomic<uint64_t> writes_{0};
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_NODE_RUNTIME_H_
