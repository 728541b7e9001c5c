#include "tests/sim/cluster.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace zab::sim {

using zabkeeper::zab::PeerMessage;

std::string Describe(const PeerMessage& m) {
  auto z = [](uint64_t raw) { return Zxid::FromRaw(raw).ToString(); };
  switch (m.body_case()) {
    case PeerMessage::kNotification: {
      const auto& n = m.notification();
      return absl::StrCat("NOTIFICATION(leader=", n.leader(), " zxid=", z(n.zxid()),
                          " epoch=", n.peer_epoch(), " round=", n.election_epoch(),
                          " state=", zabkeeper::zab::ServerState_Name(n.state()), ")");
    }
    case PeerMessage::kFollowerInfo:
      return absl::StrCat("FOLLOWERINFO(accepted=", m.follower_info().accepted_epoch(),
                          " last=", z(m.follower_info().last_zxid()), ")");
    case PeerMessage::kLeaderInfo:
      return absl::StrCat("LEADERINFO(", m.leader_info().new_epoch(), ")");
    case PeerMessage::kAckEpoch:
      return absl::StrCat("ACKEPOCH(current=", m.ack_epoch().current_epoch(),
                          " last=", z(m.ack_epoch().last_zxid()),
                          m.ack_epoch().already_accepted() ? " no-count" : "", ")");
    case PeerMessage::kDiff:
      return absl::StrCat("DIFF(", z(m.diff().zxid()), ")");
    case PeerMessage::kTrunc:
      return absl::StrCat("TRUNC(", z(m.trunc().zxid()), ")");
    case PeerMessage::kSnap:
      return absl::StrCat("SNAP(", z(m.snap().zxid()), ")");
    case PeerMessage::kNewLeader:
      return absl::StrCat("NEWLEADER(epoch=", m.new_leader().epoch(),
                          " zxid=", z(m.new_leader().zxid()), ")");
    case PeerMessage::kUpToDate:
      return absl::StrCat("UPTODATE(", z(m.up_to_date().commit_zxid()), ")");
    case PeerMessage::kProposal:
      return absl::StrCat("PROPOSAL(", z(m.proposal().zxid()), ")");
    case PeerMessage::kAck:
      return absl::StrCat(m.ack().new_leader() ? "ACK-NEWLEADER(" : "ACK(", z(m.ack().zxid()), ")");
    case PeerMessage::kCommit:
      return absl::StrCat("COMMIT(", z(m.commit().zxid()), ")");
    case PeerMessage::kPing:
      return "PING";
    case PeerMessage::BODY_NOT_SET:
      break;
  }
  return "EMPTY";
}

Cluster::Cluster(SimConfig config)
    : config_(std::move(config)), rng_(config_.seed), oracle_(&checker_, config_.nodes) {
  CHECK_GE(config_.nodes, 1);
  nodes_.resize(static_cast<size_t>(config_.nodes));
  in_ready_.assign(nodes_.size(), false);
  for (int i = 0; i < size(); ++i) {
    for (int j = i + 1; j < size(); ++j) links_[{i, j}] = Link();
  }
  for (int i = 0; i < size(); ++i) {
    Restart(i);
    Event t{EventKind::kTick, i};
    Schedule(rng_.Range(1, config_.tick_interval), std::move(t));
  }
}

void Cluster::Trace(const std::function<std::string()>& text) {
  if (config_.verbose) {
    std::printf("[t=%lld] %s\n", static_cast<long long>(now_), text().c_str());
    return;
  }
  if (config_.trace_tail == 0) return;
  trace_.push_back(TraceRecord{now_, text()});
  if (trace_.size() > config_.trace_tail) trace_.pop_front();
}

void Cluster::Log(std::string line) {
  Trace([&] { return line; });
}

std::string Cluster::TraceTail() const {
  std::string out;
  for (const TraceRecord& r : trace_) absl::StrAppend(&out, "  [t=", r.time, "] ", r.text, "\n");
  return out;
}

