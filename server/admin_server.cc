#include "server/admin_server.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "server/request_util.h"
#include "server/thread_name.h"

namespace zabkeeper::server {
namespace {

nlohmann::json StatsJson(const ServerStats& s) {
  return {
      {"server_state", s.state},
      {"zxid", StatZxid(s.zxid)},
      {"zxid_hex", HexId(StatZxid(s.zxid))},
      {"epoch", s.epoch},
      {"node_count", s.node_count},
      {"session_count", s.session_count},
      {"connection_count", s.connection_count},
      {"watch_count", s.watch_count},
      {"outstanding_requests", s.outstanding},
      {"ephemerals_count", s.ephemerals_count},
  };
}

}  // namespace

AdminServer::AdminServer(NodeRuntime* server) : server_(server) {}

AdminServer::~AdminServer() { Stop(); }

std::optional<std::string> AdminServer::Command(const std::string& name) const {
  nlohmann::json out;
  if (name == "ruok") {
    out = {{"command", "ruok"}, {"error", nullptr}};
  } else if (name == "srvr" || name == "stat") {
    out = StatsJson(server_->Stats());
    out["command"] = name;
    out["version"] = "zabkeeper 0.1.0";
  } else if (name == "mntr") {
    auto [s, d] = server_->StatsAndZab();
    out = StatsJson(s);
    out["command"] = "mntr";
    out["txns_logged"] = s.txns_logged;
    out["log_syncs"] = s.log_syncs;
    out["avg_txns_per_sync"] = s.log_syncs == 0 ? 0.0 : double(s.txns_logged) / s.log_syncs;
    out["avg_fsync_us"] = s.avg_fsync_us;
    out["requests"] = s.requests;
    out["reads"] = s.reads;
    out["writes"] = s.writes;
    out["digest"] = s.digest;
    if (server_->ensemble()) {
      out["leader_id"] = d.leader;
      out["peers_up"] = d.peers_up;
      out["last_logged_zxid"] = d.last_zxid.raw();
      out["committed_zxid"] = d.committed_zxid.raw();
      out["elections"] = d.counters.elections;
      out["proposals"] = d.counters.proposals;
      out["commits"] = d.counters.commits;
      out["sync_diff"] = d.counters.sync_diff;
      out["sync_trunc"] = d.counters.sync_trunc;
      out["sync_snap"] = d.counters.sync_snap;
      out["epochs_established"] = d.counters.established;
      out["accepted_epoch"] = d.accepted_epoch;
      out["current_epoch"] = d.epoch;
      // Messages refused for contradicting committed state: 0 in a correct
      // ensemble; anything else is worth an operator's attention.
      out["safety_refusals"] = d.counters.safety_refusals;
      nlohmann::json lag = nlohmann::json::object();
      for (const auto& [sid, behind] : d.follower_lag) lag[std::to_string(sid)] = behind;
      out["follower_lag_txns"] = lag;
      out["apply_lag_txns"] = TxnsBetween(s.zxid, d.committed_zxid);
    }
  } else if (name == "conf") {
    const ServerConfig& c = server_->config();
    out = {{"command", "conf"},
           {"tick_time", c.tick_time_ms},
           {"data_dir", c.data_dir},
           {"client_port", c.client_port},
           {"client_port_address", c.client_address},
           {"admin_port", c.admin_port},
           {"max_client_cnxns", c.max_client_cnxns},
           {"min_session_timeout", c.MinSessionTimeout()},
           {"max_session_timeout", c.MaxSessionTimeout()},
           {"init_limit", c.init_limit},
           {"sync_limit", c.sync_limit},
           {"max_data_bytes", c.max_data_bytes},
           {"server_id", c.my_id}};
  } else if (name == "cons") {
    ServerStats s = server_->Stats();
    out = {{"command", "cons"}, {"connection_count", s.connection_count}};
  } else if (name == "wchs" || name == "wchp") {
    nlohmann::json paths = nlohmann::json::object();
    size_t total = 0;
    // Every kind, one-shot and persistent (ZooKeeper counts those too).
    for (WatchKind kind : kAllWatchKinds) {
      for (const auto& [path, sessions] : server_->Watches(kind)) {
        for (int64_t sid : sessions) paths[path].push_back(HexId(sid));
        total += sessions.size();
      }
    }
    out = {{"command", name}, {"num_total_watches", total}};
    if (name == "wchp") out["path_to_session_ids"] = paths;
  } else if (name == "dump") {
    nlohmann::json sessions = nlohmann::json::object();
    for (const auto& [sid, paths] : server_->EphemeralsBySession()) sessions[HexId(sid)] = paths;
    out = {{"command", "dump"}, {"ephemerals", sessions}};
  } else if (name == "hash") {
    auto [zxid, digest] = server_->Digest();
    out = {{"command", "hash"},
           {"zxid", zxid},
           {"zxid_hex", HexId(zxid)},
           {"digest", absl::StrFormat("%016x", digest)}};
  } else {
    return std::nullopt;
  }
  return out.dump();
}

std::string AdminServer::Metrics() const {
  ServerStats s = server_->Stats();
  std::string out;
  auto gauge = [&](const char* name, const char* help, double value) {
    absl::StrAppend(&out, "# HELP zabkeeper_", name, " ", help, "\n# TYPE zabkeeper_", name,
                    " gauge\nzabkeeper_", name, " ", value, "\n");
  };
  auto counter = [&](const char* name, const char* help, double value) {
    absl::StrAppend(&out, "# HELP zabkeeper_", name, " ", help, "\n# TYPE zabkeeper_", name,
                    " counter\nzabkeeper_", name, " ", value, "\n");
  };
  gauge("znode_count", "Number of znodes.", s.node_count);
  gauge("session_count", "Number of live sessions.", s.session_count);
  gauge("connection_count", "Number of client streams.", s.connection_count);
  gauge("watch_count", "Number of registered watches.", s.watch_count);
  gauge("ephemerals_count", "Number of ephemeral znodes.", s.ephemerals_count);
  gauge("outstanding_requests", "Txns logged here but not applied yet.", s.outstanding);
  gauge("last_zxid", "Last applied zxid.", double(s.zxid.raw()));
  gauge("avg_fsync_microseconds", "Average latency of one synced log batch.", s.avg_fsync_us);
  counter("txns_logged_total", "Transactions written to the log.", s.txns_logged);
  counter("log_syncs_total", "Synced log batches (group commits).", s.log_syncs);
  counter("requests_total", "Client requests received.", s.requests);
  counter("reads_total", "Read requests.", s.reads);
  counter("writes_total", "Write requests.", s.writes);
  return out;
}

absl::Status AdminServer::Start(const std::string& address, int port) {
  http_ = std::make_unique<httplib::Server>();
  http_->Get(
      R"(/commands/([A-Za-z0-9_]+))", [this](const httplib::Request& req, httplib::Response& res) {
        std::optional<std::string> body = Command(req.matches[1]);
        if (!body) {
          res.status = 404;
          res.set_content(nlohmann::json{{"error", "unknown command"}}.dump(), "application/json");
          return;
        }
        res.set_content(*body, "application/json");
      });
  http_->Get("/commands", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"commands":["ruok","srvr","stat","mntr","conf","cons","wchs","wchp","dump","hash"]})",
        "application/json");
  });
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(Metrics(), "text/plain; version=0.0.4");
  });
  if (!http_->bind_to_port(address, port)) {
    return absl::UnavailableError(absl::StrCat("cannot bind admin server to ", address, ":", port));
  }
  thread_ = std::thread([this] {
    NameThisThread("zk-admin");
    http_->listen_after_bind();
  });
  return absl::OkStatus();
}

void AdminServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace zabkeeper::server
