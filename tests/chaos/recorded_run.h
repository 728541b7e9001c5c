// A chaos run as recorded on disk, and its checks.
//
// A run directory holds what the workers wrote: history-<w>.tsv (ops and
// ephemeral observations), final-<node>.tsv (each node's registers after heal,
// plus a final list read op), ephemerals.tsv (the ephemeral owner's records).
// faults.txt (the schedule, if saved) gives the fault windows.
// LoadRunDir rebuilds the run's inputs from those files alone, so
// `zkchaos --check DIR` re-judges a saved run exactly as the run itself did.
#ifndef ZABKEEPER_TESTS_CHAOS_RECORDED_RUN_H_
#define ZABKEEPER_TESTS_CHAOS_RECORDED_RUN_H_

#include <string>
#include <utility>
#include <vector>

#include "tests/chaos/durability_check.h"
#include "tests/chaos/ephemeral_check.h"
#include "tests/chaos/history.h"
#include "tests/chaos/watch_check.h"

namespace zabkeeper::chaos {

struct RecordedRun {
  History history;  // sorted by invoke
  std::vector<NodeFinalState> finals;
  std::vector<EphemeralRecord> ephemerals;
  std::vector<SessionDeliveries> watches;
  int watches_dropped = 0;  // crossed a reconnect: not judged (watch_log.h)
  bool has_lists = false;   // some op is a list multi
  // Fault windows [start, end] (faults.txt; the run fills them in itself).
  std::vector<std::pair<Time, Time>> faults;
};

RecordedRun LoadRunDir(const std::string& dir);

// Linearizability (register writes), session order, durability (if finals),
// list-append (if lists), ephemerals (if any) and watches (if any).
CheckResult CheckRecorded(const RecordedRun& run);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_RECORDED_RUN_H_
