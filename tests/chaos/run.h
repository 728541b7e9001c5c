// One chaos run: a fresh ensemble, client workers, a fault schedule, heal,
// convergence, final reads from every node, and the checkers.
//
// Run(seed) is reproducible in its schedule (every random choice comes from
// `seed`); timing of real processes is not, so a replay hits the same faults
// in the same order at about the same times. A failing run keeps
// <out>/run-<seed>/ with history.txt (FormatOp), history.tsv (history_io.h,
// re-checkable), faults.txt, anomalies.txt and node<i>/server.log; a passing
// run's directory is removed.
#ifndef ZABKEEPER_TESTS_CHAOS_RUN_H_
#define ZABKEEPER_TESTS_CHAOS_RUN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tests/chaos/cluster.h"

namespace zabkeeper::chaos {

class NetFaults;

struct RunOptions {
  int nodes = 3;
  int ops = 300;  // total over all workers
  int workers = 4;
  int keys = 3;
  int lists = 3;           // list-append lists; 0 = none
  bool ephemerals = true;  // the ephemeral owner and observations
  int run_seconds = 8;     // traffic and faults last this long
  std::vector<std::string> faults;
  std::string out_dir;
  std::string server_bin;
  std::string self_bin;  // zkchaos itself, re-executed as workers
  bool keep_passing = false;
};

// Where nodes and workers live, and the network faults there (netns mode).
struct Placement {
  std::vector<NodePlacement> nodes;
  std::string client_netns_path;  // workers; "" = harness namespace
  bool fixed_ports = false;
  NetFaults* net = nullptr;
};

struct RunResult {
  uint64_t seed = 0;
  int ops = 0;
  int faults = 0;
  int anomalies = 0;
  // Liveness figures, ms (-1 = did not happen in time).
  std::vector<int64_t> heal_ms;     // each fault's heal (and the final one) -> every node serving
  std::vector<int64_t> restart_ms;  // restart -> that node serving
  std::vector<int64_t> kill_to_write_ms;  // leader killed/paused -> next acked write
  std::string line;                       // the one-line summary zkchaos prints
};

RunResult RunOnce(const RunOptions& options, const Placement& placement, uint64_t seed);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_RUN_H_
