#include "tests/chaos/watch_check.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace zabkeeper::chaos {
namespace {

std::string FormatDelivery(const SessionDeliveries& s, size_t i) {
  const WatchDelivery& d = s.log[i];
  switch (d.kind) {
    case WatchDelivery::Kind::kReply:
      return absl::StrCat("[", i, "] reply zxid=", d.zxid.ToString());
    case WatchDelivery::Kind::kWatchSet:
      return absl::StrCat("[", i, "] reply zxid=", d.zxid.ToString(), " sets watch on ", d.key,
                          " at mzxid=", d.data_zxid.ToString());
    case WatchDelivery::Kind::kEvent:
      return absl::StrCat("[", i, "] event ", d.key, " zxid=", d.zxid.ToString());
  }
  return "?";
}

struct Pending {
  size_t set_at;                  // delivery index of the reply that set it
  Zxid from;                      // fires for the first change after this
  std::optional<Zxid> expected;   // first known change after `from`
  std::optional<size_t> overdue;  // first reply at or past `expected`
};

class SessionWatchChecker {
 public:
  SessionWatchChecker(const SessionDeliveries& s, const KeyChanges& changes, CheckResult* result)
      : s_(s), changes_(changes), result_(result) {}

  void Run() {
    for (size_t i = 0; i < s_.log.size(); ++i) {
      const WatchDelivery& d = s_.log[i];
      if (d.kind == WatchDelivery::Kind::kEvent) {
        OnEvent(i);
        continue;
      }
      for (auto& [key, p] : pending_) {
        if (p.expected && !p.overdue && d.zxid >= *p.expected) p.overdue = i;
      }
      if (d.kind == WatchDelivery::Kind::kWatchSet && !pending_.contains(d.key)) {
        pending_[d.key] = Pending{i, d.data_zxid, FirstChangeAfter(d.key, d.data_zxid), {}};
      }
    }
    for (const auto& [key, p] : pending_) {
      if (p.overdue) {
        Report(AnomalyKind::kWatchMissing, key, {p.set_at, *p.overdue},
               absl::StrCat("the change at ", p.expected->ToString(),
                            " was reflected in a reply but its event never arrived"));
      }
    }
  }

 private:
  std::optional<Zxid> FirstChangeAfter(const std::string& key, Zxid z) const {
    auto it = changes_.find(key);
    if (it == changes_.end()) return std::nullopt;
    auto c = std::upper_bound(it->second.begin(), it->second.end(), z);
    if (c == it->second.end()) return std::nullopt;
    return *c;
  }

  void OnEvent(size_t i) {
    const WatchDelivery& d = s_.log[i];
    if (auto f = fired_.find({d.key, d.zxid}); f != fired_.end()) {
      Report(AnomalyKind::kWatchDuplicated, d.key, {f->second, i}, "the same event twice");
      return;
    }
    fired_[{d.key, d.zxid}] = i;
    if (last_event_ && d.zxid < s_.log[*last_event_].zxid) {
      Report(AnomalyKind::kWatchOutOfOrder, d.key, {*last_event_, i},
             "an event with a smaller zxid after a larger one");
    }
    if (!last_event_ || s_.log[*last_event_].zxid < d.zxid) last_event_ = i;
    auto it = pending_.find(d.key);
    if (it == pending_.end()) {
      Report(AnomalyKind::kWatchSpurious, d.key, {i}, "an event with no watch pending on the key");
      return;
    }
    const Pending p = it->second;
    pending_.erase(it);
    if (d.zxid <= p.from) {
      Report(AnomalyKind::kWatchSpurious, d.key, {p.set_at, i},
             "an event for a change the watched data already included");
    } else if (p.expected && *p.expected < d.zxid) {
      Report(AnomalyKind::kWatchMissedChange, d.key, {p.set_at, i},
             absl::StrCat("the first change after the watch was at ", p.expected->ToString()));
    }
    if (p.overdue) {
      Report(AnomalyKind::kWatchLate, d.key, {p.set_at, *p.overdue, i},
             "a reply reflecting the change came before the event");
    }
  }

  void Report(AnomalyKind kind, const std::string& key, std::vector<size_t> ops,
              const std::string& why) {
    std::string text = absl::StrCat("session ", s_.session, " watch on ", key, ": ", why, "\n");
    for (size_t op : ops) absl::StrAppend(&text, "  ", FormatDelivery(s_, op), "\n");
    result_->anomalies.push_back(Anomaly{kind, key, std::move(ops), std::move(text)});
  }

  const SessionDeliveries& s_;
  const KeyChanges& changes_;
  CheckResult* result_;
  std::map<std::string, Pending> pending_;
  std::map<std::pair<std::string, Zxid>, size_t> fired_;
  std::optional<size_t> last_event_;  // the event with the largest zxid so far
};

}  // namespace

KeyChanges ChangesFromHistory(const History& history) {
  KeyChanges changes;
  for (const Operation& op : history) {
    if ((op.kind == OpKind::kWrite || op.kind == OpKind::kCas) && op.ok() && !op.zxid.IsZero()) {
      changes[op.key].push_back(op.zxid);
    }
  }
  for (auto& [key, zxids] : changes) {
    std::sort(zxids.begin(), zxids.end());
    zxids.erase(std::unique(zxids.begin(), zxids.end()), zxids.end());
  }
  return changes;
}

CheckResult CheckWatches(const std::vector<SessionDeliveries>& sessions,
                         const KeyChanges& changes) {
  CheckResult result;
  for (const SessionDeliveries& s : sessions) SessionWatchChecker(s, changes, &result).Run();
  return result;
}

}  // namespace zabkeeper::chaos
