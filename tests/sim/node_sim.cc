#include "tests/sim/node_sim.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/sim/cluster.h"

namespace zabkeeper::sim {
namespace {

constexpr int64_t kTickMs = 10;

}  // namespace

NodeSim::NodeSim(NodeSimConfig config)
    : config_(config), rng_(config.seed), faults_on_(config.faults) {
  for (int i = 0; i < config_.nodes; ++i) nodes_.emplace_back();
  clients_.resize(static_cast<size_t>(config_.clients));
  for (int i = 0; i < config_.nodes; ++i) {
    // Clocks drift: each node's tick period is off by up to 5%.
    nodes_[static_cast<size_t>(i)].clock_rate =
        0.95 + 0.1 * static_cast<double>(rng_.Range(0, 100)) / 100;
    Start(i);
  }
  for (int c = 0; c < config_.clients; ++c) {
    Schedule(rng_.Range(50, 150), Event{Kind::kClientOp, 0, c, 0, {}});
  }
  Schedule(500, Event{Kind::kFault, 0, 0, 0, {}});
}

NodeSim::~NodeSim() = default;

void NodeSim::Schedule(int64_t at, Event e) {
  events_.emplace(std::make_pair(at, seq_++), std::move(e));
}

int64_t NodeSim::NodeTime(int i) const {
  return static_cast<int64_t>(static_cast<double>(now_) *
                              nodes_[static_cast<size_t>(i)].clock_rate) +
         1000000;
}

NodeSim::Link& NodeSim::LinkOf(int a, int b) { return links_[{std::min(a, b), std::max(a, b)}]; }

// ---- nodes --------------------------------------------------------------------

void NodeSim::Start(int i) {
  Node& n = nodes_[static_cast<size_t>(i)];
  server::NodeCoreConfig cfg;
  cfg.my_id = i + 1;
  for (int k = 0; k < config_.nodes; ++k) cfg.voters.push_back(static_cast<uint64_t>(k + 1));
  cfg.tick_ms = kTickMs;
  cfg.init_limit_ticks = 20;
  cfg.sync_limit_ticks = 10;
  cfg.min_session_timeout_ms = 300;
  cfg.max_session_timeout_ms = 3000;
  cfg.container_check_interval_ms = 200;
  cfg.committed_log_window = 40;  // small, so lagging followers get SNAPs
  cfg.local_sessions_enabled = config_.local_sessions;
  cfg.local_sessions_upgrading_enabled = config_.local_sessions;
  cfg.random_seed = config_.seed * 1000 + static_cast<uint64_t>(i) * 10 + n.incarnation;
  cfg.start_wall_ms = NodeTime(i) + static_cast<int64_t>(n.incarnation) * 100000;
  auto core = server::NodeCore::Open(cfg, n.disk.log, n.disk.state, n.disk.epochs);
  if (!core.ok()) {
    Anomaly(absl::StrCat("node ", i + 1, " cannot start: ", core.status().ToString()));
    return;
  }
  n.core = std::move(*core);
  ++n.incarnation;
  Trace(absl::StrCat("n", i + 1, " start: state 0x", absl::Hex(n.disk.state.LastApplied().raw()),
                     " log to 0x", absl::Hex(n.disk.log.LastZxid().raw())));
  n.applied.clear();
  const uint64_t base = n.disk.state.LastApplied().raw();
  if (base != 0) n.applied.emplace_back(base, "");  // the recovered state's zxid
  n.core->on_apply = [this, i](server::Zxid z, const std::string& txn) {
    const uint64_t zxid = z.raw();
    Node& node = nodes_[static_cast<size_t>(i)];
    if (!node.applied.empty() && zxid <= node.applied.back().first) {
      Anomaly(absl::StrCat("node ", i + 1, " applied 0x", absl::Hex(zxid), " after 0x",
                           absl::Hex(node.applied.back().first)));
    }
    node.applied.emplace_back(zxid, txn);
    Trace(absl::StrCat("n", i + 1, " apply 0x", absl::Hex(zxid)));
    auto [it, fresh] = committed_.emplace(zxid, txn);
    if (fresh) first_applier_[zxid] = {i + 1, now_};
    if (!fresh && it->second != txn) {
      Anomaly(absl::StrCat("node ", i + 1, " applied a different txn at 0x", absl::Hex(zxid)));
    }
  };
  n.core->on_install = [this, i](server::Zxid zxid) {
    Node& node = nodes_[static_cast<size_t>(i)];
    node.applied.clear();
    node.applied.emplace_back(zxid.raw(), "");
    Trace(absl::StrCat("n", i + 1, " install snapshot ", zxid.ToString()));
  };
  Schedule(now_ + 1, Event{Kind::kTick, i, 0, n.incarnation, {}});
  for (int k = 0; k < config_.nodes; ++k) {
    if (k != i) MaybeConnect(i, k);
  }
}

void NodeSim::Crash(int i) {
  Node& n = nodes_[static_cast<size_t>(i)];
  if (!n.core) return;
  // Power loss: a random prefix of the in-flight writes reached the disk.
  const size_t keep =
      static_cast<size_t>(rng_.Range(0, static_cast<int64_t>(n.disk.pending.size())));
  for (size_t k = 0; k < keep; ++k) {
    server::StorageOp& op = n.disk.pending[k];
    if (op.kind == server::StorageOp::kAppend) {
      (void)n.disk.log.Append(op.entries);
    } else if (op.kind == server::StorageOp::kAcceptedEpoch) {
      (void)n.disk.epochs.SetAcceptedEpoch(op.epoch);
    } else if (op.kind == server::StorageOp::kCurrentEpoch) {
      (void)n.disk.epochs.SetCurrentEpoch(op.epoch);
    }
  }
  Trace(absl::StrCat("n", i + 1, " crash: ", keep, " of ", n.disk.pending.size(),
                     " pending writes reached the disk"));
  n.disk.pending.clear();
  n.disk.flush_scheduled = false;
  n.core.reset();
  for (int k = 0; k < config_.nodes; ++k) {
    if (k != i) BreakLink(i, k);
  }
  for (int c = 0; c < config_.clients; ++c) {
    if (clients_[static_cast<size_t>(c)].node == i)
      OnClose(i, clients_[static_cast<size_t>(c)].conn);
  }
}

void NodeSim::Drive(int i) {
  Node& n = nodes_[static_cast<size_t>(i)];
  for (int round = 0; round < 10000 && n.core && n.core->HasReady(); ++round) {
    server::NodeReady ready = n.core->TakeReady();
    DoStorage(i, ready.storage);
    for (auto& [to, frame] : ready.frames) SendFrame(i, static_cast<int>(to) - 1, std::move(frame));
    for (server::ClientOut& out : ready.client) OnClientOut(i, out);
    for (server::ConnId conn : ready.close) OnClose(i, conn);
  }
}

void NodeSim::DoStorage(int i, std::vector<server::StorageOp>& ops) {
  Disk& d = nodes_[static_cast<size_t>(i)].disk;
  for (server::StorageOp& op : ops) {
    switch (op.kind) {
      case server::StorageOp::kInstall:
        Trace(absl::StrCat("n", i + 1, " disk: install ", op.state.last_applied.ToString()));
        Flush(i, server::Zxid());  // earlier appends land first; the log they were in is gone
        (void)d.log.TruncateAfter(server::Zxid());
        (void)d.state.ReplaceAll(op.state);
        break;
      case server::StorageOp::kTruncate:
        Trace(absl::StrCat("n", i + 1, " disk: truncate after ", op.zxid.ToString()));
        Flush(i, op.zxid);
        (void)d.log.TruncateAfter(op.zxid);
        break;
      case server::StorageOp::kAppend:
        Trace(absl::StrCat("n", i + 1, " disk: append 0x", absl::Hex(op.entries.front().zxid.raw()),
                           "..0x", absl::Hex(op.entries.back().zxid.raw())));
        [[fallthrough]];
      case server::StorageOp::kAcceptedEpoch:
      case server::StorageOp::kCurrentEpoch:
        d.pending.push_back(std::move(op));
        if (!d.flush_scheduled) {
          d.flush_scheduled = true;
          Schedule(now_ + (d.slow ? rng_.Range(20, 120) : rng_.Range(1, 6)),
                   Event{Kind::kFlush, i, 0, nodes_[static_cast<size_t>(i)].incarnation, {}});
        }
        break;
      case server::StorageOp::kState:
        (void)d.state.Write(op.state);
        break;
      case server::StorageOp::kPurge:
        (void)d.log.PurgeBefore(storage::PurgePoint(op.zxid, d.state));
        break;
    }
  }
}

void NodeSim::Flush(int i, server::Zxid cap) {
  Node& n = nodes_[static_cast<size_t>(i)];
  Disk& d = n.disk;
  d.flush_scheduled = false;
  if (d.pending.empty() || !n.core) return;
  std::deque<server::StorageOp> ops;
  ops.swap(d.pending);
  server::Zxid persisted;
  uint64_t ack_to = 0;
  server::Zxid ack_zxid;
  for (server::StorageOp& op : ops) {
    if (op.kind == server::StorageOp::kAppend) {
      (void)d.log.Append(op.entries);
      persisted = op.entries.back().zxid;
      if (op.ack_to != 0) {
        ack_to = op.ack_to;
        ack_zxid = persisted;
      }
    } else if (op.kind == server::StorageOp::kAcceptedEpoch) {
      (void)d.epochs.SetAcceptedEpoch(op.epoch);
    } else {
      (void)d.epochs.SetCurrentEpoch(op.epoch);
    }
  }
  // Reported after all are durable, in order.
  for (server::StorageOp& op : ops) {
    if (op.kind == server::StorageOp::kAcceptedEpoch) n.core->AcceptedEpochPersisted(op.epoch);
    if (op.kind == server::StorageOp::kCurrentEpoch) n.core->CurrentEpochPersisted(op.epoch);
  }
  // Appends made before a truncation are reported only up to its point: the
  // core's log after it may hold new entries with those zxids, not durable.
  // The follower's ACK leaves from here, as from the runtime's storage thread.
  if (ack_to != 0 && ack_zxid <= cap) {
    Trace(absl::StrCat("n", i + 1, " disk: ack ", ack_zxid.ToString(), " to n", ack_to));
    SendFrame(i, static_cast<int>(ack_to) - 1, server::AckFrame(ack_zxid));
  }
  persisted = std::min(persisted, cap);
  if (!persisted.IsZero()) {
    Trace(absl::StrCat("n", i + 1, " persisted ", persisted.ToString()));
    n.core->Persisted(persisted);
  }
}

// ---- network ------------------------------------------------------------------

void NodeSim::MaybeConnect(int a, int b) {
  Node& na = nodes_[static_cast<size_t>(a)];
  Node& nb = nodes_[static_cast<size_t>(b)];
  Link& l = LinkOf(a, b);
  if (l.up || !na.core || !nb.core || na.group != nb.group) return;
  l.up = true;
  ++l.id;
  Trace(absl::StrCat("link n", a + 1, "-n", b + 1, " up"));
  na.core->PeerConnected(static_cast<uint64_t>(b + 1));
  nb.core->PeerConnected(static_cast<uint64_t>(a + 1));
  Drive(a);
  Drive(b);
}

void NodeSim::BreakLink(int a, int b) {
  Link& l = LinkOf(a, b);
  if (!l.up) return;
  l.up = false;
  for (int dir : {0, 1}) {
    l.blocked[dir] = false;
    l.held[dir].clear();  // lost with the connection
  }
  Trace(absl::StrCat("link n", a + 1, "-n", b + 1, " down"));
  for (int x : {a, b}) {
    const int y = x == a ? b : a;
    if (server::NodeCore* core = nodes_[static_cast<size_t>(x)].core.get()) {
      core->PeerDisconnected(static_cast<uint64_t>(y + 1));
      Drive(x);
    }
  }
  Schedule(now_ + 15, Event{Kind::kLinkRetry, a, b, 0, {}});
}

void NodeSim::SendFrame(int from, int to, proto::PeerFrame frame) {
  // Nothing leaves ahead of the sender's disk.
  const Disk& d = nodes_[static_cast<size_t>(from)].disk;
  const uint64_t durable = d.DurableZxid();
  for (const zabkeeper::zab::PeerMessage& m : frame.zab()) {
    if (m.has_ack() && m.ack().zxid() > durable) {
      Anomaly(absl::StrCat("node ", from + 1, " ACKed 0x", absl::Hex(m.ack().zxid()),
                           " with its log durable to 0x", absl::Hex(durable)));
    }
    if (m.has_ack_epoch() && m.ack_epoch().epoch() > d.epochs.AcceptedEpoch()) {
      Anomaly(absl::StrCat("node ", from + 1, " ACKEPOCHed ", m.ack_epoch().epoch(),
                           " with acceptedEpoch ", d.epochs.AcceptedEpoch(), " on disk"));
    }
  }
  Link& l = LinkOf(from, to);
  if (!l.up) return;
  const int dir = from < to ? 0 : 1;
  const int64_t at = std::max(now_ + rng_.Range(1, 5), l.last_delivery[dir]);
  l.last_delivery[dir] = at;
  Schedule(at, Event{Kind::kFrame, to, from, l.id, std::move(frame)});
}

// ---- the event loop -------------------------------------------------------------

void NodeSim::Step() {
  auto it = events_.begin();
  now_ = it->first.first;
  Event e = std::move(it->second);
  events_.erase(it);
  ++steps_;
  const int i = e.node;
  switch (e.kind) {
    case Kind::kTick: {
      Node& n = nodes_[static_cast<size_t>(i)];
      if (!n.core || n.incarnation != e.tag) return;
      n.core->Tick(NodeTime(i));
      Drive(i);
      Schedule(now_ + static_cast<int64_t>(kTickMs / n.clock_rate), e);
      return;
    }
    case Kind::kFrame: {
      Link& l = LinkOf(i, e.other);
      if (!l.up || l.id != e.tag || !nodes_[static_cast<size_t>(i)].core) return;
      const int dir = e.other < i ? 0 : 1;
      if (l.blocked[dir]) {
        // One-way block: held in order until unblocked (or the link breaks).
        l.held[dir].push_back(std::move(e.frame));
        return;
      }
      for (const zabkeeper::zab::PeerMessage& m : e.frame.zab()) {
        if (!m.has_ping())
          Trace(absl::StrCat("n", e.other + 1, " -> n", i + 1, " ", ::zab::sim::Describe(m)));
      }
      nodes_[static_cast<size_t>(i)].core->PeerFrame(static_cast<uint64_t>(e.other + 1),
                                                     std::move(e.frame));
      Drive(i);
      return;
    }
    case Kind::kFlush:
      if (nodes_[static_cast<size_t>(i)].incarnation != e.tag) return;
      Flush(i);
      Drive(i);
      return;
    case Kind::kClientOp:
      ClientOp(e.other);
      return;
    case Kind::kReconnect:
      ClientConnect(e.other);
      return;
    case Kind::kLinkRetry:
      MaybeConnect(e.node, e.other);
      if (!LinkOf(e.node, e.other).up) Schedule(now_ + 15, e);
      return;
    case Kind::kFault:
      if (faults_on_) RandomFault();
      Schedule(now_ + rng_.Range(100, 400), e);
      return;
  }
}

void NodeSim::RandomFault() {
  const int n = config_.nodes;
  const int a = static_cast<int>(rng_.Range(0, n - 1));
  int b = static_cast<int>(rng_.Range(0, n - 2));
  if (b >= a) ++b;
  switch (rng_.Range(0, 7)) {
    case 0:
      Crash(a);
      break;
    case 1:
      if (!nodes_[static_cast<size_t>(a)].core) Start(a);
      break;
    case 2:
      BreakLink(a, b);
      break;
    case 3: {
      // A random split (minority or majority side for each node).
      for (int k = 0; k < n; ++k)
        nodes_[static_cast<size_t>(k)].group = static_cast<int>(rng_.Range(0, 1));
      for (int x = 0; x < n; ++x) {
        for (int y = x + 1; y < n; ++y) {
          if (nodes_[static_cast<size_t>(x)].group != nodes_[static_cast<size_t>(y)].group)
            BreakLink(x, y);
        }
      }
      break;
    }
    case 4: {
      Link& l = LinkOf(a, b);
      if (l.up) l.blocked[a < b ? 0 : 1] = true;
      break;
    }
    case 5: {
      // A slow disk (a leader's: followers apply, and answer, before it).
      Disk& d = nodes_[static_cast<size_t>(a)].disk;
      d.slow = !d.slow;
      break;
    }
    default:
      HealAll();
      break;
  }
}

void NodeSim::HealAll() {
  for (Node& n : nodes_) {
    n.group = 0;
    n.disk.slow = false;
  }
  for (auto& [key, l] : links_) {
    Unblock(key.first, key.second);
    Unblock(key.second, key.first);
  }
  for (int i = 0; i < config_.nodes; ++i) {
    if (!nodes_[static_cast<size_t>(i)].core) Start(i);
  }
  for (int a = 0; a < config_.nodes; ++a) {
    for (int b = a + 1; b < config_.nodes; ++b) MaybeConnect(a, b);
  }
}

void NodeSim::Unblock(int from, int to) {
  Link& l = LinkOf(from, to);
  const int dir = from < to ? 0 : 1;
  l.blocked[dir] = false;
  while (!l.held[dir].empty() && l.up && nodes_[static_cast<size_t>(to)].core) {
    proto::PeerFrame frame = std::move(l.held[dir].front());
    l.held[dir].pop_front();
    nodes_[static_cast<size_t>(to)].core->PeerFrame(static_cast<uint64_t>(from + 1),
                                                    std::move(frame));
    Drive(to);
  }
  l.held[dir].clear();
}

void NodeSim::Run() {
  // A run stops at its first anomaly: what follows may not be meaningful
  // (or may end in a CHECK that would take the report with it).
  while (steps_ < config_.steps && !events_.empty() && anomalies_.empty()) Step();
  if (!anomalies_.empty()) return;
  // Heal, stop the load, and let everything settle.
  faults_on_ = false;
  HealAll();
  const uint64_t settle = steps_ + 20000;
  for (Client& c : clients_) c.next_op_at = -1;  // stop issuing
  while (steps_ < settle && !events_.empty()) {
    Step();
    if (!anomalies_.empty()) return;
    bool done = true;
    for (const Client& c : clients_) {
      if (c.conn != 0 && (c.connecting || !c.outstanding.empty())) done = false;
    }
    uint64_t applied = 0;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const server::NodeCore* core = nodes_[i].core.get();
      if (core == nullptr || !core->serving()) {
        done = false;
        break;
      }
      if (i == 0) applied = core->state().last_applied().raw();
      if (core->state().last_applied().raw() != applied ||
          core->peer().last_zxid().raw() != applied) {
        done = false;
      }
    }
    if (done) break;
  }
  CheckAll();
}

