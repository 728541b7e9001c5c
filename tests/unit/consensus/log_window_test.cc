#include "consensus/log_window.h"

#include "gtest/gtest.h"
#include "tests/unit/consensus/harness.h"

namespace zab {
namespace {

using testing::Entries;

TEST(LogWindow_Append, Ordered_LastAdvances) {
  LogWindow w;
  for (auto& e : Entries(1, 1, 5)) w.Append(e);
  EXPECT_EQ(w.last(), Zxid(1, 5));
  EXPECT_EQ(w.size(), 5u);
  EXPECT_TRUE(w.Contains(Zxid(1, 3)));
  EXPECT_TRUE(w.Contains(Zxid()));  // the floor
  EXPECT_FALSE(w.Contains(Zxid(1, 6)));
}

TEST(LogWindow_Append, OutOfOrder_Dies) {
  LogWindow w;
  w.Append({Zxid(1, 2), "a"});
  EXPECT_DEATH(w.Append({Zxid(1, 2), "b"}), "out of order");
}

TEST(LogWindow_TruncateAfter, DropsOnlyTheSuffix) {
  LogWindow w;
  for (auto& e : Entries(1, 1, 5)) w.Append(e);
  w.TruncateAfter(Zxid(1, 3));
  EXPECT_EQ(w.last(), Zxid(1, 3));
  EXPECT_EQ(w.size(), 3u);
}

TEST(LogWindow_Trim, KeepsWindowOfAppliedAndAllUnapplied) {
  LogWindow w;
  for (auto& e : Entries(1, 1, 10)) w.Append(e);
  w.Trim(Zxid(1, 6), 2, size_t{1} << 30);
  EXPECT_EQ(w.floor(), Zxid(1, 4));
  EXPECT_EQ(w.size(), 6u);  // 1.5, 1.6 applied + 1.7..1.10
  EXPECT_FALSE(w.LargestAtOrBelow(Zxid(1, 3)).has_value());
  EXPECT_EQ(*w.LargestAtOrBelow(Zxid(1, 4)), Zxid(1, 4));
}

TEST(LogWindow_Trim, ByteBoundDropsAppliedEntriesOnly) {
  LogWindow w;
  for (int c = 1; c <= 6; ++c) w.Append(LogEntry{Zxid(1, c), std::string(100, 'x')});
  EXPECT_EQ(w.bytes(), 600u);
  // Count allows 10, bytes allow 350: the oldest applied entries go until
  // the window fits.
  w.Trim(Zxid(1, 4), 10, 350);
  EXPECT_EQ(w.floor(), Zxid(1, 3));
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.bytes(), 300u);  // 1.4, 1.5, 1.6
  // Nothing applied in the window: the bound never drops unapplied entries.
  w.Trim(Zxid(1, 3), 10, 50);
  EXPECT_EQ(w.size(), 3u);
  w.Trim(Zxid(1, 4), 10, 50);
  EXPECT_EQ(w.floor(), Zxid(1, 4));
  EXPECT_EQ(w.bytes(), 200u);
  w.TruncateAfter(Zxid(1, 5));
  EXPECT_EQ(w.bytes(), 100u);
  w.Reset(Zxid(2, 0));
  EXPECT_EQ(w.bytes(), 0u);
}

TEST(LogWindow_LargestAtOrBelow, FindsCommonPointAcrossEpochs) {
  LogWindow w;
  for (auto& e : Entries(1, 1, 3)) w.Append(e);
  for (auto& e : Entries(3, 1, 2)) w.Append(e);
  // A follower at 2.5 (an epoch we never saw) shares history up to 1.3.
  EXPECT_EQ(*w.LargestAtOrBelow(Zxid(2, 5)), Zxid(1, 3));
  EXPECT_EQ(*w.LargestAtOrBelow(Zxid(3, 1)), Zxid(3, 1));
}

}  // namespace
}  // namespace zab
