// ZOOKEEPER-4643 on the leader side, against real servers. The leader's own
// log writes run on its log stage, asynchronously, while epoch writes are
// synchronous on the driver thread, so a re-elected leader whose log disk is
// slow could write currentEpoch over a history still in flight. A crash then
// leaves it with the new epoch over a shorter log: it wins the next election
// and truncates committed txns on the others. The core now waits for its own
// history to be durable before that write; failpoints (server/failpoints.h)
// stall the leader's log and crash it right after a currentEpoch write, the
// window this test needs.
#include <cstdlib>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/ensemble.h"
#include "tests/integration/server/raw_session.h"
#include "tests/wait_until.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;

TEST(EpochDurabilityTest, ReelectedLeaderWithStalledLog_CrashAfterEpochWrite_LosesNothing) {
#ifndef ZK_FAILPOINTS
  GTEST_SKIP() << "built without failpoints (-DFAILPOINTS=OFF)";
#endif
  setenv("ZABKEEPER_FAILPOINTS", "1", 1);
  TempDir dir;
  Ensemble e(dir.path(), 3);  // tick 100 ms, initLimit 10, syncLimit 5
  // Node 3 must lead and be re-elected: on equal histories the highest id
  // wins, so start 3 with 1 first and add 2 once 3 leads.
  e.node(3).Start();
  e.node(1).Start();
  ASSERT_EQ(WaitForLeaderAmong(e, {1, 3}, 1, 20s), 3);
  e.node(2).Start();
  ASSERT_EQ(e.WaitForLeader(), 3);

  // Opened now: once node 3's log stalls it applies nothing, so a session
  // created there could not be answered.
  RawSession on_leader(e.node(3).address());
  ASSERT_EQ(on_leader.Connect(10000).err(), proto::OK);

  // The leader's log stalls; writes still commit on the followers' acks and
  // are acknowledged by the follower the client is on.
  e.node(3).ArmFailpoint("log.stall", true);
  e.node(3).ArmFailpoint("epoch.after_current_write", true);
  RawSession client(e.node(1).address());
  ASSERT_EQ(client.Connect(10000).err(), proto::OK);
  constexpr int kWrites = 5;
  for (int i = 0; i < kWrites; ++i) {
    proto::Response r = client.Call(CreateReq("/k" + std::to_string(i), "v"));
    ASSERT_EQ(r.err(), proto::OK) << r.error_message();
  }
  // With node 2 down, one more proposal reaches node 1 but cannot commit
  // (node 3's own copy is not durable): nodes 1 and 3 now hold the highest
  // zxid, so node 3 wins every election below by its id.
  e.node(2).Kill();
  on_leader.Send(CreateReq("/uncommitted", "v"));
  ASSERT_TRUE(WaitUntil(
      [&] {
        const int64_t last = MntrCounter(e, 3, "last_logged_zxid");
        return last > 0 && MntrCounter(e, 1, "last_logged_zxid") == last;
      },
      10s));
  const int64_t old_epoch = MntrCounter(e, 3, "accepted_epoch");
  ASSERT_GE(old_epoch, 1);

  // Node 1 freezes past syncLimit: the leader loses its quorum and looks.
  e.node(1).Pause();
  ASSERT_TRUE(WaitUntil([&] { return e.State(3) == "looking"; }, 10s));
  e.node(2).Start();
  e.node(1).Resume();

  // Node 3 is elected and accepts the new epoch. Were it to write
  // currentEpoch now (one ACKEPOCH round trip later), the armed failpoint
  // would end it. Wait until its attempt runs out of initLimit and it looks
  // again: by then a buggy leader would long be gone.
  ASSERT_TRUE(WaitUntil(
      [&] { return e.node(3).Exited() || MntrCounter(e, 3, "accepted_epoch") > old_epoch; }, 20s));
  const int64_t elections_before = MntrCounter(e, 3, "elections");
  ASSERT_TRUE(WaitUntil(
      [&] { return e.node(3).Exited() || MntrCounter(e, 3, "elections") > elections_before; },
      20s));
  EXPECT_FALSE(e.node(3).Exited())
      << "the re-elected leader wrote currentEpoch while its own history was not durable";
  EXPECT_EQ(MntrCounter(e, 3, "current_epoch"), old_epoch);

  // A crash now loses the leader's unsynced appends.
  e.node(3).Kill();
  e.node(3).ArmFailpoint("log.stall", false);
  e.node(3).ArmFailpoint("epoch.after_current_write", false);
  e.node(3).Start();
  ASSERT_GT(e.WaitForLeader(30s), 0);
  ASSERT_TRUE(e.WaitConverged(20s));
  for (int id = 1; id <= 3; ++id) {
    EXPECT_EQ(MntrCounter(e, id, "safety_refusals"), 0) << "node " << id;
    RawSession s(e.node(id).address());
    ASSERT_EQ(s.Connect(10000).err(), proto::OK);
    for (int i = 0; i < kWrites; ++i) {
      EXPECT_EQ(s.Call(GetReq("/k" + std::to_string(i))).err(), proto::OK)
          << "acknowledged /k" << i << " lost on node " << id;
    }
  }
  unsetenv("ZABKEEPER_FAILPOINTS");
}

}  // namespace
}  // namespace zabkeeper::testing