Cluster::Link& Cluster::LinkOf(int a, int b) { return links_.at({std::min(a, b), std::max(a, b)}); }

void Cluster::Schedule(int64_t at, Event e) {
  events_.emplace(std::make_pair(std::max(at, now_), seq_++), std::move(e));
}

bool Cluster::StepOnce() {
  if (events_.empty()) return false;
  auto node = events_.extract(events_.begin());
  now_ = node.key().first;
  Event& e = node.mapped();
  ++steps_;
  switch (e.kind) {
    case EventKind::kTick: {
      int i = e.node;
      Schedule(now_ + config_.tick_interval, Event{EventKind::kTick, i});
      if (Peer* p = Live(i)) {
        MaybeConnect(i);
        if ((p = Live(i))) {
          p->Tick();
          ProcessReady(i);
        }
      }
      break;
    }
    case EventKind::kDeliver:
      Deliver(e);
      break;
    case EventKind::kFlush:
      if (Live(e.node) && nodes_[e.node].incarnation == e.tag) {
        nodes_[e.node].disk.flush_scheduled = false;
        Flush(e.node);
      }
      break;
    case EventKind::kSnapshotReady:
      if (Peer* p = Live(e.node); p && nodes_[e.node].incarnation == e.tag) {
        Trace([&] { return absl::StrCat("n", e.node, " snapshot ready for n", e.other); });
        p->SnapshotReady(Sid(e.other), e.zxid, std::move(e.data));
        ProcessReady(e.node);
      }
      break;
  }
  return true;
}

void Cluster::RunFor(int64_t duration) {
  const int64_t end = now_ + duration;
  while (!events_.empty() && events_.begin()->first.first <= end) StepOnce();
  now_ = std::max(now_, end);
}

bool Cluster::RunUntil(const std::function<bool()>& pred, uint64_t max_steps) {
  for (uint64_t i = 0; i < max_steps; ++i) {
    if (pred()) return true;
    if (!StepOnce()) return false;
  }
  return pred();
}

// ---- Network ------------------------------------------------------------------

void Cluster::Connect(int a, int b) {
  Link& l = LinkOf(a, b);
  if (l.up) return;
  l.up = true;
  ++l.conn;
  l.last_delivery[0] = l.last_delivery[1] = now_;
  Trace([&] { return absl::StrCat("connect n", a, " <-> n", b); });
  if (Peer* p = Live(a)) {
    p->PeerConnected(Sid(b));
    ProcessReady(a);
  }
  if (Peer* p = Live(b)) {
    p->PeerConnected(Sid(a));
    ProcessReady(b);
  }
  SendStaleMessages(a, b);
}

void Cluster::SendStaleMessages(int a, int b) {
  Link& l = LinkOf(a, b);
  const int lo = std::min(a, b), hi = std::max(a, b);
  // Only between the same two processes: a restarted process has no old
  // connection whose bytes could still arrive.
  const bool same = nodes_[lo].incarnation == l.stale_incarnation[0] &&
                    nodes_[hi].incarnation == l.stale_incarnation[1];
  for (int d = 0; d < 2; ++d) {
    const int from = d == 0 ? lo : hi;
    const int to = d == 0 ? hi : lo;
    std::vector<PeerMessage> stale = std::move(l.stale[d]);
    l.stale[d].clear();
    if (!same) continue;
    for (PeerMessage& m : stale) {
      Trace([&] { return absl::StrCat("n", from, " -> n", to, " again: ", Describe(m)); });
      Transmit(from, to, std::move(m));
    }
  }
}

