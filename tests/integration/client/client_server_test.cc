// The client library against a real zabkeeper-server process on 127.0.0.1:
// every operation, state transitions, reattach after the server is killed
// and restarted (same dataDir), and watch re-registration delivering an event
// missed while disconnected. Written against a connect string so the same
// tests can later point at a 3-node ensemble.
#include <future>

#include "client/zk_client.h"
#include "gtest/gtest.h"
#include "tests/integration/client/tcp_proxy.h"
#include "tests/integration/server_process.h"
#include "tests/unit/client/test_util.h"

namespace zk {
namespace {

using testing::Contains;
using testing::Recorder;
using testing::RecordInto;
using zabkeeper::testing::ServerProcess;
using zabkeeper::testing::TempDir;

class ClientServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }
  std::unique_ptr<ZkClient> Connect(const std::string& connect, Recorder<SessionState>* states,
                                    absl::Duration timeout = absl::Seconds(6)) {
    ClientOptions options;
    options.connect_string = connect;
    options.session_timeout = timeout;
    if (states) options.state_listener = [states](SessionState s) { states->Add(s); };
    auto c = ZkClient::Create(options);
    EXPECT_TRUE(c.ok());
    EXPECT_TRUE((*c)->WaitConnected(absl::Seconds(10)).ok());
    return *std::move(c);
  }
  static auto Has(SessionState s) {
    return [s](const std::vector<SessionState>& v) { return Contains(v, s); };
  }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
};

TEST_F(ClientServerTest, CrudAndErrors_MatchZooKeeperSemantics) {
  auto c = Connect(server_.address(), nullptr);
  ASSERT_EQ(*c->Create("/it", "a"), "/it");
  EXPECT_TRUE(IsNodeExists(c->Create("/it").status()));
  EXPECT_TRUE(IsNoNode(c->Create("/none/x").status()));
  auto seq = c->Create("/it/s-", "", CreateOptions::Mode(proto::PERSISTENT_SEQUENTIAL));
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, "/it/s-0000000000");
  auto got = c->GetData("/it");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->data, "a");
  EXPECT_TRUE(c->SetData("/it", "b", 0).ok());
  EXPECT_TRUE(IsBadVersion(c->SetData("/it", "c", 0).status()));
  EXPECT_TRUE(IsNotEmpty(c->Delete("/it")));
  auto kids = c->GetChildren("/it");
  ASSERT_TRUE(kids.ok());
  EXPECT_EQ(kids->children.size(), 1u);
  EXPECT_FALSE(c->Exists("/nope")->has_value());
  EXPECT_TRUE(c->Sync("/it").ok());
  EXPECT_EQ(*c->GetAllChildrenNumber("/it"), 1);
  ASSERT_TRUE(c->DeleteRecursive("/it").ok());
  EXPECT_FALSE(c->Exists("/it")->has_value());
}

TEST_F(ClientServerTest, MultiAndMultiRead_AreAtomic) {
  auto c = Connect(server_.address(), nullptr);
  ASSERT_TRUE(c->Create("/m", "0").ok());
  auto ok = c->NewMulti().Check("/m", 0).SetData("/m", "1", 0).Create("/m/a", "x").Commit();
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[2].path, "/m/a");
  auto bad = c->NewMulti().Create("/m/b", "").Delete("/m/zzz").Commit();
  EXPECT_TRUE(IsNoNode(bad.status())) << bad.status();
  EXPECT_FALSE(c->Exists("/m/b")->has_value());
  auto reads = c->MultiRead(MultiRead().GetData("/m").GetChildren("/m"));
  if (ErrorCodeOf(reads.status()) != proto::UNIMPLEMENTED) {
    ASSERT_TRUE(reads.ok()) << reads.status();
    EXPECT_EQ((*reads)[0].data->data, "1");
  }
}

TEST_F(ClientServerTest, Watches_DataChildExist_FireOnce) {
  auto c = Connect(server_.address(), nullptr);
  auto other = Connect(server_.address(), nullptr);
  Recorder<WatchedEvent> events;
  ASSERT_TRUE(c->Exists("/w", RecordInto(&events)).ok());
  ASSERT_TRUE(other->Create("/w", "1").ok());
  ASSERT_TRUE(events.WaitCount(1));
  ASSERT_TRUE(c->GetData("/w", RecordInto(&events)).ok());
  ASSERT_TRUE(c->GetChildren("/w", RecordInto(&events)).ok());
  ASSERT_TRUE(other->SetData("/w", "2").ok());
  ASSERT_TRUE(other->Create("/w/k").ok());
  ASSERT_TRUE(events.WaitCount(3));
  auto e = events.items();
  EXPECT_EQ(e[0].type, proto::NODE_CREATED);
  EXPECT_EQ(e[1].type, proto::NODE_DATA_CHANGED);
  EXPECT_EQ(e[2].type, proto::NODE_CHILDREN_CHANGED);
}

