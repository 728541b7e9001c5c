// SessionTracker: ids carry the server id in the top byte; deadlines move on
// Touch; expired sessions are handed out once and then count as closing.
#include "server/session_tracker.h"

#include <chrono>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zabkeeper::server {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SessionTracker, NextSessionId_UniqueWithServerIdInTopByte) {
  SessionTracker t(5, 1700000000000);
  std::set<int64_t> ids;
  for (int i = 0; i < 1000; ++i) {
    int64_t id = t.NextSessionId();
    EXPECT_EQ(static_cast<uint64_t>(id) >> 56, 5u);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
  SessionTracker other(6, 1700000000000);
  EXPECT_EQ(static_cast<uint64_t>(other.NextSessionId()) >> 56, 6u);
}

TEST(SessionTracker, TakeExpired_AfterTimeout_OnceThenClosing) {
  SessionTracker t(1, 0);
  auto now = SessionTracker::Clock::now();
  t.Track(11, 4000, now);
  t.Track(12, 10000, now);
  EXPECT_THAT(t.TakeExpired(now + milliseconds(3999)), IsEmpty());
  EXPECT_THAT(t.TakeExpired(now + milliseconds(4000)), ElementsAre(11));
  EXPECT_THAT(t.TakeExpired(now + milliseconds(5000)), IsEmpty());  // once
  EXPECT_FALSE(t.IsLive(11));
  EXPECT_FALSE(t.Touch(11, now + milliseconds(5000)));
  EXPECT_TRUE(t.IsLive(12));
  EXPECT_EQ(t.size(), 2u);
  t.Remove(11);
  EXPECT_EQ(t.size(), 1u);
}

TEST(SessionTracker, Touch_PushesDeadlineOut) {
  SessionTracker t(1, 0);
  auto now = SessionTracker::Clock::now();
  t.Track(11, 4000, now);
  EXPECT_TRUE(t.Touch(11, now + milliseconds(3000)));
  EXPECT_THAT(t.TakeExpired(now + milliseconds(6999)), IsEmpty());
  EXPECT_THAT(t.TakeExpired(now + milliseconds(7000)), ElementsAre(11));
}

// A SNAP replaces the state: sessions closed in the history it covers must
// not stay tracked (the zabsim --whole-node sweep caught a second
// closeSession for such a session once its holder became leader).
TEST(SessionTracker, Clear_ForgetsEverySessionButKeepsIdsUnique) {
  SessionTracker t(1, 0);
  const int64_t first = t.NextSessionId();
  auto now = SessionTracker::Clock::now();
  t.Track(11, 4000, now);
  t.Track(12, 4000, now);
  t.Clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.IsLive(11));
  EXPECT_THAT(t.TakeExpired(now + milliseconds(10000)), IsEmpty());
  EXPECT_NE(t.NextSessionId(), first);
}

TEST(SessionTracker, Touch_UnknownSession_False) {
  SessionTracker t(1, 0);
  EXPECT_FALSE(t.Touch(99));
  EXPECT_FALSE(t.IsLive(99));
}

TEST(SessionTracker, Track_ReTrackClosingSession_RevivesIt) {
  SessionTracker t(1, 0);
  auto now = SessionTracker::Clock::now();
  t.Track(11, 1000, now);
  ASSERT_THAT(t.TakeExpired(now + milliseconds(2000)), ElementsAre(11));
  t.Track(11, 1000, now + milliseconds(2000));
  EXPECT_TRUE(t.IsLive(11));
  EXPECT_TRUE(t.Touch(11, now + milliseconds(2500)));
}

}  // namespace
}  // namespace zabkeeper::server
