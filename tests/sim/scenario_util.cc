#include "tests/sim/scenario_util.h"

#include "absl/strings/str_cat.h"

namespace zab::sim {

SimConfig ScenarioConfig(int nodes, uint64_t seed) {
  SimConfig config;
  config.nodes = nodes;
  config.seed = seed;
  config.peer.init_limit_ticks = 10;
  config.peer.sync_limit_ticks = 5;
  config.peer.committed_log_window = 16;
  return config;
}

int WaitForStableLeader(Cluster& c, uint64_t max_steps) {
  int leader = -1;
  c.RunUntil(
      [&] {
        leader = c.EstablishedLeader();
        if (leader < 0) return false;
        for (int i = 0; i < c.size(); ++i) {
          if (i == leader || !c.up(i)) continue;
          const Peer& p = c.peer(i);
          if (p.role() == Role::kFollowing && p.leader() == Cluster::Sid(leader) &&
              p.IsServingFollower()) {
            continue;
          }
          // Nodes that cannot reach the leader are allowed to be elsewhere.
          if (p.role() == Role::kLeading || p.leader() != Cluster::Sid(leader)) continue;
          return false;
        }
        return true;
      },
      max_steps);
  return c.EstablishedLeader();
}

bool AppliedEverywhere(const Cluster& c, Zxid z, const std::vector<int>& nodes) {
  for (int i : nodes) {
    if (!c.up(i) || c.state(i).last < z) return false;
  }
  return true;
}

std::vector<Zxid> CommitOnLeader(Cluster& c, int n, const std::string& tag, std::vector<int> nodes,
                                 uint64_t max_steps) {
  std::vector<Zxid> out;
  if (nodes.empty()) {
    for (int i = 0; i < c.size(); ++i) {
      if (c.up(i)) nodes.push_back(i);
    }
  }
  for (int k = 0; k < n; ++k) {
    auto z = c.ProposeOnLeader(absl::StrCat(tag, "-", k));
    if (z.ok()) out.push_back(*z);
  }
  if (!out.empty()) {
    Zxid last = out.back();
    c.RunUntil([&] { return AppliedEverywhere(c, last, nodes); }, max_steps);
  }
  return out;
}

void Isolate(Cluster& c, std::vector<int> nodes) {
  std::vector<int> groups(static_cast<size_t>(c.size()), 0);
  int g = 1;
  for (int i : nodes) groups[static_cast<size_t>(i)] = g++;
  c.Partition(groups);
}

void RunTicks(Cluster& c, int ticks) { c.RunFor(static_cast<int64_t>(ticks) * 10); }

bool DurableLogHas(const Cluster& c, int node, Zxid z) {
  for (const LogEntry& e : c.durable_log(node)) {
    if (e.zxid == z) return true;
  }
  return false;
}

}  // namespace zab::sim
