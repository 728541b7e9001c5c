// Named scenarios, part 2: epoch persistence (ZOOKEEPER-4643/4646,
// 1653/2307), election (ZOOKEEPER-1419) and classic failures: a leader that
// proposed to a minority only, an old leader returning with txns of a past
// epoch, a 2-2-1 partition of five, leader churn, zxid counter exhaustion.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/sim/cluster.h"
#include "tests/sim/scenario_util.h"

namespace zab::sim {
namespace {

void ExpectHealthy(Cluster& c) {
  EXPECT_FALSE(c.failed()) << c.checker().violation() << "\n" << c.TraceTail();
  c.CheckLivenessAndConvergence(40000);
  EXPECT_FALSE(c.failed()) << c.checker().violation() << "\n" << c.TraceTail();
}

// ZOOKEEPER-4643 / 4646: a follower syncing into a new epoch crashes with its
// epoch writes durable but the synced txns not. Were currentEpoch written
// before the txns, its vote (higher epoch, shorter log) would beat a server
// holding committed txns and lose them. Every split of which pending writes
// survive the crash is tried.
// Mutation-checked: writing currentEpoch on NEWLEADER without waiting for
// the log -> n0 (new epoch, empty log) wins and orders n2 to truncate
// committed txns: "safety refusal", and no leader ever establishes.
TEST(Scenario_Zk4643, CrashWithEpochButNotTxnsDurable_CommittedSurvive) {
  for (size_t survive : {size_t{0}, size_t{1}, size_t{2}, size_t{1000}}) {
    SCOPED_TRACE(absl::StrCat("survive=", survive));
    Cluster c(ScenarioConfig(3));
    ASSERT_EQ(WaitForStableLeader(c), 2);
    Isolate(c, {0});
    auto committed = CommitOnLeader(c, 5, "c", {1, 2});
    ASSERT_EQ(committed.size(), 5u);
    c.Crash(2, 1000);
    bool newleader = false;
    c.on_deliver = [&](int, int to, const zabkeeper::zab::PeerMessage& m) {
      if (to == 0 && (m.has_diff() || m.has_snap())) c.StallDisk(0, true);
      if (to == 0 && m.has_new_leader()) newleader = true;
      return Action::kDeliver;
    };
    c.Heal();  // n0 and n1 elect n1 (epoch 2); n0 gets a DIFF
    ASSERT_TRUE(c.RunUntil([&] { return newleader; }, 20000)) << c.TraceTail();
    RunTicks(c, 2);
    c.on_deliver = nullptr;
    c.Crash(0, survive);
    c.Crash(1, 0);  // the only other holder of the txns... except n2
    c.StallDisk(0, false);
    c.Restart(0);
    c.Restart(2);
    ASSERT_GE(WaitForStableLeader(c), 0) << c.checker().violation() << "\n" << c.TraceTail();
    ExpectHealthy(c);
  }
}

// ZOOKEEPER-4643, leader side: a leader whose own log is stalled commits
// txns on its followers' acks, loses its quorum and is re-elected (same
// history, highest sid). Were its currentEpoch written during discovery while
// those appends were still in flight, a crash would leave it with the new
// epoch over a shorter log: it would win the next election by epoch and TRUNC
// the followers below what they applied. The leader must wait for its own
// history to be durable before the epoch write; then the crash leaves it at
// the old epoch and the followers' longer history wins.
// Mutation-checked: without the wait, the leader syncs n0 at once and the
// durability oracle reports "node 2 writes currentEpoch 2 over a log durable
// only to 0x0 while its history ends at 0x100000005".
TEST(Scenario_Zk4643Leader, ReelectedLeaderWithStalledLog_EpochWaitsForHistory) {
  Cluster c(ScenarioConfig(3));
  ASSERT_EQ(WaitForStableLeader(c), 2);
  c.StallDisk(2, true);
  auto committed = CommitOnLeader(c, 5, "c", {0, 1});
  ASSERT_EQ(committed.size(), 5u);
  ASSERT_FALSE(DurableLogHas(c, 2, committed.back()));
  const Epoch old_epoch = c.durable_current_epoch(2);
  // n1 is cut off; the n0-n2 link breaks: n0 and n2 look again, and n2,
  // whose in-memory log is as long as n0's, wins the tie by sid.
  Isolate(c, {1});
  bool synced = false;
  c.on_send = [&](int from, int, const zabkeeper::zab::PeerMessage& m) {
    if (from == 2 && (m.has_diff() || m.has_trunc() || m.has_snap() || m.has_new_leader())) {
      synced = true;
      return Action::kCrashSender;  // before n0 can adopt the epoch
    }
    return Action::kDeliver;
  };
  c.BreakLink(2, 0);
  ASSERT_TRUE(c.RunUntil([&] { return synced || c.durable_accepted_epoch(2) > old_epoch; }, 20000))
      << c.TraceTail();
  // Give a buggy leader every chance to write its epoch and start syncing.
  RunTicks(c, 6);
  c.on_send = nullptr;
  EXPECT_FALSE(synced) << "the leader synced a follower before its history was durable";
  EXPECT_EQ(c.durable_current_epoch(2), old_epoch)
      << "currentEpoch written over a log that is not durable";
  c.Crash(2, 0);
  c.StallDisk(2, false);
  c.Restart(2);
  c.Heal();
  ASSERT_GE(WaitForStableLeader(c), 0) << c.checker().violation() << "\n" << c.TraceTail();
  ExpectHealthy(c);
  for (int i = 0; i < 3; ++i) EXPECT_GE(c.state(i).last, committed.back()) << "node " << i;
}

// ZOOKEEPER-1653 / 2307: a crash between the two epoch writes. Either order
// of torn update must recover: acceptedEpoch ahead of currentEpoch (normal
// mid-discovery state) and currentEpoch ahead of acceptedEpoch (a torn or
// half-renamed epoch file), which ZooKeeper refused to start from.
TEST(Scenario_Zk1653, CrashBetweenEpochWrites_Recovers) {
  Cluster c(ScenarioConfig(3));
  ASSERT_EQ(WaitForStableLeader(c), 2);
  CommitOnLeader(c, 3, "c");
  // A leader change makes everyone write both epochs; crash n0 with only its
  // acceptedEpoch write through.
  bool hit = false;
  c.on_deliver = [&](int, int to, const zabkeeper::zab::PeerMessage& m) {
    if (to == 0 && m.has_diff() && !hit) {
      hit = true;
      return Action::kCrashReceiver;
    }
    return Action::kDeliver;
  };
  c.Crash(2, 1000);
  ASSERT_TRUE(c.RunUntil([&] { return hit; }, 20000)) << c.TraceTail();
  c.on_deliver = nullptr;
  EXPECT_GT(c.durable_accepted_epoch(0), c.durable_current_epoch(0));
  c.Restart(0);
  c.Restart(2);
  ASSERT_GE(WaitForStableLeader(c), 0);
  CommitOnLeader(c, 3, "after");
  // Now the other torn state: currentEpoch ahead of acceptedEpoch.
  c.Crash(0, 1000);
  Epoch e = c.durable_current_epoch(0);
  c.SetDurableEpochs(0, e - 1, e);
  c.Restart(0);
  EXPECT_EQ(c.peer(0).accepted_epoch(), e);
  auto z = CommitOnLeader(c, 3, "after2");
  ASSERT_FALSE(z.empty());
  EXPECT_TRUE(AppliedEverywhere(c, z.back(), {0, 1, 2})) << c.TraceTail();
  ExpectHealthy(c);
}

// ZOOKEEPER-1419: fast leader election must settle on five nodes whose
// histories differ, and elect the best (epoch, zxid, sid).
TEST(Scenario_Zk1419, FiveNodesDivergentHistories_ElectionSettlesOnBestVote) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Cluster c(ScenarioConfig(5, seed));
    ASSERT_GE(WaitForStableLeader(c), 0);
    CommitOnLeader(c, 3, "a");
    Isolate(c, {0});
    CommitOnLeader(c, 3, "b", {1, 2, 3, 4});
    Isolate(c, {0, 1});
    CommitOnLeader(c, 3, "c", {2, 3, 4});
    for (int i = 0; i < 5; ++i) c.Crash(i, std::nullopt);
    c.Heal();
    for (int i = 0; i < 5; ++i) c.Restart(i);
    int l = WaitForStableLeader(c, 20000);
    ASSERT_GE(l, 0) << c.TraceTail();
    // The leader's history is at least every other server's.
    for (int i = 0; i < 5; ++i) {
      EXPECT_LE(c.peer(i).current_epoch(), c.peer(l).current_epoch());
    }
    ExpectHealthy(c);
  }
}