void Cluster::KeepStaleMessages(int a, int b, Link& l) {
  // Some in-flight messages of the dying connection, and some already
  // delivered ones, will arrive again on the next connection, shuffled: a
  // transport that replays or reorders across reconnects must not break the
  // core.
  const int lo = std::min(a, b), hi = std::max(a, b);
  l.stale[0].clear();  // one connection back at most
  l.stale[1].clear();
  l.stale_incarnation[0] = nodes_[lo].incarnation;
  l.stale_incarnation[1] = nodes_[hi].incarnation;
  for (const auto& [key, e] : events_) {
    if (e.kind != EventKind::kDeliver || e.tag != l.conn) continue;
    if (!((e.node == lo && e.other == hi) || (e.node == hi && e.other == lo))) continue;
    if (rng_.Chance(0.5)) l.stale[Dir(e.other, e.node)].push_back(e.message);
  }
  for (int d = 0; d < 2; ++d) {
    for (const PeerMessage& m : l.recent[d]) {
      if (rng_.Chance(0.25)) l.stale[d].push_back(m);
    }
    rng_.Shuffle(l.stale[d]);
  }
}

void Cluster::MaybeConnect(int i) {
  for (int j = 0; j < size(); ++j) {
    if (j == i || !Live(i)) continue;
    Link& l = LinkOf(i, j);
    if (!l.up && Live(j) && nodes_[i].group == nodes_[j].group && now_ >= l.retry_at) {
      Connect(i, j);
    }
  }
}

void Cluster::BreakLink(int a, int b) {
  Link& l = LinkOf(a, b);
  if (!l.up) return;
  l.up = false;
  if (config_.stale_on_break > 0 && Live(a) && Live(b) && rng_.Chance(config_.stale_on_break)) {
    KeepStaleMessages(a, b, l);
  }
  ++l.conn;  // in-flight messages of the old connection are dropped
  l.held[0].clear();
  l.held[1].clear();
  l.recent[0].clear();
  l.recent[1].clear();
  l.retry_at = now_ + config_.reconnect_delay;
  Trace([&] { return absl::StrCat("break n", a, " <-> n", b); });
  if (Peer* p = Live(a)) {
    p->PeerDisconnected(Sid(b));
    ProcessReady(a);
  }
  if (Peer* p = Live(b)) {
    p->PeerDisconnected(Sid(a));
    ProcessReady(b);
  }
}

void Cluster::Partition(const std::vector<int>& group_of_node) {
  CHECK_EQ(group_of_node.size(), nodes_.size());
  for (int i = 0; i < size(); ++i) nodes_[i].group = group_of_node[i];
  Trace([&] {
    std::string s = "partition";
    for (int g : group_of_node) absl::StrAppend(&s, " ", g);
    return s;
  });
  for (int i = 0; i < size(); ++i) {
    for (int j = i + 1; j < size(); ++j) {
      if (nodes_[i].group != nodes_[j].group) BreakLink(i, j);
    }
  }
}

void Cluster::Heal() { Partition(std::vector<int>(nodes_.size(), 0)); }

void Cluster::Block(int from, int to) {
  LinkOf(from, to).blocked[Dir(from, to)] = true;
  Trace([&] { return absl::StrCat("block n", from, " -> n", to); });
}

void Cluster::UnblockAll() {
  Trace([] { return std::string("unblock all"); });
  for (auto& [key, l] : links_) {
    for (int d = 0; d < 2; ++d) {
      l.blocked[d] = false;
      int from = d == 0 ? key.first : key.second;
      int to = d == 0 ? key.second : key.first;
      std::deque<PeerMessage> held = std::move(l.held[d]);
      l.held[d].clear();
      for (PeerMessage& m : held) Transmit(from, to, std::move(m));
    }
  }
}

void Cluster::SendNow(int from, int to, PeerMessage m) {
  if (on_send) {
    Action a = on_send(from, to, m);
    if (a == Action::kCrashSender) {
      Trace(
          [&] { return absl::StrCat("hook: crash n", from, " instead of sending ", Describe(m)); });
      Crash(from);
      return;
    }
    if (a == Action::kCrashReceiver) {
      Trace([&] { return absl::StrCat("hook: crash n", to, " as ", Describe(m), " is sent"); });
      Crash(to);
      return;
    }
    if (a == Action::kBreakLink) {
      BreakLink(from, to);
      return;
    }
  }
  Transmit(from, to, std::move(m));
}

