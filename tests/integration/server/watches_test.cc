// Persistent and recursive watches (ZooKeeper 3.6 addWatch), removeWatches
// and checkWatches, and their re-registration on reattach, against one real
// zabkeeper-server process, through the raw session stream.
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/server/raw_session.h"
#include "tests/integration/server_process.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;

proto::Request AddWatchReq(const std::string& path, proto::AddWatchMode mode) {
  proto::Request r;
  r.mutable_add_watch()->set_path(path);
  r.mutable_add_watch()->set_mode(mode);
  return r;
}

proto::Request RemoveWatchesReq(const std::string& path, proto::WatcherType type) {
  proto::Request r;
  r.mutable_remove_watches()->set_path(path);
  r.mutable_remove_watches()->set_type(type);
  return r;
}

proto::Request CheckWatchesReq(const std::string& path, proto::WatcherType type) {
  proto::Request r;
  r.mutable_check_watches()->set_path(path);
  r.mutable_check_watches()->set_type(type);
  return r;
}

// (type, path, zxid) of an event, comparable and printable.
using Ev = std::tuple<proto::EventType, std::string, int64_t>;

std::string Show(const std::vector<Ev>& evs) {
  std::string out;
  for (const auto& [type, path, zxid] : evs) {
    out += proto::EventType_Name(type) + " " + path + " @" + std::to_string(zxid) + "\n";
  }
  return out;
}

class ServerWatchesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path());
    server_->Start();
  }

  // Every event that arrives within `quiet` of the previous one.
  static std::vector<Ev> Drain(RawSession& s, std::chrono::milliseconds quiet = 500ms) {
    std::vector<Ev> out;
    while (std::optional<proto::WatchEvent> ev = s.WaitEvent(quiet)) {
      out.emplace_back(ev->type(), ev->path(), ev->zxid());
    }
    return out;
  }

  // Performs a write that must succeed; returns its zxid.
  static int64_t Write(RawSession& s, proto::Request req) {
    proto::Response r = s.Call(std::move(req));
    EXPECT_EQ(r.err(), proto::OK) << r.error_message();
    return r.zxid();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerWatchesTest, Recursive_ManySubtreeChanges_EachDeliveredOnceInZxidOrder) {
  RawSession watcher(server_->address());
  RawSession writer(server_->address());
  ASSERT_EQ(watcher.Connect().err(), proto::OK);
  ASSERT_EQ(writer.Connect().err(), proto::OK);
  // The node need not exist yet.
  ASSERT_EQ(watcher.Call(AddWatchReq("/tree", proto::PERSISTENT_RECURSIVE_WATCH)).err(), proto::OK);

  std::vector<Ev> want;
  auto expect = [&](proto::EventType type, const std::string& path, proto::Request req) {
    want.emplace_back(type, path, Write(writer, std::move(req)));
  };
  expect(proto::NODE_CREATED, "/tree", CreateReq("/tree", ""));
  Write(writer, CreateReq("/treehouse", ""));  // shares the prefix, not the subtree
  for (int i = 0; i < 5; ++i) {
    const std::string dir = "/tree/d" + std::to_string(i);
    expect(proto::NODE_CREATED, dir, CreateReq(dir, ""));
    for (int j = 0; j < 3; ++j) {
      const std::string leaf = dir + "/l" + std::to_string(j);
      expect(proto::NODE_CREATED, leaf, CreateReq(leaf, "0"));
      expect(proto::NODE_DATA_CHANGED, leaf, SetReq(leaf, "1"));
      Write(writer, SetReq("/treehouse", std::to_string(j)));
    }
    expect(proto::NODE_DATA_CHANGED, dir, SetReq(dir, "x"));
    expect(proto::NODE_DELETED, dir + "/l1", DeleteReq(dir + "/l1"));
  }
  // A multi: several events with one zxid, in the order of its ops.
  proto::Request multi;
  *multi.mutable_multi()->add_ops()->mutable_create() = CreateReq("/tree/m", "").create();
  *multi.mutable_multi()->add_ops()->mutable_set_data() = SetReq("/tree/d0", "y").set_data();
  *multi.mutable_multi()->add_ops()->mutable_delete_() = DeleteReq("/tree/d0/l0").delete_();
  const int64_t multi_zxid = Write(writer, multi);
  want.emplace_back(proto::NODE_CREATED, "/tree/m", multi_zxid);
  want.emplace_back(proto::NODE_DATA_CHANGED, "/tree/d0", multi_zxid);
  want.emplace_back(proto::NODE_DELETED, "/tree/d0/l0", multi_zxid);
  expect(proto::NODE_DATA_CHANGED, "/tree", SetReq("/tree", "root"));

  // Exactly these, once each, in zxid order: no NodeChildrenChanged, nothing
  // from /treehouse.
  std::vector<Ev> got = Drain(watcher);
  EXPECT_EQ(got, want) << "got:\n" << Show(got) << "want:\n" << Show(want);
  // Still registered after all that firing.
  EXPECT_EQ(watcher.Call(CheckWatchesReq("/tree", proto::WATCHER_PERSISTENT_RECURSIVE)).err(),
            proto::OK);
}

