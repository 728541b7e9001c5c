// The client and its recipes against a real 3-node ensemble on 127.0.0.1:
// the server holding a session is killed and the session moves to another
// server with its ephemerals and watches; lock holders in separate processes
// and election candidates keep their guarantees across a leader-server kill.
#include <algorithm>
#include <map>

#include "client/zk_client.h"
#include "gtest/gtest.h"
#include "tests/integration/client/process_util.h"
#include "tests/integration/ensemble.h"
#include "tests/unit/client/test_util.h"

namespace zk {
namespace {

using zabkeeper::testing::Ensemble;
using zabkeeper::testing::TempDir;
using zk::testing::ReadRecords;
using zk::testing::Recorder;
using zk::testing::RecordInto;
using zk::testing::Spawn;
using zk::testing::ToInt;
using zk::testing::WaitOrKill;

class EnsembleClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ensemble_.StartAll();
    leader_ = ensemble_.WaitForLeader();
    ASSERT_GT(leader_, 0) << "no leader elected";
  }
  int NodeOf(const std::string& address) {
    for (int id = 1; id <= ensemble_.size(); ++id) {
      if (ensemble_.node(id).address() == address) return id;
    }
    return 0;
  }
  TempDir dir_;
  Ensemble ensemble_{dir_.path(), 3};
  int leader_ = 0;
};

TEST_F(EnsembleClientTest, ServerOfSessionKilled_SessionMovesWithEphemeralsAndWatches) {
  Recorder<SessionState> states;
  ClientOptions options;
  options.connect_string = ensemble_.ConnectString();
  options.session_timeout = absl::Seconds(8);
  options.state_listener = [&](SessionState s) { states.Add(s); };
  auto client = *ZkClient::Create(options);
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(10)).ok());
  ASSERT_TRUE(client->Create("/eph", "", CreateOptions::Mode(proto::EPHEMERAL)).ok());
  ASSERT_TRUE(client->Create("/cfg", "v1").ok());
  Recorder<WatchedEvent> events;
  ASSERT_TRUE(client->GetData("/cfg", RecordInto(&events)).ok());
  const int64_t id = client->session_id();
  const int victim = NodeOf(client->current_server());
  ASSERT_GT(victim, 0);
  ensemble_.node(victim).Kill();
  // Another session changes the data while ours is moving.
  std::string others;
  for (int n = 1; n <= ensemble_.size(); ++n) {
    if (n != victim) others += (others.empty() ? "" : ",") + ensemble_.node(n).address();
  }
  auto writer = ZkClient::Connect(others, absl::Seconds(8), absl::Seconds(20));
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::Status set;
  for (int i = 0; i < 100; ++i) {  // bounded: the ensemble may be electing
    set = (*writer)->SetData("/cfg", "v2").status();
    if (set.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(set.ok()) << set;
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(20)).ok());
  EXPECT_EQ(client->session_id(), id);
  EXPECT_NE(NodeOf(client->current_server()), victim);
  ASSERT_TRUE(events.WaitCount(1, absl::Seconds(10)));
  EXPECT_EQ(events.items()[0].type, proto::NODE_DATA_CHANGED);
  EXPECT_TRUE(client->Exists("/eph")->has_value());
  EXPECT_EQ(client->GetData("/cfg")->data, "v2");
  EXPECT_TRUE(
      states.WaitFor([](auto& v) { return testing::Contains(v, SessionState::kSuspended); }));
  ASSERT_TRUE(client->Close().ok());
  // Another session may read a server that has not applied the close yet
  // (ZooKeeper allows that); a sync first makes the read see it.
  ASSERT_TRUE((*writer)->Sync("/eph").ok());
  EXPECT_FALSE((*writer)->Exists("/eph")->has_value());
}

TEST_F(EnsembleClientTest, LockProcesses_LeaderServerKilledAndRestarted_NoOverlap) {
  const std::string log = dir_.path() + "/holds.txt";
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    pids.push_back(Spawn({ZK_LOCK_EXAMPLE_BIN, "--server=" + ensemble_.ConnectString(),
                          "--dir=/locks/ens", "--id=p" + std::to_string(i), "--rounds=40",
                          "--hold_ms=15", "--session_ms=8000", "--log=" + log},
                         dir_.path() + "/lock-proc.out"));
  }
  absl::SleepFor(absl::Milliseconds(700));
  ensemble_.node(leader_).Kill();
  absl::SleepFor(absl::Milliseconds(800));
  ensemble_.node(leader_).Start();
  for (pid_t pid : pids) EXPECT_EQ(WaitOrKill(pid, std::chrono::seconds(90)), 0);
  struct Hold {
    std::string id;
    int64_t token, start, end;
  };
  std::vector<Hold> holds;
  for (const auto& r : ReadRecords(log)) {
    ASSERT_EQ(r.size(), 4u);
    holds.push_back({r[0], ToInt(r[1]), ToInt(r[2]), ToInt(r[3])});
  }
  ASSERT_GE(holds.size(), 60u);
  std::sort(holds.begin(), holds.end(),
            [](const Hold& a, const Hold& b) { return a.start < b.start; });
  for (size_t i = 1; i < holds.size(); ++i) {
    EXPECT_LE(holds[i - 1].end, holds[i].start) << holds[i - 1].id << " / " << holds[i].id;
    EXPECT_LT(holds[i - 1].token, holds[i].token);
  }
}

TEST_F(EnsembleClientTest, Election_LeaderServerKilled_NeverTwoLeaders) {
  const std::string log = dir_.path() + "/terms.txt";
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    pids.push_back(Spawn(
        {ZK_ELECTION_EXAMPLE_BIN, "--server=" + ensemble_.ConnectString(), "--dir=/election/ens",
         "--id=c" + std::to_string(i), "--seconds=7", "--session_ms=3000", "--log=" + log},
        dir_.path() + "/election-proc.out"));
  }
  absl::SleepFor(absl::Milliseconds(1500));
  ensemble_.node(leader_).Kill();
  absl::SleepFor(absl::Milliseconds(1500));
  ensemble_.node(leader_).Start();
  for (pid_t pid : pids) EXPECT_EQ(WaitOrKill(pid, std::chrono::seconds(40)), 0);
  std::map<std::string, int64_t> open;
  std::vector<std::pair<int64_t, int64_t>> terms;
  for (const auto& r : ReadRecords(log)) {
    ASSERT_EQ(r.size(), 3u);
    if (r[1] == "START") {
      open[r[0]] = ToInt(r[2]);
    } else if (open.count(r[0])) {
      terms.emplace_back(open[r[0]], ToInt(r[2]));
      open.erase(r[0]);
    }
  }
  EXPECT_TRUE(open.empty()) << "a candidate exited while leading";
  ASSERT_FALSE(terms.empty());
  std::sort(terms.begin(), terms.end());
  for (size_t i = 1; i < terms.size(); ++i) {
    EXPECT_LE(terms[i - 1].second, terms[i].first) << "two leaders at once";
  }
}

}  // namespace
}  // namespace zk
