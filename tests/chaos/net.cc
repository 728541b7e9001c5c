#include "tests/chaos/net.h"

#include <cstdio>

#include "tests/chaos/partitions.h"

namespace zabkeeper::chaos {

const std::vector<std::string>& NetFaultNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all = PartitionNames();
    all.push_back("loss");
    all.push_back("lag-reconnect");
    all.push_back("delay");
    return all;
  }();
  return names;
}

std::unique_ptr<NetworkSetup> MakeNetwork(const std::string& mode, int nodes,
                                          const std::string& out_dir) {
  if (mode == "loopback") {
    return MakeLoopbackNetwork(nodes, "");
  }
  if (mode != "auto" && mode != "netns") {
    std::fprintf(stderr, "zkchaos: --net must be auto, netns or loopback\n");
    return nullptr;
  }
  std::string why_not;
  std::unique_ptr<NetworkSetup> netns = MakeNetnsNetwork(nodes, out_dir + "/netns.log", why_not);
  if (netns != nullptr) return netns;
  if (mode == "netns") {
    std::fprintf(stderr, "zkchaos: cannot set up network namespaces: %s\n", why_not.c_str());
    return nullptr;
  }
  return MakeLoopbackNetwork(nodes, "netns unavailable: " + why_not);
}

}  // namespace zabkeeper::chaos