// A leader crashes after its proposal reached a minority only; the txn is
// either committed everywhere or nowhere. Here the minority member has the
// highest zxid and wins, so the txn survives.
TEST(Scenario_MinorityProposal, LeaderCrashes_TxnCommittedEverywhereOrNowhere) {
  Cluster c(ScenarioConfig(5));
  ASSERT_EQ(WaitForStableLeader(c), 4);
  CommitOnLeader(c, 3, "c");
  for (int i : {0, 1, 2}) c.Block(4, i);
  auto z = c.Propose(4, "minority");
  ASSERT_TRUE(z.ok());
  RunTicks(c, 1);
  c.Crash(4, 1000);
  c.UnblockAll();
  ASSERT_TRUE(c.RunUntil([&] { return c.EstablishedLeader() == 3; }, 20000)) << c.TraceTail();
  ASSERT_TRUE(c.RunUntil([&] { return AppliedEverywhere(c, *z, {0, 1, 2, 3}); }, 20000));
  c.Restart(4);
  ExpectHealthy(c);
}

// An old leader, cut off, keeps proposing in its (now past) epoch; when it
// returns its txns are truncated, never committed.
TEST(Scenario_OldLeaderReturns, UncommittedTxnsOfPastEpoch_Truncated) {
  Cluster c(ScenarioConfig(3));
  ASSERT_EQ(WaitForStableLeader(c), 2);
  CommitOnLeader(c, 3, "c");
  Isolate(c, {2});
  std::vector<Zxid> orphans;
  for (int k = 0; k < 3; ++k) {
    auto z = c.Propose(2, "stale");
    if (z.ok()) orphans.push_back(*z);
  }
  ASSERT_FALSE(orphans.empty());
  ASSERT_TRUE(c.RunUntil([&] { return c.EstablishedLeader() == 1; }, 20000)) << c.TraceTail();
  auto later = CommitOnLeader(c, 3, "new", {0, 1});
  ASSERT_EQ(later.size(), 3u);
  c.Heal();
  ASSERT_TRUE(c.RunUntil([&] { return AppliedEverywhere(c, later.back(), {0, 1, 2}); }, 20000));
  for (Zxid z : orphans) EXPECT_FALSE(DurableLogHas(c, 2, z));
  EXPECT_GE(c.peer(1).counters().sync_trunc, 1u);
  ExpectHealthy(c);
}

