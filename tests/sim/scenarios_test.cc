// Named scenarios, part 1: synchronization and durability failures that once
// lost or corrupted data in Apache ZooKeeper, each scripted as an exact
// schedule of partitions, crashes, disk stalls and message hooks on the
// deterministic simulator. Every invariant (tests/sim/checker.h) is checked
// throughout, and each test ends with a liveness + convergence check.
//
// "Mutation-checked" in a comment means: the guarding rule was removed by
// hand once and this test then failed with the invariant named.
#include <string>
#include <vector>

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

TEST(Scenario_Basic, ThreeNodes_ElectAndCommit) {
  Cluster c(ScenarioConfig(3));
  ASSERT_GE(WaitForStableLeader(c), 0) << c.TraceTail();
  auto z = CommitOnLeader(c, 10, "basic");
  ASSERT_EQ(z.size(), 10u);
  EXPECT_TRUE(AppliedEverywhere(c, z.back(), {0, 1, 2})) << c.TraceTail();
  ExpectHealthy(c);
}

TEST(Scenario_Basic, FiveNodes_ElectAndCommit) {
  Cluster c(ScenarioConfig(5));
  ASSERT_GE(WaitForStableLeader(c), 0) << c.TraceTail();
  auto z = CommitOnLeader(c, 10, "basic");
  ASSERT_EQ(z.size(), 10u);
  EXPECT_TRUE(AppliedEverywhere(c, z.back(), {0, 1, 2, 3, 4})) << c.TraceTail();
  ExpectHealthy(c);
}

// ZOOKEEPER-1154 / 1156: the server with the highest zxid (the old leader,
// holding txns only it logged) is absent at the election. When it returns,
// TRUNC must cut exactly its uncommitted suffix and nothing committed.
// Mutation-checked: sending DIFF instead of TRUNC -> "agreement".
TEST(Scenario_Zk1154, HighestZxidAbsent_TruncCutsOnlyUncommitted) {
  Cluster c(ScenarioConfig(3));
  int l = WaitForStableLeader(c);
  ASSERT_EQ(l, 2);
  auto committed = CommitOnLeader(c, 5, "c");
  ASSERT_EQ(committed.size(), 5u);
  c.Block(2, 0);
  c.Block(2, 1);
  std::vector<Zxid> orphan;
  for (int k = 0; k < 3; ++k) orphan.push_back(*c.Propose(2, "orphan"));
  RunTicks(c, 1);  // the leader's own disk makes them durable
  ASSERT_TRUE(DurableLogHas(c, 2, orphan.back())) << c.TraceTail();
  c.Crash(2, /*survive_ops=*/0);
  c.UnblockAll();
  int l2 = WaitForStableLeader(c);
  ASSERT_GE(l2, 0);
  ASSERT_NE(l2, 2);
  auto later = CommitOnLeader(c, 3, "e2", {0, 1});
  ASSERT_EQ(later.size(), 3u);
  c.Restart(2);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return AppliedEverywhere(c, later.back(), {0, 1, 2});
      },
      20000))
      << c.TraceTail();
  EXPECT_GE(c.peer(l2).counters().sync_trunc, 1u);
  for (Zxid z : orphan) EXPECT_FALSE(DurableLogHas(c, 2, z)) << z;
  for (Zxid z : committed) EXPECT_TRUE(DurableLogHas(c, 2, z) || c.state(2).last >= z) << z;
  ExpectHealthy(c);
}

// ZOOKEEPER-1549: a follower holds an uncommitted txn (logged, never
// committed) when the ensemble moves on without it; syncing it must not
// leave that txn under the new history (ZooKeeper applied DIFF on top).
// Mutation-checked: DIFF from the follower's last zxid -> "agreement".
TEST(Scenario_Zk1549, UncommittedTxnOnFollower_RemovedBeforeDiff) {
  Cluster c(ScenarioConfig(3));
  ASSERT_EQ(WaitForStableLeader(c), 2);
  CommitOnLeader(c, 5, "c");
  // 1.6 reaches only n0; the leader's own copy never becomes durable.
  c.Block(2, 1);
  c.StallDisk(2, true);
  auto lost = c.Propose(2, "uncommitted");
  ASSERT_TRUE(lost.ok());
  ASSERT_TRUE(c.RunUntil([&] { return DurableLogHas(c, 0, *lost); }, 5000));
  c.Crash(2, 0);
  c.Crash(0, std::nullopt);
  c.StallDisk(2, false);
  c.UnblockAll();
  c.Restart(2);
  int l2 = WaitForStableLeader(c);
  ASSERT_GE(l2, 1);
  auto later = CommitOnLeader(c, 3, "e2", {1, 2});
  ASSERT_EQ(later.size(), 3u);
  c.Restart(0);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return AppliedEverywhere(c, later.back(), {0, 1, 2});
      },
      20000))
      << c.TraceTail();
  EXPECT_FALSE(DurableLogHas(c, 0, *lost));
  ExpectHealthy(c);
}

