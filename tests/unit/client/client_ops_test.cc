// Every client operation against the in-process fake server.
#include <atomic>
#include <future>

#include "client/zk_client.h"
#include "gtest/gtest.h"
#include "tests/unit/client/fake_server.h"
#include "tests/unit/client/test_util.h"

namespace zk {
namespace {

using testing::FakeZkServer;
using testing::Recorder;
using testing::RecordInto;

class ClientOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = ZkClient::Connect(server_.connect_string(), absl::Seconds(5), absl::Seconds(5));
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }
  FakeZkServer server_;
  std::unique_ptr<ZkClient> client_;
};

TEST_F(ClientOpsTest, CreateGetSetDelete_RoundTrip_Works) {
  ASSERT_EQ(*client_->Create("/a", "one"), "/a");
  auto got = client_->GetData("/a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->data, "one");
  EXPECT_EQ(got->stat.version(), 0);
  auto stat = client_->SetData("/a", "two", 0);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->version(), 1);
  EXPECT_TRUE(IsBadVersion(client_->SetData("/a", "x", 0).status()));
  EXPECT_TRUE(IsBadVersion(client_->Delete("/a", 0)));
  EXPECT_TRUE(client_->Delete("/a", 1).ok());
  EXPECT_TRUE(IsNoNode(client_->GetData("/a").status()));
}

TEST_F(ClientOpsTest, Create_Errors_CarryZooKeeperCodes) {
  ASSERT_TRUE(client_->Create("/a").ok());
  EXPECT_TRUE(IsNodeExists(client_->Create("/a").status()));
  EXPECT_TRUE(IsNoNode(client_->Create("/missing/child").status()));
  EXPECT_EQ(ErrorCodeOf(client_->Create("bad").status()), proto::BAD_ARGUMENTS);
  ASSERT_TRUE(client_->Create("/a/b").ok());
  EXPECT_TRUE(IsNotEmpty(client_->Delete("/a")));
}

TEST_F(ClientOpsTest, Sequential_AppendsIncreasingCounter) {
  ASSERT_TRUE(client_->Create("/q").ok());
  auto a = client_->Create("/q/item-", "", CreateOptions::Mode(proto::PERSISTENT_SEQUENTIAL));
  auto b = client_->Create("/q/item-", "", CreateOptions::Mode(proto::PERSISTENT_SEQUENTIAL));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, "/q/item-0000000000");
  EXPECT_EQ(*b, "/q/item-0000000001");
}

TEST_F(ClientOpsTest, ExistsAndChildren_ReportStatAndNames) {
  auto none = client_->Exists("/p");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(client_->Create("/p").ok());
  ASSERT_TRUE(client_->Create("/p/b").ok());
  ASSERT_TRUE(client_->Create("/p/a").ok());
  auto some = client_->Exists("/p");
  ASSERT_TRUE(some.ok() && some->has_value());
  EXPECT_EQ((*some)->num_children(), 2);
  auto kids = client_->GetChildren("/p");
  ASSERT_TRUE(kids.ok());
  EXPECT_EQ(kids->children, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*client_->GetAllChildrenNumber("/p"), 2);
  EXPECT_TRUE(client_->Sync("/p").ok());
}

TEST_F(ClientOpsTest, Watches_FireOnceWithEventType) {
  Recorder<WatchedEvent> events;
  ASSERT_TRUE(client_->Exists("/w", RecordInto(&events)).ok());
  ASSERT_TRUE(client_->Create("/w", "x").ok());
  ASSERT_TRUE(events.WaitCount(1));
  EXPECT_EQ(events.items()[0].type, proto::NODE_CREATED);
  EXPECT_EQ(events.items()[0].path, "/w");

  ASSERT_TRUE(client_->GetData("/w", RecordInto(&events)).ok());
  ASSERT_TRUE(client_->GetChildren("/w", RecordInto(&events)).ok());
  ASSERT_TRUE(client_->SetData("/w", "y").ok());
  ASSERT_TRUE(client_->SetData("/w", "z").ok());  // one-shot: no second event
  ASSERT_TRUE(client_->Create("/w/c").ok());
  ASSERT_TRUE(events.WaitCount(3));
  auto items = events.items();
  EXPECT_EQ(items[1].type, proto::NODE_DATA_CHANGED);
  EXPECT_EQ(items[2].type, proto::NODE_CHILDREN_CHANGED);
  ASSERT_TRUE(client_->Sync("/").ok());
  EXPECT_EQ(events.items().size(), 3u);
}

