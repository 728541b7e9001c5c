#include "tests/chaos/list_append.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace zabkeeper::chaos {
namespace {

enum class Edge { kWw, kWr, kRw, kRt };

const char* EdgeName(Edge e) {
  switch (e) {
    case Edge::kWw:
      return "ww";
    case Edge::kWr:
      return "wr";
    case Edge::kRw:
      return "rw";
    case Edge::kRt:
      return "rt";
  }
  return "?";
}

struct ReadRef {
  size_t op;
  const std::vector<int64_t>* list;
};

class ListAppendChecker {
 public:
  explicit ListAppendChecker(const History& h) : h_(h) {}

  CheckResult Run() {
    IndexAppendsAndReads();
    for (auto& [key, reads] : reads_) CheckKey(key, reads);
    BuildGraph();
    FindCycles();
    return std::move(result_);
  }

 private:
  void IndexAppendsAndReads() {
    for (size_t i = 0; i < h_.size(); ++i) {
      if (h_[i].kind != OpKind::kMulti) continue;
      for (const MicroOp& m : h_[i].micro) {
        if (m.kind == MicroOp::Kind::kAppend) {
          writer_.try_emplace(std::make_pair(m.key, m.element), i);
        } else if (h_[i].ok()) {
          reads_[m.key].push_back({i, &m.list});
        }
      }
    }
  }

  void CheckKey(const std::string& key, const std::vector<ReadRef>& reads) {
    const ReadRef* longest = &reads.front();
    for (const ReadRef& r : reads) {
      if (r.list->size() > longest->list->size()) longest = &r;
    }
    for (const ReadRef& r : reads) {
      bool clean = CheckElements(key, r);
      const std::vector<int64_t>& l = *longest->list;
      if (!std::equal(r.list->begin(), r.list->end(), l.begin())) {
        Report(AnomalyKind::kIncompatibleOrder, key, {longest->op, r.op},
               "read of " + key + " is not a prefix of the longest read of it");
        clean = false;
      }
      if (clean) usable_reads_.push_back({key, r});
      if (clean && &r == longest) clean_order_.insert(key);
    }
    order_[key] = longest->list;
    const absl::flat_hash_set<int64_t> final_set(longest->list->begin(), longest->list->end());
    for (const auto& [ke, w] : writer_) {
      if (ke.first != key || !h_[w].ok() || final_set.contains(ke.second)) continue;
      if (*h_[w].complete < h_[longest->op].invoke) {
        Report(AnomalyKind::kLostAppend, key, {w, longest->op},
               absl::StrCat("append of ", ke.second, " to ", key,
                            " was acknowledged, but the final read of ", key, " lacks it"));
      }
    }
  }

  // Duplicates, garbage and aborted elements in one read; false if any.
  bool CheckElements(const std::string& key, const ReadRef& r) {
    absl::flat_hash_set<int64_t> seen;
    bool clean = true;
    for (int64_t e : *r.list) {
      auto w = writer_.find(std::make_pair(key, e));
      if (!seen.insert(e).second) {
        std::vector<size_t> ops = {r.op};
        if (w != writer_.end()) ops.insert(ops.begin(), w->second);
        Report(AnomalyKind::kDuplicateAppend, key, ops,
               absl::StrCat("element ", e, " appears twice in a read of ", key));
        clean = false;
      } else if (w == writer_.end()) {
        Report(AnomalyKind::kGarbageRead, key, {r.op},
               absl::StrCat("element ", e, " was never appended to ", key));
        clean = false;
      } else if (h_[w->second].result == OpResult::kFail) {
        Report(AnomalyKind::kAbortedRead, key, {w->second, r.op},
               absl::StrCat("element ", e, " comes from a multi that failed"));
        clean = false;
      } else if (w->second != r.op) {
        observed_.insert(w->second);
      }
    }
    return clean;
  }

  size_t Node(size_t op) {
    auto [it, inserted] = node_.try_emplace(op, op_of_.size());
    if (inserted) {
      op_of_.push_back(op);
      adj_.emplace_back();
    }
    return it->second;
  }

