// The load engine: connects the sessions, prepares the znodes a workload
// needs, keeps K requests outstanding per session through warm-up and the
// measured window, drains, cleans up, and returns the merged latencies.
#ifndef ZABKEEPER_TESTS_BENCH_ZKBENCH_WORKLOAD_H_
#define ZABKEEPER_TESTS_BENCH_ZKBENCH_WORKLOAD_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "tests/bench/zkbench/driver.h"
#include "tests/bench/zkbench/histogram.h"
#include "tests/bench/zkbench/options.h"

namespace zkbench {

struct RunResult {
  LatencyHistogram latency;             // microseconds, every op completed in the window
  uint64_t ops = 0;                     // ops completed in the measured window
  uint64_t errors = 0;                  // of those, how many failed
  double seconds = 0;                   // length of the measured window
  uint64_t undrained = 0;               // requests still outstanding after the drain timeout
  double setup_s = 0;                   // connect + prepare
  std::map<int, uint64_t> error_codes;  // ZooKeeper error code -> count, all phases
};

absl::StatusOr<RunResult> RunWorkload(const Options& options, Driver& driver);

}  // namespace zkbench

#endif  // ZABKEEPER_TESTS_BENCH_ZKBENCH_WORKLOAD_H_
