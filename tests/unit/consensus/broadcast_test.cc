// Broadcast: PROPOSAL -> ACK (after durable) -> COMMIT, in zxid order; and
// the liveness timers of both roles.
#include "gtest/gtest.h"
#include "tests/unit/consensus/harness.h"

namespace zab::testing {
namespace {

TEST(Broadcast_Propose, NotLeader_FailedPrecondition) {
  Harness h(1);
  auto z = h.peer().Propose("x");
  EXPECT_EQ(z.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Broadcast_Propose, LeaderNotEstablished_Unavailable) {
  Harness h(3);
  ElectSelf(h);
  auto z = h.peer().Propose("x");
  EXPECT_EQ(z.status().code(), absl::StatusCode::kUnavailable);
}

// Zxids are assigned in one place: prepare gets the zxid the proposal gets,
// and a refused proposal prepares nothing.
TEST(Broadcast_Propose, Prepare_GetsTheAssignedZxid_OnlyWhenAccepted) {
  Harness h(3);
  int prepared = 0;
  auto prepare = [&](Zxid z) {
    ++prepared;
    return "txn@" + z.ToString();
  };
  EXPECT_FALSE(h.peer().Propose(prepare).ok());  // not leader yet
  EXPECT_EQ(prepared, 0);
  EstablishLeader(h);
  auto z = h.peer().Propose(prepare);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(prepared, 1);
  EXPECT_EQ(*z, Zxid(1, 1));
  h.Drain();
  auto sent = h.Sent(PeerMessage::kProposal, 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].proposal().txn(), "txn@" + Zxid(1, 1).ToString());
}

TEST(Broadcast_Leader, Pipelined_CommitsOnQuorumInOrder) {
  Harness h(3);
  EstablishLeader(h);
  auto a = h.peer().Propose("a");
  auto b = h.peer().Propose("b");
  auto c = h.peer().Propose("c");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, Zxid(1, 1));
  EXPECT_EQ(*c, Zxid(1, 3));
  h.Drain();
  EXPECT_EQ(h.Sent(PeerMessage::kProposal, 1).size(), 3u);
  EXPECT_EQ(h.out().append.size(), 3u);
  // Follower durable through b, leader not yet: 2 of 3 is not (self has 0).
  h.Step(1, AckMsg(*b));
  EXPECT_EQ(h.peer().committed_zxid(), Zxid());
  h.peer().Persisted(*c);
  h.Drain();
  EXPECT_EQ(h.peer().committed_zxid(), *b);  // quorum {3, 1} through b
  auto commits = h.Sent(PeerMessage::kCommit, 1);
  ASSERT_FALSE(commits.empty());
  EXPECT_EQ(commits.back().commit().zxid(), b->raw());
  ASSERT_EQ(h.out().commit.size(), 2u);
  EXPECT_EQ(h.out().commit[0].txn, "a");
  EXPECT_EQ(h.out().commit[1].txn, "b");
}

TEST(Broadcast_Leader, CounterExhausted_StepsDownForNewEpoch) {
  PeerConfig cfg = Config(3);
  cfg.counter_limit = 3;
  Harness h(cfg);
  EstablishLeader(h);
  EXPECT_TRUE(h.peer().Propose("a").ok());
  EXPECT_TRUE(h.peer().Propose("b").ok());
  auto z = h.peer().Propose("c");
  EXPECT_EQ(z.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(h.peer().role(), Role::kLooking);
  EXPECT_EQ(h.peer().last_zxid(), Zxid(1, 2));
}

TEST(Broadcast_Leader, LosesQuorum_StepsDownAfterSyncLimit) {
  Harness h(3);
  EstablishLeader(h);
  h.Tick(5);
  EXPECT_TRUE(h.peer().IsEstablishedLeader());
  h.Tick(2);
  EXPECT_EQ(h.peer().role(), Role::kLooking);
}

TEST(Broadcast_Leader, FollowerPings_KeepLeaderUp) {
  Harness h(3);
  EstablishLeader(h);
  PeerMessage ping;
  ping.mutable_ping();
  for (int i = 0; i < 20; ++i) {
    h.Step(1, ping);
    h.Tick();
  }
  EXPECT_TRUE(h.peer().IsEstablishedLeader());
}

TEST(Broadcast_Follower, AcksOnlyDurableTxns) {
  Harness h(1);
  SyncFollower(h, 1);
  h.Clear();
  h.Step(3, ProposalMsg(Zxid(1, 1)));
  h.Step(3, ProposalMsg(Zxid(1, 2)));
  EXPECT_TRUE(h.Sent(PeerMessage::kAck).empty());
  EXPECT_EQ(h.out().append.size(), 2u);
  h.peer().Persisted(Zxid(1, 1));
  h.Drain();
  auto acks = h.Sent(PeerMessage::kAck, 3);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].ack().zxid(), Zxid(1, 1).raw());
}

TEST(Broadcast_Follower, AppliesCommittedAndDurableInOrder) {
  Harness h(1);
  SyncFollower(h, 1);
  h.Clear();
  h.Step(3, ProposalMsg(Zxid(1, 1), "a"));
  h.Step(3, ProposalMsg(Zxid(1, 2), "b"));
  h.Step(3, CommitMsg(Zxid(1, 2)));
  EXPECT_TRUE(h.out().commit.empty());  // not durable here yet
  h.peer().Persisted(Zxid(1, 1));
  h.Drain();
  ASSERT_EQ(h.out().commit.size(), 1u);
  h.peer().Persisted(Zxid(1, 2));
  h.Drain();
  ASSERT_EQ(h.out().commit.size(), 2u);
  EXPECT_EQ(h.out().commit[1].zxid, Zxid(1, 2));
}

TEST(Broadcast_Follower, ProposalNotAfterLast_Refused) {
  Harness h(1);
  SyncFollower(h, 1);
  h.Step(3, ProposalMsg(Zxid(1, 2)));
  h.Step(3, ProposalMsg(Zxid(1, 1)));
  EXPECT_EQ(h.peer().counters().safety_refusals, 1u);
}

TEST(Broadcast_Follower, LeaderSilent_BackToLookingAfterSyncLimit) {
  Harness h(1);
  SyncFollower(h, 1);
  h.Tick(5);
  EXPECT_EQ(h.peer().role(), Role::kFollowing);
  h.Tick(1);
  EXPECT_EQ(h.peer().role(), Role::kLooking);
}

TEST(Broadcast_Follower, PeerFollowerPings_DoNotCountAsLeader) {
  Harness h(1);
  SyncFollower(h, 1);
  PeerMessage ping;
  ping.mutable_ping();  // from_leader unset
  for (int i = 0; i < 6; ++i) {
    h.Step(3, ping);
    h.Tick();
  }
  EXPECT_EQ(h.peer().role(), Role::kLooking);
}

}  // namespace
}  // namespace zab::testing
