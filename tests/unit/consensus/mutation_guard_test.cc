// Guards for mutants the simulator cannot reach (scripts/mutation-check.py,
// docs/ZAB_MUTATIONS.md): rules that only matter once another peer has
// already broken the protocol, so a run of correct peers never exercises
// them. Each test feeds the peer the message a broken peer would send.
#include "gtest/gtest.h"
#include "tests/unit/consensus/harness.h"

namespace zab::testing {
namespace {

// Follower sid 1 promised epoch 2 to leader 3 (the acceptedEpoch write is
// still in flight), lost leader 3 and now follows leader 2. Returns the
// session of its FOLLOWERINFO to 2.
uint64_t FollowNewLeaderWithPromiseInFlight(Harness& h) {
  for (ServerId s : {2, 3}) h.Step(s, Notify(3, Zxid(), 0, h.peer().logical_clock()));
  EXPECT_EQ(h.peer().role(), Role::kFollowing);
  auto fi = h.Sent(PeerMessage::kFollowerInfo, 3);
  EXPECT_EQ(fi.size(), 1u);
  h.Step(3, LeaderInfoMsg(2, fi.empty() ? 0 : fi[0].follower_info().session()));
  EXPECT_EQ(h.out().persist_accepted_epoch, 2u);  // requested, not reported durable
  h.peer().PeerDisconnected(3);
  h.peer().PeerConnected(3);
  h.Drain();
  EXPECT_EQ(h.peer().role(), Role::kLooking);
  for (ServerId s : {2, 3}) h.Step(s, Notify(2, Zxid(), 0, h.peer().logical_clock()));
  EXPECT_EQ(h.peer().role(), Role::kFollowing);
  EXPECT_EQ(h.peer().leader(), 2u);
  auto info = h.Sent(PeerMessage::kFollowerInfo, 2);
  EXPECT_EQ(info.size(), 1u);
  if (info.empty()) return 0;
  // The promise in flight is reported, so a correct leader never offers less.
  EXPECT_EQ(info[0].follower_info().accepted_epoch(), 2u);
  h.Clear();
  return info[0].follower_info().session();
}

// M16: an epoch equal to a promise still being written was promised to
// another attempt: the ACKEPOCH must not count (else two leaders may each
// count this follower for one epoch).
TEST(MutationGuard_Follower, PromiseInFlight_EqualEpochAckDoesNotCount) {
  Harness h(1);
  uint64_t session = FollowNewLeaderWithPromiseInFlight(h);
  h.Step(2, LeaderInfoMsg(2, session));
  EXPECT_TRUE(h.Sent(PeerMessage::kAckEpoch).empty()) << "acked before the promise is durable";
  h.peer().AcceptedEpochPersisted(2);
  h.Drain();
  auto ae = h.Sent(PeerMessage::kAckEpoch, 2);
  ASSERT_EQ(ae.size(), 1u);
  EXPECT_TRUE(ae[0].ack_epoch().already_accepted());
}

// M16/M13: an epoch below a promise still being written is refused; asking
// the driver to write it would let the lower write land last and undo the
// promise (the bug 16af6fd fixed, seed 470 on 5 nodes).
TEST(MutationGuard_Follower, PromiseInFlight_LowerEpochRefused) {
  Harness h(1);
  uint64_t session = FollowNewLeaderWithPromiseInFlight(h);
  h.Step(2, LeaderInfoMsg(1, session));
  EXPECT_FALSE(h.out().persist_accepted_epoch.has_value()) << "epoch promise went backwards";
  EXPECT_EQ(h.peer().counters().epoch_refusals, 1u);
  EXPECT_EQ(h.peer().role(), Role::kLooking);
  h.peer().AcceptedEpochPersisted(2);
  h.Drain();
  EXPECT_TRUE(h.Sent(PeerMessage::kAckEpoch).empty());
}

}  // namespace
}  // namespace zab::testing