void Cluster::Transmit(int from, int to, PeerMessage m) {
  Link& l = LinkOf(from, to);
  if (!l.up) return;
  const int d = Dir(from, to);
  if (l.blocked[d]) {
    l.held[d].push_back(std::move(m));
    // A connection that cannot deliver for long enough is declared dead (as
    // TCP's user timeout would).
    if (l.held[d].size() > config_.max_link_backlog) BreakLink(from, to);
    return;
  }
  int64_t at =
      std::max(now_ + rng_.Range(config_.min_delay, config_.max_delay), l.last_delivery[d]);
  l.last_delivery[d] = at;  // FIFO per connection: (time, seq) keeps the order
  Event e{EventKind::kDeliver, to, from, l.conn, std::move(m)};
  Schedule(at, std::move(e));
}

void Cluster::Deliver(Event& e) {
  const int to = e.node;
  const int from = e.other;
  Link& l = LinkOf(from, to);
  if (!l.up || l.conn != e.tag || !Live(to)) return;
  if (on_deliver) {
    Action a = on_deliver(from, to, e.message);
    if (a == Action::kCrashReceiver) {
      Trace([&] {
        return absl::StrCat("hook: crash n", to, " before receiving ", Describe(e.message));
      });
      Crash(to);
      return;
    }
    if (a == Action::kCrashSender) {
      Trace([&] {
        return absl::StrCat("hook: crash n", from, " as n", to, " gets ", Describe(e.message));
      });
      Crash(from);
      return;
    }
    if (a == Action::kBreakLink) {
      BreakLink(from, to);
      return;
    }
  }
  if (e.message.body_case() != PeerMessage::kPing || config_.verbose) {
    Trace([&] { return absl::StrCat("n", from, " -> n", to, " ", Describe(e.message)); });
  }
  if (config_.stale_on_break > 0) {
    std::deque<PeerMessage>& recent = l.recent[Dir(from, to)];
    recent.push_back(e.message);
    if (recent.size() > 4) recent.pop_front();
  }
  oracle_.OnDeliver(to, e.message);
  if (e.message.has_ack_epoch()) checker_.OnAckEpochDelivered(to, from, e.message.ack_epoch());
  Live(to)->Step(Sid(from), e.message);
  ProcessReady(to);
}

// ---- Disk and Ready ---------------------------------------------------------

void Cluster::ScheduleFlush(int i) {
  Disk& d = nodes_[i].disk;
  if (d.flush_scheduled || !Live(i)) return;
  if ((d.pending.empty() || d.stalled) && d.pending_meta.empty()) return;
  d.flush_scheduled = true;
  int64_t delay = d.slow ? rng_.Range(config_.slow_disk_min, config_.slow_disk_max)
                         : rng_.Range(config_.disk_min, config_.disk_max);
  Schedule(now_ + delay, Event{EventKind::kFlush, i, 0, nodes_[i].incarnation});
}

void Cluster::StallDisk(int i, bool stalled) {
  nodes_[i].disk.stalled = stalled;
  Trace([&] { return absl::StrCat("disk n", i, stalled ? " stalled" : " released"); });
  if (!stalled) ScheduleFlush(i);
}

void Cluster::PersistOps(std::deque<PendingOp>& q, Disk& d, size_t count) {
  count = std::min(count, q.size());
  for (size_t k = 0; k < count; ++k) {
    PendingOp& op = q.front();
    switch (op.kind) {
      case PendingOp::kAppend:
        d.log.push_back(std::move(op.entry));
        break;
      case PendingOp::kAccepted:
        d.accepted = op.epoch;
        break;
      case PendingOp::kCurrent:
        d.current = op.epoch;
        break;
    }
    q.pop_front();
  }
}

