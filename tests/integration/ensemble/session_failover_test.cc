// Sessions across an ensemble: a session survives a leader change (reattach
// with id + password elsewhere, ephemerals kept); its ephemerals vanish on
// every server once its client goes silent past the timeout, and not before;
// a watch set on a follower fires exactly once for a write made elsewhere.
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/ensemble.h"
#include "tests/integration/server/raw_session.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One observer session per running server, to ask each one in turn.
class Observers {
 public:
  explicit Observers(Ensemble& e) {
    for (int id = 1; id <= e.size(); ++id) {
      if (!e.node(id).running()) continue;
      auto s = std::make_unique<RawSession>(e.node(id).address());
      if (s->Connect(10000).err() == proto::OK) sessions_.emplace_back(id, std::move(s));
    }
  }
  size_t size() const { return sessions_.size(); }
  // How many servers have `path`.
  int CountHaving(const std::string& path) {
    int n = 0;
    for (auto& [id, s] : sessions_) n += s->Call(ExistsReq(path), 2s).err() == proto::OK;
    return n;
  }

 private:
  std::vector<std::pair<int, std::unique_ptr<RawSession>>> sessions_;
};

TEST(SessionFailoverTest, LeaderKilled_SessionReattachesElsewhere_EphemeralsKept) {
  TempDir dir;
  Ensemble ensemble(dir.path(), 3);
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0);
  FailoverSession session(ensemble, leader, 2000);
  ASSERT_EQ(session.Open().err(), proto::OK);
  ASSERT_EQ(session.Call(CreateReq("/eph", "e", proto::EPHEMERAL)).err(), proto::OK);
  const int64_t sid = session.session_id();

  ensemble.node(leader).Kill(SIGKILL);
  // The client notices the loss and reattaches to another server.
  proto::Response r;
  for (int attempt = 0; attempt < 30; ++attempt) {
    r = session.Call(ExistsReq("/eph"), 2s, 5s);
    if (r.err() == proto::OK) break;
    ASSERT_NE(r.err(), proto::SESSION_EXPIRED) << "session lost in the failover";
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(r.err(), proto::OK) << r.error_message();
  EXPECT_NE(session.server(), leader);
  EXPECT_EQ(session.session_id(), sid);
  EXPECT_GE(session.reattaches(), 1);
  std::vector<int> rest;
  for (int id = 1; id <= 3; ++id) {
    if (id != leader) rest.push_back(id);
  }
  ASSERT_GT(WaitForLeaderAmong(ensemble, rest, 1, 15s), 0);
  // Alive for well past its timeout under the new leader, as long as it pings.
  const auto until = Clock::now() + 3s;
  while (Clock::now() < until) {
    ASSERT_EQ(session.Call(ExistsReq("/eph"), 2s, 5s).err(), proto::OK);
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(session.Call(CreateReq("/eph2", "e", proto::EPHEMERAL)).err(), proto::OK);
  ensemble.node(leader).Start();
  ASSERT_GT(ensemble.WaitForLeader(20s, 2), 0);
  ASSERT_EQ(session.Call(ExistsReq("/eph")).err(), proto::OK);  // keeps it alive
  ASSERT_TRUE(ensemble.WaitConverged(20s));
  Observers obs(ensemble);
  ASSERT_EQ(obs.size(), 3u);
  EXPECT_EQ(obs.CountHaving("/eph"), 3);
  EXPECT_EQ(obs.CountHaving("/eph2"), 3);
}

TEST(SessionFailoverTest, ClientGoesSilent_EphemeralsVanishEverywhereAfterTimeout_NotBefore) {
  TempDir dir;
  Ensemble ensemble(dir.path(), 3);
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0);
  const int follower = leader % 3 + 1;  // expiry is owned by the leader
  constexpr int kTimeoutMs = 1500;
  FailoverSession session(ensemble, follower, kTimeoutMs);
  ASSERT_EQ(session.Open().err(), proto::OK);
  ASSERT_EQ(session.Call(CreateReq("/eph", "e", proto::EPHEMERAL)).err(), proto::OK);
  Observers obs(ensemble);
  ASSERT_EQ(obs.size(), 3u);
  // Pinging keeps it: twice the timeout later it is still everywhere.
  const auto until = Clock::now() + std::chrono::milliseconds(2 * kTimeoutMs);
  while (Clock::now() < until) {
    ASSERT_EQ(session.Call(ExistsReq("/eph")).err(), proto::OK);
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(session.Call(ExistsReq("/eph")).err(), proto::OK);
  const Clock::time_point silent = Clock::now();
  session.Abandon();
  // Poll every server until none has it.
  std::optional<double> first_gone_ms, all_gone_ms;
  while (Clock::now() - silent < std::chrono::milliseconds(kTimeoutMs) + 5s) {
    int have = obs.CountHaving("/eph");
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - silent).count();
    if (have < 3 && !first_gone_ms) first_gone_ms = ms;
    if (have == 0) {
      all_gone_ms = ms;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(all_gone_ms) << "ephemeral outlived its silent session";
  EXPECT_GE(*first_gone_ms, 0.9 * kTimeoutMs) << "expired before its timeout";
  printf("[session] silent session's ephemeral gone after %.0f..%.0f ms (timeout %d ms)\n",
         *first_gone_ms, *all_gone_ms, kTimeoutMs);
  // The session is gone for good.
  EXPECT_FALSE(session.Reattach(3s));
  EXPECT_TRUE(session.expired());
}

TEST(SessionFailoverTest, ClientDiesWithLeader_NewLeaderExpiresItsSession) {
  TempDir dir;
  Ensemble ensemble(dir.path(), 3);
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0);
  constexpr int kTimeoutMs = 1500;
  {
    RawSession s(ensemble.node(leader).address());
    ASSERT_EQ(s.Connect(kTimeoutMs).err(), proto::OK);
    ASSERT_EQ(s.Call(CreateReq("/eph", "e", proto::EPHEMERAL)).err(), proto::OK);
    ASSERT_TRUE(ensemble.WaitConverged(10s));
    s.Abandon();  // the client vanishes together with its server
  }
  const Clock::time_point killed = Clock::now();
  ensemble.node(leader).Kill(SIGKILL);
  std::vector<int> rest;
  for (int id = 1; id <= 3; ++id) {
    if (id != leader) rest.push_back(id);
  }
  ASSERT_GT(WaitForLeaderAmong(ensemble, rest, 1, 15s), 0);
  Observers obs(ensemble);
  ASSERT_EQ(obs.size(), 2u);
  std::optional<double> first_gone_ms, all_gone_ms;
  while (Clock::now() - killed < std::chrono::milliseconds(kTimeoutMs) + 8s) {
    int have = obs.CountHaving("/eph");
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - killed).count();
    if (have < 2 && !first_gone_ms) first_gone_ms = ms;
    if (have == 0) {
      all_gone_ms = ms;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(all_gone_ms) << "the new leader never expired the orphaned session";
  // The new leader gives every session a full timeout from its election.
  EXPECT_GE(*first_gone_ms, 0.9 * kTimeoutMs) << "expired before its timeout";
  ensemble.node(leader).Start();
  ASSERT_GT(ensemble.WaitForLeader(20s, 2), 0);
  ASSERT_TRUE(ensemble.WaitConverged(20s));
  Observers all(ensemble);
  EXPECT_EQ(all.CountHaving("/eph"), 0) << "the restarted old leader still has it";
}

TEST(SessionFailoverTest, WatchOnFollower_FiresExactlyOnce_ForWriteThroughAnotherServer) {
  TempDir dir;
  Ensemble ensemble(dir.path(), 3);
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0);
  const int watcher_server = leader % 3 + 1;
  int other_follower = 0;
  for (int id = 1; id <= 3; ++id) {
    if (id != leader && id != watcher_server) other_follower = id;
  }
  for (int via : {other_follower, leader}) {
    SCOPED_TRACE("write via node " + std::to_string(via));
    const std::string path = "/w" + std::to_string(via);
    RawSession writer(ensemble.node(via).address());
    ASSERT_EQ(writer.Connect().err(), proto::OK);
    ASSERT_EQ(writer.Call(CreateReq(path, "0")).err(), proto::OK);
    RawSession watcher(ensemble.node(watcher_server).address());
    ASSERT_EQ(watcher.Connect().err(), proto::OK);
    // sync first so the follower has the node, then watch it.
    proto::Request sync;
    sync.mutable_sync()->set_path(path);
    ASSERT_EQ(watcher.Call(sync).err(), proto::OK);
    proto::Response g = watcher.Call(GetReq(path, /*watch=*/true));
    ASSERT_EQ(g.err(), proto::OK);
    ASSERT_EQ(writer.Call(SetReq(path, "1")).err(), proto::OK);
    ASSERT_EQ(writer.Call(SetReq(path, "2")).err(), proto::OK);
    std::optional<proto::WatchEvent> ev = watcher.WaitEvent(5s);
    ASSERT_TRUE(ev) << "watch did not fire";
    EXPECT_EQ(ev->type(), proto::NODE_DATA_CHANGED);
    EXPECT_EQ(ev->path(), path);
    // One-shot: the second change fires nothing (its apply on the watcher's
    // server is awaited with a sync + read).
    ASSERT_EQ(watcher.Call(sync).err(), proto::OK);
    EXPECT_EQ(watcher.Call(GetReq(path)).get_data().data(), "2");
    EXPECT_FALSE(watcher.WaitEvent(500ms)) << "watch fired more than once";
    int events = 0;
    for (const proto::Response& r : watcher.Received()) events += r.has_watch_event();
    EXPECT_EQ(events, 1);
  }
}

}  // namespace
}  // namespace zabkeeper::testing
