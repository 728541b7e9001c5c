// Peer: inputs, outputs and the log/apply helpers shared by every role.
#include "consensus/peer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace zab {

using zabkeeper::zab::PeerMessage;

const char* RoleName(Role role) {
  switch (role) {
    case Role::kLooking:
      return "looking";
    case Role::kFollowing:
      return "following";
    case Role::kLeading:
      return "leading";
  }
  return "?";
}

std::string Vote::ToString() const {
  return absl::StrCat("(leader=", leader, " zxid=", zxid.ToString(), " epoch=", epoch, ")");
}

Peer::Peer(PeerConfig config, PersistentState state)
    : config_(std::move(config)), rng_state_(config_.random_seed) {
  CHECK(IsVoter(config_.sid)) << "sid " << config_.sid << " is not a voter";
  CHECK_GE(config_.voters.size(), 1u);
  CHECK_GT(config_.init_limit_ticks, 0);
  CHECK_GT(config_.sync_limit_ticks, 0);
  CHECK_GT(config_.election_timeout_base_ticks, 0);
  CHECK_GE(config_.election_timeout_cap_ticks, config_.election_timeout_base_ticks);
  // acceptedEpoch >= currentEpoch always; a crash between the two epoch
  // writes (ZOOKEEPER-1653/2307) can leave the files the other way round. The
  // current epoch was only written after accepting it, so accept it again.
  current_epoch_ = state.current_epoch;
  accepted_epoch_ = std::max(state.accepted_epoch, state.current_epoch);
  promised_epoch_ = accepted_epoch_;

  // Rebuild the window: entries at or below `applied` are committed history,
  // kept for DIFF; the rest is the uncommitted (or not yet applied) tail.
  applied_ = state.applied;
  Zxid floor = applied_;
  size_t first = 0;
  if (!state.log.empty() && state.log.front().zxid <= applied_) {
    floor = state.log.front().zxid;
    first = 1;
  }
  log_.Reset(floor);
  for (size_t i = first; i < state.log.size(); ++i) log_.Append(std::move(state.log[i]));
  CHECK(log_.Contains(applied_)) << "recovered log does not reach the applied zxid " << applied_;
  log_.Trim(applied_, config_.committed_log_window, config_.committed_log_bytes);
  persisted_ = log_.last();  // the recovered log is durable by definition
  committed_ = applied_;

  StartLooking("start");
}

bool Peer::IsVoter(ServerId sid) const {
  return std::find(config_.voters.begin(), config_.voters.end(), sid) != config_.voters.end();
}