// 2-2-1 partition of five: no side has a quorum, so nobody leads or commits.
TEST(Scenario_Partition221, NoQuorumAnywhere_NoLeaderNoCommits) {
  Cluster c(ScenarioConfig(5));
  ASSERT_GE(WaitForStableLeader(c), 0);
  CommitOnLeader(c, 3, "c");
  c.Partition({0, 0, 1, 1, 2});
  RunTicks(c, 20);  // > syncLimit: any old leader has stepped down
  const uint64_t committed = c.checker().committed_count();
  for (int t = 0; t < 60; ++t) {
    EXPECT_LT(c.EstablishedLeader(), 0);
    EXPECT_FALSE(c.ProposeOnLeader("x").ok());
    RunTicks(c, 1);
  }
  EXPECT_EQ(c.checker().committed_count(), committed);
  ExpectHealthy(c);
}

// Repeated leader churn: the leader crashes (losing a random part of its
// unreported writes) right after each batch of proposals.
TEST(Scenario_LeaderChurn, RepeatedLeaderCrashes_NoLossNoDivergence) {
  for (int nodes : {3, 5}) {
    Cluster c(ScenarioConfig(nodes, 7));
    for (int round = 0; round < 12; ++round) {
      int l = WaitForStableLeader(c);
      ASSERT_GE(l, 0) << c.TraceTail();
      for (int k = 0; k < 4; ++k) (void)c.Propose(l, absl::StrCat("r", round, "-", k));
      c.RunFor(static_cast<int64_t>(round % 4) * 3);
      c.Crash(l, std::nullopt);
      RunTicks(c, 2);
      c.Restart(l);
      ASSERT_FALSE(c.failed()) << c.checker().violation() << "\n" << c.TraceTail();
    }
    ExpectHealthy(c);
  }
}

// ZooKeeper forces a new epoch when the zxid counter is exhausted instead of
// wrapping into the next epoch's space. The limit is lowered to 10 here.
TEST(Scenario_CounterExhaustion, CounterLimit_ForcesNewEpochNeverWraps) {
  SimConfig config = ScenarioConfig(3);
  config.peer.counter_limit = 10;
  Cluster c(config);
  std::vector<Zxid> assigned;
  for (int k = 0; k < 400 && assigned.size() < 30; ++k) {
    auto z = c.ProposeOnLeader(absl::StrCat("t", k));
    if (z.ok()) assigned.push_back(*z);
    RunTicks(c, 1);
  }
  ASSERT_GE(assigned.size(), 30u) << c.TraceTail();
  for (Zxid z : assigned) EXPECT_LT(z.counter(), 10u) << z;
  EXPECT_GE(assigned.back().epoch(), 4u);
  EXPECT_TRUE(std::is_sorted(assigned.begin(), assigned.end()));
  ExpectHealthy(c);
}

}  // namespace
}  // namespace zab::sim
