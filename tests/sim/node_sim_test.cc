// Whole nodes under simulation: a few seeds per node count as unit tests
// (zabsim --whole-node runs the many-seed sweeps).
#include "tests/sim/node_sim.h"

#include <gtest/gtest.h>

namespace zabkeeper::sim {
namespace {

void RunSeeds(int nodes, uint64_t first, uint64_t count, bool faults) {
  size_t reregistered = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    NodeSimConfig config;
    config.nodes = nodes;
    config.seed = seed;
    config.faults = faults;
    NodeSim sim(config);
    sim.Run();
    ASSERT_TRUE(sim.anomalies().empty()) << sim.Report();
    EXPECT_GT(sim.ops_checked(), 0u) << sim.Report();
    if (!faults) {
      // The workload does what it claims: nodes get created, watches fire.
      EXPECT_GT(sim.creates_ok(), 0u) << sim.Report();
      EXPECT_GT(sim.watch_events(), 0u) << sim.Report();
    }
    reregistered += sim.watches_reregistered();
  }
  // Faults move sessions between nodes: their watches go along (SetWatches).
  if (faults) {
    EXPECT_GT(reregistered, 0u);
  }
}

// A failing seed must replay exactly: same steps, same ops, same end state.
TEST(NodeSimTest, SameSeedReplaysExactly) {
  for (int nodes : {3, 5}) {
    NodeSimConfig config;
    config.nodes = nodes;
    config.seed = 42;
    NodeSim a(config), b(config);
    a.Run();
    b.Run();
    EXPECT_EQ(a.steps(), b.steps());
    EXPECT_EQ(a.ops_checked(), b.ops_checked());
    EXPECT_EQ(a.committed(), b.committed());
    EXPECT_EQ(a.final_state(), b.final_state());
    EXPECT_GT(a.committed(), 10u);
  }
}

TEST(NodeSimTest, ThreeNodesWithoutFaultsServeAndAgree) { RunSeeds(3, 1, 5, false); }
TEST(NodeSimTest, ThreeNodesUnderFaults) { RunSeeds(3, 1, 20, true); }
TEST(NodeSimTest, FiveNodesUnderFaults) { RunSeeds(5, 1, 20, true); }

}  // namespace
}  // namespace zabkeeper::sim