TEST_F(ClientServerTest, Ephemerals_CloseDeletesAtOnce_DropExpiresAfterTimeout) {
  auto watcher = Connect(server_.address(), nullptr);
  auto a = Connect(server_.address(), nullptr, absl::Seconds(1));
  ASSERT_TRUE(a->Create("/eph-a", "", CreateOptions::Mode(proto::EPHEMERAL)).ok());
  auto eph = a->GetEphemerals("/");
  if (eph.ok()) {
    EXPECT_EQ(*eph, std::vector<std::string>{"/eph-a"});
  }
  ASSERT_TRUE(a->Close().ok());
  EXPECT_FALSE(watcher->Exists("/eph-a")->has_value());

  auto b = Connect(server_.address(), nullptr, absl::Seconds(1));
  ASSERT_TRUE(b->Create("/eph-b", "", CreateOptions::Mode(proto::EPHEMERAL)).ok());
  b.reset();  // no close: the session lives until it expires
  EXPECT_TRUE(watcher->Exists("/eph-b")->has_value());
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {  // bounded: 10 s
    absl::SleepFor(absl::Milliseconds(100));
    gone = !watcher->Exists("/eph-b")->has_value();
  }
  EXPECT_TRUE(gone);
}

TEST_F(ClientServerTest, ServerKilledAndRestarted_SessionReattachesWithEphemerals) {
  Recorder<SessionState> states;
  auto c = Connect(server_.address(), &states, absl::Seconds(8));
  ASSERT_TRUE(c->Create("/mine", "", CreateOptions::Mode(proto::EPHEMERAL)).ok());
  const int64_t id = c->session_id();
  server_.Kill();
  ASSERT_TRUE(states.WaitFor(Has(SessionState::kSuspended)));
  // A request made now waits for the reattach instead of failing.
  std::promise<absl::Status> queued;
  c->SyncAsync("/", [&](absl::Status s) { queued.set_value(s); });
  server_.Start();
  ASSERT_TRUE(c->WaitConnected(absl::Seconds(10)).ok()) << SessionStateName(c->state());
  EXPECT_EQ(c->session_id(), id);
  EXPECT_TRUE(queued.get_future().get().ok());
  EXPECT_TRUE(c->Exists("/mine")->has_value());
  EXPECT_TRUE(c->Create("/after-restart").ok());
}

TEST_F(ClientServerTest, Disconnected_WatchReRegistration_FiresMissedEvent) {
  zk::testing::TcpProxy proxy(server_.client_port());
  Recorder<SessionState> states;
  auto c = Connect(proxy.address(), &states, absl::Seconds(10));
  auto other = Connect(server_.address(), nullptr);
  ASSERT_TRUE(other->Create("/cfg", "v1").ok());
  Recorder<WatchedEvent> events;
  ASSERT_TRUE(c->GetData("/cfg", RecordInto(&events)).ok());
  proxy.Cut();
  ASSERT_TRUE(states.WaitFor(Has(SessionState::kSuspended)));
  ASSERT_TRUE(other->SetData("/cfg", "v2").ok());  // happens while c is away
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(events.items().empty());
  proxy.Restore();
  ASSERT_TRUE(events.WaitCount(1, absl::Seconds(10)));
  EXPECT_EQ(events.items()[0].type, proto::NODE_DATA_CHANGED);
  EXPECT_EQ(c->GetData("/cfg")->data, "v2");
}

TEST_F(ClientServerTest, Chroot_IsApplied) {
  auto root = Connect(server_.address(), nullptr);
  ASSERT_TRUE(root->Create("/app").ok());
  auto c = Connect(server_.address() + "/app", nullptr);
  EXPECT_EQ(*c->Create("/x", "1"), "/x");
  EXPECT_TRUE(root->Exists("/app/x")->has_value());
  EXPECT_EQ(c->GetChildren("/")->children, std::vector<std::string>{"x"});
}

TEST_F(ClientServerTest, OptionalFeatures_WorkOrSayUnimplemented) {
  auto c = Connect(server_.address(), nullptr);
  ASSERT_TRUE(c->Create("/opt").ok());
  auto tolerate = [](const absl::Status& s) {
    return s.ok() || ErrorCodeOf(s) == proto::UNIMPLEMENTED;
  };
  EXPECT_TRUE(tolerate(c->GetAcl("/opt").status()));
  EXPECT_TRUE(tolerate(c->SetAcl("/opt", OpenAclUnsafe()).status()));
  EXPECT_TRUE(tolerate(
      c->Create("/ttl", "", CreateOptions::Mode(proto::PERSISTENT_WITH_TTL, 60000)).status()));
  EXPECT_TRUE(tolerate(c->Create("/cont", "", CreateOptions::Mode(proto::CONTAINER)).status()));
  EXPECT_TRUE(tolerate(c->AddAuth("digest", "user:pw")));
  EXPECT_TRUE(tolerate(c->WhoAmI().status()));
  Recorder<WatchedEvent> events;
  absl::Status pw = c->AddWatch("/opt", proto::PERSISTENT_WATCH, RecordInto(&events));
  EXPECT_TRUE(tolerate(pw));
  if (pw.ok()) {
    ASSERT_TRUE(c->SetData("/opt", "1").ok());
    ASSERT_TRUE(c->SetData("/opt", "2").ok());
    EXPECT_TRUE(events.WaitCount(2));
  }
}

}  // namespace
}  // namespace zk
