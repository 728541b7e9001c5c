#include "tests/chaos/watch_log.h"

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace zabkeeper::chaos {
namespace {

Zxid Z(uint32_t counter) { return Zxid(1, counter); }

// Writes `log`'s lines to a file and reads them back.
std::vector<SessionDeliveries> RoundTrip(const WatchLog& log, int* dropped) {
  const std::string path = ::testing::TempDir() + "/watch_log_test.tsv";
  {
    std::ofstream out(path);
    out << "op\tnot a watch line\n";
    for (const std::string& line : log.Lines()) out << line << "\n";
  }
  std::vector<SessionDeliveries> sessions;
  *dropped = ReadWatchLog(path, sessions);
  std::remove(path.c_str());
  return sessions;
}

TEST(WatchLogTest, OnePendingWatchPerSessionAndKey) {
  WatchLog log;
  EXPECT_TRUE(log.TryArm(1, "x"));
  EXPECT_FALSE(log.TryArm(1, "x"));
  EXPECT_TRUE(log.TryArm(2, "x"));
  log.Event(1, "x", Z(5));  // fired: x may be watched again
  EXPECT_TRUE(log.TryArm(1, "x"));
  log.Disarm(2, "x");  // the watching read failed
  EXPECT_TRUE(log.TryArm(2, "x"));
}

TEST(WatchLogTest, LinesRoundTrip_PerSessionInOrder) {
  WatchLog log;
  log.WatchSet(1, "x", Z(2));
  log.Reply(2, Z(3));
  log.Event(1, "x", Z(5));
  log.Reply(1, Z(5));
  int dropped = -1;
  std::vector<SessionDeliveries> s = RoundTrip(log, &dropped);
  EXPECT_EQ(dropped, 0);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].session, 1);
  ASSERT_EQ(s[0].log.size(), 3u);
  EXPECT_EQ(s[0].log[0].kind, WatchDelivery::Kind::kWatchSet);
  EXPECT_EQ(s[0].log[0].data_zxid, Z(2));
  EXPECT_EQ(s[0].log[1].kind, WatchDelivery::Kind::kEvent);
  EXPECT_EQ(s[0].log[1].key, "x");
  EXPECT_EQ(s[0].log[1].zxid, Z(5));
  EXPECT_EQ(s[0].log[2].kind, WatchDelivery::Kind::kReply);
  EXPECT_TRUE(CheckWatches(s, {{"x", {Z(5)}}}).ok());
}

// A catch-up event after a reconnect carries the node's current mzxid; the
// watch (set and event) is left out, and the rest is still judged.
TEST(WatchLogTest, WatchAcrossReconnect_Dropped) {
  WatchLog log;
  log.WatchSet(1, "x", Z(2));
  log.WatchSet(1, "y", Z(2));
  log.Reconnect(1);
  log.Event(1, "x", Z(9));  // x changed at 5 and 9 while detached
  log.WatchSet(1, "x", Z(9));
  log.Reply(1, Z(12));  // y's change at 10 is reflected: its event never came
  int dropped = -1;
  std::vector<SessionDeliveries> s = RoundTrip(log, &dropped);
  EXPECT_EQ(dropped, 2);
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].log.size(), 2u);
  EXPECT_EQ(s[0].log[0].kind, WatchDelivery::Kind::kWatchSet);
  EXPECT_EQ(s[0].log[0].data_zxid, Z(9));
  // Without the drop the checker would call x's catch-up event a missed change.
  EXPECT_TRUE(CheckWatches(s, {{"x", {Z(5), Z(9)}}, {"y", {Z(10)}}}).ok());
  // The watch set after the reconnect is judged: had x changed again at 11,
  // the reply at 12 without an event would be a missing event.
  EXPECT_TRUE(CheckWatches(s, {{"x", {Z(5), Z(9), Z(11)}}}).Has(AnomalyKind::kWatchMissing));
}

}  // namespace
}  // namespace zabkeeper::chaos
