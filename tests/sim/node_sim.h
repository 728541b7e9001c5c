// NodeSim: whole server nodes (server/node_core.h: the ZAB core plus
// prepare, apply, sessions, expiry, watches and reply order) in one process,
// driven from one seed. Simulated parts: per-link FIFO connections with
// delay that break and reconnect, symmetric partitions and one-way blocks,
// disks whose appends and epoch writes complete after a delay and whose
// crash loses a random suffix of the pending writes, per-node clocks that
// run at slightly different rates, and clients that call the node's real
// client-request API: create/set/delete with versions, multi, sequential and
// ephemeral nodes, watches, sync, and sessions that close, expire, or move
// between servers.
//
// Checkers (node_sim_check.cc) run on what happened: every node applies the
// same txn at each zxid, with no gaps; acknowledged writes are applied; a
// write's reply matches its txn; writes are ordered by zxid as by real time;
// each session's stream never goes back in zxid (so a watch event comes
// before the reply that shows its change, and a read is never older than
// what the session saw, also after moving servers); a read after sync sees
// every write acknowledged before the sync; a read returns the state at its
// zxid; one-shot watches fire once; an ephemeral's session is live; nodes
// converge to one digest once healed; and nothing (a reply to a write, an
// ACK) gets ahead of the sending node's disk.
#ifndef ZABKEEPER_TESTS_SIM_NODE_SIM_H_
#define ZABKEEPER_TESTS_SIM_NODE_SIM_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "server/node_core.h"
#include "storage/memory_storage.h"
#include "tests/sim/rng.h"

namespace zabkeeper::sim {

using ::zab::sim::Rng;

// The timeout every simulated client asks for (the nodes allow 300..3000).
inline constexpr int32_t kSessionTimeoutMs = 600;

struct NodeSimConfig {
  int nodes = 3;
  int clients = 4;
  uint64_t seed = 1;
  uint64_t steps = 3000;  // events processed by Run()
  bool faults = true;
  bool verbose = false;
  // localSessionsEnabled + localSessionsUpgradingEnabled on every node: new
  // sessions are local; an ephemeral makes one global.
  bool local_sessions = false;
};

// One client operation as the client saw it.
struct OpRecord {
  int client = 0;
  int64_t session = 0;
  int node = 0;  // where it was sent
  proto::Request request;
  int64_t invoked = 0;
  int64_t completed = -1;  // -1: no reply (connection lost)
  proto::Response response;
};

class NodeSim {
 public:
  explicit NodeSim(NodeSimConfig config);
  ~NodeSim();

  // Runs config.steps events with random faults and client load, then heals
  // everything, lets the nodes converge and runs every checker.
  void Run();
  const std::vector<std::string>& anomalies() const { return anomalies_; }
  uint64_t steps() const { return steps_; }
  size_t ops_checked() const { return ops_checked_; }
  size_t committed() const { return committed_.size(); }
  // Workload health: creates that succeeded, watch events delivered.
  size_t creates_ok() const { return creates_ok_; }
  size_t watch_events() const { return watch_events_; }
  // Watches re-registered with SetWatches after a move.
  size_t watches_reregistered() const { return watches_reregistered_; }
  // Node 1's (zxid, digest) at the end; with steps() and ops_checked(), what
  // a replay of the seed must reproduce.
  std::pair<uint64_t, uint64_t> final_state() const;
  std::string Report() const;

