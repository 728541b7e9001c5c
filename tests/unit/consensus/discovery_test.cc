// Discovery: FOLLOWERINFO -> LEADERINFO(newEpoch) -> ACKEPOCH.
#include "gtest/gtest.h"
#include "tests/unit/consensus/harness.h"

namespace zab::testing {
namespace {

TEST(Discovery_Leader, QuorumOfInfo_ProposesMaxAcceptedPlusOne) {
  PersistentState ps;
  ps.accepted_epoch = 3;
  ps.current_epoch = 3;
  Harness h(3, ps);
  ElectSelf(h, Zxid(), 3);
  EXPECT_FALSE(h.out().persist_accepted_epoch.has_value());  // only itself so far
  h.Step(1, FollowerInfoMsg(5, Zxid()));
  ASSERT_TRUE(h.out().persist_accepted_epoch.has_value());
  EXPECT_EQ(*h.out().persist_accepted_epoch, 6u);
}

TEST(Discovery_Leader, LeaderInfo_OnlyAfterAcceptedEpochDurable) {
  Harness h(3);
  ElectSelf(h);
  h.Step(1, FollowerInfoMsg(0, Zxid()));
  EXPECT_TRUE(h.Sent(PeerMessage::kLeaderInfo).empty());
  h.peer().AcceptedEpochPersisted(1);
  h.Drain();
  auto li = h.Sent(PeerMessage::kLeaderInfo, 1);
  ASSERT_EQ(li.size(), 1u);
  EXPECT_EQ(li[0].leader_info().new_epoch(), 1u);
  EXPECT_EQ(li[0].leader_info().session(), 1u);
}

TEST(Discovery_Leader, EpochAckQuorum_PersistsCurrentEpochThenSyncs) {
  Harness h(3);
  ElectSelf(h);
  h.Step(1, FollowerInfoMsg(0, Zxid()));
  h.peer().AcceptedEpochPersisted(1);
  h.Drain();
  h.Step(1, AckEpochMsg(0, Zxid()));
  ASSERT_EQ(h.out().persist_current_epoch, 1u);
  EXPECT_TRUE(h.Sent(PeerMessage::kDiff).empty());  // not before currentEpoch is durable
  h.peer().CurrentEpochPersisted(1);
  h.Drain();
  EXPECT_EQ(h.Sent(PeerMessage::kDiff, 1).size(), 1u);
}

// ZOOKEEPER-4643, leader side: a leader re-elected while its own appends are
// still in flight writes currentEpoch only once they are durable.
TEST(Discovery_Leader, OwnHistoryNotDurable_CurrentEpochWaitsForIt) {
  Harness h(3);
  EstablishLeader(h);  // epoch 1
  ASSERT_TRUE(h.peer().Propose("a").ok());
  ASSERT_TRUE(h.peer().Propose("b").ok());  // appended; never reported durable
  h.Tick(7);                                // no follower heard: quorum lost
  ASSERT_EQ(h.peer().role(), Role::kLooking);
  h.Clear();
  ElectSelf(h, h.peer().last_zxid(), h.peer().current_epoch());
  h.Step(1, FollowerInfoMsg(1, Zxid(1, 2)));
  ASSERT_EQ(h.out().persist_accepted_epoch, 2u);
  h.peer().AcceptedEpochPersisted(2);
  h.Drain();
  h.Step(1, AckEpochMsg(1, Zxid(1, 2)));
  EXPECT_FALSE(h.out().persist_current_epoch.has_value())
      << "currentEpoch written over a history that is not durable";
  h.peer().Persisted(Zxid(1, 1));
  h.Drain();
  EXPECT_FALSE(h.out().persist_current_epoch.has_value());
  h.peer().Persisted(Zxid(1, 2));
  h.Drain();
  EXPECT_EQ(h.out().persist_current_epoch, 2u);
}

// A late copy of a follower's earlier FOLLOWERINFO (replayed across a
// reconnect) must not replace its current attempt: the follower ignores
// LEADERINFO for a session it left, and its pings would keep that dead
// attempt alive (found by the simulator's "stale" fault, seed 1024410).
TEST(Discovery_Leader, FollowerInfoOfEarlierAttempt_Ignored) {
  Harness h(3);
  ElectSelf(h);
  h.Step(1, FollowerInfoMsg(0, Zxid(), /*session=*/2));
  h.peer().AcceptedEpochPersisted(1);
  h.Drain();
  h.Step(1, FollowerInfoMsg(0, Zxid(), /*session=*/1));
  h.Step(1, FollowerInfoMsg(0, Zxid(), /*session=*/2));
  auto li = h.Sent(PeerMessage::kLeaderInfo, 1);
  ASSERT_EQ(li.size(), 1u);
  EXPECT_EQ(li[0].leader_info().session(), 2u);
  h.Step(1, AckEpochMsg(0, Zxid(), /*session=*/2));
  EXPECT_EQ(h.out().persist_current_epoch, 1u);
}

// An ACKEPOCH replayed from an earlier attempt (same follower session, a
// transport that repeats messages across reconnects) answers another epoch
// and must not count (found by the simulator's "stale" fault, seed 2090:
// two leaders ended discovery in one epoch).
TEST(Discovery_Leader, AckEpochForAnotherEpoch_NotCounted) {
  PersistentState ps;
  ps.accepted_epoch = 3;
  ps.current_epoch = 3;
  Harness h(3, ps);
  ElectSelf(h, Zxid(), 3);
  h.Step(1, FollowerInfoMsg(3, Zxid()));
  ASSERT_EQ(h.out().persist_accepted_epoch, 4u);
  h.peer().AcceptedEpochPersisted(4);
  h.Drain();
  h.Step(1, AckEpochMsg(3, Zxid(), 1, false, /*epoch=*/3));
  EXPECT_FALSE(h.out().persist_current_epoch.has_value());
  h.Step(1, AckEpochMsg(3, Zxid(), 1, false, /*epoch=*/4));
  EXPECT_EQ(h.out().persist_current_epoch, 4u);
}

TEST(Discovery_Leader, NonCountingEpochAck_NoQuorum) {
  Harness h(3);
  ElectSelf(h);
  h.Step(1, FollowerInfoMsg(0, Zxid()));
  h.peer().AcceptedEpochPersisted(1);
  h.Drain();
  h.Step(1, AckEpochMsg(0, Zxid(), 1, /*already=*/true));
  EXPECT_FALSE(h.out().persist_current_epoch.has_value());
}

TEST(Discovery_Leader, FollowerAhead_Abdicates) {
  Harness h(3);
  ElectSelf(h);
  h.Step(1, FollowerInfoMsg(0, Zxid()));
  h.peer().AcceptedEpochPersisted(1);
  h.Drain();
  h.Step(1, AckEpochMsg(0, Zxid(0, 4)));
  EXPECT_EQ(h.peer().role(), Role::kLooking);
}

TEST(Discovery_Leader, FollowerAcceptedLaterEpoch_Abdicates) {
  Harness h(3);
  EstablishLeader(h);
  h.Step(2, FollowerInfoMsg(9, Zxid()));
  EXPECT_EQ(h.peer().role(), Role::kLooking);
}

// Sid 1 chose 3, but 3 follows 2: 3 says so, and 1 looks again at once
// instead of waiting initLimit for a LEADERINFO that never comes.
TEST(Discovery_Follower, ChosenLeaderFollowsAnother_LooksAgainAtOnce) {
  Harness h(1);
  for (ServerId s : {2, 3}) h.Step(s, Notify(3, Zxid(), 0, h.peer().logical_clock()));
  ASSERT_EQ(h.peer().role(), Role::kFollowing);
  ASSERT_EQ(h.peer().leader(), 3u);
  const uint64_t elections = h.peer().counters().elections;
  h.Step(3, Notify(2, Zxid(), 0, h.peer().logical_clock(), zabkeeper::zab::FOLLOWING));
  EXPECT_EQ(h.peer().role(), Role::kLooking);
  EXPECT_EQ(h.peer().counters().elections, elections + 1);
}

// A LOOKING notification from the chosen leader is no such proof: it may
// still decide to lead us.
TEST(Discovery_Follower, ChosenLeaderStillLooking_KeepsWaiting) {
  Harness h(1);
  for (ServerId s : {2, 3}) h.Step(s, Notify(3, Zxid(), 0, h.peer().logical_clock()));
  ASSERT_EQ(h.peer().role(), Role::kFollowing);
  h.Step(3, Notify(3, Zxid(), 0, h.peer().logical_clock(), zabkeeper::zab::LOOKING));
  EXPECT_EQ(h.peer().role(), Role::kFollowing);
}

// The other side: a follower that receives a FOLLOWERINFO from a peer that
// is not its leader answers with whom it follows.
TEST(Discovery_Follower, FollowerInfoFromNonLeader_AnsweredWithOurVote) {
  Harness h(1);
  SyncFollower(h, 1);  // 1 follows 3
  h.Clear();
  h.Step(2, FollowerInfoMsg(0, Zxid()));
  auto n = h.Sent(PeerMessage::kNotification, 2);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].notification().state(), zabkeeper::zab::FOLLOWING);
  EXPECT_EQ(n[0].notification().leader(), 3u);
}

