// End-to-end tests of one real zabkeeper-server process over gRPC: sessions,
// every basic operation, watches, ephemerals and expiry, bad input, reattach
// and restart.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

// Values are built with absl::StrCat: GCC 12 at -O3 reports a false -Wrestrict
// in `"v" + std::to_string(i)` (GCC PR 105329), failing the Release build.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/admin_get.h"
#include "tests/integration/server/raw_session.h"
#include "tests/integration/server_process.h"
#include "tests/wait_until.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;

class ServerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path());
    server_->Start();
  }

  nlohmann::json Admin(const std::string& command) {
    return AdminGet(server_->admin_port(), command);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerE2eTest, Session_CreateGetSetDelete_ReturnsZooKeeperStats) {
  RawSession s(server_->address());
  proto::Response c = s.Connect(5000);
  ASSERT_EQ(c.err(), proto::OK) << c.error_message();
  EXPECT_NE(c.connect().session_id(), 0);
  EXPECT_EQ(c.connect().timeout_ms(), 5000);

  proto::Response created = s.Call(CreateReq("/app", "v0"));
  ASSERT_EQ(created.err(), proto::OK) << created.error_message();
  EXPECT_EQ(created.create().path(), "/app");
  EXPECT_EQ(created.create().stat().czxid(), created.zxid());
  EXPECT_EQ(created.create().stat().version(), 0);
  EXPECT_EQ(created.create().stat().data_length(), 2);
  // ctime is a date, as ZooKeeper's (ms since 1970), not time since start.
  const int64_t wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  EXPECT_NEAR(static_cast<double>(created.create().stat().ctime()), static_cast<double>(wall_ms),
              600'000.0);

  proto::Response got = s.Call(GetReq("/app"));
  ASSERT_EQ(got.err(), proto::OK);
  EXPECT_EQ(got.get_data().data(), "v0");

  proto::Response set = s.Call(SetReq("/app", "v1", 0));
  ASSERT_EQ(set.err(), proto::OK);
  EXPECT_EQ(set.stat().stat().version(), 1);
  EXPECT_EQ(set.stat().stat().mzxid(), set.zxid());
  EXPECT_EQ(set.stat().stat().czxid(), created.zxid());

  EXPECT_EQ(s.Call(SetReq("/app", "v2", 0)).err(), proto::BAD_VERSION);
  EXPECT_EQ(s.Call(CreateReq("/app", "")).err(), proto::NODE_EXISTS);
  EXPECT_EQ(s.Call(CreateReq("/missing/child", "")).err(), proto::NO_NODE);

  proto::Response seq1 = s.Call(CreateReq("/app/q-", "", proto::PERSISTENT_SEQUENTIAL));
  proto::Response seq2 = s.Call(CreateReq("/app/q-", "", proto::PERSISTENT_SEQUENTIAL));
  EXPECT_EQ(seq1.create().path(), "/app/q-0000000000");
  EXPECT_EQ(seq2.create().path(), "/app/q-0000000001");

  proto::Response children = s.Call(ChildrenReq("/app"));
  ASSERT_EQ(children.err(), proto::OK);
  ASSERT_EQ(children.get_children().children_size(), 2);
  EXPECT_EQ(children.get_children().stat().num_children(), 2);

  EXPECT_EQ(s.Call(DeleteReq("/app")).err(), proto::NOT_EMPTY);
  EXPECT_EQ(s.Call(DeleteReq("/app/q-0000000000")).err(), proto::OK);
  EXPECT_EQ(s.Call(DeleteReq("/app/q-0000000001")).err(), proto::OK);
  EXPECT_EQ(s.Call(DeleteReq("/app", 0)).err(), proto::BAD_VERSION);
  EXPECT_EQ(s.Call(DeleteReq("/app", 1)).err(), proto::OK);
  EXPECT_EQ(s.Call(ExistsReq("/app")).err(), proto::NO_NODE);
}

TEST_F(ServerE2eTest, Multi_AllOrNothing_PerOpResults) {
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/m", "")).err(), proto::OK);

  proto::Request ok;
  *ok.mutable_multi()->add_ops()->mutable_create() = CreateReq("/m/a", "a").create();
  *ok.mutable_multi()->add_ops()->mutable_set_data() = SetReq("/m/a", "a2", 0).set_data();
  ok.mutable_multi()->add_ops()->mutable_check()->set_path("/m");
  ok.mutable_multi()->mutable_ops(2)->mutable_check()->set_version(0);
  proto::Response r = s.Call(ok);
  ASSERT_EQ(r.err(), proto::OK) << r.error_message();
  ASSERT_EQ(r.multi().results_size(), 3);
  EXPECT_EQ(r.multi().results(0).create().path(), "/m/a");
  EXPECT_EQ(r.multi().results(1).set_data().stat().version(), 1);
  EXPECT_EQ(s.Call(GetReq("/m/a")).get_data().data(), "a2");

  proto::Request bad;
  *bad.mutable_multi()->add_ops()->mutable_create() = CreateReq("/m/b", "b").create();
  *bad.mutable_multi()->add_ops()->mutable_delete_() = DeleteReq("/m/none").delete_();
  *bad.mutable_multi()->add_ops()->mutable_set_data() = SetReq("/m/a", "zzz").set_data();
  r = s.Call(bad);
  EXPECT_EQ(r.err(), proto::NO_NODE);
  ASSERT_EQ(r.multi().results_size(), 3);
  EXPECT_EQ(r.multi().results(0).err(), proto::OK);
  EXPECT_EQ(r.multi().results(1).err(), proto::NO_NODE);
  EXPECT_EQ(r.multi().results(2).err(), proto::RUNTIME_INCONSISTENCY);
  EXPECT_EQ(s.Call(ExistsReq("/m/b")).err(), proto::NO_NODE);
  EXPECT_EQ(s.Call(GetReq("/m/a")).get_data().data(), "a2");
}

TEST_F(ServerE2eTest, DataWatch_TwoChanges_FiresExactlyOnce) {
  RawSession watcher(server_->address());
  RawSession writer(server_->address());
  ASSERT_EQ(watcher.Connect().err(), proto::OK);
  ASSERT_EQ(writer.Connect().err(), proto::OK);
  ASSERT_EQ(writer.Call(CreateReq("/w", "0")).err(), proto::OK);
  ASSERT_EQ(watcher.Call(GetReq("/w", /*watch=*/true)).err(), proto::OK);

  proto::Response first = writer.Call(SetReq("/w", "1"));
  ASSERT_EQ(writer.Call(SetReq("/w", "2")).err(), proto::OK);
  std::optional<proto::WatchEvent> ev = watcher.WaitEvent(5s);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type(), proto::NODE_DATA_CHANGED);
  EXPECT_EQ(ev->path(), "/w");
  EXPECT_EQ(ev->zxid(), first.zxid());
  // One-shot: the second change fires nothing.
  EXPECT_FALSE(watcher.WaitEvent(500ms).has_value());
}