 private:
  struct Disk {
    storage::MemoryTxnLog log;
    storage::MemoryStateStore state;
    storage::MemoryEpochStore epochs;
    std::deque<server::StorageOp> pending;  // appends and epoch writes in flight
    bool flush_scheduled = false;
    bool slow = false;  // flushes take 20..120 instead of 1..6
    // The highest zxid durable in the log or the state: no ACK or reply may
    // get ahead of it.
    uint64_t DurableZxid() const { return std::max(log.LastZxid(), state.LastApplied()).raw(); }
  };
  struct Node {
    std::unique_ptr<server::NodeCore> core;
    Disk disk;
    uint64_t incarnation = 0;
    int group = 0;
    double clock_rate = 1.0;
    std::vector<std::pair<uint64_t, std::string>> applied;  // since its last install
  };
  struct Link {
    bool up = false;
    uint64_t id = 0;
    int64_t retry_at = 0;
    int64_t last_delivery[2] = {0, 0};
    bool blocked[2] = {false, false};
    std::deque<proto::PeerFrame> held[2];  // arrived while blocked, in order
  };
  struct Client {
    int node = -1;
    server::ConnId conn = 0;
    int64_t session = 0;
    std::string password;
    int64_t last_zxid = 0;        // highest zxid seen on any stream
    int64_t last_reply_zxid = 0;  // highest zxid of a reply: later events must be above it
    int64_t stream_zxid = 0;      // highest zxid on the current stream
    int64_t next_xid = 1;
    std::map<int64_t, size_t> outstanding;  // xid -> ops_ index
    // The session's one-shot watches: (path, 0 data / 1 child / 2 exists on
    // a missing node). Kept across a move: SetWatches re-registers them.
    std::set<std::pair<std::string, int>> watches;
    bool connecting = false;
    int64_t connect_xid = 0;
    int64_t set_watches_xid = 0;  // a SetWatches in flight
    int64_t next_op_at = 0;
  };
  enum class Kind { kTick, kFrame, kFlush, kClientOp, kReconnect, kLinkRetry, kFault };
  struct Event {
    Kind kind;
    int node = 0;
    int other = 0;
    uint64_t tag = 0;
    proto::PeerFrame frame;
  };

  void Schedule(int64_t at, Event e);
  void Step();
  void Start(int i);
  void Crash(int i);
  void Drive(int i);  // carries out node i's ready batches
  void DoStorage(int i, std::vector<server::StorageOp>& ops);
  // Makes node i's pending writes durable and reports them (appends up to
  // `cap` at most).
  void Flush(int i, server::Zxid cap = server::Zxid::Max());
  void SendFrame(int from, int to, proto::PeerFrame frame);
  void BreakLink(int a, int b);
  void MaybeConnect(int a, int b);
  Link& LinkOf(int a, int b);
  void OnClientOut(int node, server::ClientOut& out);
  void OnClose(int node, server::ConnId conn);
  // After a reattach: re-registers the session's watches, relative to the
  // last zxid it saw, as ZooKeeper's clients do.
  void SendSetWatches(int c);
  void ClientConnect(int c);
  void ClientOp(int c);
  void RandomFault();
  void HealAll();
  // Delivers what a blocked direction held, in order, and unblocks it.
  void Unblock(int from, int to);
  int64_t NodeTime(int i) const;

  // node_sim_check.cc
  void CheckAll();
  void CheckApplyAgreement();
  void CheckClients();
  void CheckConvergence();
  // Sessions: an EXPIRED event names the committed closeSession that expired
  // the session, and no session expires sooner than half its timeout after a
  // write of it succeeded.
  void CheckExpiries();
  // After healing, every request on a stream that is still open was answered.
  void CheckLiveness();
  void Anomaly(std::string what);
  // The last events, for a failing seed's report (verbose: printed as they go).
  void Trace(const std::string& line);

  NodeSimConfig config_;
  Rng rng_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  uint64_t steps_ = 0;
  bool faults_on_ = true;
  std::deque<Node> nodes_;  // not movable (the disks hold mutexes)
  std::map<std::pair<int, int>, Link> links_;
  std::map<std::pair<int64_t, uint64_t>, Event> events_;
  std::vector<Client> clients_;
  std::map<server::ConnId, int> conn_client_;  // live client streams
  server::ConnId next_conn_ = 1;
  std::vector<OpRecord> ops_;
  // Every txn applied anywhere, by zxid (the first applier fixes it).
  std::map<uint64_t, std::string> committed_;
  std::map<uint64_t, std::pair<int, int64_t>> first_applier_;  // zxid -> (node, time)
  // session -> times its client got an OK reply to a write (the leader took it).
  std::map<int64_t, std::vector<int64_t>> heard_;
  std::map<int64_t, int64_t> expired_events_;     // session -> zxid of its EXPIRED event
  std::vector<std::string> first_anomaly_trace_;  // the trace when the first anomaly was seen
  std::vector<std::string> anomalies_;
  std::deque<std::string> trace_;
  size_t ops_checked_ = 0;
  size_t creates_ok_ = 0;
  size_t watch_events_ = 0;
  size_t watches_reregistered_ = 0;
};

}  // namespace zabkeeper::sim

#endif  // ZABKEEPER_TESTS_SIM_NODE_SIM_H_
