#include "tests/sim/random_run.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/sim/cluster.h"
#include "tests/sim/rng.h"

namespace zab::sim {

namespace {

// Fault mix per step. Tuned so that a 2,000-step run sees a few elections,
// crashes with lost writes, syncs of every kind and plenty of commits.
struct Rates {
  double propose = 0.10;
  double crash = 0.004;
  double restart = 0.03;
  double break_link = 0.004;
  double partition = 0.002;
  double heal = 0.006;
  double block = 0.002;
  double unblock = 0.006;
  double slow_disk = 0.004;
};

}  // namespace

RunResult RunRandomSeed(int nodes, uint64_t seed, uint64_t steps, bool verbose) {
  SimConfig config;
  config.nodes = nodes;
  config.seed = seed;
  config.verbose = verbose;
  config.peer.init_limit_ticks = 10;
  config.peer.sync_limit_ticks = 5;
  config.peer.election_timeout_base_ticks = 2;
  config.peer.election_timeout_cap_ticks = 16;
  // Small window so that far-behind followers get SNAP in short runs.
  config.peer.committed_log_window = 16;
  Cluster c(config);
  Rng rng(seed ^ 0x5eed5eed5eedULL);
  const Rates rates;
  uint64_t proposals = 0;
  auto pick = [&] { return static_cast<int>(rng.Range(0, nodes - 1)); };

  for (uint64_t s = 0; s < steps && !c.failed(); ++s) {
    if (rng.Chance(rates.propose)) {
      int burst = static_cast<int>(rng.Range(1, 4));
      for (int k = 0; k < burst; ++k) {
        (void)c.ProposeOnLeader(absl::StrCat("s", seed, "-", proposals++));
      }
    }
    if (rng.Chance(rates.crash)) {
      c.Crash(pick(), std::nullopt);
    }
    if (rng.Chance(rates.restart)) {
      for (int i = 0; i < nodes; ++i) {
        if (!c.up(i)) {
          c.Restart(i);
          break;
        }
      }
    }
    if (rng.Chance(rates.break_link)) {
      int a = pick(), b = pick();
      if (a != b) c.BreakLink(a, b);
    }
    if (rng.Chance(rates.partition)) {
      std::vector<int> groups(static_cast<size_t>(nodes));
      int ngroups = static_cast<int>(rng.Range(2, 3));
      for (int& g : groups) g = static_cast<int>(rng.Range(0, ngroups - 1));
      c.Partition(groups);
    }
    if (rng.Chance(rates.heal)) c.Heal();
    if (rng.Chance(rates.block)) {
      int a = pick(), b = pick();
      if (a != b) c.Block(a, b);
    }
    if (rng.Chance(rates.unblock)) c.UnblockAll();
    if (rng.Chance(rates.slow_disk)) {
      int i = pick();
      c.SetSlowDisk(i, rng.Chance(0.5));
    }
    c.StepOnce();
  }
  if (!c.failed()) c.CheckLivenessAndConvergence(20000);

  RunResult r;
  r.ok = !c.failed();
  r.violation = c.checker().violation();
  if (!r.ok) r.trace = c.TraceTail();
  r.steps = c.steps();
  r.committed = c.checker().committed_count();
  for (int i = 0; i < nodes; ++i) {
    if (c.up(i)) r.elections += c.peer(i).counters().elections;
  }
  return r;
}

}  // namespace zab::sim
