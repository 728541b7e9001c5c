// WatchManager: ZooKeeper's one-shot watch table (observed §5): NodeCreated
// and NodeDataChanged fire data watches, NodeDeleted fires data and child
// watches of the path, NodeChildrenChanged fires child watches of the parent.
#include "server/watch_manager.h"

#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zabkeeper::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct FireCase {
  std::string name;
  proto::EventType event;
  bool fires_data;
  bool fires_child;
};

// Readable test parameter in gtest output.
void PrintTo(const FireCase& c, std::ostream* os) { *os << c.name; }

class WatchFireTable : public ::testing::TestWithParam<FireCase> {};

TEST_P(WatchFireTable, Trigger_FiresExactlyTheWatchKindsOfTheEvent) {
  const FireCase& c = GetParam();
  WatchManager wm;
  wm.Add("/w", 1, WatchKind::kData);
  wm.Add("/w", 2, WatchKind::kChild);
  wm.Add("/other", 3, WatchKind::kData);
  wm.Add("/other", 4, WatchKind::kChild);
  std::vector<int64_t> want;
  if (c.fires_data) want.push_back(1);
  if (c.fires_child) want.push_back(2);
  EXPECT_EQ(wm.Trigger(c.event, "/w"), want);
  // Watches that fired are gone; the others stay.
  EXPECT_EQ(wm.Has("/w", 1, WatchKind::kData), !c.fires_data);
  EXPECT_EQ(wm.Has("/w", 2, WatchKind::kChild), !c.fires_child);
  EXPECT_TRUE(wm.Has("/other", 3, WatchKind::kData));
  EXPECT_TRUE(wm.Has("/other", 4, WatchKind::kChild));
  // One-shot: the same event again fires nothing.
  EXPECT_THAT(wm.Trigger(c.event, "/w"), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    WatchManager, WatchFireTable,
    ::testing::Values(FireCase{"NodeCreated", proto::NODE_CREATED, true, false},
                      FireCase{"NodeDataChanged", proto::NODE_DATA_CHANGED, true, false},
                      FireCase{"NodeDeleted", proto::NODE_DELETED, true, true},
                      FireCase{"NodeChildrenChanged", proto::NODE_CHILDREN_CHANGED, false, true},
                      FireCase{"None", proto::NONE, false, false}),
    [](const ::testing::TestParamInfo<FireCase>& info) { return info.param.name; });

TEST(WatchManager, Trigger_ManySessionsOnePath_AllFireSorted) {
  WatchManager wm;
  wm.Add("/x", 30, WatchKind::kData);
  wm.Add("/x", 10, WatchKind::kData);
  wm.Add("/x", 20, WatchKind::kData);
  wm.Add("/x", 10, WatchKind::kData);  // duplicate registration: one watch
  EXPECT_EQ(wm.watch_count(), 3u);
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/x"), ElementsAre(10, 20, 30));
  EXPECT_EQ(wm.watch_count(), 0u);
}

TEST(WatchManager, Trigger_DeleteWithBothKinds_SessionReportedOnce) {
  WatchManager wm;
  wm.Add("/x", 7, WatchKind::kData);
  wm.Add("/x", 7, WatchKind::kChild);
  EXPECT_THAT(wm.Trigger(proto::NODE_DELETED, "/x"), ElementsAre(7));
  EXPECT_EQ(wm.watch_count(), 0u);
}

TEST(WatchManager, Trigger_OtherPath_FiresNothing) {
  WatchManager wm;
  wm.Add("/x", 1, WatchKind::kData);
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/x/y"), IsEmpty());
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/"), IsEmpty());
  EXPECT_TRUE(wm.Has("/x", 1, WatchKind::kData));
}

TEST(WatchManager, RemoveSession_DropsOnlyItsWatches) {
  WatchManager wm;
  wm.Add("/a", 1, WatchKind::kData);
  wm.Add("/b", 1, WatchKind::kChild);
  wm.Add("/a", 2, WatchKind::kData);
  wm.RemoveSession(1);
  EXPECT_FALSE(wm.Has("/a", 1, WatchKind::kData));
  EXPECT_FALSE(wm.Has("/b", 1, WatchKind::kChild));
  EXPECT_TRUE(wm.Has("/a", 2, WatchKind::kData));
  EXPECT_EQ(wm.watch_count(), 1u);
  EXPECT_THAT(wm.Trigger(proto::NODE_CHILDREN_CHANGED, "/b"), IsEmpty());
  wm.RemoveSession(99);  // unknown: no-op
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, Snapshot_ListsPathsAndSessionsPerKind) {
  WatchManager wm;
  wm.Add("/a", 1, WatchKind::kData);
  wm.Add("/a", 2, WatchKind::kData);
  wm.Add("/c", 3, WatchKind::kChild);
  auto data = wm.Snapshot(WatchKind::kData);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].first, "/a");
  EXPECT_THAT(data[0].second, ::testing::UnorderedElementsAre(1, 2));
  auto child = wm.Snapshot(WatchKind::kChild);
  ASSERT_EQ(child.size(), 1u);
  EXPECT_EQ(child[0].first, "/c");
}

TEST(WatchManager, FiredWatch_ReRegisteredAfterFire_FiresAgain) {
  WatchManager wm;
  wm.Add("/w", 1, WatchKind::kData);
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/w"), ElementsAre(1));
  wm.Add("/w", 1, WatchKind::kData);
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/w"), ElementsAre(1));
  // RemoveSession after firing has nothing stale to trip over.
  wm.RemoveSession(1);
  EXPECT_EQ(wm.watch_count(), 0u);
}

}  // namespace
}  // namespace zabkeeper::server
