#include "tests/chaos/linearizability.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace zabkeeper::chaos {
namespace {

struct RegisterState {
  int64_t value = 0;
  int32_t version = 0;
  bool operator==(const RegisterState&) const = default;
};

// The value a write leaves when no checked read reads it: all such values
// are one to the model, so states that differ only in them are one cache entry.
constexpr int64_t kUnobserved = INT64_MIN;

// The register model of the header comment. Returns false if `op` cannot take
// effect in state `s`; a write leaves `value` (its own, or kUnobserved).
bool Step(const RegisterState& s, const Operation& op, int64_t value, RegisterState* next) {
  const bool known = op.result != OpResult::kUnknown;
  auto produced_ok = [&] { return !known || op.version < 0 || op.version == s.version + 1; };
  switch (op.kind) {
    case OpKind::kWrite:
      if (!produced_ok()) return false;
      *next = {value, s.version + 1};
      return true;
    case OpKind::kCas:
      if (s.version == op.expected_version) {
        if (op.result == OpResult::kFail || !produced_ok()) return false;
        *next = {value, s.version + 1};
      } else {
        if (op.result == OpResult::kOk) return false;
        *next = s;
      }
      return true;
    case OpKind::kRead:
      if (op.value != s.value || (op.version >= 0 && op.version != s.version)) return false;
      *next = s;
      return true;
    default:
      return false;
  }
}

// Bitset of linearized ops, hashed together with the model state (Lowe's cache).
struct CacheEntry {
  std::vector<uint64_t> bits;
  RegisterState state;
  bool operator==(const CacheEntry&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const CacheEntry& e) {
    return H::combine(std::move(h), e.bits, e.state.value, e.state.version);
  }
};

// One call or return entry in the doubly linked list; index 0 is the head.
struct Entry {
  bool call = false;
  size_t op = 0;     // local op index (position in `ops`)
  size_t match = 0;  // the other entry of the same op
  size_t prev = 0;
  size_t next = 0;  // 0 = end of list
  Time time = 0;
};

class KeySearch {
 public:
  KeySearch(const History& history, std::vector<size_t> ops, const LinearizabilityOptions& options)
      : history_(history), ops_(std::move(ops)), options_(options) {}

  // Returns no anomaly if the key's sub-history is linearizable.
  std::optional<Anomaly> Run() {
    BuildList();
    linearized_.assign((ops_.size() + 63) / 64, 0);
    RegisterState state{options_.initial_value, options_.initial_version};
    std::vector<Frame> stack;
    absl::flat_hash_set<CacheEntry> cache;
    // Linearizes `op` on top of `state` unless it is illegal there or the
    // resulting (set, state) was explored already.
    auto try_step = [&](size_t op, RegisterState* next) {
      if (!Step(state, Op(op), value_[op], next)) return false;
      Mark(op, true);
      if (cache.insert(CacheEntry{linearized_, *next}).second) return true;
      Mark(op, false);
      return false;
    };
    uint64_t steps = 0;
    constexpr size_t kFresh = SIZE_MAX;
    size_t e = entries_[0].next;  // phase 1 cursor: the main list
    size_t u = kFresh;            // phase 2: unknown_[u - 1] is the next to try
    size_t stand_in = kFresh;     // phase 2: the one unread lost write tried (StandIn)
    while (entries_[0].next != 0) {
      if (++steps > options_.max_steps_per_key) return BudgetExhausted();
      RegisterState next;
      if (entries_[e].call) {
        if (try_step(entries_[e].op, &next)) {
          stack.push_back({e, state, false, 0});
          state = next;
          Lift(e);
          e = entries_[0].next;
          u = kFresh;
        } else {
          e = entries_[e].next;
        }
        continue;
      }
      // `e` is the first return entry: the determinate candidates are used up;
      // try the indeterminate ops invoked by then, newest first (the one a
      // later read needs is usually recent), one per step.
      if (u == kFresh) {
        u = InvokedBy(entries_[e].time);
        stand_in = StandIn(state, u);
      }
      while (u > 0 && Skip(u - 1, state, stand_in)) --u;
      if (u > 0) {
        if (try_step(unknown_[u - 1], &next)) {
          stack.push_back({e, state, true, u - 1});
          state = next;
          e = entries_[0].next;
          u = kFresh;
        } else {
          --u;
        }
        continue;
      }
      // Stuck: the op of `e` cannot be linearized before its completion.
      NoteStuck(stack, state, e);
      if (stack.empty()) return NotLinearizable();
      const Frame top = stack.back();
      stack.pop_back();
      state = top.before;
      if (top.unknown) {
        Mark(unknown_[top.u], false);
        e = top.entry;
        u = top.u;
        stand_in = StandIn(state, InvokedBy(entries_[e].time));
      } else {
        Mark(entries_[top.entry].op, false);
        Unlift(top.entry);
        e = entries_[top.entry].next;
        u = kFresh;
      }
    }
    // Indeterminate ops left over take effect last, or never: always legal.
    return std::nullopt;
  }