TEST_F(ServerWatchesTest, OverlappingWatchesOfOneSession_OneEventPerChange) {
  RawSession watcher(server_->address());
  RawSession writer(server_->address());
  ASSERT_EQ(watcher.Connect().err(), proto::OK);
  ASSERT_EQ(writer.Connect().err(), proto::OK);
  Write(writer, CreateReq("/o", ""));
  Write(writer, CreateReq("/o/a", ""));
  for (const char* path : {"/", "/o", "/o/a"}) {
    ASSERT_EQ(watcher.Call(AddWatchReq(path, proto::PERSISTENT_RECURSIVE_WATCH)).err(), proto::OK);
  }
  ASSERT_EQ(watcher.Call(AddWatchReq("/o/a", proto::PERSISTENT_WATCH)).err(), proto::OK);
  ASSERT_EQ(watcher.Call(GetReq("/o/a", /*watch=*/true)).err(), proto::OK);
  ASSERT_EQ(watcher.Call(ChildrenReq("/o/a", /*watch=*/true)).err(), proto::OK);

  const int64_t set1 = Write(writer, SetReq("/o/a", "1"));
  const int64_t set2 = Write(writer, SetReq("/o/a", "2"));
  const int64_t child = Write(writer, CreateReq("/o/a/c", ""));
  std::vector<Ev> want = {
      {proto::NODE_DATA_CHANGED, "/o/a", set1},
      {proto::NODE_DATA_CHANGED, "/o/a", set2},
      // The create: the recursive watches see the node, the persistent (and
      // the one-shot child) watch on /o/a the child list.
      {proto::NODE_CREATED, "/o/a/c", child},
      {proto::NODE_CHILDREN_CHANGED, "/o/a", child},
  };
  std::vector<Ev> got = Drain(watcher);
  EXPECT_EQ(got, want) << "got:\n" << Show(got) << "want:\n" << Show(want);
}

TEST_F(ServerWatchesTest, Persistent_NotResetAfterFiring_SeesOwnNodeAndChildList) {
  RawSession watcher(server_->address());
  RawSession writer(server_->address());
  ASSERT_EQ(watcher.Connect().err(), proto::OK);
  ASSERT_EQ(writer.Connect().err(), proto::OK);
  ASSERT_EQ(watcher.Call(AddWatchReq("/p", proto::PERSISTENT_WATCH)).err(), proto::OK);

  std::vector<Ev> want;
  want.emplace_back(proto::NODE_CREATED, "/p", Write(writer, CreateReq("/p", "")));
  for (int i = 0; i < 3; ++i) {
    want.emplace_back(proto::NODE_DATA_CHANGED, "/p",
                      Write(writer, SetReq("/p", std::to_string(i))));
  }
  want.emplace_back(proto::NODE_CHILDREN_CHANGED, "/p", Write(writer, CreateReq("/p/c", "")));
  Write(writer, SetReq("/p/c", "x"));      // a child's data: not watched
  Write(writer, CreateReq("/p/c/g", ""));  // a grandchild: not watched
  Write(writer, DeleteReq("/p/c/g"));
  want.emplace_back(proto::NODE_CHILDREN_CHANGED, "/p", Write(writer, DeleteReq("/p/c")));
  want.emplace_back(proto::NODE_DELETED, "/p", Write(writer, DeleteReq("/p")));
  // It outlives the node's deletion.
  want.emplace_back(proto::NODE_CREATED, "/p", Write(writer, CreateReq("/p", "again")));
  std::vector<Ev> got = Drain(watcher);
  EXPECT_EQ(got, want) << "got:\n" << Show(got) << "want:\n" << Show(want);
}