TEST_F(ClientOpsTest, Multi_AllOrNothing_ReportsFailingOp) {
  ASSERT_TRUE(client_->Create("/m", "0").ok());
  auto ok = client_->NewMulti().Check("/m", 0).SetData("/m", "1", 0).Create("/m/x", "").Commit();
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->size(), 3u);
  EXPECT_EQ((*ok)[2].path, "/m/x");
  EXPECT_EQ((*ok)[1].stat.version(), 1);

  auto bad = client_->NewMulti().Create("/m/y", "").Check("/m", 0).Commit();
  EXPECT_TRUE(IsBadVersion(bad.status())) << bad.status();
  EXPECT_NE(bad.status().message().find("#1"), std::string::npos);
  EXPECT_FALSE(server_.NodeExists("/m/y"));
}

TEST_F(ClientOpsTest, Chroot_PathsAreRelative) {
  ASSERT_TRUE(client_->Create("/app").ok());
  auto c = ZkClient::Connect(server_.connect_string() + "/app", absl::Seconds(5));
  ASSERT_TRUE(c.ok());
  Recorder<WatchedEvent> events;
  ASSERT_TRUE((*c)->Exists("/x", RecordInto(&events)).ok());
  EXPECT_EQ(*(*c)->Create("/x", "v"), "/x");
  EXPECT_TRUE(server_.NodeExists("/app/x"));
  ASSERT_TRUE(events.WaitCount(1));
  EXPECT_EQ(events.items()[0].path, "/x");
  auto kids = (*c)->GetChildren("/");
  ASSERT_TRUE(kids.ok());
  EXPECT_EQ(kids->children, std::vector<std::string>{"x"});
  auto m = (*c)->NewMulti()
               .Create("/s-", "", CreateOptions::Mode(proto::PERSISTENT_SEQUENTIAL))
               .Commit();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].path.rfind("/s-", 0), 0u);
}

TEST_F(ClientOpsTest, Ephemerals_CloseDeletesThem_DestroyKeepsThemUntilExpiry) {
  auto a = ZkClient::Connect(server_.connect_string(), absl::Seconds(5));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Create("/e1", "", CreateOptions::Mode(proto::EPHEMERAL)).ok());
  auto eph = (*a)->GetEphemerals("/");
  ASSERT_TRUE(eph.ok());
  EXPECT_EQ(*eph, std::vector<std::string>{"/e1"});
  EXPECT_TRUE((*a)->Close().ok());
  EXPECT_FALSE(server_.NodeExists("/e1"));
  EXPECT_EQ((*a)->state(), SessionState::kClosed);
  EXPECT_TRUE(IsSessionExpired((*a)->GetData("/").status()));

  auto b = ZkClient::Connect(server_.connect_string(), absl::Seconds(5));
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Create("/e2", "", CreateOptions::Mode(proto::EPHEMERAL)).ok());
  b->reset();
  EXPECT_TRUE(server_.NodeExists("/e2"));  // the session lives on the server
}

