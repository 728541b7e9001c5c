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
