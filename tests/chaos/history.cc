#include "tests/chaos/history.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace zabkeeper::chaos {
namespace {

const char* KindName(OpKind kind) {
  switch (kind) {
    case OpKind::kRead:
      return "read";
    case OpKind::kWrite:
      return "write";
    case OpKind::kCas:
      return "cas";
    case OpKind::kMulti:
      return "multi";
    case OpKind::kSync:
      return "sync";
    case OpKind::kCreateEphemeral:
      return "create-ephemeral";
  }
  return "?";
}

const char* ResultName(OpResult result) {
  switch (result) {
    case OpResult::kOk:
      return "ok";
    case OpResult::kFail:
      return "fail";
    case OpResult::kUnknown:
      return "unknown";
  }
  return "?";
}

}  // namespace

std::string FormatOp(const History& history, size_t index) {
  if (index >= history.size()) return absl::StrCat("#", index, " (no such op)");
  const Operation& op = history[index];
  std::string out = absl::StrCat("#", index, " s", op.session, " ", KindName(op.kind));
  if (!op.key.empty()) absl::StrAppend(&out, " k=", op.key);
  switch (op.kind) {
    case OpKind::kWrite:
    case OpKind::kRead:
      absl::StrAppend(&out, " v=", op.value);
      break;
    case OpKind::kCas:
      absl::StrAppend(&out, " v=", op.value, " expect=", op.expected_version);
      break;
    case OpKind::kMulti:
      for (const MicroOp& m : op.micro) {
        if (m.kind == MicroOp::Kind::kAppend) {
          absl::StrAppend(&out, " append(", m.key, ",", m.element, ")");
        } else {
          absl::StrAppend(&out, " read(", m.key, ")=[", absl::StrJoin(m.list, ","), "]");
        }
      }
      break;
    default:
      break;
  }
  absl::StrAppend(&out, " [", op.invoke, ",", op.complete ? absl::StrCat(*op.complete) : "?", "] ",
                  ResultName(op.result));
  if (!op.zxid.IsZero()) absl::StrAppend(&out, " zxid=", op.zxid.ToString());
  if (op.version >= 0) absl::StrAppend(&out, " ver=", op.version);
  return out;
}

const char* AnomalyName(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kNotLinearizable:
      return "not-linearizable";
    case AnomalyKind::kSearchBudgetExhausted:
      return "search-budget-exhausted";
    case AnomalyKind::kFifoViolation:
      return "fifo-violation";
    case AnomalyKind::kReadYourWrites:
      return "read-your-writes";
    case AnomalyKind::kMonotonicRead:
      return "monotonic-read";
    case AnomalyKind::kReadOlderThanSession:
      return "read-older-than-session";
    case AnomalyKind::kSyncViolation:
      return "sync-violation";
    case AnomalyKind::kLostAppend:
      return "lost-append";
    case AnomalyKind::kDuplicateAppend:
      return "duplicate-append";
    case AnomalyKind::kIncompatibleOrder:
      return "incompatible-order";
    case AnomalyKind::kAbortedRead:
      return "aborted-read";
    case AnomalyKind::kGarbageRead:
      return "garbage-read";
    case AnomalyKind::kCycle:
      return "dependency-cycle";
    case AnomalyKind::kWatchOutOfOrder:
      return "watch-out-of-order";
    case AnomalyKind::kWatchDuplicated:
      return "watch-duplicated";
    case AnomalyKind::kWatchMissing:
      return "watch-missing";
    case AnomalyKind::kWatchLate:
      return "watch-late";
    case AnomalyKind::kWatchSpurious:
      return "watch-spurious";
    case AnomalyKind::kWatchMissedChange:
      return "watch-missed-change";
    case AnomalyKind::kEphemeralEarlyDeletion:
      return "ephemeral-early-deletion";
    case AnomalyKind::kEphemeralLateDeletion:
      return "ephemeral-late-deletion";
    case AnomalyKind::kEphemeralResurrected:
      return "ephemeral-resurrected";
    case AnomalyKind::kLostWrite:
      return "lost-acknowledged-write";
    case AnomalyKind::kDivergentNodes:
      return "divergent-nodes";
  }
  return "?";
}

bool CheckResult::Has(AnomalyKind kind) const {
  for (const Anomaly& a : anomalies) {
    if (a.kind == kind) return true;
  }
  return false;
}

const Anomaly& CheckResult::Smallest() const {
  // One that names no operations (e.g. diverged final states) ranks last: an
  // anomaly with the operations that prove it is the more useful report.
  auto size = [](const Anomaly& a) { return a.ops.empty() ? SIZE_MAX : a.ops.size(); };
  const Anomaly* best = &anomalies.front();
  for (const Anomaly& a : anomalies) {
    if (size(a) < size(*best)) best = &a;
  }
  return *best;
}

std::string CheckResult::Report() const {
  if (ok()) return "OK";
  const Anomaly& a = Smallest();
  return absl::StrCat(anomalies.size(), " anomalies; smallest: ", AnomalyName(a.kind),
                      a.key.empty() ? "" : absl::StrCat(" on key ", a.key), "\n", a.explanation);
}

}  // namespace zabkeeper::chaos
