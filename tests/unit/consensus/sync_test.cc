// Synchronization: DIFF / TRUNC / SNAP, NEWLEADER, UPTODATE.
#include "gtest/gtest.h"
#include "tests/unit/consensus/harness.h"

namespace zab::testing {
namespace {

// Leader 3 with history 1.1..1.8 (applied through `applied`), elected and
// through discovery with follower 1 reporting `follower_last`.
void LeaderToSync(Harness& h, Zxid follower_last, Epoch follower_epoch = 1) {
  ElectSelf(h, h.peer().last_zxid(), h.peer().current_epoch());
  h.Step(1, FollowerInfoMsg(follower_epoch, follower_last));
  Epoch e = *h.out().persist_accepted_epoch;
  h.peer().AcceptedEpochPersisted(e);
  h.Drain();
  h.Step(1, AckEpochMsg(follower_epoch, follower_last));
  h.peer().CurrentEpochPersisted(e);
  h.Drain();
}

PersistentState History(uint32_t n, uint32_t applied) {
  PersistentState ps;
  ps.accepted_epoch = 1;
  ps.current_epoch = 1;
  ps.log = Entries(1, 1, n);
  ps.applied = Zxid(1, applied);
  return ps;
}

TEST(Sync_Leader, FollowerInWindow_DiffThenHistoryThenNewLeader) {
  Harness h(3, History(8, 8));
  LeaderToSync(h, Zxid(1, 6));
  auto s = h.Stream(1);
  ASSERT_GE(s.size(), 5u);
  EXPECT_EQ(s[0].diff().zxid(), Zxid(1, 6).raw());
  EXPECT_EQ(s[1].proposal().zxid(), Zxid(1, 7).raw());
  EXPECT_EQ(s[2].proposal().zxid(), Zxid(1, 8).raw());
  EXPECT_EQ(s[3].commit().zxid(), Zxid(1, 8).raw());
  EXPECT_EQ(s[4].new_leader().zxid(), Zxid(1, 8).raw());
  EXPECT_EQ(h.peer().counters().sync_diff, 1u);
}

TEST(Sync_Leader, FollowerHasTxnsWeLack_TruncToCommonPoint) {
  // ZOOKEEPER-1154/1156: the follower's extra txns are uncommitted (the
  // leader's history holds every committed txn) and only they are cut.
  // The leader took part in epoch 2 (which added nothing); the follower
  // missed it and still holds epoch-1 txns nobody else logged.
  PersistentState ps = History(8, 8);
  ps.current_epoch = ps.accepted_epoch = 2;
  Harness h(3, ps);
  LeaderToSync(h, Zxid(1, 12));
  auto s = h.Stream(1);
  ASSERT_GE(s.size(), 2u);
  EXPECT_EQ(s[0].trunc().zxid(), Zxid(1, 8).raw());
  EXPECT_EQ(s[1].new_leader().zxid(), Zxid(1, 8).raw());
  EXPECT_EQ(h.peer().counters().sync_trunc, 1u);
}

TEST(Sync_Leader, FollowerFromUnknownEpoch_TruncThenDiff) {
  PersistentState ps = History(3, 3);
  for (auto& e : Entries(3, 1, 2)) ps.log.push_back(e);
  ps.applied = Zxid(3, 2);
  ps.current_epoch = ps.accepted_epoch = 3;
  Harness h(3, ps);
  LeaderToSync(h, Zxid(2, 5), 2);
  auto s = h.Stream(1);
  ASSERT_GE(s.size(), 4u);
  EXPECT_EQ(s[0].trunc().zxid(), Zxid(1, 3).raw());
  EXPECT_EQ(s[1].proposal().zxid(), Zxid(3, 1).raw());
  EXPECT_EQ(s[2].proposal().zxid(), Zxid(3, 2).raw());
}

TEST(Sync_Leader, FollowerBehindWindow_SnapHeldUntilSnapshotReady) {
  Harness h(3, History(8, 8));  // window 4: floor 1.4
  LeaderToSync(h, Zxid(1, 2));
  ASSERT_EQ(h.out().snapshot_requests.size(), 1u);
  EXPECT_EQ(h.out().snapshot_requests[0].follower, 1u);
  EXPECT_EQ(h.out().snapshot_requests[0].zxid, Zxid(1, 8));
  EXPECT_TRUE(h.Stream(1).empty());  // nothing leaves before the SNAP
  h.peer().SnapshotReady(1, Zxid(1, 8), "state@1.8");
  h.Drain();
  auto s = h.Stream(1);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].snap().zxid(), Zxid(1, 8).raw());
  EXPECT_EQ(s[0].snap().data(), "state@1.8");
  EXPECT_EQ(s[1].new_leader().zxid(), Zxid(1, 8).raw());
}

