// zabsim: soak the ZAB core in the deterministic cluster simulator.
//
//   zabsim --nodes 3|5 --seeds N --steps M [--seed-start S] [--faults LIST]
//          [--jobs J] [--stop-on-failure]
//   zabsim --nodes 3|5 --seed S [--steps M] [--faults LIST] [--verbose]   (replay one seed)
//   zabsim --whole-node --nodes 3|5 --seeds N [--steps M] [--seed-start S] [--local-sessions]
//          (whole server nodes, server/node_core.h, with clients: see node_sim.h;
//          ends with "zabsim whole-node nodes=N seeds=N steps=M ops=O anomalies=A")
//
// Every fault class is on unless --faults names a subset ("all", "none" or a
// comma-separated list; an unknown name lists the known ones). Each seed runs
// in a child process (J at a time), so a CHECK failure inside the core is
// reported with its seed, step and replay command and the batch goes on.
// Prints every failing seed with its invariant and the events before it, and
// ends with "zabsim nodes=N seeds=N steps=M faults=F ... violations=V" (plus
// "first_failure=S" when V > 0); exits 1 if V > 0.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "tests/sim/node_sim.h"
#include "tests/sim/random_run.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: zabsim --nodes 3|5 --seeds N --steps M [--seed-start S] [--faults LIST]\n"
               "              [--jobs J] [--stop-on-failure] [--stats]\n"
               "       zabsim --nodes 3|5 --seed S [--steps M] [--faults LIST] [--verbose]\n"
               "       zabsim --whole-node --nodes 3|5 (--seeds N | --seed S) [--steps M]\n"
               "              [--seed-start S] [--local-sessions] [--verbose]\n"
               "faults: all (default), none, or a comma-separated list of: %s\n",
               zab::sim::FaultNames(zab::sim::kAllFaults).c_str());
  std::exit(2);
}

bool ParseU64(const char* s, uint64_t* out) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s || *end != '\0') return false;
  *out = v;
  return true;
}

zab::sim::RunOptions g_options;
std::string g_faults_arg = "all";

std::string ReplayCommand(uint64_t seed) {
  return absl::StrCat("zabsim --nodes ", g_options.nodes, " --seed ", seed, " --steps ",
                      g_options.steps, " --faults ", g_faults_arg, " --verbose");
}

// glog calls this after printing a failed CHECK: say which run it was.
void OnCheckFailure() {
  std::string s = absl::StrCat("CHECK failure ", zab::sim::DescribeRunInProgress(),
                               "  replay: ", ReplayCommand(g_options.seed), "\n");
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
  std::abort();
}

struct Report {
  uint64_t ok = 0;
  uint64_t steps = 0;
  uint64_t committed = 0;
  uint64_t oracle_checks = 0;
};

void PrintFailure(uint64_t seed, const zab::sim::RunResult& r) {
  std::string s =
      absl::StrCat("FAIL seed=", seed, " nodes=", g_options.nodes, ": ", r.violation, "\n");
  if (!g_options.verbose) absl::StrAppend(&s, r.trace, "  replay: ", ReplayCommand(seed), "\n");
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

Report RunInProcess(uint64_t seed) {
  g_options.seed = seed;
  zab::sim::RunResult r = zab::sim::RunRandomSeed(g_options);
  if (!r.ok) PrintFailure(seed, r);
  return Report{r.ok ? 1u : 0u, r.steps, r.committed, r.oracle_checks};
}

struct Child {
  uint64_t seed;
  int fd;
};

// Starts one seed in a child process; its Report comes back through a pipe.
std::pair<pid_t, Child> Spawn(uint64_t seed) {
  int fds[2];
  PCHECK(pipe(fds) == 0);
  std::fflush(stdout);
  pid_t pid = fork();
  PCHECK(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    Report rep = RunInProcess(seed);
    ssize_t n = write(fds[1], &rep, sizeof(rep));
    _exit(n == static_cast<ssize_t>(sizeof(rep)) ? 0 : 3);
  }
  close(fds[1]);
  return {pid, Child{seed, fds[0]}};
}

Report Reap(pid_t pid, int status, const Child& child) {
  Report rep;
  ssize_t n = read(child.fd, &rep, sizeof(rep));
  close(child.fd);
  if (n != static_cast<ssize_t>(sizeof(rep)) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::printf(
        "FAIL seed=%llu nodes=%d: the run died (%s %d; a CHECK report is above)\n"
        "  replay: %s\n",
        static_cast<unsigned long long>(child.seed), g_options.nodes,
        WIFSIGNALED(status) ? "signal" : "exit code",
        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
        ReplayCommand(child.seed).c_str());
    std::fflush(stdout);
    rep = Report{};
  }
  (void)pid;
  return rep;
}

}  // namespace

