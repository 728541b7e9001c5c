// Durability checker: no acknowledged write is lost, on any node, after heal.
//
// Input: the history and, after the faults are healed and the ensemble has
// converged, every node's final data (key -> value and mzxid), read from each
// node directly.
//
// Guarantees: CheckDurability reports
//   kLostWrite       a node's final state of a key is older (by zxid, the
//                    total order of writes) than the newest acknowledged write
//                    to it, or holds another value at that write's zxid, or
//                    lacks the key. Checking the newest acknowledged write of
//                    each key covers all older ones: "its value or a later one".
//   kDivergentNodes  two nodes' final states differ (one report per node pair
//                    with the first differing key).
// Acknowledged writes without a recorded zxid cannot be placed in the total
// order and are not checked.
#ifndef ZABKEEPER_TESTS_CHAOS_DURABILITY_CHECK_H_
#define ZABKEEPER_TESTS_CHAOS_DURABILITY_CHECK_H_

#include <map>
#include <string>
#include <vector>

#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

struct FinalValue {
  int64_t value = 0;
  Zxid mzxid;
  bool operator==(const FinalValue&) const = default;
};

struct NodeFinalState {
  std::string node;  // e.g. "server.2"
  std::map<std::string, FinalValue> data;
};

CheckResult CheckDurability(const History& history, const std::vector<NodeFinalState>& nodes);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_DURABILITY_CHECK_H_
