#include "tests/chaos/ephemeral_check.h"

#include "gtest/gtest.h"

namespace zabkeeper::chaos {
namespace {

// Owner session: create acknowledged at 10, last reply at 100, timeout 50;
// with an election allowance of 30 the node must be gone by 180.
EphemeralRecord Expiring(std::vector<EphemeralObservation> observations) {
  return EphemeralRecord{7, "/lock/a", 10, 100, std::nullopt, 50, std::move(observations)};
}

const EphemeralOptions kOptions{30, {}};

TEST(EphemeralCheckTest, PresentWhileAliveGoneAfterDeadline_Accepted) {
  CheckResult r = CheckEphemerals({Expiring({{20, 30, true},
                                             {0, 8, false},     // before the create
                                             {90, 120, false},  // expired: allowed
                                             {110, 170, true},  // not yet: allowed
                                             {200, 210, false}})},
                                  kOptions);
  EXPECT_TRUE(r.ok()) << r.Report();
}

TEST(EphemeralCheckTest, ClosedSession_DeadlineIsTheCloseAcknowledgement) {
  EphemeralRecord closed{7, "/lock/a", 10, 60, Time{70}, 50, {{100, 110, false}}};
  EXPECT_TRUE(CheckEphemerals({closed}, kOptions).ok());
  closed.observations.push_back({101, 105, true});
  EXPECT_TRUE(CheckEphemerals({closed}, kOptions).Has(AnomalyKind::kEphemeralLateDeletion));
}

TEST(EphemeralCheckTest, GoneWhileSessionAlive_EarlyDeletion) {
  CheckResult r = CheckEphemerals({Expiring({{20, 30, true}, {40, 50, false}})}, kOptions);
  ASSERT_TRUE(r.Has(AnomalyKind::kEphemeralEarlyDeletion)) << r.Report();
  EXPECT_EQ(r.Smallest().ops, (std::vector<size_t>{1}));
  EXPECT_EQ(r.Smallest().key, "/lock/a");
}

TEST(EphemeralCheckTest, StillPresentAfterTimeoutPlusElection_LateDeletion) {
  CheckResult r = CheckEphemerals({Expiring({{190, 200, true}})}, kOptions);
  EXPECT_TRUE(r.Has(AnomalyKind::kEphemeralLateDeletion)) << r.Report();
}

TEST(EphemeralCheckTest, PresentAgainAfterSeenGone_Resurrected) {
  CheckResult r = CheckEphemerals({Expiring({{120, 130, false}, {140, 150, true}})}, kOptions);
  EXPECT_TRUE(r.Has(AnomalyKind::kEphemeralResurrected)) << r.Report();
}

// Seen at soak seed 40028: whole-ensemble restarts one after another each
// bring a new leader, which starts the session's timer again; the node may
// live until the last of them ended plus the timeout and allowance. After
// that it must be gone, and a fault after the deadline changes nothing.
TEST(EphemeralCheckTest, FaultsBeforeExpiryMoveTheDeadline) {
  EphemeralOptions o = kOptions;
  o.disruptions = {{150, 170}, {175, 190}, {200, 230}};  // deadline 180 -> 250 -> 270 -> 310
  const EphemeralRecord late_but_excused = Expiring({{290, 300, true}});
  EXPECT_TRUE(
      CheckEphemerals({late_but_excused}, kOptions).Has(AnomalyKind::kEphemeralLateDeletion));
  EXPECT_TRUE(CheckEphemerals({late_but_excused}, o).ok());
  EXPECT_TRUE(
      CheckEphemerals({Expiring({{311, 320, true}})}, o).Has(AnomalyKind::kEphemeralLateDeletion));
  o.disruptions = {{400, 500}};
  EXPECT_TRUE(
      CheckEphemerals({Expiring({{190, 200, true}})}, o).Has(AnomalyKind::kEphemeralLateDeletion));
}

}  // namespace
}  // namespace zabkeeper::chaos