// ZOOKEEPER-2099: a server that was synced by SNAP has no log before the
// snapshot point; when it leads, a follower older than that point must get
// SNAP, never a DIFF with a hole.
// Mutation-checked: DIFF whenever the follower is at or below our last zxid
// -> "agreement".
TEST(Scenario_Zk2099, LeaderSyncedBySnap_SnapsFollowerOlderThanItsLog) {
  Cluster c(ScenarioConfig(5));
  ASSERT_EQ(WaitForStableLeader(c), 4);
  CommitOnLeader(c, 5, "c");
  c.Partition({0, 0, 0, 1, 1});  // n3, n4 fall behind
  ASSERT_TRUE(c.RunUntil([&] { return c.EstablishedLeader() == 2; }, 20000)) << c.TraceTail();
  auto mid = CommitOnLeader(c, 40, "m", {0, 1, 2});  // beyond the 16-txn window
  ASSERT_EQ(mid.size(), 40u);
  c.Partition({0, 0, 0, 1, 0});  // n4 comes back: SNAP
  ASSERT_TRUE(c.RunUntil(
      [&] { return AppliedEverywhere(c, mid.back(), {4}) && c.peer(4).IsServingFollower(); },
      20000));
  EXPECT_GE(c.peer(2).counters().sync_snap, 1u);
  c.Crash(1, 0);
  c.Crash(2, 0);
  c.Heal();  // n0, n3, n4 up: n4 (sid 5) leads; n3 is older than n4's log
  ASSERT_TRUE(c.RunUntil([&] { return c.EstablishedLeader() == 4; }, 20000)) << c.TraceTail();
  ASSERT_TRUE(c.RunUntil([&] { return AppliedEverywhere(c, mid.back(), {3}); }, 20000))
      << c.TraceTail();
  EXPECT_GE(c.peer(4).counters().sync_snap, 1u);
  ExpectHealthy(c);
}

// ZOOKEEPER-3911 / 3023: a follower must not ACK NEWLEADER before the synced
// txns are durable. Here the old leader returns with txns only it logged and
// leads again; its one follower's disk stalls during the DIFF, then both
// crash. Had the follower acked early, the leader would have committed (and
// applied) those txns, and the survivors would elect a leader without them.
// Mutation-checked: ack NEWLEADER without waiting for Persisted ->
// "durability: ... established epoch ... without committed txn".
TEST(Scenario_Zk3911, NewLeaderAckedOnlyAfterDiffDurable_QuorumCrash) {
  Cluster c(ScenarioConfig(3));
  ASSERT_EQ(WaitForStableLeader(c), 2);
  CommitOnLeader(c, 3, "c");
  c.Block(2, 0);
  c.Block(2, 1);
  auto a = c.Propose(2, "only-on-leader-1");
  auto b = c.Propose(2, "only-on-leader-2");
  ASSERT_TRUE(a.ok() && b.ok());
  RunTicks(c, 1);
  c.BreakLink(2, 0);  // the held proposals die with the connection
  c.Crash(1, 0);      // n1 is gone; n2 and n0 re-elect n2 (highest zxid)
  c.UnblockAll();
  bool newleader_seen = false;
  c.on_deliver = [&](int, int to, const zabkeeper::zab::PeerMessage& m) {
    if (to == 0 && m.has_diff()) c.StallDisk(0, true);  // the synced txns hang
    if (to == 0 && m.has_new_leader()) newleader_seen = true;
    return Action::kDeliver;
  };
  ASSERT_TRUE(c.RunUntil([&] { return newleader_seen; }, 20000)) << c.TraceTail();
  RunTicks(c, 3);
  EXPECT_LT(c.EstablishedLeader(), 0) << "leader established on a follower's non-durable log";
  c.on_deliver = nullptr;
  c.Crash(2, 0);
  c.Crash(0, 0);
  c.StallDisk(0, false);
  c.Restart(0);
  c.Restart(1);
  ASSERT_GE(WaitForStableLeader(c), 0) << c.TraceTail();
  ExpectHealthy(c);
}