TEST_F(ClientOpsTest, Async_ManyRequests_CompleteInOrderAndAreBatched) {
  ASSERT_TRUE(client_->Create("/n").ok());
  constexpr int kCount = 500;
  const int64_t messages_before = server_.messages_received();
  std::vector<int> order;
  std::mutex mu;
  std::promise<void> all_done;
  for (int i = 0; i < kCount; ++i) {
    client_->SetDataAsync("/n", std::to_string(i), -1, [&, i](absl::StatusOr<Stat> s) {
      ASSERT_TRUE(s.ok());
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      if (static_cast<int>(order.size()) == kCount) all_done.set_value();
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(order[i], i);
  EXPECT_EQ(client_->GetData("/n")->data, std::to_string(kCount - 1));
  EXPECT_LT(server_.messages_received() - messages_before, kCount);  // batching happened
}

TEST_F(ClientOpsTest, SyncCallFromCallback_FailsInsteadOfDeadlocking) {
  std::promise<absl::Status> result;
  client_->GetDataAsync("/", nullptr, [&](absl::StatusOr<DataResult>) {
    result.set_value(client_->GetData("/").status());
  });
  absl::Status s = result.get_future().get();
  EXPECT_EQ(ErrorCodeOf(s), proto::API_ERROR);
}

TEST_F(ClientOpsTest, UnimplementedOnServer_IsReportedAsUnimplemented) {
  absl::Status s = client_->SetAcl("/", OpenAclUnsafe()).status();
  EXPECT_EQ(ErrorCodeOf(s), proto::UNIMPLEMENTED);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
}

TEST_F(ClientOpsTest, AddAuth_BadScheme_ReportsAuthFailedState) {
  Recorder<SessionState> states;
  client_->AddStateListener([&](SessionState s) { states.Add(s); });
  EXPECT_TRUE(client_->AddAuth("digest", "u:p").ok());
  EXPECT_EQ(ErrorCodeOf(client_->AddAuth("bogus", "x")), proto::AUTH_FAILED);
  EXPECT_TRUE(
      states.WaitFor([](auto& v) { return testing::Contains(v, SessionState::kAuthFailed); }));
  client_.reset();  // its listener refers to `states`
}

TEST_F(ClientOpsTest, DeleteRecursiveAndEnsurePath_HandleTrees) {
  ASSERT_TRUE(client_->EnsurePath("/t/a/b/c").ok());
  ASSERT_TRUE(client_->EnsurePath("/t/a/b/c").ok());
  ASSERT_TRUE(client_->Create("/t/a/x").ok());
  EXPECT_EQ(*client_->GetAllChildrenNumber("/t"), 4);
  ASSERT_TRUE(client_->DeleteRecursive("/t").ok());
  EXPECT_FALSE(server_.NodeExists("/t"));
}

}  // namespace
}  // namespace zk

namespace zk {
namespace {

TEST_F(ClientOpsTest, RemoveAndCheckWatches_LocalOnly_StopsDelivery) {
  ASSERT_TRUE(client_->Create("/rw", "1").ok());
  Recorder<WatchedEvent> events;
  EXPECT_EQ(ErrorCodeOf(client_->CheckWatches("/rw", proto::WATCHER_DATA)), proto::NO_WATCHER);
  ASSERT_TRUE(client_->GetData("/rw", RecordInto(&events)).ok());
  ASSERT_TRUE(client_->GetChildren("/rw", RecordInto(&events)).ok());
  EXPECT_TRUE(client_->RemoveWatches("/rw", proto::WATCHER_DATA, /*local_only=*/true).ok());
  EXPECT_EQ(ErrorCodeOf(client_->RemoveWatches("/rw", proto::WATCHER_DATA, true)),
            proto::NO_WATCHER);
  ASSERT_TRUE(client_->SetData("/rw", "2").ok());
  ASSERT_TRUE(client_->Create("/rw/c").ok());
  ASSERT_TRUE(events.WaitCount(1));
  ASSERT_TRUE(client_->Sync("/").ok());
  ASSERT_EQ(events.items().size(), 1u);  // only the child watch fired
  EXPECT_EQ(events.items()[0].type, proto::NODE_CHILDREN_CHANGED);
}

TEST_F(ClientOpsTest, MultiRead_AndWhoAmI_UnimplementedOnFake_AreReported) {
  EXPECT_EQ(ErrorCodeOf(client_->MultiRead(MultiRead().GetData("/")).status()),
            proto::UNIMPLEMENTED);
  EXPECT_EQ(ErrorCodeOf(client_->WhoAmI().status()), proto::UNIMPLEMENTED);
  EXPECT_EQ(ErrorCodeOf(client_->GetAcl("/").status()), proto::UNIMPLEMENTED);
  EXPECT_EQ(
      ErrorCodeOf(client_->AddWatch("/", proto::PERSISTENT_WATCH, [](const WatchedEvent&) {})),
      proto::UNIMPLEMENTED);
  EXPECT_EQ(ErrorCodeOf(client_->AddWatch("/", proto::PERSISTENT_WATCH, nullptr)),
            proto::BAD_ARGUMENTS);
}

}  // namespace
}  // namespace zk
