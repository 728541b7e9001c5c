// Fast leader election (ZooKeeper's FastLeaderElection), the LOOKING role.
//
// Guarantees: a server decides only when a quorum's votes agree with its own
// proposal and no better vote arrived within finalize_wait_ticks, or when a
// quorum of FOLLOWING/LEADING servers names a leader that itself says LEADING
// (how a restarted server joins a running ensemble instead of disturbing it).
// Rounds (logical clocks) keep stale votes from counting. Notification resends
// back off exponentially with seeded jitter, up to a cap, so a partitioned
// server does not flood the network.
#include <algorithm>
#include <utility>

#include "consensus/peer.h"
#include "glog/logging.h"

namespace zab {

using zabkeeper::zab::Notification;
using zabkeeper::zab::PeerMessage;
using zabkeeper::zab::ServerState;

namespace {

ServerState StateOf(Role role) {
  switch (role) {
    case Role::kLooking:
      return zabkeeper::zab::LOOKING;
    case Role::kFollowing:
      return zabkeeper::zab::FOLLOWING;
    case Role::kLeading:
      return zabkeeper::zab::LEADING;
  }
  return zabkeeper::zab::LOOKING;
}

Vote VoteOf(const Notification& n) {
  Vote v;
  v.leader = n.leader();
  v.zxid = Zxid::FromRaw(n.zxid());
  v.epoch = static_cast<Epoch>(n.peer_epoch());
  return v;
}

}  // namespace

Vote Peer::SelfVote() const {
  Vote v;
  v.leader = config_.sid;
  v.zxid = log_.last();
  v.epoch = current_epoch_;
  return v;
}

void Peer::StartLooking(const char* why) {
  VLOG(1) << "sid " << config_.sid << " LOOKING: " << why;
  role_ = Role::kLooking;
  leader_ = 0;
  lead_.reset();
  follow_.reset();
  ++counters_.elections;
  ++election_.logical_clock;
  election_.proposal = SelfVote();
  election_.received.clear();
  election_.out_of_election.clear();
  election_.received[config_.sid] =
      ReceivedVote{election_.proposal, election_.logical_clock, zabkeeper::zab::LOOKING};
  election_.finalize_at_tick.reset();
  election_.notify_interval = static_cast<uint64_t>(config_.election_timeout_base_ticks);
  election_.next_notify_tick = tick_ + election_.notify_interval;
  BroadcastNotifications();
  // A single-voter ensemble decides at once.
  if (HasQuorumFor(election_.received, election_.proposal, false)) Decide(election_.proposal);
}

void Peer::RefreshSelfVote() {
  const Vote self = SelfVote();
  if (!Beats(self, election_.proposal)) return;
  election_.proposal = self;
  election_.finalize_at_tick.reset();
  election_.received[config_.sid] = {self, election_.logical_clock, zabkeeper::zab::LOOKING};
  BroadcastNotifications();
}

void Peer::AdoptProposal(const Vote& vote, uint64_t round) {
  election_.proposal = vote;
  election_.finalize_at_tick.reset();
  election_.received[config_.sid] = {vote, round, zabkeeper::zab::LOOKING};
  BroadcastNotifications();
}

void Peer::SendNotification(ServerId to) {
  PeerMessage m;
  Notification* n = m.mutable_notification();
  const Vote& v = election_.proposal;
  n->set_leader(v.leader);
  n->set_zxid(v.zxid.raw());
  n->set_peer_epoch(v.epoch);
  n->set_election_epoch(election_.logical_clock);
  n->set_state(StateOf(role_));
  Send(to, std::move(m));
}

void Peer::BroadcastNotifications() {
  for (ServerId sid : config_.voters) {
    if (sid != config_.sid) SendNotification(sid);
  }
}

void Peer::AnswerNotification(ServerId to, const Notification& n) {
  (void)n;
  SendNotification(to);
}

bool Peer::HasQuorumFor(const std::map<ServerId, ReceivedVote>& votes, const Vote& vote,
                        bool compare_leader_only) const {
  size_t agree = 0;
  for (const auto& [sid, rv] : votes) {
    // Outside the election, followers of one leader may report different
    // zxids and rounds (they decided at different times): the leader id is
    // what they agree on (ZooKeeper's Vote.equals for non-LOOKING states).
    bool same = compare_leader_only ? rv.vote.leader == vote.leader : rv.vote == vote;
    if (same) ++agree;
  }
  return agree >= Quorum();
}

bool Peer::LeaderConfirmed(ServerId leader, uint64_t round) const {
  if (leader == config_.sid) return round == election_.logical_clock;
  auto it = election_.out_of_election.find(leader);
  return it != election_.out_of_election.end() && it->second.state == zabkeeper::zab::LEADING &&
         it->second.vote.leader == leader;
}

void Peer::HandleNotification(ServerId from, const Notification& n) {
  if (role_ != Role::kLooking) {
    // Tell a LOOKING peer who leads, so a restarted server joins us.
    if (n.state() == zabkeeper::zab::LOOKING) AnswerNotification(from, n);
    // The server we chose follows another one: it will never send our
    // LEADERINFO. Look again now rather than after initLimit (a restarted
    // server could sit out ~20 s this way on a default config).
    if (role_ == Role::kFollowing && from == leader_ &&
        follow_->phase == FollowerPhase::kAwaitLeaderInfo &&
        n.state() == zabkeeper::zab::FOLLOWING) {
      StartLooking("the chosen leader follows another server");
    }
    return;
  }
  // Any notification proves the network works: postpone the resend.
  election_.next_notify_tick = tick_ + election_.notify_interval;
  const Vote v = VoteOf(n);
  // What we would propose on this vote's word. A peer's vote naming us may
  // be stale: it carries the history we had when we last voted, and a crash
  // since then (torn tail, lost unsynced suffix) can have shortened our log.
  // Only our own log speaks for us, so we never claim more than we hold.
  const Vote candidate = v.leader == config_.sid ? SelfVote() : v;
  const uint64_t round = n.election_epoch();
  if (n.state() == zabkeeper::zab::LOOKING) {
    if (round > election_.logical_clock) {
      election_.logical_clock = round;
      election_.received.clear();
      election_.finalize_at_tick.reset();
      Vote self = SelfVote();
      election_.proposal = Beats(candidate, self) ? candidate : self;
      election_.received[config_.sid] = {election_.proposal, round, zabkeeper::zab::LOOKING};
      BroadcastNotifications();
    } else if (round < election_.logical_clock) {
      // A peer in an older round: bring it forward with our vote.
      SendNotification(from);
      return;
    } else if (Beats(candidate, election_.proposal)) {
      AdoptProposal(candidate, round);
    } else if (v.leader == from && election_.proposal.leader == from && v != election_.proposal) {
      // The sender's own vote for itself is the truth about its history; the
      // vote for it we hold came second-hand and is stale (see above). Drop
      // it, or peers holding the stale claim never agree with the sender.
      const Vote self = SelfVote();
      AdoptProposal(Beats(v, self) ? v : self, round);
    }
    election_.received[from] = ReceivedVote{v, round, n.state()};
    if (election_.received.size() == config_.voters.size() &&
        HasQuorumFor(election_.received, election_.proposal, false)) {
      bool all_agree =
          std::all_of(election_.received.begin(), election_.received.end(),
                      [&](const auto& kv) { return kv.second.vote == election_.proposal; });
      if (all_agree) {
        Decide(election_.proposal);
        return;
      }
    }
    if (HasQuorumFor(election_.received, election_.proposal, false) &&
        !election_.finalize_at_tick) {
      election_.finalize_at_tick = tick_ + static_cast<uint64_t>(config_.finalize_wait_ticks);
    }
    return;
  }

  // FOLLOWING or LEADING sender: the ensemble may already have a leader.
  if (round == election_.logical_clock) {
    election_.received[from] = ReceivedVote{v, round, n.state()};
  }
  election_.out_of_election[from] = ReceivedVote{v, round, n.state()};
  if (round == election_.logical_clock && HasQuorumFor(election_.received, v, false) &&
      LeaderConfirmed(v.leader, round)) {
    Decide(v);
    return;
  }
  if (HasQuorumFor(election_.out_of_election, v, true) && LeaderConfirmed(v.leader, round)) {
    if (v.leader == config_.sid) return;  // never lead on others' word alone
    election_.logical_clock = std::max(election_.logical_clock, round);
    Decide(v);
  }
}

void Peer::StepLooking(ServerId from, const PeerMessage& message) {
  // A peer that already decided we lead may talk to us first.
  if (!message.has_follower_info()) return;
  auto it = early_follower_info_.find(from);
  // Keep the newest attempt (see LeaderOnFollowerInfo).
  if (it == early_follower_info_.end() ||
      message.follower_info().session() > it->second.session()) {
    early_follower_info_[from] = message.follower_info();
  }
}

void Peer::Decide(const Vote& vote) {
  election_.proposal = vote;
  election_.finalize_at_tick.reset();
  VLOG(1) << "sid " << config_.sid << " decided " << vote.ToString();
  if (vote.leader == config_.sid) {
    BecomeLeader();
  } else {
    BecomeFollower(vote.leader);
  }
}

void Peer::TickLooking() {
  if (election_.finalize_at_tick && tick_ >= *election_.finalize_at_tick) {
    if (HasQuorumFor(election_.received, election_.proposal, false)) {
      Decide(election_.proposal);
      return;
    }
    election_.finalize_at_tick.reset();
  }
  if (tick_ >= election_.next_notify_tick) {
    BroadcastNotifications();
    election_.notify_interval = std::min(election_.notify_interval * 2,
                                         static_cast<uint64_t>(config_.election_timeout_cap_ticks));
    uint64_t jitter = NextRandom() % (election_.notify_interval / 2 + 1);
    election_.next_notify_tick = tick_ + election_.notify_interval + jitter;
  }
}

}  // namespace zab
