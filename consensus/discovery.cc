// Discovery (ZAB phase 1) and the LEADING / FOLLOWING step and tick functions.
//
// Leader: collects FOLLOWERINFO(acceptedEpoch, lastZxid) from a quorum (itself
// included), picks newEpoch = max(acceptedEpoch) + 1, persists it as its own
// acceptedEpoch, then sends LEADERINFO(newEpoch). A quorum of counting
// ACKEPOCHs (itself included) ends discovery; a follower whose history is
// ahead of the leader's makes it abdicate (ZooKeeper's "Follower is ahead of
// the leader"), since electing it was then a mistake. The leader writes its
// currentEpoch only once its own history is durable (ZOOKEEPER-4643).
// Follower: refuses a newEpoch below its acceptedEpoch, persists acceptedEpoch
// = newEpoch *before* ACKEPOCH (so it never acks two leaders for one epoch
// across a crash), and answers an equal epoch with an ACKEPOCH that does not
// count (it already promised that epoch to someone else).
#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "consensus/peer.h"
#include "glog/logging.h"

namespace zab {

using zabkeeper::zab::AckEpoch;
using zabkeeper::zab::FollowerInfo;
using zabkeeper::zab::LeaderInfo;
using zabkeeper::zab::PeerMessage;

void Peer::BecomeLeader() {
  role_ = Role::kLeading;
  leader_ = config_.sid;
  follow_.reset();
  // emplace(LeaderState{}), not emplace(): clang 14 (the fuzz build) rejects
  // the latter for a nested struct with member initializers.
  lead_.emplace(LeaderState{});
  lead_->phase_started_tick = tick_;
  lead_->history_end = log_.last();
  auto early = std::move(early_follower_info_);
  early_follower_info_.clear();
  for (const auto& [sid, info] : early) {
    if (connected_.count(sid)) LeaderOnFollowerInfo(sid, info);
  }
  LeaderMaybeProposeEpoch();
}

void Peer::BecomeFollower(ServerId leader) {
  role_ = Role::kFollowing;
  leader_ = leader;
  lead_.reset();
  // Peers that chose us wait for a LEADERINFO that will not come: say whom
  // we follow, so they look again at once (see HandleNotification).
  auto early = std::move(early_follower_info_);
  early_follower_info_.clear();
  for (const auto& [sid, info] : early) {
    if (sid != leader) SendNotification(sid);
  }
  follow_.emplace(FollowerState{});  // (see BecomeLeader)
  follow_->session = ++next_session_;
  follow_->last_heard_tick = tick_;
  if (connected_.count(leader)) FollowerSendInfo();
}

// ---- Leader -----------------------------------------------------------------

void Peer::StepLeading(ServerId from, const PeerMessage& m) {
  if (m.has_follower_info()) {
    LeaderOnFollowerInfo(from, m.follower_info());
    return;
  }
  auto it = lead_->followers.find(from);
  if (it == lead_->followers.end()) return;  // not (or no longer) our follower
  it->second.last_heard_tick = tick_;
  if (m.has_ack_epoch()) {
    LeaderOnAckEpoch(from, m.ack_epoch());
  } else if (m.has_ack()) {
    LeaderOnAck(from, m.ack());
  }
  // Pings only refresh last_heard_tick; anything else from a follower is
  // ignored.
}

void Peer::LeaderOnFollowerInfo(ServerId from, const FollowerInfo& info) {
  // Each FOLLOWERINFO starts a new attempt by that follower: forget the old
  // handler (its stream position is meaningless to the follower now). A
  // follower numbers its attempts upward, so one not newer than the handler's
  // is a late or repeated copy (a transport that replays across reconnects):
  // acting on it would answer a session the follower has left, and its pings
  // would keep that dead attempt alive forever.
  if (auto it = lead_->followers.find(from);
      it != lead_->followers.end() && info.session() <= it->second.session) {
    return;
  }
  FollowerHandler h;
  h.session = info.session();
  h.accepted_epoch = static_cast<Epoch>(info.accepted_epoch());
  h.last_zxid = Zxid::FromRaw(info.last_zxid());
  h.last_heard_tick = tick_;
  if (lead_->phase >= LeaderPhase::kPersistingAccepted && h.accepted_epoch > lead_->new_epoch) {
    // The follower promised a later epoch to a leader attempt that failed and
    // will refuse ours forever; only a new election, which sees its
    // acceptedEpoch, can pick an epoch it accepts.
    StartLooking("follower accepted a later epoch than ours");
    return;
  }
  FollowerHandler& handler = lead_->followers[from] = std::move(h);
  if (lead_->phase >= LeaderPhase::kCollectingEpochAcks) {
    PeerMessage m;
    LeaderInfo* li = m.mutable_leader_info();
    li->set_new_epoch(lead_->new_epoch);
    li->set_session(handler.session);
    handler.state = HandlerState::kEpochSent;
    Send(from, std::move(m));
  } else {
    LeaderMaybeProposeEpoch();
  }
}

void Peer::LeaderMaybeProposeEpoch() {
  if (lead_->phase != LeaderPhase::kCollectingInfo) return;
  size_t count = 1;  // ourselves
  // Our own promise counts even while its write is in flight: the new epoch
  // must be above it, or the epoch file would go backwards.
  Epoch max_accepted = Promised();
  for (const auto& [sid, h] : lead_->followers) {
    if (h.state != HandlerState::kInfoReceived) continue;
    ++count;
    max_accepted = std::max(max_accepted, h.accepted_epoch);
  }
  if (count < Quorum()) return;
  CHECK_LT(max_accepted, std::numeric_limits<Epoch>::max()) << "epoch space exhausted";
  lead_->new_epoch = max_accepted + 1;
  promised_epoch_ = lead_->new_epoch;
  lead_->phase = LeaderPhase::kPersistingAccepted;
  lead_->phase_started_tick = tick_;
  ready_.persist_accepted_epoch = lead_->new_epoch;
}

void Peer::LeaderOnAcceptedEpochPersisted() {
  lead_->phase = LeaderPhase::kCollectingEpochAcks;
  lead_->phase_started_tick = tick_;
  for (auto& [sid, h] : lead_->followers) {
    if (h.state != HandlerState::kInfoReceived) continue;
    PeerMessage m;
    LeaderInfo* li = m.mutable_leader_info();
    li->set_new_epoch(lead_->new_epoch);
    li->set_session(h.session);
    h.state = HandlerState::kEpochSent;
    Send(sid, std::move(m));
  }
  LeaderMaybeFinishDiscovery();
}

void Peer::LeaderOnAckEpoch(ServerId from, const AckEpoch& ack) {
  FollowerHandler& h = lead_->followers.at(from);
  if (h.state != HandlerState::kEpochSent || ack.session() != h.session ||
      ack.epoch() != lead_->new_epoch) {
    return;
  }
  h.current_epoch = static_cast<Epoch>(ack.current_epoch());
  h.last_zxid = Zxid::FromRaw(ack.last_zxid());
  h.epoch_ack_counts = !ack.already_accepted();
  h.state = HandlerState::kEpochAcked;
  bool ahead;
  if (lead_->phase == LeaderPhase::kEstablished) {
    // A newer epoch than ours exists somewhere: we are stale.
    ahead = h.current_epoch > lead_->new_epoch;
  } else {
    ahead = std::tie(h.current_epoch, h.last_zxid) > std::tie(current_epoch_, lead_->history_end);
  }
  if (ahead) {
    StartLooking("follower is ahead of the leader");
    return;
  }
  if (lead_->phase >= LeaderPhase::kSyncing) {
    LeaderStartSync(from, h);
  } else {
    LeaderMaybeFinishDiscovery();
  }
}

void Peer::LeaderMaybeFinishDiscovery() {
  if (lead_->phase != LeaderPhase::kCollectingEpochAcks) return;
  // currentEpoch vouches for the history it is written with: a leader whose
  // own appends are still in flight (it was re-elected with a stalled disk)
  // must not persist it yet. Otherwise a crash leaves currentEpoch = new epoch
  // over a shorter log, the next election prefers that shorter log by epoch,
  // and its TRUNC cuts committed txns elsewhere (ZOOKEEPER-4643, leader side).
  if (persisted_ < lead_->history_end) return;
  size_t count = 1;  // ourselves: acceptedEpoch == new_epoch is durable
  for (const auto& [sid, h] : lead_->followers) {
    if (h.state == HandlerState::kEpochAcked && h.epoch_ack_counts) ++count;
  }
  if (count < Quorum()) return;
  lead_->phase = LeaderPhase::kPersistingCurrent;
  lead_->phase_started_tick = tick_;
  ready_.persist_current_epoch = lead_->new_epoch;
}

void Peer::LeaderOnCurrentEpochPersisted() {
  lead_->phase = LeaderPhase::kSyncing;
  lead_->phase_started_tick = tick_;
  CHECK_EQ(lead_->history_end, log_.last()) << "leader history changed during discovery";
  for (auto& [sid, h] : lead_->followers) {
    if (h.state == HandlerState::kEpochAcked) LeaderStartSync(sid, h);
  }
  LeaderMaybeEstablish();
}

void Peer::TickLeading() {
  LeaderState& L = *lead_;
  // Ping everyone we talk to (bypassing any held SNAP stream: pings carry no
  // order) and drop followers we have not heard from in time.
  const uint64_t init_limit = static_cast<uint64_t>(config_.init_limit_ticks);
  const uint64_t sync_limit = static_cast<uint64_t>(config_.sync_limit_ticks);
  size_t live_synced = 1;
  for (auto it = L.followers.begin(); it != L.followers.end();) {
    FollowerHandler& h = it->second;
    uint64_t limit = h.state == HandlerState::kSynced ? sync_limit : init_limit;
    if (tick_ - h.last_heard_tick > limit) {
      it = L.followers.erase(it);
      continue;
    }
    if (h.state == HandlerState::kSynced) ++live_synced;
    PeerMessage m;
    m.mutable_ping()->set_zxid(log_.last().raw());
    m.mutable_ping()->set_from_leader(true);
    Send(it->first, std::move(m));
    ++it;
  }
  if (L.phase == LeaderPhase::kEstablished) {
    if (live_synced < Quorum()) StartLooking("leader lost its quorum");
  } else if (tick_ - L.phase_started_tick > init_limit) {
    StartLooking("leader could not establish in time");
  }
}

// ---- Follower ---------------------------------------------------------------

void Peer::FollowerSendInfo() {
  PeerMessage m;
  FollowerInfo* fi = m.mutable_follower_info();
  fi->set_accepted_epoch(Promised());
  fi->set_last_zxid(log_.last().raw());
  fi->set_session(follow_->session);
  follow_->info_sent = true;
  Send(leader_, std::move(m));
}

void Peer::StepFollowing(ServerId from, const PeerMessage& m) {
  if (from != leader_) {
    // A peer that takes us for its leader: tell it whom we follow.
    if (m.has_follower_info()) SendNotification(from);
    return;
  }
  // Only what a leader sends proves it alive: two servers that each think
  // the other leads must not keep each other's timers fresh with their pings.
  if (m.has_ping()) {
    if (m.ping().from_leader()) follow_->last_heard_tick = tick_;
    return;
  }
  if (m.has_follower_info() || m.has_ack_epoch() || m.has_ack() || m.has_notification()) return;
  follow_->last_heard_tick = tick_;
  if (follow_->phase == FollowerPhase::kAwaitLeaderInfo) {
    // Anything but our LEADERINFO belongs to an earlier attempt.
    if (m.has_leader_info() && m.leader_info().session() == follow_->session) {
      FollowerOnLeaderInfo(m.leader_info());
    }
    return;
  }
  if (follow_->phase == FollowerPhase::kPersistingAccepted) return;
  FollowerOnSyncMessage(m);
}

void Peer::FollowerOnLeaderInfo(const LeaderInfo& info) {
  Epoch e = static_cast<Epoch>(info.new_epoch());
  follow_->new_epoch = e;
  // Compared with the highest epoch promised, durable or still being
  // written: two acceptedEpoch writes in flight must never go backwards (the
  // later, lower one would land last and undo a promise already counted).
  if (e < Promised()) {
    ++counters_.epoch_refusals;
    StartLooking("LEADERINFO epoch below acceptedEpoch");
    return;
  }
  if (e == Promised()) {
    // Promised to another attempt: an ACKEPOCH that does not count, and only
    // once that promise is durable.
    follow_->epoch_ack_counts = false;
    if (accepted_epoch_ == e) {
      FollowerSendAckEpoch(/*already_accepted=*/true);
    } else {
      follow_->phase = FollowerPhase::kPersistingAccepted;
    }
    return;
  }
  follow_->epoch_ack_counts = true;
  follow_->phase = FollowerPhase::kPersistingAccepted;
  promised_epoch_ = e;
  ready_.persist_accepted_epoch = e;
}

void Peer::FollowerSendAckEpoch(bool already_accepted) {
  PeerMessage m;
  AckEpoch* ae = m.mutable_ack_epoch();
  ae->set_current_epoch(current_epoch_);
  ae->set_last_zxid(log_.last().raw());
  ae->set_already_accepted(already_accepted);
  ae->set_session(follow_->session);
  ae->set_epoch(follow_->new_epoch);
  follow_->phase = FollowerPhase::kSyncing;
  follow_->last_heard_tick = tick_;
  Send(leader_, std::move(m));
}

void Peer::TickFollowing() {
  const bool serving = follow_->phase == FollowerPhase::kBroadcast;
  const uint64_t limit =
      static_cast<uint64_t>(serving ? config_.sync_limit_ticks : config_.init_limit_ticks);
  if (tick_ - follow_->last_heard_tick > limit) {
    StartLooking(serving ? "leader silent for syncLimit" : "sync did not finish in initLimit");
    return;
  }
  if (follow_->info_sent) {
    PeerMessage m;
    m.mutable_ping()->set_zxid(log_.last().raw());
    Send(leader_, std::move(m));
  }
}

}  // namespace zab
