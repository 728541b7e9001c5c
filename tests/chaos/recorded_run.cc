#include "tests/chaos/recorded_run.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/chaos/ephemeral_ops.h"
#include "tests/chaos/history_io.h"
#include "tests/chaos/linearizability.h"
#include "tests/chaos/list_append.h"
#include "tests/chaos/session_order.h"
#include "tests/chaos/watch_log.h"

namespace zabkeeper::chaos {
namespace {

constexpr Time kNsPerMs = 1'000'000;
// Expiry of an ephemeral's session may be late by this much: a new leader
// restarts session timers, and a fault can hold the ensemble without a leader
// for up to its hold (3 s) plus the restart and election after it.
constexpr Time kElectionAllowance = 10'000 * kNsPerMs;

// faults.txt: "# ... origin <ns>)" then "<start ms>-<end ms> <name>: ...",
// ms after the origin (rounded down: each end is taken 1 ms later).
std::vector<std::pair<Time, Time>> ReadFaultWindows(const std::string& path) {
  std::vector<std::pair<Time, Time>> windows;
  std::ifstream in(path);
  std::string line;
  Time origin = 0;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) {
      const size_t at = line.find("origin ");
      if (at != std::string::npos) {
        (void)absl::SimpleAtoi(line.substr(at + 7, line.find(')', at) - at - 7), &origin);
      }
      continue;
    }
    std::vector<std::string> span = absl::StrSplit(line.substr(0, line.find(' ')), '-');
    Time start = 0, end = 0;
    if (span.size() == 2 && absl::SimpleAtoi(span[0], &start) && absl::SimpleAtoi(span[1], &end)) {
      windows.push_back({origin + start * kNsPerMs, origin + (end + 1) * kNsPerMs});
    }
  }
  return windows;
}

std::optional<NodeFinalState> ReadFinal(const std::string& path, const std::string& node) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  NodeFinalState state;
  state.node = node;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    FinalValue v;
    uint64_t zxid = 0;
    if (f.size() != 4 || f[0] != "final" || !absl::SimpleAtoi(f[2], &v.value) ||
        !absl::SimpleAtoi(f[3], &zxid)) {
      continue;
    }
    v.mzxid = Zxid::FromRaw(zxid);
    state.data[f[1]] = v;
  }
  return state;
}

// Files "<prefix><n>.tsv" in dir, by n.
std::vector<std::pair<int, std::string>> Numbered(const std::string& dir,
                                                  const std::string& prefix) {
  std::vector<std::pair<int, std::string>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    int n = 0;
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + 4 && name.ends_with(".tsv") &&
        absl::SimpleAtoi(name.substr(prefix.size(), name.size() - prefix.size() - 4), &n)) {
      out.push_back({n, entry.path().string()});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void AddAll(CheckResult& into, const CheckResult& from) {
  into.anomalies.insert(into.anomalies.end(), from.anomalies.begin(), from.anomalies.end());
}

}  // namespace

RecordedRun LoadRunDir(const std::string& dir) {
  RecordedRun run;
  std::vector<std::string> observers;
  for (const auto& [w, path] : Numbered(dir, "history-")) {
    ReadHistoryFile(path, run.history);
    run.watches_dropped += ReadWatchLog(path, run.watches);
    observers.push_back(path);
  }
  for (const auto& [id, path] : Numbered(dir, "final-")) {
    ReadHistoryFile(path, run.history);  // the final list reads
    std::optional<NodeFinalState> state = ReadFinal(path, absl::StrCat("server.", id));
    if (state) run.finals.push_back(std::move(*state));
  }
  run.ephemerals = ReadEphemerals(dir + "/ephemerals.tsv", observers);
  run.faults = ReadFaultWindows(dir + "/faults.txt");
  std::stable_sort(run.history.begin(), run.history.end(),
                   [](const Operation& a, const Operation& b) { return a.invoke < b.invoke; });
  run.has_lists = std::any_of(run.history.begin(), run.history.end(),
                              [](const Operation& op) { return op.kind == OpKind::kMulti; });
  return run;
}

CheckResult CheckRecorded(const RecordedRun& run) {
  CheckResult checks;
  AddAll(checks, CheckLinearizable(run.history));
  AddAll(checks, CheckSessionOrder(run.history));
  if (!run.finals.empty()) AddAll(checks, CheckDurability(run.history, run.finals));
  if (run.has_lists) AddAll(checks, CheckListAppend(run.history));
  if (!run.ephemerals.empty()) {
    EphemeralOptions eo;
    eo.election_allowance = kElectionAllowance;
    eo.disruptions = run.faults;
    AddAll(checks, CheckEphemerals(run.ephemerals, eo));
  }
  if (!run.watches.empty())
    AddAll(checks, CheckWatches(run.watches, ChangesFromHistory(run.history)));
  return checks;
}

}  // namespace zabkeeper::chaos
