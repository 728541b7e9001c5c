// Broadcast (ZAB phase 3): PROPOSAL -> ACK (after fsync) -> COMMIT.
//
// Guarantees: the leader assigns strictly increasing zxids in its epoch and
// never wraps the counter (at counter_limit it abdicates so that the next
// leader starts a new epoch, as ZooKeeper does). Proposals are pipelined:
// any number up to max_outstanding_proposals may await their quorum. ACKs
// and COMMITs are cumulative; a zxid is committed once a quorum, the leader
// included, holds it durably, which (logs being prefixes of the leader's)
// also covers every earlier zxid. Followers ACK only what the driver reported
// durable, so an ACK is never a promise the disk has not kept.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "consensus/peer.h"
#include "glog/logging.h"

namespace zab {

using zabkeeper::zab::PeerMessage;

absl::StatusOr<Zxid> Peer::Propose(std::string txn) {
  return Propose([&txn](Zxid) { return std::move(txn); });
}

absl::StatusOr<Zxid> Peer::Propose(absl::FunctionRef<std::string(Zxid)> prepare) {
  if (role_ != Role::kLeading) {
    return absl::FailedPreconditionError(absl::StrCat("not the leader; leader is ", leader_));
  }
  if (lead_->phase != LeaderPhase::kEstablished) {
    return absl::UnavailableError("leader not established yet");
  }
  Zxid last = log_.last();
  uint32_t counter = last.epoch() == lead_->new_epoch ? last.counter() + 1 : 1;
  if (last.epoch() == lead_->new_epoch && last.counter() + 1 >= config_.counter_limit) {
    // Counter exhausted: never wrap into the next epoch's space; abdicate so
    // the next leader runs a fresh epoch.
    StartLooking("zxid counter exhausted");
    ReportRole();
    return absl::UnavailableError("zxid counter exhausted; re-electing for a new epoch");
  }
  if (log_.last() > committed_ &&
      log_.size() - log_.UpperBound(committed_) >= config_.max_outstanding_proposals) {
    return absl::UnavailableError("too many outstanding proposals");
  }
  Zxid zxid(lead_->new_epoch, counter);
  std::string txn = prepare(zxid);
  PeerMessage m;
  m.mutable_proposal()->set_zxid(zxid.raw());
  m.mutable_proposal()->set_txn(txn);
  AppendToLog(LogEntry{zxid, std::move(txn)});
  ++counters_.proposals;
  std::vector<ServerId> targets;
  for (const auto& [sid, h] : lead_->followers) {
    if (h.state == HandlerState::kSyncing || h.state == HandlerState::kSynced) {
      targets.push_back(sid);
    }
  }
  for (ServerId sid : targets) {
    auto it = lead_->followers.find(sid);
    if (it != lead_->followers.end()) SendToFollower(sid, it->second, m);
  }
  return zxid;
}

void Peer::LeaderOnAck(ServerId from, const zabkeeper::zab::Ack& ack) {
  FollowerHandler& h = lead_->followers.at(from);
  Zxid z = Zxid::FromRaw(ack.zxid());
  if (ack.new_leader()) {
    LeaderOnNewLeaderAck(from, h, z);
    return;
  }
  if (h.state != HandlerState::kSynced) return;
  h.acked = std::max(h.acked, std::min(z, log_.last()));
  LeaderMaybeCommit();
}

void Peer::LeaderMaybeCommit() {
  if (lead_->phase != LeaderPhase::kEstablished) return;
  std::vector<Zxid> durable;
  durable.reserve(lead_->followers.size() + 1);
  durable.push_back(persisted_);
  for (const auto& [sid, h] : lead_->followers) {
    if (h.state == HandlerState::kSynced) durable.push_back(h.acked);
  }
  if (durable.size() < Quorum()) return;
  std::nth_element(durable.begin(), durable.begin() + static_cast<std::ptrdiff_t>(Quorum() - 1),
                   durable.end(), std::greater<Zxid>());
  Zxid q = durable[Quorum() - 1];
  if (q <= committed_) return;
  // Only this epoch's txns are committed by counting acks; the earlier
  // history was committed as a whole at establishment.
  CHECK_EQ(q.epoch(), lead_->new_epoch);
  committed_ = q;
  MaybeApply();
}

void Peer::LeaderFlushCommits() {
  // One COMMIT per follower per batch, however many acks arrived.
  if (lead_->phase != LeaderPhase::kEstablished || committed_ <= lead_->commit_sent) return;
  lead_->commit_sent = committed_;
  std::vector<ServerId> targets;
  for (const auto& [sid, h] : lead_->followers) {
    if (h.state == HandlerState::kSyncing || h.state == HandlerState::kSynced) {
      targets.push_back(sid);
    }
  }
  for (ServerId sid : targets) {
    auto it = lead_->followers.find(sid);
    if (it == lead_->followers.end()) continue;
    PeerMessage m;
    m.mutable_commit()->set_zxid(committed_.raw());
    SendToFollower(sid, it->second, std::move(m));
  }
}

void Peer::FollowerOnProposal(const zabkeeper::zab::Proposal& p) {
  if (!follow_->sync_started) return;  // not part of this session's stream
  Zxid z = Zxid::FromRaw(p.zxid());
  if (z <= log_.last()) {
    SafetyRefusal(absl::StrCat("proposal ", z.ToString(), " not after our last zxid ",
                               log_.last().ToString()));
    return;
  }
  AppendToLog(LogEntry{z, p.txn()});
  // In broadcast every append is a proposal of this leader's, and the sync
  // with it (NEWLEADER's ACK included) is behind us: the driver may ACK the
  // appends as soon as they are durable, in log order.
  if (config_.driver_acks_appends && follow_->phase == FollowerPhase::kBroadcast) {
    ready_.ack_appends_to = leader_;
    follow_->driver_acked = z;
  }
}

void Peer::FollowerOnCommit(const zabkeeper::zab::Commit& c) {
  if (!follow_->sync_started) return;
  Zxid z = Zxid::FromRaw(c.zxid());
  if (z > log_.last()) {
    SafetyRefusal(
        absl::StrCat("commit ", z.ToString(), " past our last zxid ", log_.last().ToString()));
    return;
  }
  committed_ = std::max(committed_, z);
  MaybeApply();
}

void Peer::FollowerMaybeAck() {
  FollowerState& F = *follow_;
  if (F.phase != FollowerPhase::kAwaitUpToDate && F.phase != FollowerPhase::kBroadcast) return;
  if (persisted_ <= F.acked) return;
  F.acked = persisted_;
  if (persisted_ <= F.driver_acked) return;  // the driver sent it
  PeerMessage m;
  m.mutable_ack()->set_zxid(persisted_.raw());
  Send(leader_, std::move(m));
}

}  // namespace zab
