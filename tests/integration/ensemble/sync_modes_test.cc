// How a server that comes back catches up: DIFF (a restarted old leader),
// SNAP (a follower whose data dir was wiped, once the leader's log window no
// longer reaches zxid 0), TRUNC (a server holding txns of an old epoch that
// were never committed). Each is checked by the resulting tree (same digest
// on every server) and by the sync counters of the other servers' mntr.
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

// Values are built with absl::StrCat: GCC 12 at -O3 reports a false -Wrestrict
// in `"v" + std::to_string(n)` (GCC PR 105329), failing the Release build.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/ensemble.h"
#include "tests/integration/server/raw_session.h"
#include "tests/wait_until.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;

// Sum of an mntr counter over the running nodes other than `except`.
int64_t SumCounter(Ensemble& e, const std::string& key, int except) {
  int64_t sum = 0;
  for (int id = 1; id <= e.size(); ++id) {
    if (id == except || !e.node(id).running()) continue;
    sum += std::max<int64_t>(0, MntrCounter(e, id, key));
  }
  return sum;
}

struct SyncCounts {
  int64_t diff, trunc, snap;
};
SyncCounts Counts(Ensemble& e, int except) {
  return {SumCounter(e, "sync_diff", except), SumCounter(e, "sync_trunc", except),
          SumCounter(e, "sync_snap", except)};
}

proto::Response Get(Ensemble& e, int id, const std::string& path) {
  RawSession s(e.node(id).address());
  proto::Response c = s.Connect(5000);
  if (c.err() != proto::OK) return c;
  return s.Call(GetReq(path), 5s);
}

// n pipelined setData of `path` on an open session, in windows; returns acks.
int PipelinedSets(RawSession& s, const std::string& path, int n) {
  int ok = 0;
  constexpr int kWindow = 200;
  for (int done = 0; done < n;) {
    std::vector<int64_t> xids;
    for (int i = 0; i < kWindow && done < n; ++i, ++done) {
      xids.push_back(s.Send(SetReq(path, absl::StrCat("v", done))));
    }
    for (int64_t x : xids) {
      auto r = s.WaitReply(x, 10s);
      if (r && r->err() == proto::OK) ++ok;
    }
  }
  return ok;
}

TEST(SyncModesTest, RestartedOldLeader_CatchesUpByDiff) {
  TempDir dir;
  Ensemble ensemble(dir.path(), 3);
  ensemble.StartAll();
  const int old_leader = ensemble.WaitForLeader();
  ASSERT_GT(old_leader, 0);
  {
    RawSession s(ensemble.node(old_leader).address());
    ASSERT_EQ(s.Connect().err(), proto::OK);
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(s.Call(CreateReq("/before" + std::to_string(i), "a")).err(), proto::OK);
    }
  }
  ensemble.node(old_leader).Kill(SIGKILL);
  std::vector<int> rest;
  for (int id = 1; id <= 3; ++id) {
    if (id != old_leader) rest.push_back(id);
  }
  const int leader = WaitForLeaderAmong(ensemble, rest, 1, 15s);
  ASSERT_GT(leader, 0);
  {
    RawSession s(ensemble.node(leader).address());
    ASSERT_EQ(s.Connect().err(), proto::OK);
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(s.Call(CreateReq("/after" + std::to_string(i), "b")).err(), proto::OK);
    }
    ASSERT_EQ(s.Call(SetReq("/before0", "changed")).err(), proto::OK);
  }
  const SyncCounts before = Counts(ensemble, old_leader);
  ensemble.node(old_leader).Start();
  ASSERT_GT(ensemble.WaitForLeader(20s, 2), 0);
  ASSERT_TRUE(ensemble.WaitConverged(20s));
  const SyncCounts after = Counts(ensemble, old_leader);
  EXPECT_GE(after.diff - before.diff, 1) << "old leader did not sync by DIFF";
  EXPECT_EQ(after.snap - before.snap, 0);
  EXPECT_EQ(after.trunc - before.trunc, 0);
  EXPECT_EQ(ensemble.State(old_leader), "follower");
  EXPECT_EQ(Get(ensemble, old_leader, "/before0").get_data().data(), "changed");
  EXPECT_EQ(Get(ensemble, old_leader, "/after19").err(), proto::OK);
}