TEST_F(ServerE2eTest, ExistsAndChildWatches_FireCreatedAndChildrenChanged) {
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  EXPECT_EQ(s.Call(ExistsReq("/later", true)).err(), proto::NO_NODE);
  ASSERT_EQ(s.Call(ChildrenReq("/", true)).err(), proto::OK);
  proto::Response created = s.Call(CreateReq("/later", ""));
  ASSERT_EQ(created.err(), proto::OK);
  // Events for a change precede the reply to the write that caused it.
  std::vector<proto::Response> all = s.Received();
  ASSERT_GE(all.size(), 3u);
  std::vector<proto::EventType> types;
  for (const auto& r : all) {
    if (r.has_watch_event()) types.push_back(r.watch_event().type());
    if (r.xid() == created.xid()) break;
  }
  EXPECT_EQ(types,
            (std::vector<proto::EventType>{proto::NODE_CREATED, proto::NODE_CHILDREN_CHANGED}));
}

TEST_F(ServerE2eTest, PipelinedWriteThenRead_ReadSeesTheWrite) {
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/p", "old")).err(), proto::OK);
  std::vector<proto::Request> batch;
  for (int i = 0; i < 50; ++i) {
    proto::Request set = SetReq("/p", absl::StrCat("v", i));
    set.set_xid(1000 + 2 * i);
    proto::Request get = GetReq("/p");
    get.set_xid(1001 + 2 * i);
    batch.push_back(set);
    batch.push_back(get);
  }
  s.SendBatch(batch);
  for (int i = 0; i < 50; ++i) {
    auto r = s.WaitReply(1001 + 2 * i, 10s);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->get_data().data(), absl::StrCat("v", i));
  }
  // Replies arrive in request order.
  std::vector<int64_t> xids;
  for (const auto& r : s.Received()) {
    if (r.xid() >= 1000) xids.push_back(r.xid());
  }
  ASSERT_EQ(xids.size(), 100u);
  for (size_t i = 0; i < xids.size(); ++i) EXPECT_EQ(xids[i], 1000 + int64_t(i));
}