void Cluster::Flush(int i) {
  Disk& d = nodes_[i].disk;
  if (config_.fsync_error_rate > 0 && rng_.Chance(config_.fsync_error_rate)) {
    // A failed fsync leaves the file in an unknown state; retrying it can
    // report success for data that was dropped (PostgreSQL's "fsyncgate"), so
    // the node stops instead. Some prefix of the writes may have landed.
    Trace([&] { return absl::StrCat("n", i, " fsync failed: the node stops"); });
    Crash(i, std::nullopt);
    return;
  }
  // Group commit: everything pending now becomes durable, then the core hears
  // about it in write order.
  std::vector<PendingOp> done;
  if (!d.stalled) {
    done.assign(std::make_move_iterator(d.pending.begin()),
                std::make_move_iterator(d.pending.end()));
    d.pending.clear();
  }
  std::vector<PendingOp> meta(std::make_move_iterator(d.pending_meta.begin()),
                              std::make_move_iterator(d.pending_meta.end()));
  d.pending_meta.clear();
  std::optional<Zxid> appended;
  for (PendingOp& op : done) {
    appended = op.entry.zxid;
    d.log.push_back(std::move(op.entry));
  }
  for (const PendingOp& op : meta) {
    if (op.kind == PendingOp::kAccepted) d.accepted = op.epoch;
    if (op.kind == PendingOp::kCurrent) d.current = op.epoch;
  }
  Trace([&] {
    return absl::StrCat("n", i, " disk flushed ", done.size(), " appends",
                        appended ? absl::StrCat(" through ", appended->ToString()) : "", ", ",
                        meta.size(), " epoch writes");
  });
  Peer* p = Live(i);
  if (appended) p->Persisted(*appended);
  for (const PendingOp& op : meta) {
    if (op.kind == PendingOp::kAccepted) p->AcceptedEpochPersisted(op.epoch);
    if (op.kind == PendingOp::kCurrent) p->CurrentEpochPersisted(op.epoch);
  }
  ProcessReady(i);
  ScheduleFlush(i);
}

int Cluster::DurableCopies(Zxid z) const {
  int copies = 0;
  for (const Node& n : nodes_) {
    const auto it = std::lower_bound(n.disk.log.begin(), n.disk.log.end(), z,
                                     [](const LogEntry& e, Zxid v) { return e.zxid < v; });
    if (n.disk.sm.last >= z || (it != n.disk.log.end() && it->zxid == z)) ++copies;
  }
  return copies;
}

DiskView Cluster::ViewOf(int i) const {
  const Disk& d = nodes_[i].disk;
  DiskView v;
  v.durable_through = d.log.empty() ? d.sm.last : std::max(d.log.back().zxid, d.sm.last);
  v.accepted = d.accepted;
  v.current = d.current;
  return v;
}

void Cluster::ProcessReady(int i) {
  // A hook or a broken link can feed this node while we are sending its
  // batch; the outer loop picks that output up after the current batch, so
  // messages leave in the order the core produced them.
  if (in_ready_[i]) return;
  in_ready_[i] = true;
  ProcessReadyLoop(i);
  in_ready_[i] = false;
}

