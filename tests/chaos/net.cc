#include "tests/chaos/net.h"

#include <cstdio>

namespace zabkeeper::chaos {
namespace {

class LoopbackNetwork : public NetworkSetup {
 public:
  LoopbackNetwork(int nodes, std::string note) : nodes_(nodes), note_(std::move(note)) {}
  std::string Name() const override { return "loopback"; }
  std::string Note() const override { return note_; }
  Placement placement() override {
    Placement p;
    for (int i = 0; i < nodes_; ++i) p.nodes.push_back({"127.0.0.1", ""});
    return p;
  }

 private:
  int nodes_;
  std::string note_;
};

}  // namespace

const std::vector<std::string>& NetFaultNames() {
  static const std::vector<std::string> names = {"partition-majority", "partition-leader",
                                                 "partition-bridge",   "partition-ring",
                                                 "partition-oneway",   "loss",
                                                 "lag-reconnect"};
  return names;
}

std::unique_ptr<NetworkSetup> MakeNetwork(const std::string& mode, int nodes,
                                          const std::string& out_dir) {
  if (mode == "loopback") {
    return std::make_unique<LoopbackNetwork>(
        nodes, " (partitions and packet loss not available: process faults only)");
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
  return std::make_unique<LoopbackNetwork>(
      nodes, " (netns unavailable: " + why_not +
                 "; partitions and packet loss not available: process faults only)");
}

}  // namespace zabkeeper::chaos
