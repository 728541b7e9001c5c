// Cluster: N ZAB cores (consensus/peer.h) in one process, driven from one
// seed: simulated FIFO connections that break and reconnect, per-message delay
// (so messages reorder across connections, never within one), symmetric and
// asymmetric partitions, crash + restart where a crash loses every write the
// disk had not reported durable (a random prefix of the pending writes may
// have reached the platter, its last record possibly torn), slow and stalled
// disks, failing fsyncs (the node stops), records corrupted on disk and
// detected at read, messages of a broken connection arriving again
// (duplicated, reordered) on the next one, and scenario hooks that act on a
// chosen message. Time is an integer; every node ticks every tick_interval.
//
// Everything is deterministic in (config, seed, calls): a failing run
// replays exactly. Invariants are checked as things happen (see checker.h).
#ifndef ZABKEEPER_TESTS_SIM_CLUSTER_H_
#define ZABKEEPER_TESTS_SIM_CLUSTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "consensus/peer.h"
#include "tests/sim/checker.h"
#include "tests/sim/durability_oracle.h"
#include "tests/sim/rng.h"

namespace zab::sim {

struct SimConfig {
  int nodes = 3;
  uint64_t seed = 1;
  bool verbose = false;
  int64_t tick_interval = 10;
  int64_t min_delay = 1;
  int64_t max_delay = 6;
  int64_t disk_min = 1;
  int64_t disk_max = 4;
  int64_t slow_disk_min = 20;
  int64_t slow_disk_max = 120;
  int64_t reconnect_delay = 15;
  int64_t snapshot_delay_max = 20;
  size_t trace_tail = 80;          // events printed before a violation
  size_t max_link_backlog = 5000;  // a blocked direction breaks past this
  // Fault knobs, 0 = off (random runs set them from their fault set).
  double fsync_error_rate = 0;  // per flush: the fsync fails and the node stops
  double torn_write_rate = 0;   // per crash: the last unsynced record on disk is torn
  double stale_on_break = 0;    // per broken connection: some of its messages come
                                // again, reordered, on the next connection
  PeerConfig peer;              // template; sid, voters, seed set per node
};

// What a scenario hook wants done with a message.
enum class Action { kDeliver, kBreakLink, kCrashReceiver, kCrashSender };

class Cluster {
 public:
  explicit Cluster(SimConfig config);

  int size() const { return static_cast<int>(nodes_.size()); }
  static ServerId Sid(int i) { return static_cast<ServerId>(i + 1); }
  int64_t now() const { return now_; }
  uint64_t steps() const { return steps_; }

  // ---- Running -------------------------------------------------------------
  // Processes the next event. False if there is none (never happens: ticks).
  bool StepOnce();
  void RunFor(int64_t duration);
  // Steps until pred() holds; false after max_steps.
  bool RunUntil(const std::function<bool()>& pred, uint64_t max_steps);

  // ---- Faults --------------------------------------------------------------
  // Crash: the node loses all pending disk writes except the first
  // `survive_ops` of each file (nullopt: a random prefix of each) and all its
  // connections.
  void Crash(int i, std::optional<size_t> survive_ops = 0);
  // Starts node i from its disk. Recovery drops a torn tail record, and a
  // corrupt record covered by the applied state with the log before it; a
  // corrupt record past the applied state makes the start fail (false): the
  // node stops rather than serve from a log with a hole. The sim then stands
  // in for the operator and restores the record, so a later start works.
  bool Restart(int i);
  bool up(int i) const { return nodes_[i].peer != nullptr; }
  void BreakLink(int a, int b);
  // Nodes in different groups cannot talk. Heal() puts everyone together.
  void Partition(const std::vector<int>& group_of_node);
  void Heal();
  // Messages from -> to wait (connection stays up) until unblocked.
  void Block(int from, int to);
  void UnblockAll();
  void SetSlowDisk(int i, bool slow) { nodes_[i].disk.slow = slow; }
  // A stalled log completes no append until released (epoch files still
  // complete: they are separate files).
  void StallDisk(int i, bool stalled);
  // Bit rot: a random durable log record of node i, not its last, no longer
  // passes its checksum; the next start detects it.
  void CorruptRecord(int i);
  // Overwrites a crashed node's epoch files (models ZOOKEEPER-2307's torn
  // epoch update: currentEpoch ahead of acceptedEpoch on disk).
  void SetDurableEpochs(int i, Epoch accepted, Epoch current) {
    nodes_[i].disk.accepted = accepted;
    nodes_[i].disk.current = current;
  }
  size_t PendingDiskOps(int i) const {
    return nodes_[i].disk.pending.size() + nodes_[i].disk.pending_meta.size();
  }

  // Hooks (scenarios): called for each message when sent / before delivery.
  std::function<Action(int from, int to, const zabkeeper::zab::PeerMessage&)> on_send;
  std::function<Action(int from, int to, const zabkeeper::zab::PeerMessage&)> on_deliver;