// Whole nodes: each seed in process (a failing seed replays with --seed).
int RunWholeNodes(uint64_t nodes, uint64_t seed_start, uint64_t seeds, uint64_t steps,
                  bool verbose, bool local_sessions) {
  uint64_t total_steps = 0, ops = 0, committed = 0, anomalies = 0, failed = 0;
  for (uint64_t seed = seed_start; seed < seed_start + seeds; ++seed) {
    zabkeeper::sim::NodeSimConfig config;
    config.nodes = static_cast<int>(nodes);
    config.seed = seed;
    config.steps = steps;
    config.verbose = verbose;
    config.local_sessions = local_sessions;
    zabkeeper::sim::NodeSim sim(config);
    sim.Run();
    total_steps += sim.steps();
    ops += sim.ops_checked();
    committed += sim.committed();
    anomalies += sim.anomalies().size();
    if (!sim.anomalies().empty()) {
      ++failed;
      std::printf("FAIL %s\n  replay: zabsim --whole-node --nodes %llu --seed %llu --steps %llu%s\n",
                  sim.Report().c_str(), static_cast<unsigned long long>(nodes),
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(steps),
                  local_sessions ? " --local-sessions" : "");
    }
  }
  std::printf(
      "zabsim whole-node nodes=%llu seeds=%llu steps=%llu committed=%llu ops=%llu "
      "failed_seeds=%llu anomalies=%llu\n",
      static_cast<unsigned long long>(nodes), static_cast<unsigned long long>(seeds),
      static_cast<unsigned long long>(total_steps), static_cast<unsigned long long>(committed),
      static_cast<unsigned long long>(ops), static_cast<unsigned long long>(failed),
      static_cast<unsigned long long>(anomalies));
  return anomalies > 0 ? 1 : 0;
}

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_minloglevel = 3;  // the core's own LOG(ERROR)s are reported as violations
  google::InstallFailureFunction(&OnCheckFailure);
  uint64_t nodes = 3, seeds = 100, steps = 2000, seed_start = 0, single = 0, jobs = 1;
  bool have_single = false, verbose = false, stats = false, stop_on_failure = false;
  bool whole_node = false, local_sessions = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](uint64_t* out) {
      if (i + 1 >= argc || !ParseU64(argv[++i], out)) Usage();
    };
    if (a == "--nodes") {
      value(&nodes);
    } else if (a == "--seeds") {
      value(&seeds);
    } else if (a == "--steps") {
      value(&steps);
    } else if (a == "--seed-start") {
      value(&seed_start);
    } else if (a == "--seed") {
      value(&single);
      have_single = true;
    } else if (a == "--jobs") {
      value(&jobs);
    } else if (a == "--faults") {
      if (i + 1 >= argc) Usage();
      g_faults_arg = argv[++i];
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--stats") {
      stats = true;
    } else if (a == "--whole-node") {
      whole_node = true;
    } else if (a == "--local-sessions") {
      local_sessions = true;
    } else if (a == "--stop-on-failure") {
      stop_on_failure = true;
    } else {
      Usage();
    }
  }
  if (nodes != 3 && nodes != 5) Usage();
  if (jobs < 1) jobs = 1;
  std::string error;
  if (!zab::sim::ParseFaults(g_faults_arg, &g_options.faults, &error)) {
    std::fprintf(stderr, "zabsim: %s\n", error.c_str());
    return 2;
  }
  if (have_single) {
    seed_start = single;
    seeds = 1;
  }
  if (verbose) FLAGS_minloglevel = 0;
  if (whole_node) return RunWholeNodes(nodes, seed_start, seeds, steps, verbose, local_sessions);
  g_options.nodes = static_cast<int>(nodes);
  g_options.steps = steps;
  g_options.verbose = verbose;

  auto t0 = std::chrono::steady_clock::now();
  uint64_t violations = 0, total_steps = 0, committed = 0, oracle_checks = 0;
  uint64_t first_failure = UINT64_MAX;
  auto account = [&](uint64_t seed, const Report& rep) {
    total_steps += rep.steps;
    committed += rep.committed;
    oracle_checks += rep.oracle_checks;
    if (!rep.ok) {
      ++violations;
      first_failure = std::min(first_failure, seed);
    }
  };
  if (seeds == 1) {
    account(seed_start, RunInProcess(seed_start));  // replays run here, under a debugger too
  } else {
    std::map<pid_t, Child> running;
    uint64_t next = seed_start;
    while (next < seed_start + seeds || !running.empty()) {
      const bool launch = next < seed_start + seeds && !(stop_on_failure && violations > 0);
      if (launch && running.size() < jobs) {
        running.insert(Spawn(next++));
        continue;
      }
      if (running.empty()) break;
      int status = 0;
      pid_t pid = waitpid(-1, &status, 0);
      PCHECK(pid > 0);
      auto it = running.find(pid);
      if (it == running.end()) continue;
      account(it->second.seed, Reap(pid, status, it->second));
      running.erase(it);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (stats) {
    std::printf("simulated steps=%llu committed=%llu seconds=%.2f steps_per_sec=%.0f\n",
                static_cast<unsigned long long>(total_steps),
                static_cast<unsigned long long>(committed), secs,
                static_cast<double>(total_steps) / secs);
  }
  std::printf(
      "zabsim nodes=%llu seeds=%llu steps=%llu faults=%s committed=%llu "
      "oracle_checks=%llu violations=%llu",
      static_cast<unsigned long long>(nodes), static_cast<unsigned long long>(seeds),
      static_cast<unsigned long long>(steps), g_faults_arg.c_str(),
      static_cast<unsigned long long>(committed), static_cast<unsigned long long>(oracle_checks),
      static_cast<unsigned long long>(violations));
  if (violations > 0)
    std::printf(" first_failure=%llu", static_cast<unsigned long long>(first_failure));
  std::printf("\n");
  return violations > 0 ? 1 : 0;
}