  // Only between graph nodes: failed multis and unobserved indeterminate ones
  // are not in the graph.
  void AddEdge(std::optional<size_t> from_op, std::optional<size_t> to_op, Edge e) {
    if (!from_op || !to_op || *from_op == *to_op) return;
    auto from = node_.find(*from_op), to = node_.find(*to_op);
    if (from == node_.end() || to == node_.end()) return;
    adj_[from->second].push_back({to->second, e});
  }

  void BuildGraph() {
    for (size_t i = 0; i < h_.size(); ++i) {
      if (h_[i].kind == OpKind::kMulti && (h_[i].ok() || observed_.contains(i))) Node(i);
    }
    auto writer = [&](const std::string& key, int64_t e) -> std::optional<size_t> {
      auto it = writer_.find({key, e});
      if (it == writer_.end()) return std::nullopt;
      return it->second;
    };
    for (const auto& [key, list] : order_) {
      if (!clean_order_.contains(key)) continue;
      for (size_t j = 0; j + 1 < list->size(); ++j) {
        AddEdge(writer(key, (*list)[j]), writer(key, (*list)[j + 1]), Edge::kWw);
      }
    }
    for (const auto& [key, r] : usable_reads_) {
      if (!clean_order_.contains(key)) continue;
      const std::vector<int64_t>& order = *order_[key];
      const size_t m = r.list->size();
      if (m > 0) AddEdge(writer(key, order[m - 1]), r.op, Edge::kWr);
      if (m < order.size()) AddEdge(r.op, writer(key, order[m]), Edge::kRw);
    }
    AddRealtimeEdges();
  }