void Cluster::ProcessReadyLoop(int i) {
  // Bounded: each round moves the core forward; a core that keeps producing
  // output without input would be a bug.
  for (int round = 0; round < 1000; ++round) {
    Peer* p = Live(i);
    if (p == nullptr || !p->HasReady()) return;
    Ready r = p->TakeReady();
    Disk& d = nodes_[i].disk;
    const uint64_t incarnation = nodes_[i].incarnation;
    if (r.install_snapshot) {
      StateMachine sm;
      if (!StateMachine::Decode(r.install_snapshot->data, &sm) ||
          sm.last != r.install_snapshot->zxid) {
        checker_.Fail(absl::StrCat("node ", i, " got an undecodable snapshot"));
        return;
      }
      d.sm = sm;
      d.log.clear();
      d.bad.clear();
      std::erase_if(d.pending, [](const PendingOp& op) { return op.kind == PendingOp::kAppend; });
      d.last_written = sm.last;
      checker_.OnInstall(i, sm);
      Trace([&] { return absl::StrCat("n", i, " installed snapshot at ", sm.last.ToString()); });
    }
    if (r.truncate_after) {
      Zxid t = *r.truncate_after;
      std::erase_if(d.log, [t](const LogEntry& e) { return e.zxid > t; });
      std::erase_if(d.pending, [t](const PendingOp& op) {
        return op.kind == PendingOp::kAppend && op.entry.zxid > t;
      });
      d.last_written = std::min(d.last_written, t);
      if (d.sm.last > t) checker_.Fail(absl::StrCat("node ", i, " truncated applied txns"));
      Trace([&] { return absl::StrCat("n", i, " truncated after ", t.ToString()); });
    }
    for (LogEntry& e : r.append) {
      checker_.OnAppend(i, d.last_written, e.zxid);
      d.last_written = e.zxid;
      d.pending.push_back(PendingOp{PendingOp::kAppend, std::move(e), 0});
    }
    if (r.persist_accepted_epoch) {
      d.pending_meta.push_back(PendingOp{PendingOp::kAccepted, {}, *r.persist_accepted_epoch});
    }
    if (r.persist_current_epoch) {
      oracle_.OnCurrentEpochWrite(i, *r.persist_current_epoch, *p, ViewOf(i));
      d.pending_meta.push_back(PendingOp{PendingOp::kCurrent, {}, *r.persist_current_epoch});
    }
    const DiskView before_apply = ViewOf(i);
    for (const LogEntry& e : r.commit) {
      oracle_.OnApply(i, e.zxid, before_apply);
      if (d.sm.count >= checker_.committed_count()) {
        checker_.OnFirstCommit(e.zxid, DurableCopies(e.zxid), size() / 2 + 1);
      }
      d.sm.count++;
      d.sm.hash = ChainHash(d.sm.hash, e);
      d.sm.last = e.zxid;
      checker_.OnApply(i, e, d.sm);
    }
    // After this batch's commits, so the state and the core's log window agree.
    if (r.persist_current_epoch && p->role() == Role::kLeading) {
      checker_.OnDiscoveryDone(i, *p, d.sm, static_cast<size_t>(size() / 2 + 1));
    }
    for (const SnapshotRequest& s : r.snapshot_requests) {
      if (d.sm.last != s.zxid) {
        checker_.Fail(absl::StrCat("node ", i, " asked for a snapshot at ", s.zxid.ToString(),
                                   " but its state is at ", d.sm.last.ToString()));
        return;
      }
      Event e{EventKind::kSnapshotReady, i, static_cast<int>(s.follower - 1), incarnation};
      e.zxid = s.zxid;
      e.data = d.sm.Encode();
      Schedule(now_ + rng_.Range(1, config_.snapshot_delay_max), std::move(e));
    }
    if (r.role) {
      const RoleState rs = *r.role;
      Trace([&] {
        return absl::StrCat("n", i, " is ", RoleName(rs.role),
                            rs.established ? " (established)" : "", " leader=", rs.leader,
                            " epoch=", rs.epoch);
      });
      if (rs.role == Role::kLeading && rs.established) checker_.OnEstablished(i, *p, d.sm);
    }
    checker_.OnSafetyRefusals(i, p->counters().safety_refusals);
    ScheduleFlush(i);
    for (OutMessage& m : r.messages) {
      oracle_.OnSend(i, m.message, ViewOf(i));
      if (m.message.has_notification()) checker_.OnVoteSent(i, *p, m.message.notification());
      SendNow(i, static_cast<int>(m.to - 1), std::move(m.message));
      if (!Live(i) || nodes_[i].incarnation != incarnation) return;  // crashed by a hook
    }
  }
  checker_.Fail(absl::StrCat("node ", i, " produced output for 1000 rounds without input"));
}

