// Ensemble: N real zabkeeper-server processes on 127.0.0.1 forming one
// ensemble, for integration and fault tests. Header-only.
#ifndef ZABKEEPER_TESTS_INTEGRATION_ENSEMBLE_H_
#define ZABKEEPER_TESTS_INTEGRATION_ENSEMBLE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/integration/server_process.h"

namespace zabkeeper::testing {

class Ensemble {
 public:
  // tick_ms small so elections and expiry happen within test time.
  Ensemble(const std::string& dir, int n, int tick_ms = 100) {
    std::vector<int> peer_ports;
    for (int i = 0; i < n; ++i) peer_ports.push_back(FreePort());
    for (int i = 1; i <= n; ++i) {
      std::map<std::string, std::string> cfg = {{"tickTime", std::to_string(tick_ms)},
                                                {"initLimit", "10"},
                                                {"syncLimit", "5"},
                                                {"minSessionTimeout", "300"}};
      for (int j = 1; j <= n; ++j) {
        cfg["server." + std::to_string(j)] = "127.0.0.1:" + std::to_string(peer_ports[j - 1]);
      }
      nodes_.push_back(std::make_unique<ServerProcess>(dir + "/node" + std::to_string(i), cfg, i));
    }
  }

  int size() const { return static_cast<int>(nodes_.size()); }
  // 1-based, as server ids.
  ServerProcess& node(int id) { return *nodes_.at(id - 1); }

  void StartAll() {
    for (auto& n : nodes_) n->Start();
  }

  // /commands/<cmd> of node id, or null when it does not answer.
  nlohmann::json Admin(int id, const std::string& cmd) {
    if (!node(id).running()) return nullptr;
    httplib::Client http("127.0.0.1", node(id).admin_port());
    http.set_connection_timeout(1);
    http.set_read_timeout(2);
    auto res = http.Get(("/commands/" + cmd).c_str());
    if (!res || res->status != 200) return nullptr;
    return nlohmann::json::parse(res->body, nullptr, false);
  }

  std::string State(int id) {
    nlohmann::json j = Admin(id, "srvr");
    return j.is_object() ? j["server_state"].get<std::string>() : "down";
  }

  // Waits until one running node leads and every other running node follows;
  // returns the leader's id, or 0 on timeout.
  int WaitForLeader(std::chrono::milliseconds timeout = std::chrono::seconds(20),
                    int expected_followers = -1) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int leader = 0, followers = 0, running = 0;
      for (int id = 1; id <= size(); ++id) {
        if (!node(id).running()) continue;
        ++running;
        std::string s = State(id);
        if (s == "leader") leader = leader == 0 ? id : -1;
        if (s == "follower") ++followers;
      }
      int want = expected_followers >= 0 ? expected_followers : running - 1;
      if (leader > 0 && followers >= want) return leader;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }

  // Waits until every running node applied the same zxid; returns the
  // (zxid, digest) pairs seen, one per running node.
  bool WaitConverged(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<nlohmann::json> first;
      bool same = true;
      for (int id = 1; id <= size(); ++id) {
        if (!node(id).running()) continue;
        nlohmann::json h = Admin(id, "hash");
        if (!h.is_object()) {
          same = false;
          break;
        }
        if (!first) {
          first = h;
        } else if (h["zxid"] != (*first)["zxid"] || h["digest"] != (*first)["digest"]) {
          same = false;
        }
      }
      if (same && first) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string ConnectString() {
    std::string out;
    for (auto& n : nodes_) out += (out.empty() ? "" : ",") + n->address();
    return out;
  }

 private:
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

}  // namespace zabkeeper::testing

#endif  // ZABKEEPER_TESTS_INTEGRATION_ENSEMBLE_H_
