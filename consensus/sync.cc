// Synchronization (ZAB phase 2).
//
// Leader, per follower: picks DIFF (follower's last zxid is in the leader's
// window: send what it misses), TRUNC (the follower has txns the leader's
// history lacks: cut back to the largest zxid both share, then DIFF) or SNAP
// (older than the window: full state), then queues the history as PROPOSALs,
// a COMMIT for the part known committed, and NEWLEADER. All of it, and every
// later proposal, goes through one ordered per-follower stream, so proposals
// issued while a follower syncs reach it in order (ZOOKEEPER-4394). When a
// quorum (the leader included, once its own currentEpoch and history are
// durable) acks NEWLEADER, the whole history is committed and UPTODATE goes out.
//
// Follower: TRUNC never cuts below what it knows committed (that would mean
// the leader lost committed txns: refused, counted). On NEWLEADER it first
// waits until every synced txn is durable, then persists currentEpoch, then
// acks (ZOOKEEPER-3911/3023/4643/4646: an epoch or ACK never runs ahead of the
// log it vouches for).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "consensus/peer.h"
#include "glog/logging.h"

namespace zab {

using zabkeeper::zab::PeerMessage;

void Peer::SendToFollower(ServerId sid, FollowerHandler& h, PeerMessage message) {
  if (!h.awaiting_snapshot) {
    Send(sid, std::move(message));
    return;
  }
  if (h.held.size() >= config_.max_held_messages) {
    // Bounded: a follower whose snapshot takes too long starts over.
    LOG(WARNING) << "sid " << config_.sid << ": dropping follower " << sid
                 << ": snapshot backlog full";
    lead_->followers.erase(sid);  // `h` dangles from here on; callers return
    return;
  }
  h.held.push_back(std::move(message));
}

void Peer::LeaderStartSync(ServerId sid, FollowerHandler& h) {
  DCHECK(h.state == HandlerState::kEpochAcked);
  const Zxid fz = h.last_zxid;
  Zxid start;  // entries after `start` are sent
  PeerMessage head;
  std::optional<Zxid> common = log_.LargestAtOrBelow(fz);
  if (common && *common == fz) {
    head.mutable_diff()->set_zxid(fz.raw());
    start = fz;
    ++counters_.sync_diff;
  } else if (common) {
    head.mutable_trunc()->set_zxid(common->raw());
    start = *common;
    ++counters_.sync_trunc;
  } else {
    // Older than our window. The snapshot is of applied state, which after
    // this batch's commits is exactly at applied_.
    start = applied_;
    h.awaiting_snapshot = true;
    h.snapshot_zxid = applied_;
    ready_.snapshot_requests.push_back(SnapshotRequest{sid, applied_});
    ++counters_.sync_snap;
  }
  h.state = HandlerState::kSyncing;
  if (!h.awaiting_snapshot) Send(sid, std::move(head));
  // Copy out first: SendToFollower may drop the handler when over its bound.
  std::vector<PeerMessage> stream;
  for (size_t i = log_.UpperBound(start); i < log_.size(); ++i) {
    PeerMessage m;
    m.mutable_proposal()->set_zxid(log_.at(i).zxid.raw());
    m.mutable_proposal()->set_txn(log_.at(i).txn);
    stream.push_back(std::move(m));
  }
  Zxid commit = std::min(committed_, log_.last());
  if (commit > start) {
    PeerMessage m;
    m.mutable_commit()->set_zxid(commit.raw());
    stream.push_back(std::move(m));
  }
  PeerMessage nl;
  nl.mutable_new_leader()->set_epoch(lead_->new_epoch);
  nl.mutable_new_leader()->set_zxid(log_.last().raw());
  stream.push_back(std::move(nl));
  for (PeerMessage& m : stream) {
    auto it = lead_->followers.find(sid);
    if (it == lead_->followers.end()) return;
    SendToFollower(sid, it->second, std::move(m));
  }
}

void Peer::SnapshotReady(ServerId follower, Zxid zxid, std::string data) {
  if (role_ != Role::kLeading) return;
  auto it = lead_->followers.find(follower);
  if (it == lead_->followers.end()) return;
  FollowerHandler& h = it->second;
  if (!h.awaiting_snapshot || h.snapshot_zxid != zxid) return;  // stale
  PeerMessage snap;
  snap.mutable_snap()->set_zxid(zxid.raw());
  snap.mutable_snap()->set_data(std::move(data));
  Send(follower, std::move(snap));
  for (PeerMessage& m : h.held) Send(follower, std::move(m));
  h.held.clear();
  h.awaiting_snapshot = false;
  ReportRole();
}

void Peer::LeaderOnNewLeaderAck(ServerId sid, FollowerHandler& h, Zxid zxid) {
  if (h.state != HandlerState::kSyncing) return;
  h.state = HandlerState::kSynced;
  h.acked = std::max(h.acked, zxid);
  if (lead_->phase == LeaderPhase::kEstablished) {
    PeerMessage m;
    m.mutable_up_to_date()->set_commit_zxid(committed_.raw());
    Send(sid, std::move(m));
    LeaderMaybeCommit();
  } else {
    LeaderMaybeEstablish();
  }
}

void Peer::LeaderMaybeEstablish() {
  if (lead_->phase != LeaderPhase::kSyncing) return;
  size_t count = 0;
  if (current_epoch_ == lead_->new_epoch && persisted_ >= lead_->history_end) ++count;
  for (const auto& [sid, h] : lead_->followers) {
    if (h.state == HandlerState::kSynced) ++count;
  }
  if (count < Quorum()) return;
  lead_->phase = LeaderPhase::kEstablished;
  lead_->phase_started_tick = tick_;
  ++counters_.established;
  // A quorum holds the whole history durably under the new epoch: it is
  // committed, before any txn of this epoch (Zab's primary integrity).
  committed_ = std::max(committed_, lead_->history_end);
  lead_->commit_sent = committed_;
  for (auto& [sid, h] : lead_->followers) {
    PeerMessage m;
    if (h.state == HandlerState::kSynced) {
      m.mutable_up_to_date()->set_commit_zxid(committed_.raw());
    } else if (h.state == HandlerState::kSyncing) {
      m.mutable_commit()->set_zxid(committed_.raw());
    } else {
      continue;
    }
    SendToFollower(sid, h, std::move(m));
    if (!lead_->followers.count(sid)) break;  // dropped (bounded backlog)
  }
  MaybeApply();
}

// ---- Follower ---------------------------------------------------------------

void Peer::FollowerOnSyncMessage(const PeerMessage& m) {
  FollowerState& F = *follow_;
  if (m.has_proposal()) {
    FollowerOnProposal(m.proposal());
    return;
  }
  if (m.has_commit()) {
    FollowerOnCommit(m.commit());
    return;
  }
  if (m.has_up_to_date()) {
    FollowerOnUpToDate(m.up_to_date());
    return;
  }
  if (m.has_new_leader()) {
    FollowerOnNewLeader(m.new_leader());
    return;
  }
  if (F.phase != FollowerPhase::kSyncing || F.sync_started) return;
  if (m.has_diff()) {
    F.sync_started = true;
    if (Zxid::FromRaw(m.diff().zxid()) != log_.last()) {
      SafetyRefusal(absl::StrCat("DIFF from ", Zxid::FromRaw(m.diff().zxid()).ToString(),
                                 " but our log ends at ", log_.last().ToString()));
    }
  } else if (m.has_trunc()) {
    F.sync_started = true;
    Zxid z = Zxid::FromRaw(m.trunc().zxid());
    if (z < committed_ || z < log_.floor()) {
      SafetyRefusal(
          absl::StrCat("TRUNC to ", z.ToString(), " below committed ", committed_.ToString()));
      return;
    }
    TruncateLogAfter(z);
  } else if (m.has_snap()) {
    F.sync_started = true;
    Zxid z = Zxid::FromRaw(m.snap().zxid());
    if (z < applied_) {
      SafetyRefusal(absl::StrCat("SNAP at ", z.ToString(), " below applied ", applied_.ToString()));
      return;
    }
    InstallSnapshot(z, m.snap().data());
  }
}

void Peer::FollowerOnNewLeader(const zabkeeper::zab::NewLeader& nl) {
  FollowerState& F = *follow_;
  if (F.phase != FollowerPhase::kSyncing || !F.sync_started) {
    SafetyRefusal("NEWLEADER out of order");
    return;
  }
  if (Zxid::FromRaw(nl.zxid()) != log_.last() || nl.epoch() != F.new_epoch) {
    SafetyRefusal(absl::StrCat("NEWLEADER for ", Zxid::FromRaw(nl.zxid()).ToString(),
                               " but synced to ", log_.last().ToString()));
    return;
  }
  F.newleader_zxid = log_.last();
  F.phase = FollowerPhase::kAwaitLogDurable;
  FollowerMaybeAckNewLeader();
}

void Peer::FollowerMaybeAckNewLeader() {
  FollowerState& F = *follow_;
  if (F.phase != FollowerPhase::kAwaitLogDurable || persisted_ < F.newleader_zxid) return;
  if (current_epoch_ < F.new_epoch) {
    F.phase = FollowerPhase::kPersistingCurrent;
    ready_.persist_current_epoch = F.new_epoch;
    return;
  }
  FollowerOnCurrentEpochPersisted();
}

void Peer::FollowerOnCurrentEpochPersisted() {
  FollowerState& F = *follow_;
  if (F.phase != FollowerPhase::kAwaitLogDurable && F.phase != FollowerPhase::kPersistingCurrent) {
    return;
  }
  if (current_epoch_ < F.new_epoch || persisted_ < F.newleader_zxid) return;
  PeerMessage m;
  m.mutable_ack()->set_zxid(persisted_.raw());
  m.mutable_ack()->set_new_leader(true);
  F.acked = persisted_;
  F.phase = FollowerPhase::kAwaitUpToDate;
  Send(leader_, std::move(m));
}

void Peer::FollowerOnUpToDate(const zabkeeper::zab::UpToDate& u) {
  FollowerState& F = *follow_;
  if (F.phase != FollowerPhase::kAwaitUpToDate) {
    SafetyRefusal("UPTODATE before NEWLEADER was acked");
    return;
  }
  F.phase = FollowerPhase::kBroadcast;
  Zxid c = Zxid::FromRaw(u.commit_zxid());
  if (c > log_.last()) {
    SafetyRefusal("UPTODATE commits past our log");
    return;
  }
  committed_ = std::max(committed_, c);
  MaybeApply();
}

}  // namespace zab
