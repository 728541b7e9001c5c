#include "tests/chaos/partitions.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace zabkeeper::chaos {

const std::vector<std::string>& PartitionNames() {
  static const std::vector<std::string> names = {"partition-majority", "partition-leader",
                                                 "partition-bridge", "partition-ring",
                                                 "partition-oneway"};
  return names;
}

bool PlanPartition(const std::string& name, int nodes, int leader, std::mt19937_64& rng,
                   FaultRecord& record, Cuts& cuts) {
  std::vector<int> ids;
  for (int i = 1; i <= nodes; ++i) ids.push_back(i);
  std::shuffle(ids.begin(), ids.end(), rng);
  auto cut = [&](const std::vector<int>& a, const std::vector<int>& b) {
    for (int x : a) {
      for (int y : b) {
        cuts.insert({x, y});
        cuts.insert({y, x});
      }
    }
  };
  if (name == "partition-majority" || (name == "partition-bridge" && nodes < 5)) {
    const size_t minority = 1 + rng() % static_cast<uint64_t>(std::max(1, (nodes - 1) / 2));
    std::vector<int> small(ids.begin(), ids.begin() + minority);
    std::vector<int> big(ids.begin() + minority, ids.end());
    cut(small, big);
    record.leader_cut = std::find(small.begin(), small.end(), leader) != small.end();
    record.detail =
        absl::StrCat("{", absl::StrJoin(small, ","), "} | {", absl::StrJoin(big, ","), "}");
  } else if (name == "partition-leader") {
    const int l = leader != 0 ? leader : ids[0];
    std::vector<int> rest;
    for (int i = 1; i <= nodes; ++i) {
      if (i != l) rest.push_back(i);
    }
    cut({l}, rest);
    record.leader_cut = leader != 0;
    record.detail = absl::StrCat("isolated ", l, leader != 0 ? " (leader)" : " (no leader)");
  } else if (name == "partition-bridge") {
    const size_t half = ids.size() / 2;
    std::vector<int> a(ids.begin(), ids.begin() + half / 2 + half % 2);
    std::vector<int> b(ids.end() - static_cast<long>(half / 2 + half % 2), ids.end());
    const int middle = ids[a.size()];
    cut(a, b);
    record.leader_cut = leader != middle && leader != 0;
    record.detail = absl::StrCat("{", absl::StrJoin(a, ","), "} - ", middle, " - {",
                                 absl::StrJoin(b, ","), "}");
  } else if (name == "partition-ring") {
    for (int i = 0; i < nodes; ++i) {
      for (int j = 0; j < nodes; ++j) {
        const int d = std::abs(i - j);
        if (i != j && d != 1 && d != nodes - 1) cuts.insert({ids[i], ids[j]});
      }
    }
    record.detail = absl::StrCat("ring ", absl::StrJoin(ids, "-"),
                                 cuts.empty() ? " (a 3-ring is complete: no cut)" : "");
  } else if (name == "partition-oneway") {
    for (int i = 1; i <= nodes; ++i) {
      if (i != ids[0]) cuts.insert({ids[0], i});
    }
    record.leader_cut = ids[0] == leader;
    record.detail = absl::StrCat("packets from ", ids[0], " to the others dropped");
  } else {
    return false;
  }
  return true;
}

}  // namespace zabkeeper::chaos
