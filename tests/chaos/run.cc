#include "tests/chaos/run.h"

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/chaos/faults.h"
#include "tests/chaos/history_io.h"
#include "tests/chaos/process.h"
#include "tests/chaos/recorded_run.h"
#include "tests/chaos/worker.h"

namespace zabkeeper::chaos {
namespace {

constexpr auto kFormTimeout = std::chrono::seconds(60);
constexpr Time kNsPerMs = 1'000'000;

std::vector<std::string> WorkerArgv(const RunOptions& o, const std::string& mode, int process,
                                    const std::string& connect, uint64_t seed, Time deadline,
                                    Time duration, int ops, const std::string& out) {
  return {o.self_bin,
          "--worker",
          mode,
          "--process",
          absl::StrCat(process),
          "--connect",
          connect,
          "--keys",
          absl::StrCat(o.keys),
          "--lists",
          absl::StrCat(o.lists),
          "--eph-slots",
          absl::StrCat(o.ephemerals ? o.run_seconds : 0),
          "--ops",
          absl::StrCat(ops),
          "--seed",
          absl::StrCat(seed),
          "--deadline-ns",
          absl::StrCat(deadline),
          "--duration-ns",
          absl::StrCat(duration),
          "--out",
          out};
}

// Spawns a worker and waits for it up to its deadline plus a grace period.
bool RunWorkerProcess(const std::vector<std::string>& argv, const Placement& placement,
                      const std::string& log, std::chrono::milliseconds timeout) {
  SpawnOptions options;
  options.log_path = log;
  options.netns_path = placement.client_netns_path;
  pid_t pid = Spawn(argv, options);
  if (pid < 0) return false;
  std::optional<int> status = WaitFor(pid, timeout);
  if (!status) {
    KillAndReap(pid);
    return false;
  }
  return WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

// For each leader kill: time to the next acknowledged write (ms), -1 if none.
std::vector<int64_t> LeaderKillToWrite(const History& history, const std::vector<Time>& kills) {
  std::vector<int64_t> out;
  for (Time kill : kills) {
    std::optional<Time> first;
    for (const Operation& op : history) {
      if ((op.kind != OpKind::kWrite && op.kind != OpKind::kCas) || !op.ok()) continue;
      if (*op.complete > kill && (!first || *op.complete < *first)) first = op.complete;
    }
    out.push_back(first ? (*first - kill) / kNsPerMs : -1);
  }
  return out;
}

// "max" of the figures; "-" if none; "(+N <missing>)" counts the ones that
// did not happen: a restart not serving within 30 s ("timeout"), a leader cut
// near the end after which no write was issued ("none").
std::string MaxMs(const std::vector<int64_t>& v, const char* missing) {
  if (v.empty()) return "-";
  int64_t max = -1;
  int none = 0;
  for (int64_t x : v) {
    max = std::max(max, x);
    none += x < 0 ? 1 : 0;
  }
  std::string out = max < 0 ? "-" : absl::StrCat(max);
  if (none > 0) absl::StrAppend(&out, "(+", none, " ", missing, ")");
  return out;
}

void SaveArtifacts(const std::string& dir, const History& history,
                   const std::vector<FaultRecord>& schedule, Time origin, const CheckResult& checks,
                   const std::vector<std::string>& errors) {
  std::ofstream text(dir + "/history.txt");
  for (size_t i = 0; i < history.size(); ++i) text << FormatOp(history, i) << "\n";
  std::ofstream tsv(dir + "/history.tsv");
  for (const Operation& op : history) tsv << EncodeOp(op) << "\n";
  std::ofstream faults(dir + "/faults.txt");
  faults << "# ms since run start (history times are steady_clock ns; origin " << origin << ")\n";
  for (const FaultRecord& f : schedule) {
    faults << (f.start - origin) / kNsPerMs << "-" << (f.end - origin) / kNsPerMs << " " << f.name
           << ": " << f.detail << "\n";
  }
  std::ofstream anomalies(dir + "/anomalies.txt");
  for (const std::string& e : errors) anomalies << "run error: " << e << "\n";
  for (const Anomaly& a : checks.anomalies) {
    anomalies << AnomalyName(a.kind) << " key=" << a.key << " ops=" << absl::StrJoin(a.ops, ",")
              << "\n"
              << a.explanation << "\n\n";
  }
}

}  // namespace

RunResult RunOnce(const RunOptions& o, const Placement& placement, uint64_t seed) {
  RunResult result;
  result.seed = seed;
  const std::string dir = absl::StrCat(o.out_dir, "/run-", seed);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  std::vector<FaultRecord> schedule;
  std::vector<std::string> errors;
  std::vector<int64_t> restart_ms;
  std::vector<Time> leader_kills;
  std::vector<int64_t> heal_ms;
  const Time origin = Now();
  {
    ClusterConfig cc;
    cc.server_bin = o.server_bin;
    cc.dir = dir;
    cc.nodes = placement.nodes;
    cc.fixed_ports = placement.fixed_ports;
    cc.net = placement.net;
    ChaosCluster cluster(cc);
    for (int id = 1; id <= cluster.size(); ++id) cluster.Start(id);
    if (cluster.WaitAllServingAndConverged(kFormTimeout) < 0) {
      errors.push_back("the ensemble did not form");
    }
    const std::string connect = cluster.ConnectString();
    if (errors.empty() &&
        !RunWorkerProcess(
            WorkerArgv(o, "init", 0, connect, seed, Now() + 20'000 * kNsPerMs, 0, 0, ""), placement,
            dir + "/worker-init.log", std::chrono::seconds(25))) {
      errors.push_back("could not create the registers");
    }
    if (errors.empty()) {
      // Traffic: workers spread their ops over run_seconds; they stop by
      // themselves at the deadline (run + 20 s for reconnects and timeouts).
      const Time duration = o.run_seconds * 1000 * kNsPerMs;
      const Time start = Now();
      const Time deadline = start + duration + 20'000 * kNsPerMs;
      std::vector<pid_t> workers;
      for (int w = 0; w < o.workers; ++w) {
        const int ops = o.ops / o.workers + (w < o.ops % o.workers ? 1 : 0);
        SpawnOptions so;
        so.log_path = absl::StrCat(dir, "/worker-", w, ".log");
        so.netns_path = placement.client_netns_path;
        workers.push_back(
            Spawn(WorkerArgv(o, "traffic", w, connect, seed * 1000 + w, deadline, duration, ops,
                             absl::StrCat(dir, "/history-", w, ".tsv")),
                  so));
      }
      pid_t owner = -1;
      if (o.ephemerals) {
        SpawnOptions so;
        so.log_path = dir + "/worker-ephemeral.log";
        so.netns_path = placement.client_netns_path;
        owner = Spawn(WorkerArgv(o, "ephemeral", o.workers, connect, seed * 1000 + o.workers,
                                 deadline, duration, o.run_seconds, dir + "/ephemerals.tsv"),
                      so);
      }
      FaultSchedule faults(cluster, placement.net, o.faults, seed);
      // First fault after a quiet moment so the history has a fault-free start.
      std::this_thread::sleep_for(std::chrono::milliseconds(300 + faults.rng()() % 700));
      while (Now() < start + duration) {
        schedule.push_back(faults.Step());
        std::this_thread::sleep_for(std::chrono::milliseconds(200 + faults.rng()() % 1000));
      }
      faults.HealAll();
      heal_ms = faults.liveness().heal_to_serving_ms;
      if (heal_ms.back() < 0) errors.push_back("not every node serves 30 s after heal");
      for (size_t w = 0; w < workers.size(); ++w) {
        const auto left = std::chrono::nanoseconds(std::max<Time>(0, deadline - Now())) +
                          std::chrono::seconds(10);
        std::optional<int> status =
            WaitFor(workers[w], std::chrono::duration_cast<std::chrono::milliseconds>(left));
        if (!status) {
          KillAndReap(workers[w]);
          errors.push_back(absl::StrCat("worker ", w, " overran its deadline"));
        }
        if (!std::filesystem::exists(absl::StrCat(dir, "/history-", w, ".tsv"))) {
          errors.push_back(absl::StrCat("worker ", w, " left no history"));
        }
      }
      if (owner > 0) {
        const auto left = std::chrono::nanoseconds(std::max<Time>(0, deadline - Now())) +
                          std::chrono::seconds(10);
        if (!WaitFor(owner, std::chrono::duration_cast<std::chrono::milliseconds>(left))) {
          KillAndReap(owner);
          errors.push_back("the ephemeral owner overran its deadline");
        }
      }
      if (cluster.WaitAllServingAndConverged(kFormTimeout) < 0) {
        errors.push_back("nodes did not converge after heal");
      }
      for (int id = 1; id <= cluster.size(); ++id) {
        const std::string out = absl::StrCat(dir, "/final-", id, ".tsv");
        bool ok = RunWorkerProcess(WorkerArgv(o, "final", 1000 + id, cluster.ClientAddress(id),
                                              seed, Now() + 20'000 * kNsPerMs, 0, 0, out),
                                   placement, dir + "/worker-final.log", std::chrono::seconds(25));
        if (!ok) errors.push_back(absl::StrCat("final read of server.", id, " failed"));
      }
      restart_ms = faults.liveness().restart_to_serving_ms;
      leader_kills = faults.liveness().leader_kills;
    }
  }  // every server is killed here

  RecordedRun recorded = LoadRunDir(dir);
  for (const FaultRecord& f : schedule) recorded.faults.push_back({f.start, f.end});
  const History& history = recorded.history;
  const CheckResult checks = CheckRecorded(recorded);
  const std::vector<int64_t> kill_to_write_ms = LeaderKillToWrite(history, leader_kills);

  int ok = 0, unknown = 0;
  for (const Operation& op : history) {
    ok += op.ok() ? 1 : 0;
    unknown += op.result == OpResult::kUnknown ? 1 : 0;
  }
  const int ephemeral_count = static_cast<int>(recorded.ephemerals.size());
  std::map<std::string, int> kinds;
  int failpoint_crashes = 0;
  for (const FaultRecord& f : schedule) {
    ++kinds[f.name];
    if (f.name == "failpoint" && f.detail.find(", crashed") != std::string::npos) {
      ++failpoint_crashes;
    }
  }
  result.ops = static_cast<int>(history.size());
  result.faults = static_cast<int>(schedule.size());
  result.anomalies = static_cast<int>(checks.anomalies.size() + errors.size());
  result.line = absl::StrCat(
      "run seed=", seed, " ops=", result.ops, " ok=", ok, " unknown=", unknown,
      " ephemerals=", ephemeral_count, " watch_sessions=", recorded.watches.size(),
      " watches_across_reconnect=", recorded.watches_dropped, " faults=", result.faults, " [",
      absl::StrJoin(kinds, ",", absl::PairFormatter("=")),
      "] failpoint_crashes=", failpoint_crashes, " anomalies=", result.anomalies,
      " heal_max_ms=", MaxMs(heal_ms, "timeout"), " restart_max_ms=", MaxMs(restart_ms, "timeout"),
      " leader_kill_to_write_max_ms=", MaxMs(kill_to_write_ms, "none"));
  if (!checks.ok()) absl::StrAppend(&result.line, "\n  ", checks.Report());
  for (const std::string& e : errors) absl::StrAppend(&result.line, "\n  run error: ", e);

  result.heal_ms = heal_ms;
  result.restart_ms = restart_ms;
  result.kill_to_write_ms = kill_to_write_ms;
  if (result.anomalies > 0 || o.keep_passing) {
    SaveArtifacts(dir, history, schedule, origin, checks, errors);
  } else {
    std::filesystem::remove_all(dir);
  }
  return result;
}

}  // namespace zabkeeper::chaos