 private:
  // A linearized op on the search stack.
  struct Frame {
    size_t entry;  // main: its call entry; indeterminate: the return entry it was tried at
    RegisterState before;
    bool unknown;
    size_t u;  // indeterminate: its position in unknown_
  };

  const Operation& Op(size_t local) const { return history_[ops_[local]]; }

  // How many indeterminate ops were invoked by `time` (a prefix of unknown_).
  size_t InvokedBy(Time time) const {
    return static_cast<size_t>(
        std::upper_bound(unknown_.begin(), unknown_.end(), time,
                         [&](Time t, size_t op) { return t < Op(op).invoke; }) -
        unknown_.begin());
  }

  // Lost writes whose value no checked read reads are alike in effect: each
  // takes the version one up and leaves an unread value. At a state of
  // version v, one stands in for all of them (the one StandIn picks) and the
  // rest are not tried there, which loses nothing:
  //   - a lost CAS expecting v can only ever take effect while the version
  //     is v, so using it now leaves every later choice open; it is preferred
  //     over a blind write, and any one of them does (they all expire here);
  //   - blind writes can take effect any time after their invoke, so the
  //     earliest-invoked one is available wherever a later one is: use them
  //     in invoke order (swap any two in a linearization: each still lies
  //     after its invoke).
  // Without this the search explores every subset of a pile of lost writes
  // (a `stall-kill-all` leaves dozens per key).
  size_t StandIn(const RegisterState& state, size_t invoked) const {
    size_t blind = SIZE_MAX;
    for (size_t pos = 0; pos < invoked; ++pos) {
      const size_t op = unknown_[pos];
      if (Linearized(op) || value_[op] != kUnobserved) continue;
      if (Op(op).kind == OpKind::kCas && Op(op).expected_version == state.version) return pos;
      if (Op(op).kind == OpKind::kWrite && blind == SIZE_MAX) blind = pos;
    }
    return blind;
  }

  // Whether the search need not try unknown_[pos] in `state`: already
  // linearized; a lost CAS that would fail here (no effect, as if it never
  // happened, which is always allowed); or an unread lost write other than
  // the stand-in.
  bool Skip(size_t pos, const RegisterState& state, size_t stand_in) const {
    const size_t op = unknown_[pos];
    if (Linearized(op)) return true;
    if (Op(op).kind == OpKind::kCas && Op(op).expected_version != state.version) return true;
    return value_[op] == kUnobserved && pos != stand_in;
  }

  size_t OpOf(const Frame& f) const { return f.unknown ? unknown_[f.u] : entries_[f.entry].op; }

  bool Linearized(size_t op) const { return (linearized_[op / 64] >> (op % 64)) & 1; }
  void Mark(size_t op, bool on) {
    if (on) {
      linearized_[op / 64] |= uint64_t{1} << (op % 64);
    } else {
      linearized_[op / 64] &= ~(uint64_t{1} << (op % 64));
    }
  }

