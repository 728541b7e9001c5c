// Helpers for the named scenarios: a quiet cluster (no random faults; the
// scenario scripts them), waiting for leaders, and predicates on messages.
#ifndef ZABKEEPER_TESTS_SIM_SCENARIO_UTIL_H_
#define ZABKEEPER_TESTS_SIM_SCENARIO_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/cluster.h"

namespace zab::sim {

SimConfig ScenarioConfig(int nodes, uint64_t seed = 1);

// Runs until some node is an established leader and every up node in its
// partition serves it; returns the leader index or -1.
int WaitForStableLeader(Cluster& c, uint64_t max_steps = 20000);
// Proposes `n` txns on the established leader and waits until they are
// applied on every node in `nodes` (all up nodes if empty). Returns the zxids.
std::vector<Zxid> CommitOnLeader(Cluster& c, int n, const std::string& tag,
                                 std::vector<int> nodes = {}, uint64_t max_steps = 20000);
// True once every node in `nodes` applied `z`.
bool AppliedEverywhere(const Cluster& c, Zxid z, const std::vector<int>& nodes);
bool DurableLogHas(const Cluster& c, int node, Zxid z);

// Partition node `i` away from everyone else (others stay together).
void Isolate(Cluster& c, std::vector<int> nodes);
// Runs for `ticks` ticks of simulated time.
void RunTicks(Cluster& c, int ticks);

// Message kinds, for hooks.
inline bool IsProposal(const zabkeeper::zab::PeerMessage& m) { return m.has_proposal(); }
inline bool IsNewLeader(const zabkeeper::zab::PeerMessage& m) { return m.has_new_leader(); }
inline bool IsCommit(const zabkeeper::zab::PeerMessage& m) { return m.has_commit(); }

}  // namespace zab::sim

#endif  // ZABKEEPER_TESTS_SIM_SCENARIO_UTIL_H_