// ---- Crash and restart ------------------------------------------------------

void Cluster::Crash(int i, std::optional<size_t> survive_ops) {
  Node& n = nodes_[i];
  if (!n.peer) return;
  Disk& d = n.disk;
  auto pick = [&](size_t n) {
    return survive_ops ? std::min(*survive_ops, n)
                       : static_cast<size_t>(rng_.Range(0, static_cast<int64_t>(n)));
  };
  const size_t log_survive = pick(d.pending.size());
  const size_t meta_survive = pick(d.pending_meta.size());
  PersistOps(d.pending, d, log_survive);
  PersistOps(d.pending_meta, d, meta_survive);
  bool torn = false;
  if (log_survive > 0 && config_.torn_write_rate > 0 && rng_.Chance(config_.torn_write_rate)) {
    d.bad[d.log.back().zxid] = true;  // the last record reached the disk only in part
    torn = true;
  }
  Trace([&] {
    return absl::StrCat("CRASH n", i, " (", log_survive, " appends and ", meta_survive,
                        " epoch writes survive unreported", torn ? ", the last one torn" : "", "; ",
                        d.pending.size() + d.pending_meta.size(), " writes lost)");
  });
  d.pending.clear();
  d.pending_meta.clear();
  d.flush_scheduled = false;
  n.peer.reset();
  ++n.incarnation;
  for (int j = 0; j < size(); ++j) {
    if (j != i) BreakLink(i, j);
  }
}

void Cluster::CorruptRecord(int i) {
  Disk& d = nodes_[i].disk;
  if (d.log.size() < 2) return;
  const Zxid z =
      d.log[static_cast<size_t>(rng_.Range(0, static_cast<int64_t>(d.log.size()) - 2))].zxid;
  d.bad.emplace(z, false);
  Trace([&] { return absl::StrCat("n", i, " record ", z.ToString(), " rots on disk"); });
}

bool Cluster::Recover(int i) {
  // What a log reader does with records that fail their checksum.
  Disk& d = nodes_[i].disk;
  std::erase_if(d.bad, [&](const auto& kv) {
    return std::none_of(d.log.begin(), d.log.end(),
                        [&](const LogEntry& e) { return e.zxid == kv.first; });
  });
  while (!d.bad.empty()) {
    size_t k = 0;
    while (!d.bad.count(d.log[k].zxid)) ++k;
    const Zxid z = d.log[k].zxid;
    const bool torn = d.bad[z];
    if (torn && k + 1 == d.log.size()) {
      // A torn tail was never synced, so never reported: drop it.
      Trace([&] { return absl::StrCat("n", i, " drops its torn last record ", z.ToString()); });
      d.log.pop_back();
    } else if (z <= d.sm.last) {
      // Covered by the applied state: only DIFF needed it; start the log after it.
      Trace([&] { return absl::StrCat("n", i, " drops its log through corrupt ", z.ToString()); });
      d.log.erase(d.log.begin(), d.log.begin() + static_cast<std::ptrdiff_t>(k) + 1);
    } else {
      Trace([&] {
        return absl::StrCat("n", i, " refuses to start: corrupt record ", z.ToString(),
                            " past its applied state (restored by the operator)");
      });
      d.bad.erase(z);
      return false;
    }
    d.bad.erase(z);
  }
  return true;
}

