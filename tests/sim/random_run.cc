#include "tests/sim/random_run.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/sim/cluster.h"
#include "tests/sim/rng.h"

namespace zab::sim {

namespace {

constexpr struct {
  Fault fault;
  const char* name;
} kFaultNames[] = {
    {kFaultCrash, "crash"},
    {kFaultMajorityCrash, "majority-crash"},
    {kFaultLinkBreak, "link-break"},
    {kFaultPartition, "partition"},
    {kFaultFlap, "flap"},
    {kFaultOneWay, "one-way"},
    {kFaultStaleMessages, "stale"},
    {kFaultSlowDisk, "slow-disk"},
    {kFaultDiskStall, "stall"},
    {kFaultFsyncError, "fsync-error"},
    {kFaultTornWrite, "torn"},
    {kFaultCorruptRecord, "corrupt"},
};

// Fault mix per step. Tuned so that a 2,000-step run sees a few elections,
// crashes with lost writes, syncs of every kind and plenty of commits.
struct Rates {
  double propose = 0.10;
  double crash = 0.004;
  double majority_crash = 0.0006;
  double restart = 0.03;
  double break_link = 0.004;
  double partition = 0.002;
  double heal = 0.006;
  double flap = 0.0015;
  double block = 0.002;
  double unblock = 0.006;
  double slow_disk = 0.004;
  double stall = 0.003;  // the rate that exposed the leader-side ZOOKEEPER-4643
  double unstall = 0.01;
  double corrupt = 0.001;
  // Knobs inside the cluster.
  double fsync_error = 0.002;   // per flush
  double torn_write = 0.3;      // per crash with unreported writes on disk
  double stale_on_break = 0.3;  // per broken connection
};

// For DescribeRunInProgress (one run at a time per process).
const Cluster* g_cluster = nullptr;
uint64_t g_seed = 0;
int g_nodes = 0;

}  // namespace

bool ParseFaults(const std::string& list, uint32_t* out, std::string* error) {
  if (list == "all") {
    *out = kAllFaults;
    return true;
  }
  uint32_t faults = 0;
  if (list != "none") {
    for (absl::string_view name : absl::StrSplit(list, ',')) {
      bool found = false;
      for (const auto& f : kFaultNames) {
        if (name == f.name) {
          faults |= f.fault;
          found = true;
        }
      }
      if (!found) {
        *error =
            absl::StrCat("unknown fault '", name, "'; known: all, none, ", FaultNames(kAllFaults));
        return false;
      }
    }
  }
  *out = faults;
  return true;
}

std::string FaultNames(uint32_t faults) {
  std::vector<std::string> names;
  for (const auto& f : kFaultNames) {
    if (faults & f.fault) names.push_back(f.name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

std::string DescribeRunInProgress() {
  if (g_cluster == nullptr) return "no simulation run in progress\n";
  return absl::StrCat("in seed=", g_seed, " nodes=", g_nodes, " at step ", g_cluster->steps(),
                      "; last events:\n", g_cluster->TraceTail());
}

RunResult RunRandomSeed(const RunOptions& o) {
  const Rates rates;
  const auto on = [&](Fault f) { return (o.faults & f) != 0; };
  SimConfig config;
  config.nodes = o.nodes;
  config.seed = o.seed;
  config.verbose = o.verbose;
  config.peer.init_limit_ticks = 10;
  config.peer.sync_limit_ticks = 5;
  config.peer.election_timeout_base_ticks = 2;
  config.peer.election_timeout_cap_ticks = 16;
  // Small window so that far-behind followers get SNAP in short runs.
  config.peer.committed_log_window = 16;
  if (on(kFaultFsyncError)) config.fsync_error_rate = rates.fsync_error;
  if (on(kFaultTornWrite)) config.torn_write_rate = rates.torn_write;
  if (on(kFaultStaleMessages)) config.stale_on_break = rates.stale_on_break;
  Cluster c(config);
  g_cluster = &c;
  g_seed = o.seed;
  g_nodes = o.nodes;
  Rng rng(o.seed ^ 0x5eed5eed5eedULL);
  const int nodes = o.nodes;
  uint64_t proposals = 0;
  auto pick = [&] { return static_cast<int>(rng.Range(0, nodes - 1)); };
  auto random_partition = [&] {
    std::vector<int> groups(static_cast<size_t>(nodes));
    int ngroups = static_cast<int>(rng.Range(2, 3));
    for (int& g : groups) g = static_cast<int>(rng.Range(0, ngroups - 1));
    c.Partition(groups);
  };
  // A flap re-partitions every few ticks, several times: leader attempts
  // overlap, followers ack one epoch to two leaders' attempts.
  int flaps_left = 0;
  uint64_t next_flap_step = 0;

  for (uint64_t s = 0; s < o.steps && !c.failed(); ++s) {
    if (rng.Chance(rates.propose)) {
      int burst = static_cast<int>(rng.Range(1, 4));
      for (int k = 0; k < burst; ++k) {
        (void)c.ProposeOnLeader(absl::StrCat("s", o.seed, "-", proposals++));
      }
    }
    if (on(kFaultCrash) && rng.Chance(rates.crash)) c.Crash(pick(), std::nullopt);
    if (on(kFaultMajorityCrash) && rng.Chance(rates.majority_crash)) {
      // A quorum at once (power loss of a rack): the sharpest test of what
      // each of them had made durable.
      std::vector<int> order(static_cast<size_t>(nodes));
      for (int i = 0; i < nodes; ++i) order[static_cast<size_t>(i)] = i;
      rng.Shuffle(order);
      for (int k = 0; k < nodes / 2 + 1; ++k) c.Crash(order[static_cast<size_t>(k)], std::nullopt);
    }
    if (rng.Chance(rates.restart)) {
      for (int i = 0; i < nodes; ++i) {
        if (!c.up(i)) {
          c.Restart(i);
          break;
        }
      }
    }
    if (on(kFaultLinkBreak) && rng.Chance(rates.break_link)) {
      int a = pick(), b = pick();
      if (a != b) c.BreakLink(a, b);
    }
    if (on(kFaultPartition) && rng.Chance(rates.partition)) random_partition();
    if (on(kFaultFlap) && flaps_left == 0 && rng.Chance(rates.flap)) {
      flaps_left = static_cast<int>(rng.Range(3, 6));
      next_flap_step = s;
    }
    if (flaps_left > 0 && s >= next_flap_step) {
      if (--flaps_left == 0) {
        c.Heal();
      } else {
        random_partition();
      }
      next_flap_step = s + static_cast<uint64_t>(rng.Range(5, 60));
    }
    if ((on(kFaultPartition) || on(kFaultFlap)) && flaps_left == 0 && rng.Chance(rates.heal)) {
      c.Heal();
    }
    if (on(kFaultOneWay)) {
      if (rng.Chance(rates.block)) {
        int a = pick(), b = pick();
        if (a != b) c.Block(a, b);
      }
      if (rng.Chance(rates.unblock)) c.UnblockAll();
    }
    if (on(kFaultSlowDisk) && rng.Chance(rates.slow_disk)) c.SetSlowDisk(pick(), rng.Chance(0.5));
    if (on(kFaultDiskStall)) {
      if (rng.Chance(rates.stall)) c.StallDisk(pick(), true);
      if (rng.Chance(rates.unstall)) c.StallDisk(pick(), false);
    }
    if (on(kFaultCorruptRecord) && rng.Chance(rates.corrupt)) c.CorruptRecord(pick());
    c.StepOnce();
  }
  if (!c.failed()) c.CheckLivenessAndConvergence(20000);

  RunResult r;
  r.ok = !c.failed();
  r.violation = c.checker().violation();
  if (!r.ok) r.trace = c.TraceTail();
  r.steps = c.steps();
  r.committed = c.checker().committed_count();
  r.oracle_checks = c.oracle().checks();
  for (int i = 0; i < nodes; ++i) {
    if (c.up(i)) r.elections += c.peer(i).counters().elections;
  }
  g_cluster = nullptr;
  return r;
}

}  // namespace zab::sim
