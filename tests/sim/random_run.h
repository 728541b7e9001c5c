// RandomRun: one seeded random schedule against a Cluster: client proposals
// and every fault class the simulator has (see Fault), checking every
// invariant and the durability oracle after every step, then a liveness and
// convergence check with everything healed.
#ifndef ZABKEEPER_TESTS_SIM_RANDOM_RUN_H_
#define ZABKEEPER_TESTS_SIM_RANDOM_RUN_H_

#include <cstdint>
#include <string>

namespace zab::sim {

// Fault classes of a random run. All are on by default; zabsim --faults
// narrows them.
enum Fault : uint32_t {
  kFaultCrash = 1u << 0,  // a node crashes; a random prefix of its unreported writes survives
  kFaultMajorityCrash = 1u << 1,   // a quorum crashes at once
  kFaultLinkBreak = 1u << 2,       // one connection breaks and reconnects
  kFaultPartition = 1u << 3,       // symmetric partitions, healed at random
  kFaultFlap = 1u << 4,            // partitions changing faster than initLimit:
                                   // overlapping leader attempts for one epoch
  kFaultOneWay = 1u << 5,          // one direction of a link blocked
  kFaultStaleMessages = 1u << 6,   // messages duplicated and reordered across connection breaks
  kFaultSlowDisk = 1u << 7,        // fsyncs take 20-120 time units instead of 1-4
  kFaultDiskStall = 1u << 8,       // a log disk completes nothing until released
  kFaultFsyncError = 1u << 9,      // an fsync fails: the node stops
  kFaultTornWrite = 1u << 10,      // a crash tears the last record that reached the disk
  kFaultCorruptRecord = 1u << 11,  // a durable record rots; found by the checksum at restart
};
constexpr uint32_t kAllFaults = (1u << 12) - 1;

// "all", "none", or a comma-separated list of fault names.
bool ParseFaults(const std::string& list, uint32_t* out, std::string* error);
std::string FaultNames(uint32_t faults);

struct RunOptions {
  int nodes = 3;
  uint64_t seed = 0;
  uint64_t steps = 2000;
  bool verbose = false;
  uint32_t faults = kAllFaults;
};

struct RunResult {
  bool ok = true;
  std::string violation;
  std::string trace;  // events before the violation
  uint64_t steps = 0;
  uint64_t committed = 0;
  uint64_t elections = 0;
  uint64_t oracle_checks = 0;
};

RunResult RunRandomSeed(const RunOptions& options);

// The run in progress in this process (seed, step, last events), for a
// CHECK-failure handler to print before the process dies.
std::string DescribeRunInProgress();

}  // namespace zab::sim

#endif  // ZABKEEPER_TESTS_SIM_RANDOM_RUN_H_
