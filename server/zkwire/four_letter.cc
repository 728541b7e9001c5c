#include "server/zkwire/four_letter.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "server/request_util.h"

namespace zabkeeper::zkwire {
namespace {

using server::HexId;
using server::StatZxid;

// The protocol version clients see (Kazoo's server_version() parses it).
constexpr const char* kVersion = "3.8.0-zabkeeper-0.1.0";
constexpr const char* kWords[] = {"ruok", "srvr", "stat", "mntr", "conf",
                                  "cons", "envi", "wchs", "dump", "isro"};

std::string Mode(const server::ServerStats& s, bool ensemble) {
  if (!ensemble && s.state == "leader") return "standalone";
  return s.state;
}

// The ZooKeeper-protocol connections, one line each, then an empty line
// (ZooKeeper lists its client port's connections; gRPC streams are counted
// in "Connections" only).
std::string Clients(const ConnectionRegistry& connections, bool brief) {
  std::string out;
  for (const std::string& line : connections.Describe(brief)) absl::StrAppend(&out, line, "\n");
  return out + "\n";
}

// `clients`: stat's list of connections; srvr has none.
std::string Srvr(server::NodeRuntime& rt, const ConnectionRegistry* clients) {
  const server::ServerStats s = rt.Stats();
  std::string out = absl::StrCat("Zookeeper version: ", kVersion, "\n");
  if (clients != nullptr) absl::StrAppend(&out, "Clients:\n", Clients(*clients, true));
  absl::StrAppend(&out, "Latency min/avg/max: 0/0.0/0\n", "Received: ", s.requests, "\n",
                  "Sent: ", s.requests, "\n", "Connections: ", s.connection_count, "\n",
                  "Outstanding: ", s.outstanding, "\n", "Zxid: ", HexId(StatZxid(s.zxid)), "\n",
                  "Mode: ", Mode(s, rt.ensemble()), "\n", "Node count: ", s.node_count, "\n");
  return out;
}

std::string Mntr(server::NodeRuntime& rt) {
  auto [s, zab] = rt.StatsAndZab();
  std::string out;
  auto line = [&](const char* key, const auto& value) {
    absl::StrAppend(&out, key, "\t", value, "\n");
  };
  line("zk_version", kVersion);
  line("zk_server_state", Mode(s, rt.ensemble()));
  line("zk_znode_count", s.node_count);
  line("zk_watch_count", s.watch_count);
  line("zk_ephemerals_count", s.ephemerals_count);
  line("zk_num_alive_connections", s.connection_count);
  line("zk_outstanding_requests", s.outstanding);
  line("zk_packets_received", s.requests);
  line("zk_packets_sent", s.requests);
  line("zk_global_sessions", s.session_count);
  line("zk_last_proposal_zxid", HexId(StatZxid(zab.last_zxid)));
  if (s.state == "leader" && rt.ensemble()) {
    line("zk_followers", zab.follower_lag.size());
    line("zk_synced_followers", zab.follower_lag.size());
  }
  return out;
}

std::string Conf(server::NodeRuntime& rt) {
  const server::ServerConfig& c = rt.config();
  std::string out = absl::StrCat(
      "clientPort=", c.client_port, "\n", "zkClientPort=", c.zk_client_port, "\n",
      "dataDir=", c.data_dir, "\n", "tickTime=", c.tick_time_ms, "\n",
      "maxClientCnxns=", c.max_client_cnxns, "\n", "minSessionTimeout=", c.MinSessionTimeout(),
      "\n", "maxSessionTimeout=", c.MaxSessionTimeout(), "\n", "serverId=", c.my_id, "\n");
  if (!c.standalone()) {
    absl::StrAppend(&out, "initLimit=", c.init_limit, "\n", "syncLimit=", c.sync_limit, "\n");
    for (const auto& [id, addr] : c.servers) {
      absl::StrAppend(&out, "server.", id, "=", addr.host, ":", addr.peer_port, "\n");
    }
  }
  return out;
}

std::string Envi() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat("Environment:\n", "zookeeper.version=", kVersion, "\n", "host.name=", host,
                      "\n", "os.name=Linux\n",
                      "user.dir=", std::filesystem::current_path().string(), "\n");
}

std::string Wchs(server::NodeRuntime& rt) {
  std::map<std::string, int> paths;
  std::set<int64_t> sessions;
  size_t total = 0;
  for (server::WatchKind kind : server::kAllWatchKinds) {
    for (const auto& [path, owners] : rt.Watches(kind)) {
      paths[path] += static_cast<int>(owners.size());
      sessions.insert(owners.begin(), owners.end());
      total += owners.size();
    }
  }
  return absl::StrCat(sessions.size(), " connections watching ", paths.size(), " paths\n",
                      "Total watches:", total, "\n");
}

std::string Dump(server::NodeRuntime& rt) {
  const auto by_session = rt.EphemeralsBySession();
  std::string out =
      absl::StrCat("ephemeral nodes dump:\nSessions with Ephemerals (", by_session.size(), "):\n");
  for (const auto& [session, paths] : by_session) {
    absl::StrAppend(&out, HexId(session), ":\n");
    for (const std::string& p : paths) absl::StrAppend(&out, "\t", p, "\n");
  }
  return out;
}

}  // namespace

bool IsFourLetterWord(absl::string_view first4) {
  for (const char* w : kWords) {
    if (first4 == w) return true;
  }
  return false;
}

std::string FourLetterReply(absl::string_view word, const std::set<std::string>& allowed,
                            server::NodeRuntime& runtime, const ConnectionRegistry& connections) {
  if (!allowed.contains("*") && !allowed.contains(std::string(word))) {
    return absl::StrCat(word, " is not executed because it is not in the whitelist.\n");
  }
  if (word == "ruok") return "imok";
  if (word == "isro") {
    // As ZooKeeper's: "null" while no server runs (no quorum, not read-only).
    const std::string state = runtime.Stats().state;
    return state == "read-only" ? "ro" : state == "looking" ? "null" : "rw";
  }
  if (word == "srvr") return Srvr(runtime, nullptr);
  if (word == "stat") return Srvr(runtime, &connections);
  if (word == "mntr") return Mntr(runtime);
  if (word == "conf") return Conf(runtime);
  if (word == "envi") return Envi();
  if (word == "wchs") return Wchs(runtime);
  if (word == "dump") return Dump(runtime);
  if (word == "cons") return Clients(connections, false);
  return "";
}

}  // namespace zabkeeper::zkwire
