// Test harness for one Peer: builds messages, collects Ready batches, and
// scripts a peer into a given phase by feeding it exactly the messages a
// real ensemble would send.
#ifndef ZABKEEPER_TESTS_UNIT_CONSENSUS_HARNESS_H_
#define ZABKEEPER_TESTS_UNIT_CONSENSUS_HARNESS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "consensus/peer.h"
#include "gtest/gtest.h"

namespace zab::testing {

using zabkeeper::zab::PeerMessage;

inline PeerConfig Config(ServerId sid, int n = 3) {
  PeerConfig c;
  c.sid = sid;
  for (int i = 1; i <= n; ++i) c.voters.push_back(static_cast<ServerId>(i));
  c.init_limit_ticks = 10;
  c.sync_limit_ticks = 5;
  c.election_timeout_base_ticks = 2;
  c.election_timeout_cap_ticks = 16;
  c.committed_log_window = 4;
  return c;
}

// Payloads are built with absl::StrCat: GCC 12 at -O3 reports a false
// -Wrestrict in `"t" + std::to_string(c)` (GCC PR 105329), which -Werror turns
// into a failed Release build.
inline std::vector<LogEntry> Entries(Epoch epoch, uint32_t from, uint32_t to) {
  std::vector<LogEntry> out;
  for (uint32_t c = from; c <= to; ++c) out.push_back({Zxid(epoch, c), absl::StrCat("t", c)});
  return out;
}

inline PeerMessage Notify(ServerId leader, Zxid zxid, Epoch epoch, uint64_t round,
                          zabkeeper::zab::ServerState state = zabkeeper::zab::LOOKING) {
  PeerMessage m;
  auto* n = m.mutable_notification();
  n->set_leader(leader);
  n->set_zxid(zxid.raw());
  n->set_peer_epoch(epoch);
  n->set_election_epoch(round);
  n->set_state(state);
  return m;
}
inline PeerMessage FollowerInfoMsg(Epoch accepted, Zxid last, uint64_t session = 1) {
  PeerMessage m;
  m.mutable_follower_info()->set_accepted_epoch(accepted);
  m.mutable_follower_info()->set_last_zxid(last.raw());
  m.mutable_follower_info()->set_session(session);
  return m;
}
inline PeerMessage LeaderInfoMsg(Epoch e, uint64_t session) {
  PeerMessage m;
  m.mutable_leader_info()->set_new_epoch(e);
  m.mutable_leader_info()->set_session(session);
  return m;
}
inline PeerMessage AckEpochMsg(Epoch current, Zxid last, uint64_t session = 1, bool already = false,
                               Epoch epoch = 0) {
  PeerMessage m;
  m.mutable_ack_epoch()->set_epoch(epoch);
  m.mutable_ack_epoch()->set_current_epoch(current);
  m.mutable_ack_epoch()->set_last_zxid(last.raw());
  m.mutable_ack_epoch()->set_session(session);
  m.mutable_ack_epoch()->set_already_accepted(already);
  return m;
}
inline PeerMessage AckMsg(Zxid z, bool new_leader = false) {
  PeerMessage m;
  m.mutable_ack()->set_zxid(z.raw());
  m.mutable_ack()->set_new_leader(new_leader);
  return m;
}
inline PeerMessage ProposalMsg(Zxid z, std::string txn = "x") {
  PeerMessage m;
  m.mutable_proposal()->set_zxid(z.raw());
  m.mutable_proposal()->set_txn(std::move(txn));
  return m;
}
inline PeerMessage CommitMsg(Zxid z) {
  PeerMessage m;
  m.mutable_commit()->set_zxid(z.raw());
  return m;
}
inline PeerMessage DiffMsg(Zxid z) {
  PeerMessage m;
  m.mutable_diff()->set_zxid(z.raw());
  return m;
}
inline PeerMessage TruncMsg(Zxid z) {
  PeerMessage m;
  m.mutable_trunc()->set_zxid(z.raw());
  return m;
}
inline PeerMessage NewLeaderMsg(Epoch e, Zxid z) {
  PeerMessage m;
  m.mutable_new_leader()->set_epoch(e);
  m.mutable_new_leader()->set_zxid(z.raw());
  return m;
}
inline PeerMessage UpToDateMsg(Zxid z) {
  PeerMessage m;
  m.mutable_up_to_date()->set_commit_zxid(z.raw());
  return m;
}

// A peer plus everything it emitted, accumulated across inputs.
class Harness {
 public:
  explicit Harness(ServerId sid, PersistentState state = {}, int n = 3)
      : peer_(std::make_unique<Peer>(Config(sid, n), std::move(state))) {
    for (int i = 1; i <= n; ++i) {
      if (static_cast<ServerId>(i) != sid) peer_->PeerConnected(static_cast<ServerId>(i));
    }
    Drain();
  }
  explicit Harness(PeerConfig config, PersistentState state = {})
      : peer_(std::make_unique<Peer>(config, std::move(state))) {
    for (ServerId v : config.voters) {
      if (v != config.sid) peer_->PeerConnected(v);
    }
    Drain();
  }

