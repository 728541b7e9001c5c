#include "tests/chaos/durability_check.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace zabkeeper::chaos {

CheckResult CheckDurability(const History& history, const std::vector<NodeFinalState>& nodes) {
  std::map<std::string, size_t> newest;  // key -> newest acknowledged write
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& op = history[i];
    if ((op.kind != OpKind::kWrite && op.kind != OpKind::kCas) || !op.ok() || op.zxid.IsZero()) {
      continue;
    }
    auto [it, inserted] = newest.try_emplace(op.key, i);
    if (!inserted && history[it->second].zxid < op.zxid) it->second = i;
  }
  CheckResult result;
  for (const NodeFinalState& n : nodes) {
    for (const auto& [key, w] : newest) {
      const Operation& write = history[w];
      auto it = n.data.find(key);
      std::string state = "no such key";
      if (it != n.data.end()) {
        const FinalValue& v = it->second;
        if (write.zxid < v.mzxid || (write.zxid == v.mzxid && write.value == v.value)) continue;
        state = absl::StrCat("value ", v.value, " at mzxid ", v.mzxid.ToString());
      }
      result.anomalies.push_back(
          Anomaly{AnomalyKind::kLostWrite,
                  key,
                  {w},
                  absl::StrCat(n.node, " ends with ", key, " = ", state,
                               ", losing acknowledged\n  ", FormatOp(history, w), "\n")});
    }
  }
  for (size_t j = 1; j < nodes.size(); ++j) {
    const NodeFinalState& a = nodes[0];
    const NodeFinalState& b = nodes[j];
    if (a.data == b.data) continue;
    auto ia = a.data.begin();
    auto ib = b.data.begin();
    while (ia != a.data.end() && ib != b.data.end() && *ia == *ib) ++ia, ++ib;
    auto describe = [](const NodeFinalState& n, auto it) {
      return it == n.data.end() ? absl::StrCat(n.node, ": (no more keys)")
                                : absl::StrCat(n.node, ": ", it->first, " = ", it->second.value,
                                               " at mzxid ", it->second.mzxid.ToString());
    };
    const std::string key = ia != a.data.end() ? ia->first : ib->first;
    result.anomalies.push_back(
        Anomaly{AnomalyKind::kDivergentNodes,
                key,
                {},
                absl::StrCat("final states differ after heal, first at\n  ", describe(a, ia),
                             "\n  ", describe(b, ib), "\n")});
  }
  return result;
}

}  // namespace zabkeeper::chaos
