// ServerConfig: a zoo.cfg-style configuration file (key=value lines, '#'
// comments), validated as a whole. Every problem is reported as one line
// naming the key, so `zabkeeper-server CONFIG` can exit with it.
#ifndef ZABKEEPER_SERVER_CONFIG_H_
#define ZABKEEPER_SERVER_CONFIG_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"

namespace zabkeeper::server {

struct PeerAddress {
  std::string host;
  int peer_port = 0;
  int election_port = 0;  // accepted for zoo.cfg compatibility; peers share one port
  int client_port = 0;    // optional ";clientPort" suffix
};

struct ServerConfig {
  int tick_time_ms = 2000;
  std::string data_dir;
  std::string client_address = "0.0.0.0";
  int client_port = 0;     // the gRPC API
  int zk_client_port = 0;  // ZooKeeper's own protocol (zkClientPort); 0 = off
  // TLS (issue 17): secureClientPort serves the gRPC API over TLS with the
  // PEM files below; ssl.clientAuth none | want | need (ZooKeeper's default).
  int secure_client_port = 0;
  // secureZkClientPort: ZooKeeper's protocol over TLS (ZooKeeper's own
  // secureClientPort), with the same ssl.* files.
  int secure_zk_client_port = 0;
  std::string ssl_cert_file, ssl_key_file, ssl_ca_file;
  std::string ssl_client_auth = "need";
  // sslQuorum: TLS between servers, with these files (all three needed).
  bool ssl_quorum = false;
  std::string ssl_quorum_cert_file, ssl_quorum_key_file, ssl_quorum_ca_file;
  // Four-letter words answered on zkClientPort (4lw.commands.whitelist; "*" = all).
  std::set<std::string> four_letter_words = {"srvr"};
  bool admin_enabled = true;
  std::string admin_address = "0.0.0.0";
  int admin_port = 8080;
  int max_client_cnxns = 60;  // per client IP; 0 = unlimited
  int max_cnxns = 0;          // maxCnxns: all clients together; 0 = unlimited
  // maxWatchesPerSession: watches one session may hold on this server (a
  // watch past it refuses its request with THROTTLED_OP); 0 = unlimited.
  int max_watches_per_session = 1000000;
  // maxChildrenPerReply: a getChildren of a node with more children is
  // refused with THROTTLED_OP instead of building a reply ZooKeeper's
  // clients cannot read (jute.maxbuffer); 0 = unlimited.
  int max_children_per_reply = 0;
  int min_session_timeout_ms = 0;           // 0: 2 x tickTime
  int max_session_timeout_ms = 0;           // 0: 20 x tickTime
  int init_limit = 10;                      // ticks
  int sync_limit = 5;                       // ticks
  int64_t max_data_bytes = 1 << 20;         // jute.maxbuffer
  int container_check_interval_ms = 60000;  // znode.container.checkIntervalMs
  int container_max_per_minute = 10000;     // znode.container.maxPerMinute
  bool extended_types_enabled = true;
  bool enforce_quota = false;  // zookeeper.enforceQuota: hard quota limits refuse writes
  // readonlymode.enabled: without a quorum, serve reads to clients that allow it.
  bool read_only_enabled = false;
  bool local_sessions_enabled = false;            // localSessionsEnabled
  bool local_sessions_upgrading_enabled = false;  // localSessionsUpgradingEnabled
  // ZooKeeper's DigestAuthenticationProvider.superDigest: "super:base64(sha1)".
  std::string super_digest;
  // SASL DIGEST-MD5 on the ZooKeeper-protocol port: the JAAS file
  // (java.security.auth.login.config, or sasl.jaasFile) whose login section
  // (zookeeper.sasl.serverconfig, default Server) lists user_<name>="<pw>";
  // empty: no SASL. zookeeper.superUser: the SASL user that is super.
  std::string sasl_jaas_file;
  std::string sasl_login_section = "Server";
  std::string super_user;
  // enforce.auth.enabled: every request but auth needs an identity of one of
  // enforce.auth.schemes (ZooKeeper 3.8's AuthenticationHelper).
  bool enforce_auth = false;
  std::set<std::string> enforce_auth_schemes;
  // audit.enable: the audit log (server/audit_log.h), written to
  // audit.logFile (default <dataDir>/zookeeper_audit.log).
  // globalOutstandingLimit: client requests taken in and not yet answered,
  // all connections together; past it, the front ends stop reading
  // (back-pressure onto the sockets) until replies bring it down.
  int global_outstanding_limit = 8192;
  // storage.minFreeMB: free space kept on dataDir's disk; below it the
  // server refuses writes until there is room (storage_writer.h); 0 = off.
  int min_free_mb = 128;
  bool audit_enabled = false;
  std::string audit_log_file;
  int64_t my_id = 0;                       // from <dataDir>/myid; 0 in standalone without one
  std::map<int64_t, PeerAddress> servers;  // server.N lines

  bool standalone() const { return servers.size() <= 1; }
  int MinSessionTimeout() const {
    return min_session_timeout_ms > 0 ? min_session_timeout_ms : 2 * tick_time_ms;
  }
  int MaxSessionTimeout() const {
    return max_session_timeout_ms > 0 ? max_session_timeout_ms : 20 * tick_time_ms;
  }
};

// Parses the text of a config file. my_id is not read here (see LoadConfig).
absl::StatusOr<ServerConfig> ParseConfig(const std::string& text);

// Reads and parses the file, then reads <dataDir>/myid when the config names
// servers, and checks that myid is one of them.
absl::StatusOr<ServerConfig> LoadConfig(const std::string& path);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_CONFIG_H_
