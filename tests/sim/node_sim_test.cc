// Whole nodes under simulation: a few seeds per node count as unit tests
// (zabsim --whole-node runs the many-seed sweeps).
#include "tests/sim/node_sim.h"

#include <gtest/gtest.h>

namespace zabkeeper::sim {
namespace {

void RunSeeds(int nodes, uint64_t first, uint64_t count, bool faults) {
  for (uint64_t seed = first; seed < first + count; ++seed) {
    NodeSimConfig config;
    config.nodes = nodes;
    config.seed = seed;
    config.faults = faults;
    NodeSim sim(config);
    sim.Run();
    ASSERT_TRUE(sim.anomalies().empty()) << sim.Report();
    EXPECT_GT(sim.ops_checked(), 0u) << sim.Report();
  }
}

TEST(NodeSimTest, ThreeNodesWithoutFaultsServeAndAgree) { RunSeeds(3, 1, 5, false); }
TEST(NodeSimTest, ThreeNodesUnderFaults) { RunSeeds(3, 1, 20, true); }
TEST(NodeSimTest, FiveNodesUnderFaults) { RunSeeds(5, 1, 20, true); }

}  // namespace
}  // namespace zabkeeper::sim