TEST(SyncModesTest, WipedFollower_CatchesUpBySnap) {
  TempDir dir;
  Ensemble ensemble(dir.path(), 3);
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0);
  const int wiped = leader % 3 + 1;
  RawSession s(ensemble.node(leader).address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/snap", "0")).err(), proto::OK);
  ensemble.node(wiped).Kill(SIGKILL);
  // Wipe everything but myid.
  const std::filesystem::path data =
      std::filesystem::path(ensemble.node(wiped).config_path()).parent_path() / "data";
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    if (entry.path().filename() != "myid") std::filesystem::remove_all(entry.path());
  }
  // More txns than the leader keeps in its in-memory log window (10000,
  // consensus PeerConfig::committed_log_window), so zxid 0 is out of reach
  // for DIFF.
  constexpr int kSets = 10300;
  ASSERT_EQ(PipelinedSets(s, "/snap", kSets), kSets);
  ASSERT_EQ(s.Call(CreateReq("/snap-last", "z")).err(), proto::OK);
  const SyncCounts before = Counts(ensemble, wiped);
  ensemble.node(wiped).Start();
  ASSERT_GT(ensemble.WaitForLeader(20s, 2), 0);
  ASSERT_TRUE(ensemble.WaitConverged(20s));
  const SyncCounts after = Counts(ensemble, wiped);
  EXPECT_GE(after.snap - before.snap, 1) << "wiped follower did not sync by SNAP";
  EXPECT_EQ(after.trunc - before.trunc, 0);
  proto::Response r = Get(ensemble, wiped, "/snap");
  ASSERT_EQ(r.err(), proto::OK);
  EXPECT_EQ(r.get_data().data(), absl::StrCat("v", kSets - 1));
  EXPECT_EQ(r.get_data().stat().version(), kSets);
  EXPECT_EQ(Get(ensemble, wiped, "/snap-last").err(), proto::OK);
}

TEST(SyncModesTest, OldLeaderWithUncommittedTxns_IsTruncated) {
#ifndef ZK_FAILPOINTS
  GTEST_SKIP() << "built without failpoints (-DFAILPOINTS=OFF)";
#endif
  setenv("ZABKEEPER_FAILPOINTS", "1", 1);
  TempDir dir;
  Ensemble ensemble(dir.path(), 3);
  ensemble.StartAll();
  const int old_leader = ensemble.WaitForLeader();
  ASSERT_GT(old_leader, 0);
  std::vector<int> followers;
  for (int id = 1; id <= 3; ++id) {
    if (id != old_leader) followers.push_back(id);
  }
  RawSession s(ensemble.node(old_leader).address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/committed", "c")).err(), proto::OK);
  ASSERT_TRUE(ensemble.WaitConverged(10s));
  const int64_t committed = MntrCounter(ensemble, old_leader, "committed_zxid");
  // The leader's proposals stop reaching its followers, which keep pinging
  // it: it stays established and logs these writes, which can never commit.
  // (Freezing the followers instead raced the leader's own syncLimit on a
  // loaded machine.)
  ensemble.node(old_leader).ArmFailpoint("peer.drop_proposals", true);
  constexpr int kUncommitted = 3;
  std::vector<int64_t> xids;
  for (int i = 0; i < kUncommitted; ++i) {
    xids.push_back(s.Send(CreateReq("/uncommitted" + std::to_string(i), "u")));
  }
  // Every one of them is in the old leader's log.
  int64_t logged = 0;
  WaitUntil(
      [&] {
        logged = MntrCounter(ensemble, old_leader, "last_logged_zxid");
        return logged - committed >= kUncommitted;
      },
      30s);
  ASSERT_GE(logged - committed, kUncommitted) << "the leader did not log the writes";
  ASSERT_EQ(logged >> 32, committed >> 32) << "the leader changed epoch meanwhile";
  for (int64_t x : xids) {
    auto r = s.WaitReply(x, 0ms);
    EXPECT_TRUE(!r || r->err() != proto::OK) << "write acknowledged without a quorum";
  }
  ensemble.node(old_leader).Kill(SIGKILL);
  ensemble.node(old_leader).ArmFailpoint("peer.drop_proposals", false);
  const int leader = WaitForLeaderAmong(ensemble, followers, 1, 15s);
  ASSERT_GT(leader, 0);
  {
    RawSession w(ensemble.node(leader).address());
    ASSERT_EQ(w.Connect().err(), proto::OK);
    ASSERT_EQ(w.Call(CreateReq("/new-epoch", "n")).err(), proto::OK);
  }
  const SyncCounts before = Counts(ensemble, old_leader);
  ensemble.node(old_leader).Start();
  ASSERT_GT(ensemble.WaitForLeader(20s, 2), 0);
  ASSERT_TRUE(ensemble.WaitConverged(20s)) << "old leader did not converge";
  const SyncCounts after = Counts(ensemble, old_leader);
  EXPECT_GE(after.trunc - before.trunc, 1) << "old leader was not TRUNCated";
  EXPECT_EQ(after.snap - before.snap, 0);
  EXPECT_EQ(ensemble.State(old_leader), "follower");
  for (int id = 1; id <= 3; ++id) {
    SCOPED_TRACE("node " + std::to_string(id));
    EXPECT_EQ(Get(ensemble, id, "/committed").err(), proto::OK);
    EXPECT_EQ(Get(ensemble, id, "/new-epoch").err(), proto::OK);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(Get(ensemble, id, "/uncommitted" + std::to_string(i)).err(), proto::NO_NODE);
    }
  }
}

}  // namespace
}  // namespace zabkeeper::testing