TEST_F(ServerE2eTest, Ephemeral_SessionExpires_NodeRemovedAndWatchersTold) {
  RawSession owner(server_->address());
  ASSERT_EQ(owner.Connect(/*timeout_ms=*/600).err(), proto::OK);
  ASSERT_EQ(owner.Call(CreateReq("/eph", "", proto::EPHEMERAL)).err(), proto::OK);
  EXPECT_EQ(owner.Call(CreateReq("/eph/child", "")).err(), proto::NO_CHILDREN_FOR_EPHEMERALS);

  RawSession observer(server_->address());
  ASSERT_EQ(observer.Connect().err(), proto::OK);
  proto::Response stat = observer.Call(ExistsReq("/eph", true));
  ASSERT_EQ(stat.err(), proto::OK);
  EXPECT_EQ(stat.stat().stat().ephemeral_owner(), owner.session_id());

  // The owner keeps pinging: the node stays past the timeout.
  for (int i = 0; i < 8; ++i) {
    proto::Request ping;
    ping.mutable_ping();
    ASSERT_EQ(owner.Call(ping).err(), proto::OK);
    std::this_thread::sleep_for(150ms);
  }
  EXPECT_EQ(observer.Call(ExistsReq("/eph")).err(), proto::OK);

  owner.Abandon();  // stops pinging without closing
  std::optional<proto::WatchEvent> ev = observer.WaitEvent(5s);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type(), proto::NODE_DELETED);
  EXPECT_EQ(observer.Call(ExistsReq("/eph")).err(), proto::NO_NODE);

  // The expired session cannot be reattached.
  RawSession again(server_->address());
  EXPECT_EQ(again.Connect(600, owner.session_id(), owner.password()).err(), proto::SESSION_EXPIRED);
}

TEST_F(ServerE2eTest, Close_RemovesEphemeralsAtOnce) {
  RawSession owner(server_->address());
  ASSERT_EQ(owner.Connect(30000).err(), proto::OK);
  ASSERT_EQ(owner.Call(CreateReq("/e1", "", proto::EPHEMERAL)).err(), proto::OK);
  ASSERT_EQ(owner.Call(CreateReq("/e2-", "", proto::EPHEMERAL_SEQUENTIAL)).err(), proto::OK);
  proto::Request close;
  close.mutable_close();
  EXPECT_EQ(owner.Call(close).err(), proto::OK);
  EXPECT_TRUE(owner.WaitEnded(5s));

  RawSession other(server_->address());
  ASSERT_EQ(other.Connect().err(), proto::OK);
  EXPECT_EQ(other.Call(ExistsReq("/e1")).err(), proto::NO_NODE);
  proto::Response root = other.Call(ChildrenReq("/"));
  EXPECT_EQ(root.get_children().children_size(), 1);  // only "zookeeper"
}

TEST_F(ServerE2eTest, BadInput_ClearErrors_ServerKeepsServing) {
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  for (const char* path : {"", "nope", "/a/", "/a//b", "/a/./b", "/a/../b"}) {
    proto::Response r = s.Call(CreateReq(path, ""));
    EXPECT_EQ(r.err(), proto::BAD_ARGUMENTS) << path;
    EXPECT_NE(r.error_message().find("Invalid path"), std::string::npos) << r.error_message();
  }
  proto::Response big = s.Call(CreateReq("/big", std::string((1 << 20) + 1, 'x')));
  EXPECT_EQ(big.err(), proto::BAD_ARGUMENTS);
  EXPECT_NE(big.error_message().find("exceeds"), std::string::npos) << big.error_message();
  EXPECT_EQ(s.Call(CreateReq("/max", std::string(1 << 20, 'x'))).err(), proto::OK);

  proto::Request unknown;  // no body: an operation this server does not know
  proto::Response r = s.Call(unknown);
  EXPECT_EQ(r.err(), proto::UNIMPLEMENTED);
  EXPECT_FALSE(r.error_message().empty());

  proto::Request bad_mode = CreateReq("/mode", "");
  bad_mode.mutable_create()->set_mode(static_cast<proto::CreateMode>(42));
  EXPECT_EQ(s.Call(bad_mode).err(), proto::BAD_ARGUMENTS);

  proto::Request no_acl = CreateReq("/noacl", "");
  no_acl.mutable_create()->clear_acl();
  EXPECT_EQ(s.Call(no_acl).err(), proto::INVALID_ACL);

  // Still serving, nothing half-done.
  EXPECT_EQ(s.Call(CreateReq("/fine", "ok")).err(), proto::OK);
  EXPECT_EQ(s.Call(ExistsReq("/big")).err(), proto::NO_NODE);
  RawSession other(server_->address());
  EXPECT_EQ(other.Connect().err(), proto::OK);
  EXPECT_EQ(other.Call(GetReq("/fine")).get_data().data(), "ok");
}

