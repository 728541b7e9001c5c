// zkchaos: randomized fault runs against real zabkeeper ensembles, with the
// history checkers of this folder (see docs/RELIABILITY.md).
//
//   zkchaos --nodes 3 --runs 10 --ops-per-run 300 --seed 1 --out /tmp/chaos
//           [--faults kill-leader,pause,...] [--server-bin PATH]
//           [--net auto|netns|loopback] [--workers 4] [--keys 3]
//           [--lists 3] [--no-ephemerals] [--run-seconds 8] [--keep]
//
// Run i uses seed S+i. One line per run, then as the last line
// "chaos runs=N ops=TOTAL anomalies=A"; exit code 1 when A > 0, 2 on bad usage.
// `zkchaos --check DIR` re-checks a saved run directory (exit 1 on anomalies).
// `--worker MODE ...` is the hidden client mode the harness re-executes
// itself in (worker.h).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/chaos/faults.h"
#include "tests/chaos/net.h"
#include "tests/chaos/process.h"
#include "tests/chaos/recorded_run.h"
#include "tests/chaos/run.h"
#include "tests/chaos/worker.h"

namespace zabkeeper::chaos {
namespace {

// --name value pairs; bare flags (--keep) map to "1".
using Flags = std::map<std::string, std::string>;

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return false;
    a = a.substr(2);
    if (a == "keep" || a == "no-ephemerals") {
      // assign(1, '1'), not = "1": GCC 12 -O3 reports a false
      // -Wstringop-overflow for the literal (PR 105329), and -Werror makes
      // that a Release build failure.
      flags[a].assign(1, '1');
    } else if (i + 1 < argc) {
      flags[a] = argv[++i];
    } else {
      return false;
    }
  }
  return true;
}

template <typename T>
bool Get(const Flags& flags, const std::string& name, T& out) {
  auto it = flags.find(name);
  if (it == flags.end()) return true;
  return absl::SimpleAtoi(it->second, &out);
}

int WorkerMain(const Flags& flags) {
  WorkerConfig c;
  c.mode = flags.at("worker");
  c.connect = flags.count("connect") ? flags.at("connect") : "";
  c.out = flags.count("out") ? flags.at("out") : "";
  if (!Get(flags, "process", c.process) || !Get(flags, "keys", c.keys) ||
      !Get(flags, "lists", c.lists) || !Get(flags, "eph-slots", c.eph_slots) ||
      !Get(flags, "ops", c.ops) || !Get(flags, "seed", c.seed) ||
      !Get(flags, "deadline-ns", c.deadline) || !Get(flags, "duration-ns", c.run_duration)) {
    std::fprintf(stderr, "zkchaos worker: bad flags\n");
    return 2;
  }
  return RunWorker(c);
}