// ZOOKEEPER-3642: the leader dies after SNAP reached a follower and before
// NEWLEADER; the follower restarts, and its next sync is a DIFF from the
// snapshot point (the snapshot replaced state and log atomically).
TEST(Scenario_Zk3642, LeaderDiesBetweenSnapAndNewLeader_NextSyncIsDiff) {
  Cluster c(ScenarioConfig(3));
  ASSERT_EQ(WaitForStableLeader(c), 2);
  CommitOnLeader(c, 3, "c");
  Isolate(c, {0});
  auto mid = CommitOnLeader(c, 40, "m", {1, 2});
  ASSERT_EQ(mid.size(), 40u);
  bool snapped = false;
  c.on_deliver = [&](int from, int to, const zabkeeper::zab::PeerMessage& m) {
    if (to == 0 && m.has_snap()) snapped = true;
    if (to == 0 && snapped && m.has_new_leader()) {
      (void)from;
      return Action::kCrashSender;
    }
    return Action::kDeliver;
  };
  c.Heal();
  ASSERT_TRUE(c.RunUntil([&] { return snapped && !c.up(2); }, 20000)) << c.TraceTail();
  c.on_deliver = nullptr;
  EXPECT_EQ(c.state(0).last, mid.back());
  c.Crash(0, std::nullopt);
  c.Restart(0);
  ASSERT_TRUE(c.RunUntil([&] { return c.EstablishedLeader() == 1; }, 20000)) << c.TraceTail();
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(0).IsServingFollower(); }, 20000));
  EXPECT_EQ(c.peer(1).counters().sync_snap, 0u);
  EXPECT_GE(c.peer(1).counters().sync_diff, 1u);
  c.Restart(2);
  ExpectHealthy(c);
}

// ZOOKEEPER-4394: DIFF, PROPOSAL, COMMIT, (NEWLEADER), PROPOSAL, COMMIT,
// UPTODATE reach a syncing follower while clients keep writing; it must log
// and apply all of them in order.
TEST(Scenario_Zk4394, ProposalsAndCommitsAroundNewLeader_AllApplied) {
  Cluster c(ScenarioConfig(3));
  ASSERT_EQ(WaitForStableLeader(c), 2);
  CommitOnLeader(c, 3, "c");
  Isolate(c, {0});
  CommitOnLeader(c, 5, "m", {1, 2});
  std::vector<std::string> seen;
  c.on_deliver = [&](int, int to, const zabkeeper::zab::PeerMessage& m) {
    if (to == 0 && !m.has_ping() && !m.has_notification()) seen.push_back(Describe(m));
    return Action::kDeliver;
  };
  c.SetSlowDisk(0, true);
  c.Heal();
  // Keep proposing until n0 is serving.
  int k = 0;
  std::optional<Zxid> last;
  c.RunUntil(
      [&] {
        if (c.peer(0).IsServingFollower()) return true;
        if (c.steps() % 10 != 0) return false;  // a steady trickle of writes
        auto z = c.ProposeOnLeader("during-sync-" + std::to_string(k++));
        if (z.ok()) last = *z;
        return false;
      },
      20000);
  ASSERT_TRUE(c.peer(0).IsServingFollower()) << c.TraceTail();
  ASSERT_TRUE(last.has_value());
  ASSERT_TRUE(c.RunUntil([&] { return AppliedEverywhere(c, *last, {0, 1, 2}); }, 20000));
  // Between NEWLEADER and UPTODATE the follower got proposals and commits.
  bool after_nl = false, proposal = false, commit = false;
  for (const std::string& s : seen) {
    if (s.rfind("NEWLEADER", 0) == 0) after_nl = true;
    if (s.rfind("UPTODATE", 0) == 0) break;
    if (after_nl && s.rfind("PROPOSAL", 0) == 0) proposal = true;
    if (after_nl && s.rfind("COMMIT", 0) == 0) commit = true;
  }
  EXPECT_TRUE(proposal && commit) << "stream did not interleave as in ZOOKEEPER-4394";
  c.on_deliver = nullptr;
  ExpectHealthy(c);
}

// ZOOKEEPER-2355: a follower fails while receiving the closeSession proposal
// (the txn that deletes the session's ephemerals); after it returns, the txn
// must be applied everywhere.
TEST(Scenario_Zk2355, FollowerCrashesOnCloseSession_TxnStillEverywhere) {
  for (bool at_commit : {false, true}) {
    Cluster c(ScenarioConfig(3));
    ASSERT_EQ(WaitForStableLeader(c), 2);
    CommitOnLeader(c, 3, "create-ephemeral");
    bool crashed = false;
    c.on_deliver = [&](int, int to, const zabkeeper::zab::PeerMessage& m) {
      bool hit =
          at_commit ? m.has_commit() : (m.has_proposal() && m.proposal().txn() == "closeSession");
      if (to == 0 && hit && !crashed) {
        crashed = true;
        return Action::kCrashReceiver;
      }
      return Action::kDeliver;
    };
    auto z = c.ProposeOnLeader("closeSession");
    ASSERT_TRUE(z.ok());
    ASSERT_TRUE(c.RunUntil([&] { return AppliedEverywhere(c, *z, {1, 2}) && crashed; }, 20000));
    c.on_deliver = nullptr;
    c.Restart(0);
    ASSERT_TRUE(c.RunUntil(
        [&] {
          return AppliedEverywhere(c, *z, {0, 1, 2});
        },
        20000))
        << c.TraceTail();
    EXPECT_EQ(c.state(0), c.state(2));
    ExpectHealthy(c);
  }
}

}  // namespace
}  // namespace zab::sim
