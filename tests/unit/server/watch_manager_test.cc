// WatchManager: ZooKeeper's one-shot watch table (observed §5): NodeCreated
// and NodeDataChanged fire data watches, NodeDeleted fires data and child
// watches of the path, NodeChildrenChanged fires child watches of the parent.
// Persistent watches fire every event on their path and stay; recursive ones
// fire node events (not child-list ones) on their path and below.
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

// Persistent and recursive watches (ZooKeeper 3.6 addWatch).

TEST(WatchManager, Persistent_FiresEveryEventOnItsPathAndStays) {
  WatchManager wm;
  wm.Add("/p", 1, WatchKind::kPersistent);
  for (proto::EventType type :
       {proto::NODE_CREATED, proto::NODE_DATA_CHANGED, proto::NODE_CHILDREN_CHANGED,
        proto::NODE_DATA_CHANGED, proto::NODE_DELETED, proto::NODE_CREATED}) {
    EXPECT_THAT(wm.Trigger(type, "/p"), ElementsAre(1)) << proto::EventType_Name(type);
  }
  EXPECT_TRUE(wm.Has("/p", 1, WatchKind::kPersistent));
  EXPECT_EQ(wm.watch_count(), 1u);
  // Not its children, not its parent, and nothing for non-node events.
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/p/c"), IsEmpty());
  EXPECT_THAT(wm.Trigger(proto::NODE_CHILDREN_CHANGED, "/"), IsEmpty());
  EXPECT_THAT(wm.Trigger(proto::NONE, "/p"), IsEmpty());
}

TEST(WatchManager, Recursive_FiresForPathAndDescendantsButNotChildListEvents) {
  WatchManager wm;
  wm.Add("/r", 1, WatchKind::kPersistentRecursive);
  for (const char* path : {"/r", "/r/a", "/r/a/b/c/d"}) {
    for (proto::EventType type :
         {proto::NODE_CREATED, proto::NODE_DATA_CHANGED, proto::NODE_DELETED}) {
      EXPECT_THAT(wm.Trigger(type, path), ElementsAre(1)) << path;
    }
    EXPECT_THAT(wm.Trigger(proto::NODE_CHILDREN_CHANGED, path), IsEmpty()) << path;
  }
  // A sibling sharing the prefix is not a descendant.
  EXPECT_THAT(wm.Trigger(proto::NODE_CREATED, "/rr"), IsEmpty());
  EXPECT_THAT(wm.Trigger(proto::NODE_CREATED, "/rr/a"), IsEmpty());
  EXPECT_THAT(wm.Trigger(proto::NODE_CREATED, "/"), IsEmpty());
  EXPECT_TRUE(wm.Has("/r", 1, WatchKind::kPersistentRecursive));
}

TEST(WatchManager, Recursive_OnRoot_SeesTheWholeTree) {
  WatchManager wm;
  wm.Add("/", 4, WatchKind::kPersistentRecursive);
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/"), ElementsAre(4));
  EXPECT_THAT(wm.Trigger(proto::NODE_CREATED, "/a"), ElementsAre(4));
  EXPECT_THAT(wm.Trigger(proto::NODE_DELETED, "/a/b/c"), ElementsAre(4));
}

TEST(WatchManager, Trigger_SessionWithSeveralMatchingWatches_ReportedOnce) {
  WatchManager wm;
  // Session 1 holds every kind that matches a data change of /a/b.
  wm.Add("/a/b", 1, WatchKind::kData);
  wm.Add("/a/b", 1, WatchKind::kPersistent);
  wm.Add("/a/b", 1, WatchKind::kPersistentRecursive);
  wm.Add("/a", 1, WatchKind::kPersistentRecursive);
  wm.Add("/", 1, WatchKind::kPersistentRecursive);
  wm.Add("/a", 2, WatchKind::kPersistentRecursive);
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/a/b"), ElementsAre(1, 2));
  // The one-shot data watch went; the persistent ones stayed.
  EXPECT_FALSE(wm.Has("/a/b", 1, WatchKind::kData));
  EXPECT_EQ(wm.watch_count(), 5u);
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/a/b"), ElementsAre(1, 2));
}

TEST(WatchManager, Persistent_ChildWatchAndPersistentOnParent_OneChildrenChanged) {
  WatchManager wm;
  wm.Add("/p", 1, WatchKind::kChild);
  wm.Add("/p", 1, WatchKind::kPersistent);
  wm.Add("/p", 2, WatchKind::kPersistentRecursive);
  EXPECT_THAT(wm.Trigger(proto::NODE_CHILDREN_CHANGED, "/p"), ElementsAre(1));
  EXPECT_THAT(wm.Trigger(proto::NODE_CHILDREN_CHANGED, "/p"), ElementsAre(1));
}

