// Fast leader election: the LOOKING step function.
#include "gtest/gtest.h"
#include "tests/unit/consensus/harness.h"

namespace zab::testing {
namespace {

using zabkeeper::zab::FOLLOWING;
using zabkeeper::zab::LEADING;
using zabkeeper::zab::LOOKING;

TEST(Election_Start, FreshPeer_BroadcastsSelfVote) {
  PersistentState ps;
  ps.current_epoch = 2;
  ps.accepted_epoch = 2;
  ps.log = Entries(2, 1, 3);
  Harness h(1, ps);
  auto n = h.Sent(PeerMessage::kNotification);
  ASSERT_GE(n.size(), 2u);
  EXPECT_EQ(n.back().notification().leader(), 1u);
  EXPECT_EQ(n.back().notification().zxid(), Zxid(2, 3).raw());
  EXPECT_EQ(n.back().notification().peer_epoch(), 2u);
  EXPECT_EQ(h.peer().role(), Role::kLooking);
}

TEST(Election_Vote, BetterVote_AdoptedAndRebroadcast) {
  Harness h(1);
  h.Clear();
  h.Step(2, Notify(2, Zxid(0, 5), 0, 1));
  EXPECT_EQ(h.peer().current_vote().leader, 2u);
  auto n = h.Sent(PeerMessage::kNotification);
  ASSERT_EQ(n.size(), 2u);  // to 2 and 3
  EXPECT_EQ(n[0].notification().leader(), 2u);
}

TEST(Election_Vote, WorseVote_Ignored) {
  PersistentState ps;
  ps.log = Entries(0, 1, 9);
  Harness h(1, ps);
  h.Clear();
  h.Step(2, Notify(2, Zxid(0, 5), 0, 1));
  EXPECT_EQ(h.peer().current_vote().leader, 1u);
  EXPECT_TRUE(h.Sent(PeerMessage::kNotification).empty());
}

// A peer's vote naming us can carry a history we no longer hold (a crash
// tore our log's tail after we voted). We must not claim it: the election
// would pick us for history we lost.
TEST(Election_Vote, StaleVoteForUs_ClaimsOnlyOurOwnLog) {
  PersistentState ps;
  ps.log = Entries(0, 1, 3);
  Harness h(1, ps);
  h.Clear();
  h.Step(2, Notify(1, Zxid(0, 9), 0, 1));  // "1 with zxid 9": stale
  EXPECT_EQ(h.peer().current_vote().leader, 1u);
  EXPECT_EQ(h.peer().current_vote().zxid, Zxid(0, 3));
  for (const auto& m : h.Sent(PeerMessage::kNotification)) {
    EXPECT_EQ(m.notification().zxid(), Zxid(0, 3).raw());
  }
  // The same in a newer round.
  h.Step(2, Notify(1, Zxid(0, 9), 0, 2));
  EXPECT_EQ(h.peer().current_vote().zxid, Zxid(0, 3));
}

// We hold a second-hand vote for peer 3 that is better than 3's own vote
// for itself: 3's word about its own history wins, or we would never agree.
TEST(Election_Vote, SendersOwnVote_ReplacesStaleSecondHandVoteForIt) {
  Harness h(1);
  h.Step(2, Notify(3, Zxid(0, 9), 0, 1));  // 2 still believes 3 has zxid 9
  ASSERT_EQ(h.peer().current_vote().zxid, Zxid(0, 9));
  h.Clear();
  h.Step(3, Notify(3, Zxid(0, 4), 0, 1));  // 3 itself: zxid 4
  EXPECT_EQ(h.peer().current_vote().leader, 3u);
  EXPECT_EQ(h.peer().current_vote().zxid, Zxid(0, 4));
  EXPECT_FALSE(h.Sent(PeerMessage::kNotification).empty());
}

TEST(Election_Decide, QuorumAgrees_DecidesAfterFinalizeWait) {
  Harness h(1);
  h.Step(2, Notify(2, Zxid(), 0, 1));          // quorum {1,2} for 2
  EXPECT_EQ(h.peer().role(), Role::kLooking);  // waits for a better vote
  h.Tick();
  EXPECT_EQ(h.peer().role(), Role::kFollowing);
  EXPECT_EQ(h.peer().leader(), 2u);
}

TEST(Election_Decide, BetterVoteDuringFinalizeWait_Continues) {
  Harness h(1);
  h.Step(2, Notify(2, Zxid(), 0, 1));
  h.Step(3, Notify(3, Zxid(), 0, 1));  // better: sid 3
  h.Tick();
  // Quorum for 3 needs someone else than us to vote 3 too.
  EXPECT_EQ(h.peer().current_vote().leader, 3u);
}

TEST(Election_Decide, AllVotersAgree_DecidesImmediately) {
  Harness h(3);
  ElectSelf(h);
  EXPECT_EQ(h.peer().role(), Role::kLeading);
}

TEST(Election_Round, OlderRound_AnsweredWithOurVote) {
  Harness h(1);
  h.Step(2, Notify(2, Zxid(), 0, 5));  // jump to round 5
  EXPECT_EQ(h.peer().logical_clock(), 5u);
  h.Clear();
  h.Step(3, Notify(3, Zxid(), 0, 2));
  auto n = h.Sent(PeerMessage::kNotification, 3);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].notification().election_epoch(), 5u);
}

TEST(Election_Join, ExistingLeader_JoinedViaFollowingAndLeadingVotes) {
  Harness h(1);  // restarted server; ensemble runs with leader 3
  h.Step(2, Notify(3, Zxid(1, 9), 1, 7, FOLLOWING));
  EXPECT_EQ(h.peer().role(), Role::kLooking);  // leader itself not heard yet
  h.Step(3, Notify(3, Zxid(1, 9), 1, 7, LEADING));
  EXPECT_EQ(h.peer().role(), Role::kFollowing);
  EXPECT_EQ(h.peer().leader(), 3u);
}

TEST(Election_Join, FollowersClaimLeaderThatDoesNotSayLeading_NotJoined) {
  Harness h(1);
  h.Step(2, Notify(3, Zxid(1, 9), 1, 7, FOLLOWING));
  h.Step(3, Notify(3, Zxid(1, 9), 1, 7, FOLLOWING));
  EXPECT_EQ(h.peer().role(), Role::kLooking);
}

TEST(Election_Answer, FollowingPeer_AnswersLookingPeerWithItsLeader) {
  Harness h(1);
  SyncFollower(h, 1);
  h.Clear();
  h.Step(2, Notify(2, Zxid(), 0, 1));
  auto n = h.Sent(PeerMessage::kNotification, 2);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].notification().leader(), 3u);
  EXPECT_EQ(n[0].notification().state(), FOLLOWING);
  EXPECT_EQ(h.peer().role(), Role::kFollowing);
}

TEST(Election_Timeout, NoAnswers_ResendsWithExponentialBackoffToCap) {
  Harness h(1);
  h.Clear();
  std::vector<int> resend_ticks;
  for (int t = 1; t <= 120; ++t) {
    size_t before = h.out().messages.size();
    h.Tick();
    if (h.out().messages.size() > before) resend_ticks.push_back(t);
  }
  ASSERT_GE(resend_ticks.size(), 4u);
  // Gaps grow, then stay within [cap, 1.5 * cap].
  EXPECT_LT(resend_ticks[1] - resend_ticks[0], resend_ticks[3] - resend_ticks[2]);
  for (size_t i = 1; i < resend_ticks.size(); ++i) {
    EXPECT_LE(resend_ticks[i] - resend_ticks[i - 1], 16 + 8 + 1);
  }
}

}  // namespace
}  // namespace zab::testing