  // Elle's frontier: when B is invoked, every op completed before and not
  // already followed (in real time) by another completed op points to B.
  void AddRealtimeEdges() {
    struct Event {
      Time time;
      bool complete;
      size_t op;
    };
    std::vector<Event> events;
    for (size_t op : op_of_) {
      events.push_back({h_[op].invoke, false, op});
      if (h_[op].completed()) events.push_back({*h_[op].complete, true, op});
    }
    // Ties: invokes first, so equal times count as concurrent.
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.time != b.time) return a.time < b.time;
      if (a.complete != b.complete) return !a.complete;
      return a.op < b.op;
    });
    std::set<size_t> frontier;
    absl::flat_hash_map<size_t, std::vector<size_t>> preds;
    for (const Event& ev : events) {
      if (!ev.complete) {
        for (size_t f : frontier) AddEdge(f, ev.op, Edge::kRt);
        preds[ev.op].assign(frontier.begin(), frontier.end());
      } else {
        for (size_t p : preds[ev.op]) frontier.erase(p);
        frontier.insert(ev.op);
      }
    }
  }

  // Tarjan's SCC (iterative: histories can be long), then the shortest cycle
  // through each non-trivial component.
  void FindCycles() {
    const size_t n = adj_.size();
    std::vector<size_t> index(n, SIZE_MAX), low(n, 0), comp(n, SIZE_MAX);
    std::vector<bool> on_stack(n, false);
    std::vector<size_t> stack;
    size_t counter = 0, comps = 0;
    for (size_t root = 0; root < n; ++root) {
      if (index[root] != SIZE_MAX) continue;
      std::vector<std::pair<size_t, size_t>> call = {{root, 0}};
      index[root] = low[root] = counter++;
      stack.push_back(root);
      on_stack[root] = true;
      while (!call.empty()) {
        auto& [v, next] = call.back();
        if (next < adj_[v].size()) {
          const size_t w = adj_[v][next++].first;
          if (index[w] == SIZE_MAX) {
            index[w] = low[w] = counter++;
            stack.push_back(w);
            on_stack[w] = true;
            call.push_back({w, 0});
          } else if (on_stack[w]) {
            low[v] = std::min(low[v], index[w]);
          }
          continue;
        }
        const size_t done = v;
        call.pop_back();
        if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
        if (low[done] == index[done]) {
          std::vector<size_t> members;
          size_t w;
          do {
            w = stack.back();
            stack.pop_back();
            on_stack[w] = false;
            comp[w] = comps;
            members.push_back(w);
          } while (w != done);
          if (members.size() > 1) ReportCycle(members, comp, comps);
          ++comps;
        }
      }
    }
  }

  void ReportCycle(const std::vector<size_t>& members, const std::vector<size_t>& comp, size_t c) {
    std::vector<std::pair<size_t, Edge>> best;  // (node, edge into the next node)
    constexpr size_t kStartsTried = 64;         // bound the search per component
    for (size_t s = 0; s < members.size() && s < kStartsTried; ++s) {
      std::vector<std::pair<size_t, Edge>> cycle = ShortestCycle(members[s], comp, c);
      if (!cycle.empty() && (best.empty() || cycle.size() < best.size())) best = cycle;
    }
    int rw = 0;
    bool wr = false, rt = false;
    for (const auto& [node, e] : best) {
      rw += e == Edge::kRw;
      wr |= e == Edge::kWr;
      rt |= e == Edge::kRt;
    }
    std::string name = rw == 0 ? (wr ? "G1c" : "G0") : rw == 1 ? "G-single" : "G2";
    if (rt) name += "+realtime";
    Anomaly a{AnomalyKind::kCycle, "", {}, ""};
    absl::StrAppend(&a.explanation, name, " cycle of ", best.size(), " multis (component of ",
                    members.size(), "):\n");
    for (const auto& [node, e] : best) {
      a.ops.push_back(op_of_[node]);
      absl::StrAppend(&a.explanation, "  ", FormatOp(h_, op_of_[node]), "\n    -", EdgeName(e),
                      "->\n");
    }
    absl::StrAppend(&a.explanation, "  ", FormatOp(h_, op_of_[best.front().first]), "\n");
    result_.anomalies.push_back(std::move(a));
  }

  // BFS from `start` back to itself inside component `c`.
  std::vector<std::pair<size_t, Edge>> ShortestCycle(size_t start, const std::vector<size_t>& comp,
                                                     size_t c) const {
    absl::flat_hash_map<size_t, std::pair<size_t, Edge>> parent;  // node -> (prev, edge)
    std::deque<size_t> queue = {start};
    while (!queue.empty()) {
      const size_t v = queue.front();
      queue.pop_front();
      for (const auto& [w, e] : adj_[v]) {
        if (comp[w] != c) continue;
        if (w == start) {
          std::vector<std::pair<size_t, Edge>> cycle = {{v, e}};
          for (size_t x = v; x != start; x = parent.at(x).first) {
            cycle.push_back({parent.at(x).first, parent.at(x).second});
          }
          std::reverse(cycle.begin(), cycle.end());
          return cycle;
        }
        if (parent.try_emplace(w, v, e).second) queue.push_back(w);
      }
    }
    return {};
  }

  void Report(AnomalyKind kind, const std::string& key, std::vector<size_t> ops,
              const std::string& why) {
    std::string text = why + "\n";
    for (size_t op : ops) absl::StrAppend(&text, "  ", FormatOp(h_, op), "\n");
    result_.anomalies.push_back(Anomaly{kind, key, std::move(ops), std::move(text)});
  }

  const History& h_;
  std::map<std::pair<std::string, int64_t>, size_t> writer_;  // (key, element) -> op
  std::map<std::string, std::vector<ReadRef>> reads_;         // ordered: deterministic
  std::map<std::string, const std::vector<int64_t>*> order_;  // key -> longest read
  std::vector<std::pair<std::string, ReadRef>> usable_reads_;
  absl::flat_hash_set<std::string> clean_order_;  // keys whose longest read is clean
  absl::flat_hash_set<size_t> observed_;          // multis some read proves took effect
  absl::flat_hash_map<size_t, size_t> node_;
  std::vector<size_t> op_of_;
  std::vector<std::vector<std::pair<size_t, Edge>>> adj_;
  CheckResult result_;
};

}  // namespace

CheckResult CheckListAppend(const History& history) { return ListAppendChecker(history).Run(); }

}  // namespace zabkeeper::chaos