TEST(WatchManager, RemoveAndContains_ByWatcherType) {
  WatchManager wm;
  wm.Add("/w", 1, WatchKind::kData);
  wm.Add("/w", 1, WatchKind::kChild);
  wm.Add("/w", 1, WatchKind::kPersistent);
  wm.Add("/w", 1, WatchKind::kPersistentRecursive);
  wm.Add("/w", 2, WatchKind::kPersistent);
  for (proto::WatcherType type :
       {proto::WATCHER_DATA, proto::WATCHER_CHILDREN, proto::WATCHER_PERSISTENT,
        proto::WATCHER_PERSISTENT_RECURSIVE, proto::WATCHER_ANY}) {
    EXPECT_TRUE(wm.Contains("/w", 1, type)) << proto::WatcherType_Name(type);
    EXPECT_FALSE(wm.Contains("/other", 1, type));
    EXPECT_FALSE(wm.Contains("/w", 3, type));
  }
  EXPECT_FALSE(wm.Contains("/w", 1, proto::WATCHER_TYPE_UNSPECIFIED));

  EXPECT_TRUE(wm.Remove("/w", 1, proto::WATCHER_PERSISTENT));
  EXPECT_FALSE(wm.Remove("/w", 1, proto::WATCHER_PERSISTENT));  // none left: NO_WATCHER
  EXPECT_FALSE(wm.Contains("/w", 1, proto::WATCHER_PERSISTENT));
  EXPECT_TRUE(wm.Contains("/w", 2, proto::WATCHER_PERSISTENT));  // other session's stays
  EXPECT_TRUE(wm.Has("/w", 1, WatchKind::kData));
  EXPECT_TRUE(wm.Has("/w", 1, WatchKind::kPersistentRecursive));

  EXPECT_TRUE(wm.Remove("/w", 1, proto::WATCHER_DATA));
  EXPECT_TRUE(wm.Has("/w", 1, WatchKind::kChild));
  EXPECT_TRUE(wm.Remove("/w", 1, proto::WATCHER_ANY));  // child + recursive
  EXPECT_FALSE(wm.Contains("/w", 1, proto::WATCHER_ANY));
  EXPECT_FALSE(wm.Remove("/w", 1, proto::WATCHER_ANY));
  EXPECT_EQ(wm.watch_count(), 1u);
  // A removed recursive watch no longer fires; session 2's persistent does.
  EXPECT_THAT(wm.Trigger(proto::NODE_CREATED, "/w/x"), IsEmpty());
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/w"), ElementsAre(2));
  // RemoveSession after Remove has nothing stale to trip over.
  wm.RemoveSession(1);
  wm.RemoveSession(2);
  EXPECT_EQ(wm.watch_count(), 0u);
}

TEST(WatchManager, RemoveSession_DropsPersistentWatches) {
  WatchManager wm;
  wm.Add("/p", 1, WatchKind::kPersistent);
  wm.Add("/", 1, WatchKind::kPersistentRecursive);
  wm.Add("/p", 2, WatchKind::kPersistentRecursive);
  wm.RemoveSession(1);
  EXPECT_EQ(wm.watch_count(), 1u);
  EXPECT_THAT(wm.Trigger(proto::NODE_DATA_CHANGED, "/p"), ElementsAre(2));
  EXPECT_THAT(wm.Snapshot(WatchKind::kPersistent), IsEmpty());
  ASSERT_EQ(wm.Snapshot(WatchKind::kPersistentRecursive).size(), 1u);
}

TEST(WatchManager, WatchKindsOf_MapsWatcherTypes) {
  EXPECT_THAT(WatchKindsOf(proto::WATCHER_DATA), ElementsAre(WatchKind::kData));
  EXPECT_THAT(WatchKindsOf(proto::WATCHER_CHILDREN), ElementsAre(WatchKind::kChild));
  EXPECT_EQ(WatchKindsOf(proto::WATCHER_ANY).size(), 4u);
  EXPECT_THAT(WatchKindsOf(proto::WATCHER_TYPE_UNSPECIFIED), IsEmpty());
  EXPECT_THAT(WatchKindsOf(static_cast<proto::WatcherType>(42)), IsEmpty());
}

}  // namespace
}  // namespace zabkeeper::server
