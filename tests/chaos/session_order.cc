#include "tests/chaos/session_order.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace zabkeeper::chaos {
namespace {

bool IsWrite(const Operation& op) {
  return (op.kind == OpKind::kWrite || op.kind == OpKind::kCas) && op.ok();
}
bool IsRead(const Operation& op) { return op.kind == OpKind::kRead && op.ok(); }

// True if `a` is a strictly older state of the key than `b` (header comment).
bool Older(const Operation& a, const Operation& b) {
  if (!a.zxid.IsZero() && !b.zxid.IsZero()) return a.zxid < b.zxid;
  if (a.version >= 0 && b.version >= 0) return a.version < b.version;
  return false;
}

// Acknowledged writes of one key, for "the latest write before X" questions.
class KeyWrites {
 public:
  void Add(const History& h, size_t i) {
    by_complete_.push_back(i);
    if (!h[i].zxid.IsZero()) by_zxid_.push_back(i);
  }

  void Finish(const History& h) {
    std::sort(by_complete_.begin(), by_complete_.end(),
              [&](size_t a, size_t b) { return *h[a].complete < *h[b].complete; });
    std::sort(by_zxid_.begin(), by_zxid_.end(),
              [&](size_t a, size_t b) { return h[a].zxid < h[b].zxid; });
    // prefix_newest_[j]: the newest of by_complete_[0..j].
    for (size_t j = 0; j < by_complete_.size(); ++j) {
      size_t newest = by_complete_[j];
      if (j > 0 && Older(h[newest], h[prefix_newest_[j - 1]])) newest = prefix_newest_[j - 1];
      prefix_newest_.push_back(newest);
    }
  }

  // The newest write acknowledged strictly before time `t`.
  std::optional<size_t> NewestCompletedBefore(const History& h, Time t) const {
    auto it = std::lower_bound(by_complete_.begin(), by_complete_.end(), t,
                               [&](size_t i, Time v) { return *h[i].complete < v; });
    if (it == by_complete_.begin()) return std::nullopt;
    return prefix_newest_[static_cast<size_t>(it - by_complete_.begin()) - 1];
  }

  // The write with the largest zxid <= z.
  std::optional<size_t> LatestAtOrBefore(const History& h, Zxid z) const {
    auto it = std::upper_bound(by_zxid_.begin(), by_zxid_.end(), z,
                               [&](Zxid v, size_t i) { return v < h[i].zxid; });
    if (it == by_zxid_.begin()) return std::nullopt;
    return *(it - 1);
  }

 private:
  std::vector<size_t> by_complete_;
  std::vector<size_t> prefix_newest_;
  std::vector<size_t> by_zxid_;
};

class SessionChecker {
 public:
  SessionChecker(const History& h, const absl::flat_hash_map<std::string, KeyWrites>& writes,
                 CheckResult* result)
      : h_(h), writes_(writes), result_(result) {}

  void Check(const std::vector<size_t>& ops) {
    CheckFifo(ops);
    absl::flat_hash_map<std::string, size_t> seen;  // key -> newest op observed
    Zxid session_zxid;
    std::optional<size_t> last_sync;
    for (size_t i : ops) {
      const Operation& op = h_[i];
      if (op.kind == OpKind::kSync && op.ok()) {
        if (!last_sync || *h_[*last_sync].complete < *op.complete) last_sync = i;
        continue;
      }
      if (IsRead(op)) CheckRead(i, seen, session_zxid, last_sync);
      if (IsRead(op) || IsWrite(op)) {
        auto [it, inserted] = seen.try_emplace(op.key, i);
        if (!inserted && Older(h_[it->second], op)) it->second = i;
        session_zxid = std::max(session_zxid, op.zxid);
      }
    }
  }

 private:
  void CheckFifo(const std::vector<size_t>& ops) {
    std::optional<size_t> latest;  // the issued-earlier op completing last so far
    for (size_t i : ops) {
      if (!h_[i].completed()) continue;
      if (latest && *h_[*latest].complete > *h_[i].complete) {
        Report(AnomalyKind::kFifoViolation, "", {*latest, i},
               "issued earlier but completed later than");
      }
      if (!latest || *h_[*latest].complete < *h_[i].complete) latest = i;
    }
  }

  void CheckRead(size_t r, const absl::flat_hash_map<std::string, size_t>& seen, Zxid session_zxid,
                 std::optional<size_t> last_sync) {
    const Operation& read = h_[r];
    if (auto it = seen.find(read.key); it != seen.end() && Older(read, h_[it->second])) {
      const bool own_write = h_[it->second].kind != OpKind::kRead;
      Report(own_write ? AnomalyKind::kReadYourWrites : AnomalyKind::kMonotonicRead, read.key,
             {it->second, r}, "was observed by the session, yet later it read the older state");
      return;
    }
    auto kw = writes_.find(read.key);
    if (kw == writes_.end()) return;
    if (std::optional<size_t> w = kw->second.LatestAtOrBefore(h_, session_zxid);
        w && Older(read, h_[*w])) {
      Report(AnomalyKind::kReadOlderThanSession, read.key, {*w, r},
             absl::StrCat("is at or before zxid ", session_zxid.ToString(),
                          " which the session had seen, yet it read an older state"));
      return;
    }
    if (last_sync && *h_[*last_sync].complete <= read.invoke) {
      std::optional<size_t> w = kw->second.NewestCompletedBefore(h_, h_[*last_sync].invoke);
      if (w && Older(read, h_[*w])) {
        Report(AnomalyKind::kSyncViolation, read.key, {*w, *last_sync, r},
               "was acknowledged before the sync began, yet a read after the sync missed it");
      }
    }
  }

  void Report(AnomalyKind kind, const std::string& key, std::vector<size_t> ops,
              const std::string& why) {
    std::string text = absl::StrCat("session ", h_[ops.back()].session, ": ", AnomalyName(kind),
                                    "\n  ", FormatOp(h_, ops.front()), "\n  ", why, "\n");
    for (size_t j = 1; j < ops.size(); ++j)
      absl::StrAppend(&text, "  ", FormatOp(h_, ops[j]), "\n");
    result_->anomalies.push_back(Anomaly{kind, key, std::move(ops), std::move(text)});
  }

  const History& h_;
  const absl::flat_hash_map<std::string, KeyWrites>& writes_;
  CheckResult* result_;
};

}  // namespace

CheckResult CheckSessionOrder(const History& history) {
  absl::flat_hash_map<std::string, KeyWrites> writes;
  std::map<SessionId, std::vector<size_t>> sessions;  // ordered: deterministic reports
  for (size_t i = 0; i < history.size(); ++i) {
    if (IsWrite(history[i])) writes[history[i].key].Add(history, i);
    sessions[history[i].session].push_back(i);
  }
  for (auto& [key, w] : writes) w.Finish(history);
  CheckResult result;
  for (auto& [session, ops] : sessions) {
    std::stable_sort(ops.begin(), ops.end(),
                     [&](size_t a, size_t b) { return history[a].invoke < history[b].invoke; });
    SessionChecker(history, writes, &result).Check(ops);
  }
  return result;
}

}  // namespace zabkeeper::chaos