TEST_F(ServerWatchesTest, RemoveAndCheckWatches_EveryWatcherType) {
  RawSession s(server_->address());
  RawSession writer(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  ASSERT_EQ(writer.Connect().err(), proto::OK);
  Write(writer, CreateReq("/w", ""));

  for (proto::WatcherType type : {proto::WATCHER_DATA, proto::WATCHER_CHILDREN, proto::WATCHER_ANY,
                                  proto::WATCHER_PERSISTENT, proto::WATCHER_PERSISTENT_RECURSIVE}) {
    EXPECT_EQ(s.Call(CheckWatchesReq("/w", type)).err(), proto::NO_WATCHER);
    EXPECT_EQ(s.Call(RemoveWatchesReq("/w", type)).err(), proto::NO_WATCHER);
  }

  // One of each kind.
  ASSERT_EQ(s.Call(GetReq("/w", true)).err(), proto::OK);
  ASSERT_EQ(s.Call(ChildrenReq("/w", true)).err(), proto::OK);
  ASSERT_EQ(s.Call(AddWatchReq("/w", proto::PERSISTENT_WATCH)).err(), proto::OK);
  ASSERT_EQ(s.Call(AddWatchReq("/w", proto::PERSISTENT_RECURSIVE_WATCH)).err(), proto::OK);
  for (proto::WatcherType type : {proto::WATCHER_DATA, proto::WATCHER_CHILDREN, proto::WATCHER_ANY,
                                  proto::WATCHER_PERSISTENT, proto::WATCHER_PERSISTENT_RECURSIVE}) {
    EXPECT_EQ(s.Call(CheckWatchesReq("/w", type)).err(), proto::OK)
        << proto::WatcherType_Name(type);
  }
  // Watches are per session: another one has none to check or remove.
  EXPECT_EQ(writer.Call(CheckWatchesReq("/w", proto::WATCHER_ANY)).err(), proto::NO_WATCHER);
  EXPECT_EQ(writer.Call(RemoveWatchesReq("/w", proto::WATCHER_ANY)).err(), proto::NO_WATCHER);

  // Removing one kind leaves the others.
  EXPECT_EQ(s.Call(RemoveWatchesReq("/w", proto::WATCHER_DATA)).err(), proto::OK);
  EXPECT_EQ(s.Call(CheckWatchesReq("/w", proto::WATCHER_DATA)).err(), proto::NO_WATCHER);
  EXPECT_EQ(s.Call(RemoveWatchesReq("/w", proto::WATCHER_DATA)).err(), proto::NO_WATCHER);
  EXPECT_EQ(s.Call(RemoveWatchesReq("/w", proto::WATCHER_PERSISTENT)).err(), proto::OK);
  EXPECT_EQ(s.Call(CheckWatchesReq("/w", proto::WATCHER_PERSISTENT)).err(), proto::NO_WATCHER);
  EXPECT_EQ(s.Call(CheckWatchesReq("/w", proto::WATCHER_CHILDREN)).err(), proto::OK);
  EXPECT_EQ(s.Call(CheckWatchesReq("/w", proto::WATCHER_PERSISTENT_RECURSIVE)).err(), proto::OK);

  // Only the recursive watch fires for a data change now; it stays.
  const int64_t set = Write(writer, SetReq("/w", "1"));
  EXPECT_EQ(Drain(s), (std::vector<Ev>{{proto::NODE_DATA_CHANGED, "/w", set}}));
  // ANY takes the rest (child + recursive): nothing fires any more.
  EXPECT_EQ(s.Call(RemoveWatchesReq("/w", proto::WATCHER_ANY)).err(), proto::OK);
  EXPECT_EQ(s.Call(CheckWatchesReq("/w", proto::WATCHER_ANY)).err(), proto::NO_WATCHER);
  EXPECT_EQ(s.Call(RemoveWatchesReq("/w", proto::WATCHER_ANY)).err(), proto::NO_WATCHER);
  Write(writer, SetReq("/w", "2"));
  Write(writer, CreateReq("/w/c", ""));
  EXPECT_TRUE(Drain(s, 300ms).empty());
  // No removal events on the wire: ZooKeeper's client reports those itself.
  for (const proto::Response& r : s.Received()) {
    if (r.has_watch_event()) {
      EXPECT_LT(r.watch_event().type(), proto::DATA_WATCH_REMOVED) << r.DebugString();
    }
  }

  // Bad arguments.
  EXPECT_EQ(s.Call(AddWatchReq("bad", proto::PERSISTENT_WATCH)).err(), proto::BAD_ARGUMENTS);
  EXPECT_EQ(s.Call(AddWatchReq("/w", proto::ADD_WATCH_MODE_UNSPECIFIED)).err(),
            proto::BAD_ARGUMENTS);
  EXPECT_EQ(s.Call(RemoveWatchesReq("/w", proto::WATCHER_TYPE_UNSPECIFIED)).err(),
            proto::BAD_ARGUMENTS);
  EXPECT_EQ(s.Call(CheckWatchesReq("/w/", proto::WATCHER_ANY)).err(), proto::BAD_ARGUMENTS);
}

TEST_F(ServerWatchesTest, Reattach_SetWatchesReRegistersPersistent_AndReportsWatchedNodes) {
  RawSession writer(server_->address());
  ASSERT_EQ(writer.Connect().err(), proto::OK);
  Write(writer, CreateReq("/r", "0"));
  Write(writer, CreateReq("/gone", ""));
  Write(writer, CreateReq("/sub", ""));
  Write(writer, CreateReq("/sub/a", ""));
  Write(writer, CreateReq("/stable", ""));

  auto first = std::make_unique<RawSession>(server_->address());
  ASSERT_EQ(first->Connect(20000).err(), proto::OK);
  const int64_t sid = first->session_id();
  const std::string password = first->password();
  ASSERT_EQ(first->Call(AddWatchReq("/r", proto::PERSISTENT_WATCH)).err(), proto::OK);
  ASSERT_EQ(first->Call(AddWatchReq("/gone", proto::PERSISTENT_WATCH)).err(), proto::OK);
  ASSERT_EQ(first->Call(AddWatchReq("/later", proto::PERSISTENT_WATCH)).err(), proto::OK);
  ASSERT_EQ(first->Call(AddWatchReq("/sub", proto::PERSISTENT_RECURSIVE_WATCH)).err(), proto::OK);
  // Missing, under a parent that does not change: nothing to report.
  ASSERT_EQ(first->Call(AddWatchReq("/stable/quiet", proto::PERSISTENT_WATCH)).err(), proto::OK);
  const int64_t before = Write(writer, SetReq("/sub/a", "seen"));
  ASSERT_EQ(Drain(*first), (std::vector<Ev>{{proto::NODE_DATA_CHANGED, "/sub/a", before}}));
  const int64_t last_seen = first->Call(ExistsReq("/r")).zxid();
  first->Abandon();

  // While detached: the watched nodes change, are deleted, are created.
  const int64_t set_r = Write(writer, SetReq("/r", "1"));
  const int64_t set_sub = Write(writer, SetReq("/sub", "1"));
  Write(writer, DeleteReq("/gone"));
  const int64_t created = Write(writer, CreateReq("/later", ""));
  // Below a recursive watch (ZooKeeper loses these; we report them).
  const int64_t created_b = Write(writer, CreateReq("/sub/b", ""));
  const int64_t deleted_a = Write(writer, DeleteReq("/sub/a"));
  const int64_t now = Write(writer, SetReq("/r", "2"));

  RawSession back(server_->address());
  ASSERT_EQ(back.Connect(20000, sid, password, last_seen).err(), proto::OK);
  // Nothing is registered until the client says what it watches.
  EXPECT_EQ(back.Call(CheckWatchesReq("/r", proto::WATCHER_PERSISTENT)).err(), proto::NO_WATCHER);
  proto::Request set_watches;
  proto::SetWatchesRequest* sw = set_watches.mutable_set_watches();
  sw->set_relative_zxid(last_seen);
  for (const char* path : {"/r", "/gone", "/later", "/stable/quiet"})
    sw->add_persistent_watches(path);
  sw->add_persistent_recursive_watches("/sub");
  proto::Response reply = back.Call(set_watches);
  ASSERT_EQ(reply.err(), proto::OK) << reply.error_message();

  // What happened to the watched nodes while detached arrives before the
  // reply, in zxid order, once per node (/r changed twice: its latest).
  std::vector<Ev> caught_up;
  for (const proto::Response& r : back.Received()) {
    if (r.xid() == reply.xid()) break;
    if (r.has_watch_event()) {
      caught_up.emplace_back(r.watch_event().type(), r.watch_event().path(),
                             r.watch_event().zxid());
    }
  }
  std::vector<Ev> want = {
      {proto::NODE_DATA_CHANGED, "/sub", set_sub}, {proto::NODE_CREATED, "/later", created},
      {proto::NODE_CREATED, "/sub/b", created_b},  {proto::NODE_DELETED, "/sub/a", deleted_a},
      {proto::NODE_DATA_CHANGED, "/r", now},       {proto::NODE_DELETED, "/gone", now}};
  EXPECT_EQ(caught_up, want) << "got:\n" << Show(caught_up) << "want:\n" << Show(want);
  EXPECT_GT(now, set_r);
  Drain(back, 200ms);  // those, from the event queue

  // Re-registered: they keep firing.
  for (const char* path : {"/r", "/gone", "/later", "/stable/quiet"}) {
    EXPECT_EQ(back.Call(CheckWatchesReq(path, proto::WATCHER_PERSISTENT)).err(), proto::OK) << path;
  }
  std::vector<Ev> after;
  after.emplace_back(proto::NODE_DATA_CHANGED, "/r", Write(writer, SetReq("/r", "3")));
  after.emplace_back(proto::NODE_CREATED, "/sub/b/c", Write(writer, CreateReq("/sub/b/c", "")));
  after.emplace_back(proto::NODE_CREATED, "/gone", Write(writer, CreateReq("/gone", "")));
  after.emplace_back(proto::NODE_DATA_CHANGED, "/r", Write(writer, SetReq("/r", "4")));
  std::vector<Ev> got = Drain(back);
  EXPECT_EQ(got, after) << "got:\n" << Show(got) << "want:\n" << Show(after);
}

TEST_F(ServerWatchesTest, Reattach_WatchedNodeUnchanged_NoEventForIt) {
  RawSession writer(server_->address());
  ASSERT_EQ(writer.Connect().err(), proto::OK);
  Write(writer, CreateReq("/n", ""));
  Write(writer, CreateReq("/n/c", ""));
  auto first = std::make_unique<RawSession>(server_->address());
  ASSERT_EQ(first->Connect(20000).err(), proto::OK);
  ASSERT_EQ(first->Call(AddWatchReq("/n", proto::PERSISTENT_WATCH)).err(), proto::OK);
  const int64_t last_seen = first->Call(ExistsReq("/n")).zxid();
  first->Abandon();
  Write(writer, CreateReq("/elsewhere", ""));

  RawSession back(server_->address());
  ASSERT_EQ(back.Connect(20000, first->session_id(), first->password(), last_seen).err(),
            proto::OK);
  proto::Request set_watches;
  set_watches.mutable_set_watches()->set_relative_zxid(last_seen);
  set_watches.mutable_set_watches()->add_persistent_watches("/n");
  set_watches.mutable_set_watches()->add_persistent_watches("/absent");
  set_watches.mutable_set_watches()->add_persistent_recursive_watches("/n");
  proto::Response reply = back.Call(set_watches);
  ASSERT_EQ(reply.err(), proto::OK);
  // /absent's parent is "/", whose children changed (/elsewhere): a missing
  // node there may have been deleted, so it is reported as such (a false
  // alarm here). /n itself did not change.
  EXPECT_EQ(Drain(back, 300ms), (std::vector<Ev>{{proto::NODE_DELETED, "/absent", reply.zxid()}}));
}

}  // namespace
}  // namespace zabkeeper::testing
