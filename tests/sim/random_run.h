// RandomRun: one seeded random schedule against a Cluster: client proposals,
// crashes (with random survival of unreported writes), restarts, link breaks,
// symmetric partitions, asymmetric (one-way) blocks and slow disks, checking
// every invariant after every step, then a liveness and convergence check
// with everything healed.
#ifndef ZABKEEPER_TESTS_SIM_RANDOM_RUN_H_
#define ZABKEEPER_TESTS_SIM_RANDOM_RUN_H_

#include <cstdint>
#include <string>

namespace zab::sim {

struct RunResult {
  bool ok = true;
  std::string violation;
  std::string trace;  // events before the violation
  uint64_t steps = 0;
  uint64_t committed = 0;
  uint64_t elections = 0;
};

RunResult RunRandomSeed(int nodes, uint64_t seed, uint64_t steps, bool verbose);

}  // namespace zab::sim

#endif  // ZABKEEPER_TESTS_SIM_RANDOM_RUN_H_
