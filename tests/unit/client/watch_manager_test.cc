#include "client/watch_manager.h"

#include "gtest/gtest.h"

namespace zk {
namespace {

Watcher Counter(int* n) {
  return [n](const WatchedEvent&) { ++*n; };
}

TEST(WatchManager, DataChanged_FiresDataAndExistOnce) {
  WatchManager m;
  int data = 0, child = 0;
  m.Add(WatchKind::kData, "/a", Counter(&data));
  m.Add(WatchKind::kExist, "/a", Counter(&data));
  m.Add(WatchKind::kChild, "/a", Counter(&child));
  auto fired = m.Materialize(proto::NODE_DATA_CHANGED, "/a");
  EXPECT_EQ(fired.size(), 2u);
  EXPECT_TRUE(m.Materialize(proto::NODE_DATA_CHANGED, "/a").empty());
  EXPECT_EQ(m.Materialize(proto::NODE_DELETED, "/a").size(), 1u);  // the child watch
  EXPECT_TRUE(m.empty());
}

TEST(WatchManager, Persistent_IsNotConsumed_RecursiveSeesDescendants) {
  WatchManager m;
  int n = 0;
  m.Add(WatchKind::kPersistent, "/a", Counter(&n));
  m.Add(WatchKind::kPersistentRecursive, "/", Counter(&n));
  EXPECT_EQ(m.Materialize(proto::NODE_DATA_CHANGED, "/a").size(), 2u);
  EXPECT_EQ(m.Materialize(proto::NODE_DATA_CHANGED, "/a").size(), 2u);
  EXPECT_EQ(m.Materialize(proto::NODE_CREATED, "/b/c").size(), 1u);
  EXPECT_EQ(m.Materialize(proto::NODE_CHILDREN_CHANGED, "/b").size(), 0u);
}

TEST(WatchManager, ToSetWatches_ListsEveryKind) {
  WatchManager m;
  int n = 0;
  m.Add(WatchKind::kData, "/d", Counter(&n));
  m.Add(WatchKind::kExist, "/e", Counter(&n));
  m.Add(WatchKind::kChild, "/c", Counter(&n));
  proto::SetWatchesRequest req = m.ToSetWatches(42);
  EXPECT_EQ(req.relative_zxid(), 42);
  ASSERT_EQ(req.data_watches_size(), 1);
  EXPECT_EQ(req.data_watches(0), "/d");
  EXPECT_EQ(req.exist_watches(0), "/e");
  EXPECT_EQ(req.child_watches(0), "/c");
}

TEST(WatchManager, Remove_ByType_RemovesOnlyThatType) {
  WatchManager m;
  int n = 0;
  m.Add(WatchKind::kData, "/a", Counter(&n));
  m.Add(WatchKind::kChild, "/a", Counter(&n));
  EXPECT_EQ(m.Remove("/a", proto::WATCHER_CHILDREN), 1u);
  EXPECT_TRUE(m.Has("/a", proto::WATCHER_DATA));
  EXPECT_FALSE(m.Has("/a", proto::WATCHER_CHILDREN));
  EXPECT_EQ(m.TakeAll().size(), 1u);
}

}  // namespace
}  // namespace zk
