#include "tests/chaos/ephemeral_check.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace zabkeeper::chaos {
namespace {

std::string FormatObservation(const EphemeralRecord& r, size_t i) {
  const EphemeralObservation& o = r.observations[i];
  return absl::StrCat("[", i, "] ", o.present ? "present" : "absent", " [", o.invoke, ",",
                      o.complete, "]");
}

void Report(const EphemeralRecord& r, AnomalyKind kind, std::vector<size_t> ops,
            const std::string& why, CheckResult* result) {
  std::string text = absl::StrCat("ephemeral ", r.path, " of session ", r.session, " (created ",
                                  r.created, ", last alive ", r.last_alive,
                                  r.closed ? absl::StrCat(", closed ", *r.closed) : "",
                                  ", timeout ", r.session_timeout, "): ", why, "\n");
  for (size_t op : ops) absl::StrAppend(&text, "  ", FormatObservation(r, op), "\n");
  result->anomalies.push_back(Anomaly{kind, r.path, std::move(ops), std::move(text)});
}

void CheckOne(const EphemeralRecord& r, const EphemeralOptions& options, CheckResult* result) {
  Time deadline =
      (r.closed ? *r.closed : r.last_alive + r.session_timeout) + options.election_allowance;
  if (!r.closed) {
    // Expiry is a leader's timer: a fault that starts before it fires may
    // bring a new leader, which starts every session's timer afresh.
    for (const auto& [start, end] : options.disruptions) {
      if (start <= deadline) {
        deadline = std::max(deadline, end + r.session_timeout + options.election_allowance);
      }
    }
  }
  std::optional<size_t> first_absent;  // the absent observation completing first
  for (size_t i = 0; i < r.observations.size(); ++i) {
    const EphemeralObservation& o = r.observations[i];
    // An absent node seen from before the create was acknowledged may be the
    // tree before the create: it says nothing about deletion.
    if (o.present || o.invoke < r.created) continue;
    if (o.complete < r.last_alive) {
      Report(r, AnomalyKind::kEphemeralEarlyDeletion, {i}, "seen gone while its session was alive",
             result);
    }
    if (!first_absent || o.complete < r.observations[*first_absent].complete) first_absent = i;
  }
  for (size_t i = 0; i < r.observations.size(); ++i) {
    const EphemeralObservation& o = r.observations[i];
    if (!o.present) continue;
    if (o.invoke > deadline) {
      Report(r, AnomalyKind::kEphemeralLateDeletion, {i},
             absl::StrCat("still present after the deadline ", deadline), result);
    } else if (first_absent && o.invoke > r.observations[*first_absent].complete) {
      Report(r, AnomalyKind::kEphemeralResurrected, {*first_absent, i},
             "present again after it was seen gone", result);
    }
  }
}

}  // namespace

CheckResult CheckEphemerals(const std::vector<EphemeralRecord>& records,
                            const EphemeralOptions& options) {
  CheckResult result;
  for (const EphemeralRecord& r : records) CheckOne(r, options, &result);
  return result;
}

}  // namespace zabkeeper::chaos