TEST(Sync_Leader, NewLeaderQuorum_CommitsHistoryAndSendsUpToDate) {
  Harness h(3, History(8, 5));
  LeaderToSync(h, Zxid(1, 8));
  EXPECT_EQ(h.peer().committed_zxid(), Zxid(1, 5));
  h.Step(1, AckMsg(Zxid(1, 8), true));
  EXPECT_TRUE(h.peer().IsEstablishedLeader());
  EXPECT_EQ(h.peer().committed_zxid(), Zxid(1, 8));
  auto u = h.Sent(PeerMessage::kUpToDate, 1);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].up_to_date().commit_zxid(), Zxid(1, 8).raw());
}

TEST(Sync_Leader, ProposalsDuringSync_ReachFollowerInOrder) {
  // ZOOKEEPER-4394: DIFF, PROPOSAL, COMMIT, PROPOSAL, NEWLEADER, COMMIT, UPTODATE.
  Harness h(3, History(4, 4));
  EstablishLeader(h, 1, Zxid(1, 4));
  ASSERT_TRUE(h.peer().Propose("a").ok());
  h.Drain();
  h.Step(2, FollowerInfoMsg(1, Zxid(1, 4)));
  h.Step(2, AckEpochMsg(1, Zxid(1, 4)));
  auto b = h.peer().Propose("b");
  ASSERT_TRUE(b.ok());
  h.Drain();
  auto s = h.Stream(2);
  ASSERT_GE(s.size(), 4u);
  EXPECT_TRUE(s[0].has_diff());
  EXPECT_TRUE(s[1].has_proposal());  // "a"
  EXPECT_TRUE(s[2].has_new_leader());
  EXPECT_EQ(s[3].proposal().zxid(), b->raw());  // "b" after NEWLEADER
}

// ---- Follower side ----------------------------------------------------------

// Follower 1 of leader 3 through discovery into the sync phase of epoch e.
void FollowerToSync(Harness& h, Epoch e) {
  for (ServerId s : {2, 3}) {
    h.Step(s, Notify(3, h.peer().last_zxid(), h.peer().current_epoch(), h.peer().logical_clock()));
  }
  ASSERT_EQ(h.peer().role(), Role::kFollowing);
  uint64_t session = h.Sent(PeerMessage::kFollowerInfo, 3).back().follower_info().session();
  h.Step(3, LeaderInfoMsg(e, session));
  h.peer().AcceptedEpochPersisted(e);
  h.Drain();
}