bool Cluster::Restart(int i) {
  Node& n = nodes_[i];
  if (n.peer) return true;
  if (!Recover(i)) return false;
  ++n.incarnation;
  oracle_.OnRestart(i);
  checker_.OnRestart(i);
  n.disk.flush_scheduled = false;
  PeerConfig pc = config_.peer;
  pc.sid = Sid(i);
  pc.voters.clear();
  for (int j = 0; j < size(); ++j) pc.voters.push_back(Sid(j));
  pc.random_seed = config_.seed * 1000003ULL + static_cast<uint64_t>(i) * 7919ULL + n.incarnation;
  PersistentState ps;
  ps.accepted_epoch = n.disk.accepted;
  ps.current_epoch = n.disk.current;
  ps.applied = n.disk.sm.last;
  ps.log = n.disk.log;
  n.disk.last_written = n.disk.log.empty() ? n.disk.sm.last : n.disk.log.back().zxid;
  n.peer = std::make_unique<Peer>(pc, std::move(ps));
  Trace([&] {
    return absl::StrCat("START n", i, " accepted=", n.disk.accepted, " current=", n.disk.current,
                        " applied=", n.disk.sm.last.ToString(),
                        " last=", n.disk.last_written.ToString());
  });
  for (int j = 0; j < size(); ++j) {
    if (j == i) continue;
    Link& l = LinkOf(i, j);
    l.retry_at = std::max(l.retry_at, now_ + config_.reconnect_delay);
  }
  ProcessReady(i);
  return true;
}

// ---- Clients ------------------------------------------------------------------

absl::StatusOr<Zxid> Cluster::Propose(int i, std::string txn) {
  Peer* p = Live(i);
  if (p == nullptr) return absl::UnavailableError("node is down");
  absl::StatusOr<Zxid> z = p->Propose(std::move(txn));
  if (z.ok()) Trace([&] { return absl::StrCat("n", i, " proposed ", z->ToString()); });
  ProcessReady(i);
  return z;
}

int Cluster::EstablishedLeader() const {
  int best = -1;
  for (int i = 0; i < size(); ++i) {
    const Peer* p = nodes_[i].peer.get();
    if (p && p->IsEstablishedLeader() &&
        (best < 0 || p->current_epoch() > nodes_[best].peer->current_epoch())) {
      best = i;
    }
  }
  return best;
}

absl::StatusOr<Zxid> Cluster::ProposeOnLeader(std::string txn) {
  int l = EstablishedLeader();
  if (l < 0) return absl::UnavailableError("no established leader");
  return Propose(l, std::move(txn));
}

bool Cluster::CheckLivenessAndConvergence(uint64_t max_steps) {
  Log("---- liveness check: heal everything ----");
  config_.fsync_error_rate = 0;  // faults end here
  config_.stale_on_break = 0;
  UnblockAll();
  Heal();
  for (int i = 0; i < size(); ++i) {
    StallDisk(i, false);
    SetSlowDisk(i, false);
    while (!Restart(i)) {
    }  // a refused start is repaired by the operator; bounded by the bad records
  }
  const uint64_t start = steps_;
  std::optional<Zxid> probe;
  int probes = 0;
  while (steps_ - start < max_steps && !failed()) {
    int l = EstablishedLeader();
    bool all_serving = true;
    for (int i = 0; i < size(); ++i) {
      const Peer& p = peer(i);
      if (!(p.IsEstablishedLeader() || p.IsServingFollower()) || p.leader() != Sid(l)) {
        all_serving = false;
      }
    }
    if (l >= 0 && all_serving && (!probe || peer(l).log().last() < *probe)) {
      // No probe yet, or the leader lost it: propose (again).
      auto z = Propose(l, absl::StrCat("probe-", probes++));
      if (z.ok()) probe = *z;
    }
    if (probe && all_serving) {
      bool done = true;
      for (int i = 0; i < size(); ++i) {
        if (state(i).last < *probe || !(state(i) == state(l))) done = false;
      }
      if (done) return true;
    }
    if (!StepOnce()) break;
  }
  if (!failed()) {
    std::string s =
        absl::StrCat("liveness: no convergence within ", max_steps, " steps after healing;");
    for (int i = 0; i < size(); ++i) {
      absl::StrAppend(&s, " n", i, "=", RoleName(peer(i).role()),
                      peer(i).IsEstablishedLeader() || peer(i).IsServingFollower() ? "*" : "", "@",
                      state(i).last.ToString());
    }
    checker_.Fail(s);
  }
  return false;
}

}  // namespace zab::sim
