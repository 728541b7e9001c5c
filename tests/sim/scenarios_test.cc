// Named scenarios: each failure that once lost or corrupted data in Apache
// ZooKeeper (and a few classic ones), scripted as an exact schedule of
// messages, crashes and disk losses on the deterministic simulator, with all
// invariants checked throughout (tests/sim/checker.h) and a final liveness +
// convergence check.
#include <vector>

#include "gtest/gtest.h"
#include "tests/sim/cluster.h"
#include "tests/sim/scenario_util.h"

namespace zab::sim {
namespace {

void ExpectHealthy(Cluster& c) {
  EXPECT_FALSE(c.failed()) << c.checker().violation() << "\n" << c.TraceTail();
  c.CheckLivenessAndConvergence(30000);
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

}  // namespace
}  // namespace zab::sim