TEST_F(ServerE2eTest, Reattach_KeepsEphemerals_ReRegisteredWatchFiresMissedEvent) {
  auto s = std::make_unique<RawSession>(server_->address());
  ASSERT_EQ(s->Connect(10000).err(), proto::OK);
  ASSERT_EQ(s->Call(CreateReq("/mine", "", proto::EPHEMERAL)).err(), proto::OK);
  proto::Response seen = s->Call(CreateReq("/cfg", "1"));
  ASSERT_EQ(seen.err(), proto::OK);
  int64_t sid = s->session_id();
  std::string password = s->password();
  s->Abandon();

  RawSession writer(server_->address());
  ASSERT_EQ(writer.Connect().err(), proto::OK);
  ASSERT_EQ(writer.Call(SetReq("/cfg", "2")).err(), proto::OK);

  RawSession back(server_->address());
  proto::Response c = back.Connect(10000, sid, password, seen.zxid());
  ASSERT_EQ(c.err(), proto::OK) << c.error_message();
  EXPECT_EQ(c.connect().session_id(), sid);
  EXPECT_EQ(back.Call(ExistsReq("/mine")).err(), proto::OK);

  proto::Request sw;
  sw.mutable_set_watches()->set_relative_zxid(seen.zxid());
  sw.mutable_set_watches()->add_data_watches("/cfg");
  ASSERT_EQ(back.Call(sw).err(), proto::OK);
  std::optional<proto::WatchEvent> ev = back.WaitEvent(2s);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type(), proto::NODE_DATA_CHANGED);
  EXPECT_EQ(ev->path(), "/cfg");

  // A wrong password is refused.
  RawSession thief(server_->address());
  EXPECT_EQ(thief.Connect(10000, sid, "wrong").err(), proto::SESSION_EXPIRED);
  // A client that saw a future zxid is told to go elsewhere.
  RawSession future(server_->address());
  EXPECT_EQ(future.Connect(10000, sid, password, seen.zxid() + 1000).err(), proto::CONNECTION_LOSS);
}

TEST_F(ServerE2eTest, Restart_RestoresTreeStatsAndSessions) {
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect(20000).err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/r", "x")).err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/r/s-", "", proto::PERSISTENT_SEQUENTIAL)).err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/r/e", "", proto::EPHEMERAL)).err(), proto::OK);
  proto::Response before = s.Call(GetReq("/r"));
  nlohmann::json hash_before = Admin("hash");
  int64_t sid = s.session_id();
  std::string password = s.password();
  s.Abandon();

  EXPECT_EQ(server_->Stop(), 0);
  server_->Start();
  EXPECT_EQ(Admin("hash"), hash_before);

  RawSession back(server_->address());
  proto::Response c = back.Connect(20000, sid, password, before.zxid());
  ASSERT_EQ(c.err(), proto::OK) << c.error_message();
  proto::Response after = back.Call(GetReq("/r"));
  EXPECT_EQ(after.get_data().stat().SerializeAsString(),
            before.get_data().stat().SerializeAsString());
  EXPECT_EQ(back.Call(ExistsReq("/r/e")).err(), proto::OK);
  // The sequence counter survived: the next name continues.
  EXPECT_EQ(back.Call(CreateReq("/r/s-", "", proto::PERSISTENT_SEQUENTIAL)).create().path(),
            "/r/s-0000000002");
}

proto::Request AuthReq(const std::string& user_password) {
  proto::Request r;
  r.mutable_auth()->set_scheme("digest");
  r.mutable_auth()->set_auth(user_password);
  return r;
}