// A FOLLOWERINFO that reached us while we were LOOKING is answered when we
// decide to follow someone else.
TEST(Discovery_Follower, EarlyFollowerInfo_AnsweredOnFollowingAnother) {
  Harness h(1);
  h.Step(2, FollowerInfoMsg(0, Zxid()));  // 2 thinks we lead
  h.Clear();
  h.Step(3, Notify(3, Zxid(), 0, h.peer().logical_clock()));
  h.Step(2, Notify(3, Zxid(), 0, h.peer().logical_clock()));
  ASSERT_EQ(h.peer().role(), Role::kFollowing);
  bool told = false;
  for (const auto& m : h.Sent(PeerMessage::kNotification, 2)) {
    told |=
        m.notification().state() == zabkeeper::zab::FOLLOWING && m.notification().leader() == 3u;
  }
  EXPECT_TRUE(told);
}

TEST(Discovery_Follower, AcceptedEpochPersisted_BeforeAckEpoch) {
  Harness h(1);
  for (ServerId s : {2, 3}) h.Step(s, Notify(3, Zxid(), 0, 1));
  ASSERT_EQ(h.peer().role(), Role::kFollowing);
  h.Step(3, LeaderInfoMsg(4, 1));
  EXPECT_EQ(h.out().persist_accepted_epoch, 4u);
  EXPECT_TRUE(h.Sent(PeerMessage::kAckEpoch).empty());
  h.peer().AcceptedEpochPersisted(4);
  h.Drain();
  auto ae = h.Sent(PeerMessage::kAckEpoch, 3);
  ASSERT_EQ(ae.size(), 1u);
  EXPECT_FALSE(ae[0].ack_epoch().already_accepted());
  EXPECT_EQ(ae[0].ack_epoch().current_epoch(), 0u);
}

