#include "tests/chaos/session_order.h"

#include "gtest/gtest.h"
#include "tests/chaos/test_util.h"

namespace zabkeeper::chaos {
namespace {

using testing::At;
using testing::kLost;
using testing::Read;
using testing::Sync;
using testing::Write;

TEST(SessionOrderTest, StaleFollowerReadOfAnotherSessionsWrite_Accepted) {
  // Session 2 never saw zxid 5, so reading the older state is allowed.
  History h = {At(Write(1, "x", 1, 0, 10), 5, 1), At(Read(2, "x", 0, 20, 30), 1, 0),
               At(Read(2, "x", 1, 40, 50), 5, 1)};
  CheckResult r = CheckSessionOrder(h);
  EXPECT_TRUE(r.ok()) << r.Report();
}

TEST(SessionOrderTest, ReadYourWritesAndMonotonicReadsAcrossKeys_Accepted) {
  History h = {At(Write(1, "x", 1, 0, 10), 5, 1),  At(Read(1, "x", 1, 20, 30), 5, 1),
               At(Write(2, "y", 1, 0, 10), 6, 1),  At(Read(1, "y", 0, 40, 50), 2, 0),
               At(Read(1, "x", 1, 60, 70), 5, 1),  At(Read(1, "y", 1, 80, 90), 6, 1),
               At(Write(1, "x", 2, 100, kLost), 0)};
  CheckResult r = CheckSessionOrder(h);
  EXPECT_TRUE(r.ok()) << r.Report();
}

TEST(SessionOrderTest, ReadAfterSyncSeesEarlierAcknowledgedWrites_Accepted) {
  History h = {At(Write(1, "x", 1, 0, 10), 5, 1), At(Read(2, "x", 0, 5, 15), 1, 0), Sync(2, 20, 30),
               At(Read(2, "x", 1, 40, 50), 5, 1),
               // Acknowledged only after the sync began: the read need not see it.
               At(Write(1, "y", 1, 25, 35), 7, 1), At(Read(2, "y", 0, 60, 70), 2, 0)};
  CheckResult r = CheckSessionOrder(h);
  EXPECT_TRUE(r.ok()) << r.Report();
}

TEST(SessionOrderTest, RepliesOutOfIssueOrder_FifoViolation) {
  History h = {At(Write(1, "x", 1, 0, 50), 5, 1), At(Read(1, "y", 0, 10, 30), 2, 0)};
  CheckResult r = CheckSessionOrder(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kFifoViolation)) << r.Report();
  EXPECT_EQ(r.Smallest().ops, (std::vector<size_t>{0, 1}));
}

TEST(SessionOrderTest, ReadMissesOwnWrite_ReadYourWritesViolation) {
  History h = {At(Write(1, "x", 1, 0, 10), 5, 1), At(Read(1, "x", 0, 20, 30), 1, 0)};
  EXPECT_TRUE(CheckSessionOrder(h).Has(AnomalyKind::kReadYourWrites));
}

TEST(SessionOrderTest, ReadGoesBackInTimeAfterReconnect_MonotonicReadViolation) {
  History h = {At(Read(1, "x", 2, 0, 10), 5, 2), At(Read(1, "x", 1, 20, 30), 3, 1)};
  CheckResult r = CheckSessionOrder(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kMonotonicRead)) << r.Report();
  EXPECT_NE(r.Report().find("older state"), std::string::npos);
}

TEST(SessionOrderTest, ReadOlderThanAStateSeenOnAnotherKey_Rejected) {
  // Session 1 saw zxid 10 (its write to y); x was written at 7, so any server
  // state it may read from has x at 7 or later.
  History h = {At(Write(2, "x", 1, 0, 10), 7, 1), At(Write(1, "y", 1, 20, 30), 10, 1),
               At(Read(1, "x", 0, 40, 50), 2, 0)};
  EXPECT_TRUE(CheckSessionOrder(h).Has(AnomalyKind::kReadOlderThanSession));
}

TEST(SessionOrderTest, ReadAfterSyncMissesEarlierWrite_SyncViolation) {
  History h = {At(Write(1, "x", 1, 0, 10), 5, 1), Sync(2, 20, 30),
               At(Read(2, "x", 0, 40, 50), 2, 0)};
  CheckResult r = CheckSessionOrder(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kSyncViolation)) << r.Report();
  EXPECT_EQ(r.Smallest().ops, (std::vector<size_t>{0, 1, 2}));
}

TEST(SessionOrderTest, VersionsComparedWhenNoZxidRecorded) {
  History h = {testing::Ver(Read(1, "x", 2, 0, 10), 2), testing::Ver(Read(1, "x", 1, 20, 30), 1)};
  EXPECT_TRUE(CheckSessionOrder(h).Has(AnomalyKind::kMonotonicRead));
}

}  // namespace
}  // namespace zabkeeper::chaos