  Peer& peer() { return *peer_; }
  Ready& out() { return out_; }

  // An ACKEPOCH built without an epoch answers the current attempt (the
  // leader's new epoch, which is its acceptedEpoch by then).
  void Step(ServerId from, PeerMessage m) {
    if (m.has_ack_epoch() && m.ack_epoch().epoch() == 0) {
      m.mutable_ack_epoch()->set_epoch(peer_->accepted_epoch());
    }
    peer_->Step(from, m);
    Drain();
  }
  void Tick(int n = 1) {
    for (int i = 0; i < n; ++i) {
      peer_->Tick();
      Drain();
    }
  }
  void Drain() {
    Ready r = peer_->TakeReady();
    for (auto& m : r.messages) out_.messages.push_back(std::move(m));
    for (auto& e : r.append) out_.append.push_back(std::move(e));
    for (auto& e : r.commit) out_.commit.push_back(std::move(e));
    for (auto& s : r.snapshot_requests) out_.snapshot_requests.push_back(s);
    if (r.persist_accepted_epoch) out_.persist_accepted_epoch = r.persist_accepted_epoch;
    if (r.persist_current_epoch) out_.persist_current_epoch = r.persist_current_epoch;
    if (r.truncate_after) out_.truncate_after = r.truncate_after;
    if (r.install_snapshot) out_.install_snapshot = r.install_snapshot;
    if (r.role) out_.role = r.role;
  }
  void Clear() { out_ = Ready(); }

  // Messages of one kind sent to `to` (0: anyone), in order.
  std::vector<PeerMessage> Sent(PeerMessage::BodyCase kind, ServerId to = 0) const {
    std::vector<PeerMessage> v;
    for (const auto& m : out_.messages) {
      if (m.message.body_case() == kind && (to == 0 || m.to == to)) v.push_back(m.message);
    }
    return v;
  }
  // Every message sent to `to`, in order, excluding pings, notifications and
  // LEADERINFO (the sync stream proper).
  std::vector<PeerMessage> Stream(ServerId to) const {
    std::vector<PeerMessage> v;
    for (const auto& m : out_.messages) {
      if (m.to == to && !m.message.has_ping() && !m.message.has_notification() &&
          !m.message.has_leader_info()) {
        v.push_back(m.message);
      }
    }
    return v;
  }

 private:
  std::unique_ptr<Peer> peer_;
  Ready out_;
};

// Sid 3 of {1,2,3} wins: both others vote for it in round 1.
inline void ElectSelf(Harness& h, Zxid last = Zxid(), Epoch epoch = 0) {
  ServerId me = h.peer().sid();
  for (ServerId s = 1; s <= 3; ++s) {
    if (s != me) h.Step(s, Notify(me, last, epoch, h.peer().logical_clock()));
  }
  ASSERT_EQ(h.peer().role(), Role::kLeading);
}

// Leader sid 3 runs discovery with follower 1 (and optionally 2) and syncs.
// Returns with the leader established at epoch `e`.
inline void EstablishLeader(Harness& h, Epoch accepted = 0, Zxid follower_last = Zxid()) {
  ElectSelf(h, h.peer().last_zxid(), h.peer().current_epoch());
  h.Step(1, FollowerInfoMsg(accepted, follower_last));
  ASSERT_TRUE(h.out().persist_accepted_epoch.has_value());
  Epoch e = *h.out().persist_accepted_epoch;
  h.peer().AcceptedEpochPersisted(e);
  h.Drain();
  h.Step(1, AckEpochMsg(accepted, follower_last));
  ASSERT_EQ(h.out().persist_current_epoch, e);
  h.peer().CurrentEpochPersisted(e);
  h.Drain();
  h.Step(1, AckMsg(h.peer().last_zxid(), /*new_leader=*/true));
  ASSERT_TRUE(h.peer().IsEstablishedLeader());
}

// Follower sid 1 with leader 3 through discovery and a DIFF sync to UPTODATE.
inline void SyncFollower(Harness& h, Epoch e) {
  for (ServerId s : {2, 3}) h.Step(s, Notify(3, Zxid(), 0, h.peer().logical_clock()));
  ASSERT_EQ(h.peer().role(), Role::kFollowing);
  auto fi = h.Sent(PeerMessage::kFollowerInfo, 3);
  ASSERT_EQ(fi.size(), 1u);
  uint64_t session = fi[0].follower_info().session();
  h.Step(3, LeaderInfoMsg(e, session));
  h.peer().AcceptedEpochPersisted(e);
  h.Drain();
  h.Step(3, DiffMsg(h.peer().last_zxid()));
  h.Step(3, NewLeaderMsg(e, h.peer().last_zxid()));
  h.peer().CurrentEpochPersisted(e);
  h.Drain();
  h.Step(3, UpToDateMsg(h.peer().committed_zxid()));
  ASSERT_TRUE(h.peer().IsServingFollower());
}

}  // namespace zab::testing

#endif  // ZABKEEPER_TESTS_UNIT_CONSENSUS_HARNESS_H_