  // Determinate ops go into the call/return list. Indeterminate ops (return
  // at +infinity) stay out of it, sorted by invoke: they are candidates at a
  // return entry if invoked by its time, and tried only after the determinate
  // candidates, because trying them first explores every subset of the
  // pending ones (each subset is a distinct cache key) before the
  // linearization that needs none of them.
  void BuildList() {
    struct Event {
      Time time;
      bool call;
      size_t op;
    };
    std::vector<Event> events;
    absl::flat_hash_set<int64_t> read_values;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (Op(i).kind == OpKind::kRead) read_values.insert(Op(i).value);
    }
    for (size_t i = 0; i < ops_.size(); ++i) {
      value_.push_back(read_values.contains(Op(i).value) ? Op(i).value : kUnobserved);
    }
    for (size_t i = 0; i < ops_.size(); ++i) {
      const Operation& op = Op(i);
      if (!op.completed()) {
        unknown_.push_back(i);
        continue;
      }
      events.push_back({op.invoke, true, i});
      events.push_back({*op.complete, false, i});
    }
    std::stable_sort(unknown_.begin(), unknown_.end(),
                     [&](size_t a, size_t b) { return Op(a).invoke < Op(b).invoke; });
    // At equal times calls go first: the ops are then concurrent (the
    // permissive reading of a tie).
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.time != b.time) return a.time < b.time;
      return a.call && !b.call;
    });
    entries_.assign(events.size() + 1, Entry{});
    std::vector<size_t> call_entry(ops_.size()), return_entry(ops_.size());
    for (size_t i = 0; i < events.size(); ++i) {
      Entry& en = entries_[i + 1];
      en.call = events[i].call;
      en.op = events[i].op;
      en.time = events[i].time;
      en.prev = i;
      en.next = i + 2 <= events.size() ? i + 2 : 0;
      (en.call ? call_entry : return_entry)[en.op] = i + 1;
    }
    entries_[0].next = events.empty() ? 0 : 1;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!Op(i).completed()) continue;
      entries_[call_entry[i]].match = return_entry[i];
      entries_[return_entry[i]].match = call_entry[i];
    }
  }

  void Lift(size_t call) {
    Entry& c = entries_[call];
    entries_[c.prev].next = c.next;
    if (c.next != 0) entries_[c.next].prev = c.prev;
    Entry& r = entries_[c.match];
    entries_[r.prev].next = r.next;
    if (r.next != 0) entries_[r.next].prev = r.prev;
  }

  void Unlift(size_t call) {
    Entry& c = entries_[call];
    Entry& r = entries_[c.match];
    entries_[r.prev].next = c.match;
    if (r.next != 0) entries_[r.next].prev = c.match;
    entries_[c.prev].next = call;
    if (c.next != 0) entries_[c.next].prev = call;
  }

  // Remembers the deepest point where the search got stuck: the prefix, the
  // state after it, the op that could not be placed and the ops still pending
  // before that op's completion (the candidates that were tried).
  void NoteStuck(const std::vector<Frame>& stack, const RegisterState& state, size_t return_entry) {
    if (have_stuck_ && stack.size() <= best_prefix_.size()) return;
    have_stuck_ = true;
    best_prefix_.clear();
    for (const Frame& f : stack) best_prefix_.push_back(OpOf(f));
    best_state_ = state;
    stuck_op_ = entries_[return_entry].op;
    candidates_.clear();
    for (size_t e = entries_[0].next; e != return_entry; e = entries_[e].next) {
      if (entries_[e].call) candidates_.push_back(entries_[e].op);
    }
    for (size_t op : unknown_) {
      if (Op(op).invoke > entries_[return_entry].time) break;
      if (!Linearized(op)) candidates_.push_back(op);
    }
  }

  std::optional<Anomaly> NotLinearizable() const {
    Anomaly a{AnomalyKind::kNotLinearizable, Op(0).key, {}, ""};
    std::string& s = a.explanation;
    absl::StrAppend(&s, "key ", a.key, ": no linearization of its ", ops_.size(),
                    " ops; longest linearizable prefix has ", best_prefix_.size(), " ops\n");
    const size_t shown = std::min(best_prefix_.size(), options_.prefix_ops_in_report);
    if (shown < best_prefix_.size()) absl::StrAppend(&s, "  ...\n");
    for (size_t i = best_prefix_.size() - shown; i < best_prefix_.size(); ++i) {
      a.ops.push_back(ops_[best_prefix_[i]]);
      absl::StrAppend(&s, "  linearized ", FormatOp(history_, ops_[best_prefix_[i]]), "\n");
    }
    absl::StrAppend(&s, "  state after prefix: value=", best_state_.value,
                    " version=", best_state_.version, "\n");
    a.ops.push_back(ops_[stuck_op_]);
    absl::StrAppend(&s, "  cannot place ", FormatOp(history_, ops_[stuck_op_]),
                    " before its completion\n");
    for (size_t c : candidates_) {
      if (c == stuck_op_) continue;
      a.ops.push_back(ops_[c]);
      absl::StrAppend(&s, "  concurrent candidate ", FormatOp(history_, ops_[c]), "\n");
    }
    return a;
  }

  std::optional<Anomaly> BudgetExhausted() const {
    return Anomaly{AnomalyKind::kSearchBudgetExhausted,
                   Op(0).key,
                   {},
                   absl::StrCat("key ", Op(0).key, ": search gave up after ",
                                options_.max_steps_per_key, " steps over ", ops_.size(),
                                " ops (inconclusive; shorten the run or raise the budget)")};
  }

  const History& history_;
  const std::vector<size_t> ops_;  // history indices of this key's ops
  const LinearizabilityOptions& options_;
  std::vector<Entry> entries_;
  std::vector<size_t> unknown_;       // indeterminate ops, by invoke
  std::vector<int64_t> value_;        // per op: what its write leaves (kUnobserved if unread)
  std::vector<uint64_t> linearized_;  // bitset over ops_
  bool have_stuck_ = false;
  std::vector<size_t> best_prefix_;
  RegisterState best_state_;
  size_t stuck_op_ = 0;
  std::vector<size_t> candidates_;
};

bool Checked(const Operation& op, const LinearizabilityOptions& options) {
  switch (op.kind) {
    case OpKind::kWrite:
      return op.result != OpResult::kFail;
    case OpKind::kCas:
      return true;
    case OpKind::kRead:
      return options.include_reads && op.result == OpResult::kOk;
    default:
      return false;
  }
}

}  // namespace

CheckResult CheckLinearizable(const History& history, const LinearizabilityOptions& options) {
  std::map<std::string, std::vector<size_t>> by_key;  // ordered: deterministic reports
  for (size_t i = 0; i < history.size(); ++i) {
    if (Checked(history[i], options)) by_key[history[i].key].push_back(i);
  }
  CheckResult result;
  for (auto& [key, ops] : by_key) {
    KeySearch search(history, std::move(ops), options);
    if (std::optional<Anomaly> a = search.Run()) result.anomalies.push_back(std::move(*a));
  }
  return result;
}

}  // namespace zabkeeper::chaos