TEST_F(ServerE2eTest, Acl_DigestAuth_OwnerAllowedOthersDenied) {
  RawSession alice(server_->address());
  ASSERT_EQ(alice.Connect().err(), proto::OK);
  ASSERT_EQ(alice.Call(AuthReq("alice:alice-secret")).err(), proto::OK);
  proto::Request create = CreateReq("/secure", "s");
  create.mutable_create()->mutable_acl(0)->mutable_id()->set_scheme("auth");
  create.mutable_create()->mutable_acl(0)->mutable_id()->set_id("");
  ASSERT_EQ(alice.Call(create).err(), proto::OK);
  proto::Request get_acl;
  get_acl.mutable_get_acl()->set_path("/secure");
  proto::Response acl = alice.Call(get_acl);
  ASSERT_EQ(acl.err(), proto::OK);
  ASSERT_EQ(acl.get_acl().acl_size(), 1);
  EXPECT_EQ(acl.get_acl().acl(0).id().scheme(), "digest");
  // The digest ZooKeeper 3.8's DigestAuthenticationProvider computes.
  EXPECT_EQ(acl.get_acl().acl(0).id().id(), "alice:JYdjG/dL2+v79QyuS8/0gpT+rQQ=");
  EXPECT_EQ(alice.Call(GetReq("/secure")).get_data().data(), "s");

  RawSession mallory(server_->address());
  ASSERT_EQ(mallory.Connect().err(), proto::OK);
  ASSERT_EQ(mallory.Call(AuthReq("alice:wrong")).err(), proto::OK);
  EXPECT_EQ(mallory.Call(GetReq("/secure")).err(), proto::NO_AUTH);
  EXPECT_EQ(mallory.Call(SetReq("/secure", "x")).err(), proto::NO_AUTH);
  EXPECT_EQ(mallory.Call(CreateReq("/secure/c", "")).err(), proto::NO_AUTH);
  EXPECT_EQ(mallory.Call(DeleteReq("/secure")).err(), proto::OK);  // delete checks the parent
  ASSERT_EQ(alice.Call(create).err(), proto::OK);

  // A denied op in the middle of a multi: nothing applies.
  proto::Request multi;
  *multi.mutable_multi()->add_ops()->mutable_create() = CreateReq("/m1", "").create();
  *multi.mutable_multi()->add_ops()->mutable_set_data() = SetReq("/secure", "x").set_data();
  *multi.mutable_multi()->add_ops()->mutable_create() = CreateReq("/m2", "").create();
  proto::Response r = mallory.Call(multi);
  EXPECT_EQ(r.err(), proto::NO_AUTH);
  ASSERT_EQ(r.multi().results_size(), 3);
  EXPECT_EQ(r.multi().results(1).err(), proto::NO_AUTH);
  EXPECT_EQ(mallory.Call(ExistsReq("/m1")).err(), proto::NO_NODE);

  // Read-only system node; "auth" ACL without credentials is invalid.
  EXPECT_EQ(mallory.Call(SetReq("/zookeeper/config", "x")).err(), proto::NO_AUTH);
  RawSession anon(server_->address());
  ASSERT_EQ(anon.Connect().err(), proto::OK);
  proto::Request auth_acl = create;
  auth_acl.mutable_create()->set_path("/needs-auth");
  EXPECT_EQ(anon.Call(auth_acl).err(), proto::INVALID_ACL);
  EXPECT_EQ(anon.Call(AuthReq("no-colon")).err(), proto::AUTH_FAILED);
  proto::Request who;
  who.mutable_who_am_i();
  proto::Response w = alice.Call(who);
  ASSERT_EQ(w.who_am_i().client_info_size(), 2);
  EXPECT_EQ(w.who_am_i().client_info(0).scheme(), "ip");
  EXPECT_EQ(w.who_am_i().client_info(1).scheme(), "digest");
}

