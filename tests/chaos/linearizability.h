// Linearizability checker for versioned registers (ZooKeeper znode data).
//
// Guarantees: CheckLinearizable accepts a history iff, for every key, there is
// one total order of that key's operations that (a) respects real time (an op
// that completed before another was invoked comes first), (b) puts each op at
// some point inside [invoke, complete], and (c) is a legal run of the register
// model below from the initial state. Keys are independent registers, so
// checking each key alone is exact (P-compositionality: a history is
// linearizable iff each per-object sub-history is).
//
// Model (ZooKeeper's setData/getData on one znode):
//   state = (value, version)
//   kWrite  ok      -> value := v, version += 1 (setData with version -1)
//   kCas    ok      -> legal only if version == expected; then as kWrite
//   kCas    fail    -> legal only if version != expected (BadVersion); no change
//   kRead   ok      -> legal only if value (and version, if recorded) match
//   A write/CAS that recorded the version it produced must produce that one.
//   Indeterminate ops (no completion) may take effect at any point after their
//   invoke or never: their completion is +infinity and any outcome is legal,
//   which makes "never" the same as "last".
//
// Which ops are checked: writes (kWrite, kCas, including failed CAS). ZooKeeper
// lets a follower serve stale reads, so reads are not linearizable in general
// and session_order.h checks them; set `include_reads` for histories where
// every read was preceded by a sync (or served by the leader). Definite
// failures of kWrite and kRead are dropped (no effect, nothing observed).
//
// Algorithm: Wing & Gong's backtracking search with Lowe's cache of
// (linearized set, model state) as in porcupine (anishathalye/porcupine):
// call/return entries in a doubly linked list, an op is "lifted" out when
// linearized, and a (bitset, state) pair already explored is never explored
// again. Two reductions keep long runs with many lost writes tractable: a
// written value that no checked read reads is one value to the model (so such
// states share cache entries); of the indeterminate writes whose value no
// read reads, one stands in for all at each state, and a lost CAS that
// would fail is not tried (KeySearch::StandIn says why that loses nothing).
// The search is bounded by `max_steps_per_key`; running out is
// reported as kSearchBudgetExhausted (a failure: inconclusive, never silently
// accepted).
//
// On failure the anomaly holds, porcupine-style, the longest linearizable
// prefix found (its last few ops), the model state after it, the op that could
// not be placed before its completion, and the concurrent ops that were
// candidates at that point.
#ifndef ZABKEEPER_TESTS_CHAOS_LINEARIZABILITY_H_
#define ZABKEEPER_TESTS_CHAOS_LINEARIZABILITY_H_

#include <cstdint>

#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

struct LinearizabilityOptions {
  bool include_reads = false;
  // Every key starts as a znode created with this value at this version.
  int64_t initial_value = 0;
  int32_t initial_version = 0;
  // Search steps per key (one step = one call or return entry visited). The
  // cache holds at most this many states, each a bitset of the key's ops.
  uint64_t max_steps_per_key = 1'000'000;
  // How many ops of the longest linearizable prefix the report shows.
  size_t prefix_ops_in_report = 4;
};

CheckResult CheckLinearizable(const History& history, const LinearizabilityOptions& options = {});

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_LINEARIZABILITY_H_