  // ---- Clients -------------------------------------------------------------
  absl::StatusOr<Zxid> Propose(int i, std::string txn);
  // Index of an established leader (the highest epoch if several), or -1.
  int EstablishedLeader() const;
  // Proposes on the established leader, if any.
  absl::StatusOr<Zxid> ProposeOnLeader(std::string txn);

  // ---- Observation -----------------------------------------------------------
  const Peer& peer(int i) const { return *nodes_[i].peer; }
  const StateMachine& state(int i) const { return nodes_[i].disk.sm; }
  const std::vector<LogEntry>& durable_log(int i) const { return nodes_[i].disk.log; }
  Epoch durable_current_epoch(int i) const { return nodes_[i].disk.current; }
  Epoch durable_accepted_epoch(int i) const { return nodes_[i].disk.accepted; }
  Checker& checker() { return checker_; }
  const DurabilityOracle& oracle() const { return oracle_; }
  bool failed() const { return checker_.failed(); }
  // Heals everything, restarts everyone, and checks that a leader is
  // established, a new txn commits everywhere and all states converge.
  bool CheckLivenessAndConvergence(uint64_t max_steps);
  // Last events, formatted.
  std::string TraceTail() const;
  void Log(std::string line);

 private:
  struct PendingOp {
    enum Kind { kAppend, kAccepted, kCurrent } kind;
    LogEntry entry;
    Epoch epoch = 0;
  };
  struct Disk {
    Epoch accepted = 0;
    Epoch current = 0;
    std::vector<LogEntry> log;  // durable
    StateMachine sm;            // durable, updated at apply
    // Two independent files, as in ZooKeeper (txn log vs. epoch files): an
    // epoch write can complete while log appends still wait, and vice versa.
    std::deque<PendingOp> pending;       // log appends
    std::deque<PendingOp> pending_meta;  // epoch writes
    Zxid last_written;                   // last zxid of durable log + pending appends
    std::map<Zxid, bool> bad;            // records failing their checksum: torn?
    bool flush_scheduled = false;
    bool slow = false;
    bool stalled = false;
  };
  struct Node {
    std::unique_ptr<Peer> peer;
    Disk disk;
    uint64_t incarnation = 0;
    int group = 0;
  };
  struct Link {
    bool up = false;
    uint64_t conn = 0;
    int64_t retry_at = 0;
    int64_t last_delivery[2] = {0, 0};
    bool blocked[2] = {false, false};
    std::deque<zabkeeper::zab::PeerMessage> held[2];
    // stale_on_break: the last messages delivered per direction, and those
    // that will arrive again on the next connection.
    std::deque<zabkeeper::zab::PeerMessage> recent[2];
    std::vector<zabkeeper::zab::PeerMessage> stale[2];
    uint64_t stale_incarnation[2] = {0, 0};  // of (lower, higher) node when kept
  };
  enum class EventKind { kTick, kDeliver, kFlush, kSnapshotReady };
  struct Event {
    Event(EventKind k, int n, int o = 0, uint64_t t = 0, zabkeeper::zab::PeerMessage m = {})
        : kind(k), node(n), other(o), tag(t), message(std::move(m)) {}
    EventKind kind;
    int node = 0;
    int other = 0;
    uint64_t tag = 0;  // connection id or incarnation
    zabkeeper::zab::PeerMessage message;
    Zxid zxid;
    std::string data;
  };
  struct TraceRecord {
    int64_t time;
    std::string text;
  };

  Link& LinkOf(int a, int b);
  int Dir(int from, int to) const { return from < to ? 0 : 1; }
  void Schedule(int64_t at, Event e);
  void Connect(int a, int b);
  void MaybeConnect(int i);
  void Transmit(int from, int to, zabkeeper::zab::PeerMessage m);
  void SendNow(int from, int to, zabkeeper::zab::PeerMessage m);
  void Deliver(Event& e);
  void Flush(int i);
  void ScheduleFlush(int i);
  void ProcessReady(int i);
  void ProcessReadyLoop(int i);
  void PersistOps(std::deque<PendingOp>& q, Disk& d, size_t count);
  DiskView ViewOf(int i) const;
  int DurableCopies(Zxid z) const;
  void KeepStaleMessages(int a, int b, Link& l);
  void SendStaleMessages(int a, int b);
  // False: the node refuses to start (see Restart).
  bool Recover(int i);
  Peer* Live(int i) { return nodes_[i].peer.get(); }
  void Trace(const std::function<std::string()>& text);

  SimConfig config_;
  Rng rng_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  uint64_t steps_ = 0;
  std::vector<Node> nodes_;
  std::vector<bool> in_ready_;  // re-entrancy guard: keeps each node's sends in order
  std::map<std::pair<int, int>, Link> links_;
  std::map<std::pair<int64_t, uint64_t>, Event> events_;
  Checker checker_;
  DurabilityOracle oracle_;
  std::deque<TraceRecord> trace_;
};

std::string Describe(const zabkeeper::zab::PeerMessage& m);

}  // namespace zab::sim

#endif  // ZABKEEPER_TESTS_SIM_CLUSTER_H_