TEST(ServerReaper, TtlAndContainerNodes_RemovedOnSchedule_AlsoAfterRestart) {
  TempDir dir;
  ServerProcess server(dir.path(), {{"znode.container.checkIntervalMs", "100"}});
  server.Start();
  {
    RawSession s(server.address());
    ASSERT_EQ(s.Connect().err(), proto::OK);
    proto::Request ttl = CreateReq("/ttl", "", proto::PERSISTENT_WITH_TTL);
    ttl.mutable_create()->set_ttl_ms(400);
    ASSERT_EQ(s.Call(ttl).err(), proto::OK);
    proto::Request long_ttl = ttl;
    long_ttl.mutable_create()->set_path("/ttl-long");
    long_ttl.mutable_create()->set_ttl_ms(60000);
    ASSERT_EQ(s.Call(long_ttl).err(), proto::OK);
    ASSERT_EQ(s.Call(CreateReq("/box", "", proto::CONTAINER)).err(), proto::OK);
    ASSERT_EQ(s.Call(CreateReq("/box/item", "")).err(), proto::OK);
    ASSERT_EQ(s.Call(CreateReq("/empty-box", "", proto::CONTAINER)).err(), proto::OK);
    proto::Request bad_ttl = ttl;
    bad_ttl.mutable_create()->set_path("/bad");
    bad_ttl.mutable_create()->set_ttl_ms(0);
    EXPECT_EQ(s.Call(bad_ttl).err(), proto::BAD_ARGUMENTS);

    // Reaped once its TTL passed; the reaper has run by then, so the checks
    // below see what it left alone.
    EXPECT_TRUE(
        WaitUntil([&] { return s.Call(ExistsReq("/ttl")).err() == proto::NO_NODE; }, 20s, 50ms));
    EXPECT_EQ(s.Call(ExistsReq("/ttl-long")).err(), proto::OK);
    EXPECT_EQ(s.Call(ExistsReq("/box")).err(), proto::OK) << "has a child";
    EXPECT_EQ(s.Call(ExistsReq("/empty-box")).err(), proto::OK) << "never had a child";
    ASSERT_EQ(s.Call(DeleteReq("/box/item")).err(), proto::OK);
    proto::Request ttl_restart = ttl;
    ttl_restart.mutable_create()->set_path("/ttl-restart");
    ttl_restart.mutable_create()->set_ttl_ms(800);
    ASSERT_EQ(s.Call(ttl_restart).err(), proto::OK);
  }
  // The container's state (it had a child) survives a restart.
  server.Kill(SIGKILL);
  server.Start();
  RawSession s(server.address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  EXPECT_TRUE(
      WaitUntil([&] { return s.Call(ExistsReq("/box")).err() == proto::NO_NODE; }, 20s, 50ms));
  EXPECT_EQ(s.Call(ExistsReq("/empty-box")).err(), proto::OK);
  // The TTL clock (the node's mtime) survives the restart too.
  EXPECT_TRUE(WaitUntil([&] { return s.Call(ExistsReq("/ttl-restart")).err() == proto::NO_NODE; },
                        20s, 50ms));
}

TEST_F(ServerE2eTest, Admin_SrvrAndHash_ReportState) {
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  proto::Response r = s.Call(CreateReq("/a", ""));
  nlohmann::json srvr = Admin("srvr");
  ASSERT_FALSE(srvr.is_null());
  EXPECT_EQ(srvr["server_state"], "standalone");
  EXPECT_EQ(srvr["zxid"], r.zxid());
  EXPECT_EQ(srvr["node_count"], 5);
  EXPECT_EQ(srvr["session_count"], 1);
  nlohmann::json hash = Admin("hash");
  EXPECT_EQ(hash["zxid"], r.zxid());
  EXPECT_EQ(hash["digest"].get<std::string>().size(), 16u);
  EXPECT_TRUE(Admin("nonsense").is_null());
}

// SIGTERM with client streams open: the gRPC server's Shutdown cancels
// them, each stream ends through its completion queue, and only then are the
// queues shut down. Any completion arriving at a shut-down queue aborts the
// process, which would show as a non-zero exit.
TEST_F(ServerE2eTest, Stop_WithClientStreamsOpen_ExitsCleanly) {
  RawSession idle(server_->address());
  ASSERT_EQ(idle.Connect(20000).err(), proto::OK);
  RawSession busy(server_->address());
  ASSERT_EQ(busy.Connect(20000).err(), proto::OK);
  ASSERT_EQ(busy.Call(CreateReq("/open", "x")).err(), proto::OK);
  EXPECT_EQ(server_->Stop(), 0);
  std::ifstream log(server_->log_path());
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("stopped"), std::string::npos);
  EXPECT_EQ(text.find("client streams still open"), std::string::npos);
}

// Operators tell the threads apart in `top -H`, `ps -L` and perf.
TEST_F(ServerE2eTest, Threads_AreNamedByTheirJob) {
  std::set<std::string> names;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(server_->pid()) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.insert(name);
  }
  EXPECT_TRUE(names.contains("zk-core"));
  EXPECT_TRUE(names.contains("zk-storage"));
  EXPECT_TRUE(names.contains("zk-admin"));
  EXPECT_TRUE(names.contains("zk-grpc"));  // the client streams' completion queue
}

}  // namespace
}  // namespace zabkeeper::testing