std::pair<uint64_t, uint64_t> NodeSim::final_state() const {
  const server::NodeCore* core = nodes_[0].core.get();
  if (core == nullptr) return {0, 0};
  return {core->state().last_applied().raw(), core->state().tree().digest()};
}

std::string NodeSim::Report() const {
  std::string out =
      absl::StrCat("seed ", config_.seed, " nodes ", config_.nodes, ": ", steps_, " steps, ",
                   ops_checked_, " ops checked, ", anomalies_.size(), " anomalies");
  if (!anomalies_.empty()) {
    absl::StrAppend(&out, "\n  last events before the first anomaly:");
    const size_t from = first_anomaly_trace_.size() > 40 ? first_anomaly_trace_.size() - 40 : 0;
    for (size_t k = from; k < first_anomaly_trace_.size(); ++k) {
      absl::StrAppend(&out, "\n    ", first_anomaly_trace_[k]);
    }
    absl::StrAppend(&out, "\n  anomalies:");
  }
  for (size_t k = 0; k < anomalies_.size() && k < 10; ++k)
    absl::StrAppend(&out, "\n  ", anomalies_[k]);
  return out;
}

void NodeSim::Trace(const std::string& line) {
  std::string text = absl::StrCat("t=", now_, " ", line);
  if (config_.verbose) std::printf("%s\n", text.c_str());
  trace_.push_back(std::move(text));
  if (trace_.size() > 300) trace_.pop_front();
}

void NodeSim::Anomaly(std::string what) {
  if (anomalies_.empty()) first_anomaly_trace_.assign(trace_.begin(), trace_.end());
  anomalies_.push_back(absl::StrCat("t=", now_, " ", std::move(what)));
}

}  // namespace zabkeeper::sim
