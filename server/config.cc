#include "server/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace zabkeeper::server {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid config: ", what));
}

absl::Status ParseInt(absl::string_view key, absl::string_view value, int64_t min, int64_t max,
                      int64_t* out) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(value, &v)) {
    return Invalid(absl::StrCat(key, "=", value, " is not an integer"));
  }
  if (v < min || v > max) {
    return Invalid(absl::StrCat(key, "=", value, " is out of range [", min, ", ", max, "]"));
  }
  *out = v;
  return absl::OkStatus();
}

template <typename T>
absl::Status ParseIntInto(absl::string_view key, absl::string_view value, int64_t min, int64_t max,
                          T* out) {
  int64_t v = 0;
  if (absl::Status s = ParseInt(key, value, min, max, &v); !s.ok()) return s;
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

absl::Status ParseBool(absl::string_view key, absl::string_view value, bool* out) {
  std::string v = absl::AsciiStrToLower(value);
  if (v == "true" || v == "yes" || v == "1") {
    *out = true;
  } else if (v == "false" || v == "no" || v == "0") {
    *out = false;
  } else {
    return Invalid(absl::StrCat(key, "=", value, " is not a boolean"));
  }
  return absl::OkStatus();
}

// "host:peerPort[:electionPort][:role][;[clientHost:]clientPort]"
absl::Status ParseServerLine(absl::string_view key, absl::string_view value, PeerAddress* out) {
  std::vector<std::string> halves = absl::StrSplit(value, ';');
  std::vector<std::string> parts = absl::StrSplit(halves[0], ':');
  if (parts.size() < 2 || parts[0].empty()) {
    return Invalid(absl::StrCat(key, "=", value, ": expected host:peerPort[:electionPort]"));
  }
  out->host = parts[0];
  if (absl::Status s = ParseIntInto(key, parts[1], 1, 65535, &out->peer_port); !s.ok()) return s;
  if (parts.size() >= 3 && !parts[2].empty()) {
    if (absl::Status s = ParseIntInto(key, parts[2], 1, 65535, &out->election_port); !s.ok()) {
      return s;
    }
  }
  if (parts.size() >= 4 && parts[3] != "participant") {
    return Invalid(absl::StrCat(key, "=", value, ": only participants are supported"));
  }
  if (halves.size() == 2) {
    std::vector<std::string> client = absl::StrSplit(halves[1], ':');
    if (absl::Status s = ParseIntInto(key, client.back(), 1, 65535, &out->client_port); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// Keys of ZooKeeper's zoo.cfg that mean nothing to zabkeeper but appear in
// configs people copy; accepted and ignored.
bool IsIgnoredKey(absl::string_view key) {
  return absl::StartsWith(key, "autopurge.") || absl::StartsWith(key, "4lw.") ||
         absl::StartsWith(key, "metricsProvider.") || key == "preAllocSize" || key == "snapCount" ||
         key == "standaloneEnabled" || key == "reconfigEnabled" || key == "dynamicConfigFile" ||
         key == "dataLogDir" || key == "quorumListenOnAllIPs" || key == "electionAlg" ||
         key == "syncEnabled" || key == "clientPortAddress6" ||
         // ZooKeeper's provider classes (digest, SASL, x509) are built in.
         absl::StartsWith(key, "authProvider.");
}

}  // namespace

absl::StatusOr<ServerConfig> ParseConfig(const std::string& text) {
  ServerConfig config;
  std::map<std::string, std::string> seen;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return Invalid(absl::StrCat("line ", line_no, ": expected key=value, got '", line, "'"));
    }
    std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (seen.contains(key)) return Invalid(absl::StrCat("line ", line_no, ": duplicate ", key));
    seen[key] = value;

    absl::Status s;
    if (key == "tickTime") {
      s = ParseIntInto(key, value, 1, 600000, &config.tick_time_ms);
    } else if (key == "dataDir") {
      if (value.empty()) s = Invalid("dataDir is empty");
      config.data_dir = value;
    } else if (key == "clientPort") {
      s = ParseIntInto(key, value, 1, 65535, &config.client_port);
    } else if (key == "4lw.commands.whitelist") {
      config.four_letter_words.clear();
      for (absl::string_view w : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        config.four_letter_words.insert(std::string(absl::StripAsciiWhitespace(w)));
      }
    } else if (key == "secureClientPort") {
      s = ParseIntInto(key, value, 0, 65535, &config.secure_client_port);
    } else if (key == "secureZkClientPort") {
      s = ParseIntInto(key, value, 0, 65535, &config.secure_zk_client_port);
    } else if (key == "ssl.certFile") {
      config.ssl_cert_file = value;
    } else if (key == "ssl.keyFile") {
      config.ssl_key_file = value;
    } else if (key == "ssl.caFile") {
      config.ssl_ca_file = value;
    } else if (key == "sslQuorum") {
      s = ParseBool(key, value, &config.ssl_quorum);
    } else if (key == "ssl.quorum.certFile") {
      config.ssl_quorum_cert_file = value;
    } else if (key == "ssl.quorum.keyFile") {
      config.ssl_quorum_key_file = value;
    } else if (key == "ssl.quorum.caFile") {
      config.ssl_quorum_ca_file = value;
    } else if (key == "ssl.clientAuth") {
      if (value != "none" && value != "want" && value != "need") {
        s = Invalid("ssl.clientAuth must be none, want or need, got '" + value + "'");
      }
      config.ssl_client_auth = value;
    } else if (key == "zkClientPort") {
      s = ParseIntInto(key, value, 0, 65535, &config.zk_client_port);
    } else if (key == "clientPortAddress") {
      config.client_address = value;
    } else if (key == "admin.serverPort") {
      s = ParseIntInto(key, value, 1, 65535, &config.admin_port);
    } else if (key == "admin.serverAddress") {
      config.admin_address = value;
    } else if (key == "admin.enableServer") {
      s = ParseBool(key, value, &config.admin_enabled);
    } else if (key == "maxClientCnxns") {
      s = ParseIntInto(key, value, 0, 1000000, &config.max_client_cnxns);
    } else if (key == "maxCnxns") {
      s = ParseIntInto(key, value, 0, 10000000, &config.max_cnxns);
    } else if (key == "maxWatchesPerSession") {
      s = ParseIntInto(key, value, 0, 1000000000, &config.max_watches_per_session);
    } else if (key == "maxChildrenPerReply") {
      s = ParseIntInto(key, value, 0, 1000000000, &config.max_children_per_reply);
    } else if (key == "globalOutstandingLimit") {
      s = ParseIntInto(key, value, 1, 10000000, &config.global_outstanding_limit);
    } else if (key == "storage.minFreeMB") {
      s = ParseIntInto(key, value, 0, 1 << 20, &config.min_free_mb);
    } else if (key == "audit.enable" || key == "zookeeper.audit.enable") {
      s = ParseBool(key, value, &config.audit_enabled);
    } else if (key == "audit.logFile") {
      config.audit_log_file = value;
    } else if (key == "enforce.auth.enabled" || key == "zookeeper.enforce.auth.enabled") {
      s = ParseBool(key, value, &config.enforce_auth);
    } else if (key == "enforce.auth.schemes" || key == "zookeeper.enforce.auth.schemes") {
      for (absl::string_view scheme : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        scheme = absl::StripAsciiWhitespace(scheme);
        if (scheme != "digest" && scheme != "ip" && scheme != "x509" && scheme != "sasl") {
          s = Invalid(absl::StrCat("enforce.auth.schemes: unknown scheme '", scheme,
                                   "' (digest, ip, x509 or sasl)"));
        }
        config.enforce_auth_schemes.insert(std::string(scheme));
      }
    } else if (key == "minSessionTimeout") {
      s = ParseIntInto(key, value, 1, 86400000, &config.min_session_timeout_ms);
    } else if (key == "maxSessionTimeout") {
      s = ParseIntInto(key, value, 1, 86400000, &config.max_session_timeout_ms);
    } else if (key == "initLimit") {
      s = ParseIntInto(key, value, 1, 100000, &config.init_limit);
    } else if (key == "syncLimit") {
      s = ParseIntInto(key, value, 1, 100000, &config.sync_limit);
    } else if (key == "znode.container.checkIntervalMs") {
      s = ParseIntInto(key, value, 10, 86400000, &config.container_check_interval_ms);
    } else if (key == "znode.container.maxPerMinute") {
      s = ParseIntInto(key, value, 1, 10000000, &config.container_max_per_minute);
    } else if (key == "jute.maxbuffer") {
      s = ParseIntInto(key, value, 1, int64_t{1} << 30, &config.max_data_bytes);
    } else if (key == "extendedTypesEnabled" || key == "zookeeper.extendedTypesEnabled") {
      s = ParseBool(key, value, &config.extended_types_enabled);
    } else if (key == "enforceQuota" || key == "zookeeper.enforceQuota") {
      s = ParseBool(key, value, &config.enforce_quota);
    } else if (key == "readonlymode.enabled" || key == "zookeeper.readonlymode.enabled") {
      s = ParseBool(key, value, &config.read_only_enabled);
    } else if (key == "localSessionsEnabled") {
      s = ParseBool(key, value, &config.local_sessions_enabled);
    } else if (key == "localSessionsUpgradingEnabled") {
      s = ParseBool(key, value, &config.local_sessions_upgrading_enabled);
    } else if (key == "DigestAuthenticationProvider.superDigest" ||
               key == "zookeeper.DigestAuthenticationProvider.superDigest") {
      if (value.find(':') == std::string::npos) s = Invalid(key + " must be user:base64(sha1)");
      config.super_digest = value;
    } else if (key == "java.security.auth.login.config" || key == "sasl.jaasFile") {
      config.sasl_jaas_file = value;
    } else if (key == "zookeeper.sasl.serverconfig") {
      if (value.empty()) s = Invalid(key + " must name a JAAS login section");
      config.sasl_login_section = value;
    } else if (key == "zookeeper.superUser" || key == "superUser") {
      config.super_user = value;
    } else if (absl::StartsWith(key, "server.")) {
      int64_t id = 0;
      s = ParseInt(key, key.substr(7), 1, 255, &id);
      if (s.ok()) s = ParseServerLine(key, value, &config.servers[id]);
    } else if (!IsIgnoredKey(key)) {
      s = Invalid(absl::StrCat("line ", line_no, ": unknown key '", key, "'"));
    }
    if (!s.ok()) return s;
  }
  if (config.data_dir.empty()) return Invalid("dataDir is required");
  if (config.client_port == 0) return Invalid("clientPort is required");
  if (config.MinSessionTimeout() > config.MaxSessionTimeout()) {
    return Invalid(absl::StrCat("minSessionTimeout ", config.MinSessionTimeout(),
                                " > maxSessionTimeout ", config.MaxSessionTimeout()));
  }
  if (config.admin_enabled && config.admin_port == config.client_port) {
    return Invalid("admin.serverPort equals clientPort");
  }
  if (config.zk_client_port != 0 &&
      (config.zk_client_port == config.client_port ||
       (config.admin_enabled && config.zk_client_port == config.admin_port))) {
    return Invalid("zkClientPort must differ from clientPort and admin.serverPort");
  }
  if (config.secure_client_port != 0 && config.secure_client_port == config.secure_zk_client_port) {
    return Invalid("secureClientPort and secureZkClientPort must differ");
  }
  for (const auto& [name, port] :
       {std::pair<const char*, int>{"secureClientPort", config.secure_client_port},
        {"secureZkClientPort", config.secure_zk_client_port}}) {
    if (port == 0) continue;
    std::vector<int> others = {config.client_port, config.zk_client_port};
    if (config.admin_enabled) others.push_back(config.admin_port);
    if (std::find(others.begin(), others.end(), port) != others.end()) {
      return Invalid(absl::StrCat(name, " must differ from the other ports"));
    }
    if (config.ssl_cert_file.empty() || config.ssl_key_file.empty()) {
      return Invalid(absl::StrCat(name, " needs ssl.certFile and ssl.keyFile"));
    }
    if (config.ssl_client_auth != "none" && config.ssl_ca_file.empty()) {
      return Invalid("ssl.clientAuth=" + config.ssl_client_auth +
                     " needs ssl.caFile (the CA that signs client certificates)");
    }
  }
  if (config.enforce_auth && config.enforce_auth_schemes.empty()) {
    // ZooKeeper refuses to start the same way.
    return Invalid("enforce.auth.enabled=true needs enforce.auth.schemes (e.g. digest)");
  }
  if (config.ssl_quorum &&
      (config.ssl_quorum_cert_file.empty() || config.ssl_quorum_key_file.empty() ||
       config.ssl_quorum_ca_file.empty())) {
    return Invalid(
        "sslQuorum=true needs ssl.quorum.certFile, ssl.quorum.keyFile and "
        "ssl.quorum.caFile");
  }
  if (config.servers.size() == 2) {
    return Invalid("an ensemble of 2 servers cannot survive any failure; use 1, 3 or 5");
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Invalid(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<ServerConfig> config = ParseConfig(buffer.str());
  if (!config.ok()) return config.status();
  std::ifstream myid_in(config->data_dir + "/myid");
  if (myid_in) {
    std::string text;
    std::getline(myid_in, text);
    int64_t id = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &id) || id < 1 || id > 255) {
      return Invalid(absl::StrCat(config->data_dir, "/myid must hold a number in [1, 255]"));
    }
    config->my_id = id;
  } else if (!config->standalone()) {
    return Invalid(absl::StrCat(config->data_dir, "/myid is missing (needed with server.N)"));
  }
  if (!config->standalone() && !config->servers.contains(config->my_id)) {
    return Invalid(absl::StrCat("myid ", config->my_id, " has no server.", config->my_id, " line"));
  }
  return config;
}

}  // namespace zabkeeper::server
