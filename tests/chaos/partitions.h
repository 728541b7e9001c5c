// Which server-to-server directions a partition fault cuts: shared by every
// network that can cut them (nft rules in netns mode, relays in loopback
// mode), so both modes mean the same thing by the same fault name.
#ifndef ZABKEEPER_TESTS_CHAOS_PARTITIONS_H_
#define ZABKEEPER_TESTS_CHAOS_PARTITIONS_H_

#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/chaos/faults.h"

namespace zabkeeper::chaos {

// (from, to): traffic from node `from` to node `to` is cut.
using Cuts = std::set<std::pair<int, int>>;

// The partition faults (net.h lists what each does).
const std::vector<std::string>& PartitionNames();

// Plans partition `name` over nodes 1..nodes (`leader` is the current leader
// or 0), describing it in `record`. False if `name` is not a partition.
bool PlanPartition(const std::string& name, int nodes, int leader, std::mt19937_64& rng,
                   FaultRecord& record, Cuts& cuts);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_PARTITIONS_H_