TEST(Discovery_Follower, LowerEpoch_Refused) {
  PersistentState ps;
  ps.accepted_epoch = 5;
  Harness h(1, ps);
  for (ServerId s : {2, 3}) h.Step(s, Notify(3, Zxid(), 0, 1));
  h.Step(3, LeaderInfoMsg(4, 1));
  EXPECT_EQ(h.peer().role(), Role::kLooking);
  EXPECT_EQ(h.peer().counters().epoch_refusals, 1u);
  EXPECT_TRUE(h.Sent(PeerMessage::kAckEpoch).empty());
}

TEST(Discovery_Follower, EqualEpoch_AckMarkedNotCounting) {
  PersistentState ps;
  ps.accepted_epoch = 4;
  ps.current_epoch = 3;
  Harness h(1, ps);
  for (ServerId s : {2, 3}) h.Step(s, Notify(3, Zxid(), 3, 1));
  h.Step(3, LeaderInfoMsg(4, 1));
  auto ae = h.Sent(PeerMessage::kAckEpoch, 3);
  ASSERT_EQ(ae.size(), 1u);
  EXPECT_TRUE(ae[0].ack_epoch().already_accepted());
}

TEST(Discovery_Follower, LeaderInfoOfEarlierAttempt_Ignored) {
  Harness h(1);
  for (ServerId s : {2, 3}) h.Step(s, Notify(3, Zxid(), 0, 1));
  h.Step(3, LeaderInfoMsg(4, 99));
  EXPECT_FALSE(h.out().persist_accepted_epoch.has_value());
}

TEST(Discovery_Recovery, CurrentAboveAccepted_AcceptedRaised) {
  // ZOOKEEPER-1653: crash between the two epoch writes.
  PersistentState ps;
  ps.accepted_epoch = 2;
  ps.current_epoch = 3;
  Peer p(Config(1), ps);
  EXPECT_EQ(p.accepted_epoch(), 3u);
  EXPECT_EQ(p.current_epoch(), 3u);
}

}  // namespace
}  // namespace zab::testing
