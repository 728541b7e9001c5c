// ChaosCluster: one fresh ensemble of real zabkeeper-server processes for one
// chaos run, and the process-level faults on them.
//
// Where nodes live is the caller's choice (NodePlacement): on 127.0.0.1 with
// fresh ports (loopback mode), or each in its own network namespace with its
// own address (netns mode, the harness then runs in the client namespace).
// Servers start with ZABKEEPER_FAILPOINTS=1 so failpoints can be armed, and
// with ZABKEEPER_DROP_UNSYNCED=1 so a kill loses what was not yet synced.
// The destructor SIGKILLs every node still running; only PIDs this cluster
// started are signalled.
#ifndef ZABKEEPER_TESTS_CHAOS_CLUSTER_H_
#define ZABKEEPER_TESTS_CHAOS_CLUSTER_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace zabkeeper::chaos {

class NetFaults;

struct NodePlacement {
  std::string host;        // address the node binds (client, admin, peer)
  std::string netns_path;  // "" = the harness's own namespace
};

// Ports of every node when each has its own address (netns mode).
constexpr int kFixedClientPort = 2181;
constexpr int kFixedAdminPort = 8080;
constexpr int kFixedPeerPort = 2888;

struct ClusterConfig {
  std::string server_bin;
  std::string dir;  // node<i>/ under it: zoo.cfg, data/, server.log
  std::vector<NodePlacement> nodes;
  bool fixed_ports = false;  // netns: every node has its own address, same ports
  NetFaults* net = nullptr;  // routes peer traffic (NetFaults::PeerRoute); may be null
  int tick_ms = 100;
  int init_limit = 10;
  int sync_limit = 5;
};

class ChaosCluster {
 public:
  explicit ChaosCluster(ClusterConfig config);
  ~ChaosCluster();
  ChaosCluster(const ChaosCluster&) = delete;
  ChaosCluster& operator=(const ChaosCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  // Node ids are 1-based, as in zoo.cfg.
  // Spawns the process (does not wait for it to serve); `extra_env` adds
  // "NAME=value" entries to its environment.
  bool Start(int id, const std::vector<std::string>& extra_env = {});
  void Kill(int id);   // SIGKILL + reap
  void Pause(int id);  // SIGSTOP
  void Resume(int id);
  bool running(int id) const { return node(id).pid > 0; }
  bool paused(int id) const { return node(id).paused; }
  // Reaps a node that ended by itself (a failpoint crash); returns true if so.
  bool ReapIfExited(int id);
  int exits() const { return exits_; }  // self-ended nodes seen so far

  void ArmFailpoint(int id, const std::string& name);
  // Deletes a stopped node's database (dataDir/db; myid and failpoints stay),
  // so that it rejoins by SNAP (docs/OPERATIONS.md: safe while the others
  // have a quorum).
  void WipeDatabase(int id);
  void DisarmAll(int id);

  // Admin /commands/<cmd> of a running, unpaused node; null otherwise.
  nlohmann::json Admin(int id, const std::string& cmd) const;
  // "leader", "follower", "looking", ... or "down".
  std::string State(int id) const;
  // The one node claiming leadership among running nodes, or 0.
  int Leader() const;
  // Waits until node `id` answers as leader or follower; ms taken or -1.
  int64_t WaitServing(int id, std::chrono::milliseconds timeout) const;
  // Waits until every node serves and all report the same (zxid, digest).
  int64_t WaitAllServingAndConverged(std::chrono::milliseconds timeout) const;

  std::string ConnectString() const;
  std::string ClientAddress(int id) const;
  std::string LogPath(int id) const;
  std::string NodeDir(int id) const;

 private:
  struct Node {
    NodePlacement place;
    std::string dir;
    int client_port = 0;
    int admin_port = 0;
    int peer_port = 0;
    pid_t pid = -1;
    bool paused = false;
  };
  const Node& node(int id) const { return nodes_.at(id - 1); }
  Node& node(int id) { return nodes_.at(id - 1); }
  void WriteConfig(int id) const;

  ClusterConfig config_;
  std::vector<Node> nodes_;
  int exits_ = 0;
};

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_CLUSTER_H_
