#include "tests/chaos/cluster.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "tests/chaos/faults.h"
#include "tests/chaos/process.h"
#include "tests/free_port.h"

namespace zabkeeper::chaos {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);

}  // namespace

ChaosCluster::ChaosCluster(ClusterConfig config) : config_(std::move(config)) {
  for (size_t i = 0; i < config_.nodes.size(); ++i) {
    Node n;
    n.place = config_.nodes[i];
    n.dir = absl::StrCat(config_.dir, "/node", i + 1);
    if (config_.fixed_ports) {
      n.client_port = kFixedClientPort;
      n.admin_port = kFixedAdminPort;
      n.peer_port = kFixedPeerPort;
    } else {
      n.client_port = ::zabkeeper::testing::FreePort();
      n.admin_port = ::zabkeeper::testing::FreePort();
      n.peer_port = ::zabkeeper::testing::FreePort();
    }
    nodes_.push_back(std::move(n));
  }
  for (int id = 1; id <= size(); ++id) WriteConfig(id);
}

ChaosCluster::~ChaosCluster() {
  for (int id = 1; id <= size(); ++id) Kill(id);
  if (config_.net != nullptr) config_.net->ResetRoutes();
}

void ChaosCluster::WriteConfig(int id) const {
  const Node& n = node(id);
  std::filesystem::create_directories(n.dir + "/data");
  std::ofstream(n.dir + "/data/myid") << id << "\n";
  std::map<std::string, std::string> cfg = {
      {"tickTime", absl::StrCat(config_.tick_ms)},
      {"initLimit", absl::StrCat(config_.init_limit)},
      {"syncLimit", absl::StrCat(config_.sync_limit)},
      {"dataDir", n.dir + "/data"},
      {"clientPort", absl::StrCat(n.client_port)},
      {"clientPortAddress", n.place.host},
      {"admin.serverPort", absl::StrCat(n.admin_port)},
      {"admin.serverAddress", n.place.host},
      {"minSessionTimeout", "300"},
      {"maxSessionTimeout", "30000"},
  };
  for (int j = 1; j <= size(); ++j) {
    std::string address = absl::StrCat(node(j).place.host, ":", node(j).peer_port);
    if (config_.net != nullptr && j != id) address = config_.net->PeerRoute(id, j, address);
    cfg[absl::StrCat("server.", j)] = address;
  }
  std::ofstream out(n.dir + "/zoo.cfg");
  for (const auto& [k, v] : cfg) out << k << "=" << v << "\n";
}

bool ChaosCluster::Start(int id, const std::vector<std::string>& extra_env) {
  Node& n = node(id);
  if (n.pid > 0) return true;
  SpawnOptions options;
  options.log_path = LogPath(id);
  options.netns_path = n.place.netns_path;
  // Power-loss mode (storage/power_loss.h): every SIGKILL also loses what
  // the node had not synced, as a power cut would.
  options.env = {"ZABKEEPER_FAILPOINTS=1", "ZABKEEPER_DROP_UNSYNCED=1"};
  options.env.insert(options.env.end(), extra_env.begin(), extra_env.end());
  n.pid = Spawn({config_.server_bin, n.dir + "/zoo.cfg"}, options);
  n.paused = false;
  return n.pid > 0;
}

void ChaosCluster::Kill(int id) {
  Node& n = node(id);
  if (n.pid <= 0) return;
  KillAndReap(n.pid);
  n.pid = -1;
  n.paused = false;
}

void ChaosCluster::Pause(int id) {
  Node& n = node(id);
  if (n.pid > 0 && !n.paused) {
    kill(n.pid, SIGSTOP);
    n.paused = true;
  }
}

void ChaosCluster::Resume(int id) {
  Node& n = node(id);
  if (n.pid > 0 && n.paused) {
    kill(n.pid, SIGCONT);
    n.paused = false;
  }
}

bool ChaosCluster::ReapIfExited(int id) {
  Node& n = node(id);
  if (n.pid <= 0) return false;
  if (!WaitFor(n.pid, std::chrono::milliseconds(0))) return false;
  n.pid = -1;
  n.paused = false;
  ++exits_;
  return true;
}

void ChaosCluster::ArmFailpoint(int id, const std::string& name) {
  const std::string dir = node(id).dir + "/data/failpoints";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name) << "armed\n";
}

void ChaosCluster::WipeDatabase(int id) {
  if (running(id)) return;
  std::error_code ec;
  std::filesystem::remove_all(node(id).dir + "/data/db", ec);
}

void ChaosCluster::DisarmAll(int id) {
  std::error_code ec;
  std::filesystem::remove_all(node(id).dir + "/data/failpoints", ec);
}

nlohmann::json ChaosCluster::Admin(int id, const std::string& cmd) const {
  const Node& n = node(id);
  if (n.pid <= 0 || n.paused) return nullptr;
  httplib::Client http(n.place.host, n.admin_port);
  http.set_connection_timeout(1);
  http.set_read_timeout(1);
  auto res = http.Get(("/commands/" + cmd).c_str());
  if (!res || res->status != 200) return nullptr;
  return nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
}

std::string ChaosCluster::State(int id) const {
  nlohmann::json j = Admin(id, "srvr");
  if (!j.is_object() || !j.contains("server_state")) return "down";
  return j["server_state"].get<std::string>();
}

int ChaosCluster::Leader() const {
  int leader = 0;
  for (int id = 1; id <= size(); ++id) {
    if (!running(id) || paused(id)) continue;
    if (State(id) == "leader") leader = leader == 0 ? id : -1;
  }
  return leader > 0 ? leader : 0;
}

int64_t ChaosCluster::WaitServing(int id, std::chrono::milliseconds timeout) const {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < timeout) {
    std::string s = State(id);
    if (s == "leader" || s == "follower") {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start)
          .count();
    }
    std::this_thread::sleep_for(kPoll);
  }
  return -1;
}

int64_t ChaosCluster::WaitAllServingAndConverged(std::chrono::milliseconds timeout) const {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < timeout) {
    bool all = true;
    int leaders = 0;
    std::optional<nlohmann::json> first;
    for (int id = 1; id <= size() && all; ++id) {
      std::string s = State(id);
      if (s == "leader") ++leaders;
      all = s == "leader" || s == "follower";
      if (!all) break;
      nlohmann::json h = Admin(id, "hash");
      if (!h.is_object()) {
        all = false;
      } else if (!first) {
        first = h;
      } else {
        all = h["zxid"] == (*first)["zxid"] && h["digest"] == (*first)["digest"];
      }
    }
    if (all && leaders == 1) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start)
          .count();
    }
    std::this_thread::sleep_for(kPoll);
  }
  return -1;
}

std::string ChaosCluster::ConnectString() const {
  std::string out;
  for (int id = 1; id <= size(); ++id) {
    if (!out.empty()) out += ",";
    out += ClientAddress(id);
  }
  return out;
}

std::string ChaosCluster::ClientAddress(int id) const {
  return absl::StrCat(node(id).place.host, ":", node(id).client_port);
}

std::string ChaosCluster::LogPath(int id) const { return node(id).dir + "/server.log"; }
std::string ChaosCluster::NodeDir(int id) const { return node(id).dir; }

}  // namespace zabkeeper::chaos
