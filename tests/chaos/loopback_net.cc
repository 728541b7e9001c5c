// Loopback mode (net.h): servers on 127.0.0.1 with fresh ports; partitions
// cut the peer links at relays (relay.h) instead of dropping packets.
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/chaos/faults.h"
#include "tests/chaos/net.h"
#include "tests/chaos/partitions.h"
#include "tests/chaos/relay.h"

namespace zabkeeper::chaos {
namespace {

class LoopbackNetwork : public NetworkSetup, public NetFaults {
 public:
  LoopbackNetwork(int nodes, std::string note) : nodes_(nodes), note_(std::move(note)) {}

  std::string Name() const override { return "loopback"; }
  std::string Note() const override { return note_; }
  Placement placement() override {
    Placement p;
    for (int i = 0; i < nodes_; ++i) p.nodes.push_back({"127.0.0.1", ""});
    p.net = this;
    return p;
  }

  const std::vector<std::string>& Names() const override {
    static const std::vector<std::string> names = [] {
      std::vector<std::string> all = PartitionNames();
      all.push_back("delay");
      return all;
    }();
    return names;
  }

  // The lower id of a pair dials the higher (server/peer_transport.h): only
  // that direction needs a relay, and it carries the pair's whole link.
  std::string PeerRoute(int from, int to, const std::string& address) override {
    int port = 0;
    const size_t colon = address.rfind(':');
    if (from > to || colon == std::string::npos ||
        !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
      return address;
    }
    auto relay = std::make_unique<PairRelay>(port);
    if (!relay->ok()) return address;  // uncuttable, but the run still works
    const std::string routed = absl::StrCat("127.0.0.1:", relay->port());
    relays_[{from, to}] = std::move(relay);
    return routed;
  }
  void ResetRoutes() override { relays_.clear(); }

  // One-way delay: what `node` sends to its peers arrives 50-400 ms late;
  // what they send it is on time.
  bool DelayFrom(int node, std::mt19937_64& rng, FaultRecord& record) {
    const int ms = 50 + static_cast<int>(rng() % 351);
    for (auto& [pair, relay] : relays_) {
      const auto [low, high] = pair;
      if (low == node) relay->Delay(ms, 0);
      if (high == node) relay->Delay(0, ms);
    }
    record.detail = absl::StrCat("packets from ", node, " to the others delayed ", ms, " ms");
    return relays_.size() == static_cast<size_t>(nodes_ * (nodes_ - 1) / 2);
  }

  bool Apply(const std::string& name, int leader, std::mt19937_64& rng,
             FaultRecord& record) override {
    if (name == "delay") return DelayFrom(1 + static_cast<int>(rng() % nodes_), rng, record);
    Cuts cuts;
    if (!PlanPartition(name, nodes_, leader, rng, record, cuts)) return false;
    for (auto& [pair, relay] : relays_) {
      const auto [low, high] = pair;
      relay->Hold(cuts.contains({low, high}), cuts.contains({high, low}));
    }
    return relays_.size() == static_cast<size_t>(nodes_ * (nodes_ - 1) / 2);
  }
  void Heal() override {
    for (auto& [pair, relay] : relays_) {
      relay->Hold(false, false);
      relay->Delay(0, 0);
    }
  }

 private:
  int nodes_;
  std::string note_;
  std::map<std::pair<int, int>, std::unique_ptr<PairRelay>> relays_;  // (dialer, dialed)
};

}  // namespace

std::unique_ptr<NetworkSetup> MakeLoopbackNetwork(int nodes, const std::string& why) {
  return std::make_unique<LoopbackNetwork>(
      nodes, absl::StrCat(" (", why.empty() ? "" : why + "; ",
                          "partitions and one-way delay at peer-link relays on 127.0.0.1; no "
                          "packet loss or lag-reconnect)"));
}

}  // namespace zabkeeper::chaos