TEST(Sync_Follower, NewLeader_AckOnlyAfterLogDurableThenEpochDurable) {
  // ZOOKEEPER-3911/3023/4643/4646: neither the epoch nor the ACK may run
  // ahead of the synced txns on disk.
  Harness h(1);
  FollowerToSync(h, 1);
  h.Step(3, DiffMsg(Zxid()));
  h.Step(3, ProposalMsg(Zxid(1, 1)));
  h.Step(3, ProposalMsg(Zxid(1, 2)));
  h.Step(3, NewLeaderMsg(1, Zxid(1, 2)));
  EXPECT_FALSE(h.out().persist_current_epoch.has_value());
  EXPECT_TRUE(h.Sent(PeerMessage::kAck).empty());
  h.peer().Persisted(Zxid(1, 1));
  h.Drain();
  EXPECT_FALSE(h.out().persist_current_epoch.has_value());
  h.peer().Persisted(Zxid(1, 2));
  h.Drain();
  EXPECT_EQ(h.out().persist_current_epoch, 1u);
  EXPECT_TRUE(h.Sent(PeerMessage::kAck).empty());
  h.peer().CurrentEpochPersisted(1);
  h.Drain();
  auto acks = h.Sent(PeerMessage::kAck, 3);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].ack().new_leader());
  EXPECT_EQ(acks[0].ack().zxid(), Zxid(1, 2).raw());
}

TEST(Sync_Follower, Trunc_CutsUncommittedSuffix) {
  PersistentState ps;
  ps.log = Entries(1, 1, 6);
  ps.applied = Zxid(1, 3);
  ps.current_epoch = ps.accepted_epoch = 1;
  Harness h(1, ps);
  FollowerToSync(h, 2);
  h.Step(3, TruncMsg(Zxid(1, 4)));
  EXPECT_EQ(h.out().truncate_after, Zxid(1, 4));
  EXPECT_EQ(h.peer().last_zxid(), Zxid(1, 4));
  EXPECT_EQ(h.peer().counters().safety_refusals, 0u);
}

TEST(Sync_Follower, TruncBelowCommitted_Refused) {
  PersistentState ps;
  ps.log = Entries(1, 1, 6);
  ps.applied = Zxid(1, 5);
  ps.current_epoch = ps.accepted_epoch = 1;
  Harness h(1, ps);
  FollowerToSync(h, 2);
  h.Step(3, TruncMsg(Zxid(1, 4)));
  EXPECT_FALSE(h.out().truncate_after.has_value());
  EXPECT_EQ(h.peer().counters().safety_refusals, 1u);
  EXPECT_EQ(h.peer().role(), Role::kLooking);
}

TEST(Sync_Follower, Snap_ReplacesStateAndLog) {
  PersistentState ps;
  ps.log = Entries(1, 1, 3);
  ps.current_epoch = ps.accepted_epoch = 1;
  Harness h(1, ps);
  FollowerToSync(h, 2);
  PeerMessage snap;
  snap.mutable_snap()->set_zxid(Zxid(1, 9).raw());
  snap.mutable_snap()->set_data("S");
  h.Step(3, snap);
  ASSERT_TRUE(h.out().install_snapshot.has_value());
  EXPECT_EQ(h.out().install_snapshot->zxid, Zxid(1, 9));
  EXPECT_EQ(h.peer().applied_zxid(), Zxid(1, 9));
  EXPECT_EQ(h.peer().last_zxid(), Zxid(1, 9));
  EXPECT_TRUE(h.peer().log().empty());
}

TEST(Sync_Follower, UpToDate_CommitsHistoryAppliedOnceDurable) {
  Harness h(1);
  FollowerToSync(h, 1);
  h.Step(3, DiffMsg(Zxid()));
  h.Step(3, ProposalMsg(Zxid(1, 1), "a"));
  h.Step(3, NewLeaderMsg(1, Zxid(1, 1)));
  h.peer().Persisted(Zxid(1, 1));
  h.peer().CurrentEpochPersisted(1);
  h.Drain();
  EXPECT_TRUE(h.out().commit.empty());
  h.Step(3, UpToDateMsg(Zxid(1, 1)));
  EXPECT_TRUE(h.peer().IsServingFollower());
  ASSERT_EQ(h.out().commit.size(), 1u);
  EXPECT_EQ(h.out().commit[0].txn, "a");
}

}  // namespace
}  // namespace zab::testing