std::string SelfPath() {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

std::string Percentiles(std::vector<int64_t> v) {
  std::erase(v, -1);
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  return absl::StrCat("p50=", v[v.size() / 2], " max=", v.back());
}

// --check DIR: re-runs the checkers on a saved run directory.
int CheckMain(const std::string& dir) {
  const RecordedRun run = LoadRunDir(dir);
  const CheckResult checks = CheckRecorded(run);
  std::printf("check %s ops=%zu finals=%zu ephemerals=%zu watch_sessions=%zu anomalies=%zu\n%s\n",
              dir.c_str(), run.history.size(), run.finals.size(), run.ephemerals.size(),
              run.watches.size(), checks.anomalies.size(), checks.Report().c_str());
  for (const Anomaly& a : checks.anomalies)
    std::printf("%s key=%s\n", AnomalyName(a.kind), a.key.c_str());
  return checks.ok() && !run.history.empty() ? 0 : 1;
}

int Usage() {
  std::fprintf(stderr,
               "usage: zkchaos --nodes 3|5 --runs N --ops-per-run K --seed S --out DIR\n"
               "               [--faults LIST] [--server-bin PATH] [--net auto|netns|loopback]\n"
               "               [--workers W] [--keys K] [--lists L] [--no-ephemerals]\n"
               "               [--run-seconds T] [--keep]\n");
  return 2;
}

int HarnessMain(const Flags& flags) {
  RunOptions o;
  int runs = 1;
  uint64_t seed = 1;
  if (!Get(flags, "nodes", o.nodes) || !Get(flags, "runs", runs) ||
      !Get(flags, "ops-per-run", o.ops) || !Get(flags, "seed", seed) ||
      !Get(flags, "workers", o.workers) || !Get(flags, "keys", o.keys) ||
      !Get(flags, "lists", o.lists) || !Get(flags, "run-seconds", o.run_seconds) ||
      !flags.count("out")) {
    return Usage();
  }
  if (o.nodes < 1 || o.nodes > 9 || runs < 1 || runs > 100000 || o.workers < 1 || o.workers > 64 ||
      o.keys < 1 || o.keys > 1000 || o.lists < 0 || o.lists > 100 || o.run_seconds < 1 ||
      o.ops < 1) {
    return Usage();
  }
  o.out_dir = std::filesystem::absolute(flags.at("out")).string();
  o.keep_passing = flags.count("keep") > 0;
  o.ephemerals = flags.count("no-ephemerals") == 0;
  o.self_bin = SelfPath();
  o.server_bin =
      flags.count("server-bin")
          ? std::filesystem::absolute(flags.at("server-bin")).string()
          : (std::filesystem::path(o.self_bin).parent_path() / "zabkeeper-server").string();
  if (!std::filesystem::exists(o.server_bin)) {
    std::fprintf(stderr, "zkchaos: no server binary at %s (use --server-bin)\n",
                 o.server_bin.c_str());
    return 2;
  }
  if (flags.count("faults")) {
    o.faults = absl::StrSplit(flags.at("faults"), ',', absl::SkipEmpty());
  } else {
    o.faults = ProcessFaultNames();
    for (const std::string& n : NetFaultNames()) o.faults.push_back(n);
  }
  for (const std::string& f : o.faults) {
    const auto& p = ProcessFaultNames();
    const auto& n = NetFaultNames();
    if (std::find(p.begin(), p.end(), f) == p.end() &&
        std::find(n.begin(), n.end(), f) == n.end()) {
      std::fprintf(stderr, "zkchaos: unknown fault %s\n", f.c_str());
      return 2;
    }
  }
  std::filesystem::create_directories(o.out_dir);

  const std::string net = flags.count("net") ? flags.at("net") : "auto";
  // From here on, SIGINT/SIGTERM/SIGHUP kill every child and (once they
  // exist) delete the namespaces before exiting.
  InstallSignalCleanup({});
  std::unique_ptr<NetworkSetup> network = MakeNetwork(net, o.nodes, o.out_dir);
  if (network == nullptr) return 2;
  InstallSignalCleanup(network->TeardownCommand());
  std::printf("chaos net=%s%s\n", network->Name().c_str(), network->Note().c_str());
  std::fflush(stdout);
  const Placement placement = network->placement();

  int total_ops = 0, total_anomalies = 0;
  std::vector<int64_t> heal, restart, kill_to_write;
  for (int i = 0; i < runs; ++i) {
    RunResult r = RunOnce(o, placement, seed + static_cast<uint64_t>(i));
    std::printf("%s\n", r.line.c_str());
    std::fflush(stdout);
    total_ops += r.ops;
    total_anomalies += r.anomalies;
    heal.insert(heal.end(), r.heal_ms.begin(), r.heal_ms.end());
    restart.insert(restart.end(), r.restart_ms.begin(), r.restart_ms.end());
    kill_to_write.insert(kill_to_write.end(), r.kill_to_write_ms.begin(), r.kill_to_write_ms.end());
  }
  std::printf(
      "liveness heal_to_serving_ms %s; restart_to_serving_ms %s; "
      "leader_kill_to_write_ms %s\n",
      Percentiles(heal).c_str(), Percentiles(restart).c_str(), Percentiles(kill_to_write).c_str());
  std::printf("chaos runs=%d ops=%d anomalies=%d\n", runs, total_ops, total_anomalies);
  std::fflush(stdout);
  return total_anomalies > 0 ? 1 : 0;
}

}  // namespace
}  // namespace zabkeeper::chaos

int main(int argc, char** argv) {
  zabkeeper::chaos::Flags flags;
  if (!zabkeeper::chaos::ParseFlags(argc, argv, flags)) return zabkeeper::chaos::Usage();
  if (flags.count("worker")) return zabkeeper::chaos::WorkerMain(flags);
  if (flags.count("check")) return zabkeeper::chaos::CheckMain(flags.at("check"));
  // Caught so that the stack unwinds: the cluster's and the network's
  // destructors kill the servers and delete the namespaces.
  try {
    return zabkeeper::chaos::HarnessMain(flags);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zkchaos: %s\n", e.what());
    return 3;
  }
}
