#include "tests/chaos/watch_check.h"

#include "gtest/gtest.h"
#include "tests/chaos/test_util.h"

namespace zabkeeper::chaos {
namespace {

Zxid Z(uint32_t counter) { return Zxid(1, counter); }

WatchDelivery Reply(uint32_t zxid) { return {WatchDelivery::Kind::kReply, "", Z(zxid), {}}; }
WatchDelivery SetWatch(std::string key, uint32_t data_zxid, uint32_t header_zxid) {
  return {WatchDelivery::Kind::kWatchSet, std::move(key), Z(header_zxid), Z(data_zxid)};
}
WatchDelivery Event(std::string key, uint32_t zxid) {
  return {WatchDelivery::Kind::kEvent, std::move(key), Z(zxid), {}};
}

const KeyChanges kChanges = {{"x", {Z(5), Z(8)}}, {"y", {Z(5), Z(6)}}};

CheckResult Check(std::vector<WatchDelivery> log) {
  return CheckWatches({SessionDeliveries{1, std::move(log)}}, kChanges);
}

TEST(WatchCheckTest, ChangesFromHistory_TakesAcknowledgedWriteZxidsInOrder) {
  History h = {testing::At(testing::Write(1, "x", 1, 20, 30), 8),
               testing::At(testing::Write(1, "x", 1, 0, 10), 5),
               testing::At(testing::Write(1, "x", 1, 40, testing::kLost), 9)};
  EXPECT_EQ(ChangesFromHistory(h), (KeyChanges{{"x", {Z(5), Z(8)}}}));
}

TEST(WatchCheckTest, EventsBeforeRepliesInZxidOrder_Accepted) {
  // x and y both change at zxid 5 (one multi): equal zxids on two keys are fine.
  CheckResult r = Check({SetWatch("x", 2, 3), SetWatch("y", 1, 3), Reply(4), Event("x", 5),
                         Event("y", 5), Reply(6), SetWatch("x", 5, 6), Event("x", 8), Reply(9)});
  EXPECT_TRUE(r.ok()) << r.Report();
}

TEST(WatchCheckTest, NoReplyReflectsTheChange_NotJudged) {
  EXPECT_TRUE(Check({SetWatch("x", 2, 3), Reply(4)}).ok());
}

TEST(WatchCheckTest, EventsWithDecreasingZxid_OutOfOrder) {
  CheckResult r = Check({SetWatch("x", 6, 6), SetWatch("y", 1, 6), Event("x", 8), Event("y", 5)});
  ASSERT_TRUE(r.Has(AnomalyKind::kWatchOutOfOrder)) << r.Report();
  EXPECT_EQ(r.Smallest().ops, (std::vector<size_t>{2, 3}));
}

TEST(WatchCheckTest, SameEventTwice_Duplicated) {
  CheckResult r = Check({SetWatch("x", 2, 3), Event("x", 5), Event("x", 5)});
  EXPECT_TRUE(r.Has(AnomalyKind::kWatchDuplicated)) << r.Report();
}

TEST(WatchCheckTest, ReplyPastTheChangeAndNoEvent_Missing) {
  CheckResult r = Check({SetWatch("x", 2, 3), Reply(6), Reply(7)});
  ASSERT_TRUE(r.Has(AnomalyKind::kWatchMissing)) << r.Report();
  EXPECT_EQ(r.Smallest().ops, (std::vector<size_t>{0, 1}));
}

TEST(WatchCheckTest, EventAfterAReplyReflectingIt_Late) {
  CheckResult r = Check({SetWatch("x", 2, 3), Reply(5), Event("x", 5)});
  EXPECT_TRUE(r.Has(AnomalyKind::kWatchLate)) << r.Report();
}

TEST(WatchCheckTest, EventForTheSecondChange_MissedChange) {
  CheckResult r = Check({SetWatch("x", 2, 3), Event("x", 8)});
  EXPECT_TRUE(r.Has(AnomalyKind::kWatchMissedChange)) << r.Report();
}

TEST(WatchCheckTest, EventWithoutWatch_Spurious) {
  EXPECT_TRUE(Check({Reply(3), Event("x", 5)}).Has(AnomalyKind::kWatchSpurious));
  EXPECT_TRUE(Check({SetWatch("x", 5, 5), Event("x", 5)}).Has(AnomalyKind::kWatchSpurious));
}

}  // namespace
}  // namespace zabkeeper::chaos