uint64_t Peer::NextRandom() {
  // splitmix64: tiny, seedable, good enough for timeout jitter.
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void Peer::Tick() {
  ++tick_;
  switch (role_) {
    case Role::kLooking:
      TickLooking();
      break;
    case Role::kFollowing:
      TickFollowing();
      break;
    case Role::kLeading:
      TickLeading();
      break;
  }
  ReportRole();
}

void Peer::Step(ServerId from, const PeerMessage& message) {
  if (!IsVoter(from) || from == config_.sid) return;  // static membership
  if (message.has_notification()) {
    HandleNotification(from, message.notification());
  } else {
    switch (role_) {
      case Role::kLooking:
        StepLooking(from, message);
        break;
      case Role::kFollowing:
        StepFollowing(from, message);
        break;
      case Role::kLeading:
        StepLeading(from, message);
        break;
    }
  }
  ReportRole();
}

void Peer::Persisted(Zxid zxid) {
  // A notice may name entries truncated since; everything up to it that is
  // still in the log is durable all the same.
  Zxid p = std::min(zxid, log_.last());
  if (p > persisted_) persisted_ = p;
  if (role_ == Role::kLeading) {
    LeaderMaybeFinishDiscovery();
    LeaderMaybeEstablish();
    LeaderMaybeCommit();
  } else if (role_ == Role::kFollowing) {
    FollowerMaybeAckNewLeader();
    FollowerMaybeAck();
  }
  MaybeApply();
  ReportRole();
}

void Peer::AcceptedEpochPersisted(Epoch epoch) {
  accepted_epoch_ = std::max(accepted_epoch_, epoch);
  promised_epoch_ = std::max(promised_epoch_, accepted_epoch_);
  if (role_ == Role::kLeading) {
    if (lead_->phase == LeaderPhase::kPersistingAccepted && epoch == lead_->new_epoch) {
      LeaderOnAcceptedEpochPersisted();
    }
  } else if (role_ == Role::kFollowing) {
    if (follow_->phase == FollowerPhase::kPersistingAccepted && epoch == follow_->new_epoch) {
      FollowerSendAckEpoch(/*already_accepted=*/!follow_->epoch_ack_counts);
    }
  }
  ReportRole();
}

void Peer::CurrentEpochPersisted(Epoch epoch) {
  const Epoch before = current_epoch_;
  current_epoch_ = std::max(current_epoch_, epoch);
  accepted_epoch_ = std::max(accepted_epoch_, current_epoch_);
  promised_epoch_ = std::max(promised_epoch_, accepted_epoch_);
  if (role_ == Role::kLooking && current_epoch_ > before) {
    // A write from the term we left landed: our vote must not understate
    // what is on our disk.
    RefreshSelfVote();
  }
  if (role_ == Role::kLeading) {
    if (lead_->phase == LeaderPhase::kPersistingCurrent && epoch == lead_->new_epoch) {
      LeaderOnCurrentEpochPersisted();
    }
  } else if (role_ == Role::kFollowing) {
    FollowerOnCurrentEpochPersisted();
  }
  ReportRole();
}

void Peer::PeerConnected(ServerId sid) {
  if (!IsVoter(sid) || sid == config_.sid) return;
  connected_.insert(sid);
  if (role_ == Role::kLooking) {
    SendNotification(sid);
  } else if (role_ == Role::kFollowing && sid == leader_ && !follow_->info_sent) {
    FollowerSendInfo();
  }
  ReportRole();
}

void Peer::PeerDisconnected(ServerId sid) {
  connected_.erase(sid);
  early_follower_info_.erase(sid);
  if (role_ == Role::kFollowing && sid == leader_) {
    StartLooking("lost connection to leader");
  } else if (role_ == Role::kLeading) {
    lead_->followers.erase(sid);
  }
  ReportRole();
}

bool Peer::HasReady() const {
  if (!ready_.empty()) return true;
  return role_ == Role::kLeading && lead_->phase == LeaderPhase::kEstablished &&
         committed_ > lead_->commit_sent;
}

Ready Peer::TakeReady() {
  if (role_ == Role::kLeading) LeaderFlushCommits();
  Ready out = std::move(ready_);
  ready_ = Ready();
  return out;
}

bool Peer::IsEstablishedLeader() const {
  return role_ == Role::kLeading && lead_->phase == LeaderPhase::kEstablished;
}

bool Peer::IsServingFollower() const {
  return role_ == Role::kFollowing && follow_->phase == FollowerPhase::kBroadcast;
}

std::map<ServerId, Zxid> Peer::FollowerAcks() const {
  std::map<ServerId, Zxid> out;
  if (role_ != Role::kLeading) return out;
  for (const auto& [sid, h] : lead_->followers) {
    if (h.state == HandlerState::kSynced) out[sid] = h.acked;
  }
  return out;
}

std::map<ServerId, std::pair<Epoch, Zxid>> Peer::EpochAckHistories() const {
  std::map<ServerId, std::pair<Epoch, Zxid>> out;
  if (role_ != Role::kLeading) return out;
  for (const auto& [sid, h] : lead_->followers) {
    if (h.state != HandlerState::kInfoReceived && h.state != HandlerState::kEpochSent) {
      out[sid] = {h.current_epoch, h.last_zxid};
    }
  }
  return out;
}

RoleState Peer::role_state() const {
  RoleState s;
  s.role = role_;
  s.leader = leader_;
  s.epoch = current_epoch_;
  s.established = IsEstablishedLeader() || IsServingFollower();
  return s;
}

void Peer::ReportRole() {
  RoleState now = role_state();
  if (now != reported_role_) {
    reported_role_ = now;
    ready_.role = now;
  }
}

void Peer::Send(ServerId to, PeerMessage message) {
  DCHECK_NE(to, config_.sid);
  ready_.messages.push_back(OutMessage{to, std::move(message)});
}

void Peer::AppendToLog(LogEntry entry) {
  ready_.append.push_back(entry);
  log_.Append(std::move(entry));
}

void Peer::TruncateLogAfter(Zxid zxid) {
  // Committed entries are never truncated: the leader's history holds every
  // committed txn (ZOOKEEPER-1154/1156). The caller has checked this.
  CHECK_GE(zxid, committed_);
  CHECK_GE(zxid, applied_);
  log_.TruncateAfter(zxid);
  persisted_ = std::min(persisted_, zxid);
  // Appends still in this batch come after any earlier truncation, so the
  // batch stays equivalent: truncate to the lowest point, then the survivors.
  std::erase_if(ready_.append, [zxid](const LogEntry& e) { return e.zxid > zxid; });
  ready_.truncate_after = ready_.truncate_after ? std::min(*ready_.truncate_after, zxid) : zxid;
}

void Peer::InstallSnapshot(Zxid zxid, std::string data) {
  CHECK_GE(zxid, applied_);
  log_.Reset(zxid);
  persisted_ = zxid;
  committed_ = std::max(committed_, zxid);
  applied_ = zxid;
  // The snapshot replaces everything the driver has not done yet to the log
  // and state machine in this batch.
  ready_.append.clear();
  ready_.truncate_after.reset();
  ready_.commit.clear();
  ready_.install_snapshot = SnapshotInstall{zxid, std::move(data)};
}

void Peer::MaybeApply() {
  // Apply only what is committed AND durable here: then persisted applied
  // state never holds a txn the local log could lose in a crash.
  Zxid upto = std::min(committed_, persisted_);
  if (upto <= applied_) return;
  size_t i = log_.UpperBound(applied_);
  size_t end = log_.UpperBound(upto);
  CHECK(i == 0 || log_.at(i - 1).zxid == applied_ || applied_ == log_.floor());
  for (; i < end; ++i) {
    ready_.commit.push_back(log_.at(i));
    ++counters_.commits;
  }
  applied_ = upto;
  log_.Trim(applied_, config_.committed_log_window, config_.committed_log_bytes);
}

void Peer::SafetyRefusal(const std::string& why) {
  ++counters_.safety_refusals;
  LOG(ERROR) << "sid " << config_.sid << ": refusing: " << why;
  StartLooking("safety refusal");
}

}  // namespace zab
