// ParseConfig: zoo.cfg-style text. Good configs parse to the right values;
// each bad one fails with a one-line reason that names the offending key.
#include "server/config.h"

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zabkeeper::server {
namespace {

using ::testing::HasSubstr;

const char kMinimal[] = "dataDir=/tmp/zk\nclientPort=2181\n";

TEST(Config, Minimal_UsesZooKeeperDefaults) {
  absl::StatusOr<ServerConfig> c = ParseConfig(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data_dir, "/tmp/zk");
  EXPECT_EQ(c->client_port, 2181);
  EXPECT_EQ(c->tick_time_ms, 2000);
  EXPECT_EQ(c->MinSessionTimeout(), 4000);
  EXPECT_EQ(c->MaxSessionTimeout(), 40000);
  EXPECT_EQ(c->max_data_bytes, 1 << 20);
  EXPECT_TRUE(c->extended_types_enabled);
  EXPECT_TRUE(c->standalone());
  EXPECT_TRUE(c->servers.empty());
  EXPECT_EQ(c->zk_client_port, 0);  // the ZooKeeper-protocol front end is off
}

TEST(Config, ZkClientPort_TurnsOnTheZooKeeperProtocol) {
  absl::StatusOr<ServerConfig> c = ParseConfig(std::string(kMinimal) + "zkClientPort=2182\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->zk_client_port, 2182);
  EXPECT_EQ(c->four_letter_words, (std::set<std::string>{"srvr"}));  // ZooKeeper's default
  c = ParseConfig(std::string(kMinimal) + "4lw.commands.whitelist=ruok, mntr,srvr\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->four_letter_words, (std::set<std::string>{"mntr", "ruok", "srvr"}));
}

TEST(Config, ReadOnlyLocalSessionsAndTls_Parse) {
  absl::StatusOr<ServerConfig> c =
      ParseConfig(std::string(kMinimal) +
                  "readonlymode.enabled=true\nlocalSessionsEnabled=true\n"
                  "localSessionsUpgradingEnabled=true\nsecureClientPort=2183\nssl.certFile=/c.pem\n"
                  "ssl.keyFile=/k.pem\nssl.caFile=/ca.pem\nssl.clientAuth=want\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->read_only_enabled);
  EXPECT_TRUE(c->local_sessions_enabled);
  EXPECT_TRUE(c->local_sessions_upgrading_enabled);
  EXPECT_EQ(c->secure_client_port, 2183);
  EXPECT_EQ(c->ssl_ca_file, "/ca.pem");
  EXPECT_EQ(c->ssl_client_auth, "want");
  c = ParseConfig(kMinimal);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->read_only_enabled);  // ZooKeeper's defaults
  EXPECT_FALSE(c->local_sessions_enabled);
  EXPECT_EQ(c->ssl_client_auth, "need");
}

TEST(Config, EnforceAuthMaxCnxnsAndSecureZkPort_Parse) {
  absl::StatusOr<ServerConfig> c =
      ParseConfig(std::string(kMinimal) +
                  "enforce.auth.enabled=true\nenforce.auth.schemes=digest, x509\nmaxCnxns=500\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->enforce_auth);
  EXPECT_EQ(c->enforce_auth_schemes, (std::set<std::string>{"digest", "x509"}));
  EXPECT_EQ(c->max_cnxns, 500);
  c = ParseConfig(std::string(kMinimal) +
                  "secureZkClientPort=2282\nssl.certFile=c\nssl.keyFile=k\nssl.caFile=ca\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->secure_zk_client_port, 2282);
  c = ParseConfig(std::string(kMinimal) +
                  "sslQuorum=true\nssl.quorum.certFile=c\nssl.quorum.keyFile=k\n"
                  "ssl.quorum.caFile=ca\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->ssl_quorum);
  EXPECT_EQ(c->ssl_quorum_ca_file, "ca");
  // ZooKeeper's names for them as system properties work too.
  c = ParseConfig(std::string(kMinimal) +
                  "zookeeper.enforce.auth.enabled=true\nzookeeper.enforce.auth.schemes=ip\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->enforce_auth);
  c = ParseConfig(kMinimal);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->enforce_auth);
  EXPECT_EQ(c->max_cnxns, 0);  // unlimited, as ZooKeeper's default
}

TEST(Config, SaslKeys_ParseAsZooKeeperNamesThem) {
  absl::StatusOr<ServerConfig> c = ParseConfig(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sasl_jaas_file, "");  // no SASL
  EXPECT_EQ(c->sasl_login_section, "Server");
  c = ParseConfig(std::string(kMinimal) +
                  "java.security.auth.login.config=/etc/zk/jaas.conf\n"
                  "zookeeper.sasl.serverconfig=ZkServer\nzookeeper.superUser=admin\n"
                  "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sasl_jaas_file, "/etc/zk/jaas.conf");
  EXPECT_EQ(c->sasl_login_section, "ZkServer");
  EXPECT_EQ(c->super_user, "admin");
  c = ParseConfig(std::string(kMinimal) + "sasl.jaasFile=j\nsuperUser=root\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sasl_jaas_file, "j");
  EXPECT_EQ(c->super_user, "root");
  EXPECT_FALSE(ParseConfig(std::string(kMinimal) + "zookeeper.sasl.serverconfig=\n").ok());
}

TEST(Config, ReadLimits_ParseAndDefault) {
  absl::StatusOr<ServerConfig> c = ParseConfig(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_watches_per_session, 1000000);
  EXPECT_EQ(c->max_children_per_reply, 0);
  EXPECT_EQ(c->min_free_mb, 128);
  EXPECT_EQ(c->global_outstanding_limit, 8192);
  EXPECT_FALSE(c->audit_enabled);
  c = ParseConfig(std::string(kMinimal) +
                  "maxWatchesPerSession=0\nmaxChildrenPerReply=5000\nstorage.minFreeMB=0\n"
                  "audit.enable=true\naudit.logFile=/var/log/zk-audit.log\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->min_free_mb, 0);
  EXPECT_TRUE(c->audit_enabled);
  EXPECT_EQ(c->audit_log_file, "/var/log/zk-audit.log");
  EXPECT_EQ(c->max_watches_per_session, 0);
  EXPECT_EQ(c->max_children_per_reply, 5000);
}

TEST(Config, Full_ParsesEveryKey) {
  absl::StatusOr<ServerConfig> c = ParseConfig(
      "# comment\n"
      "  tickTime = 500  \n"
      "\n"
      "dataDir=/var/zk\n"
      "clientPort=3000\n"
      "clientPortAddress=127.0.0.1\n"
      "admin.enableServer=false\n"
      "admin.serverPort=9090\n"
      "admin.serverAddress=127.0.0.2\n"
      "maxClientCnxns=0\n"
      "minSessionTimeout=1000\n"
      "maxSessionTimeout=60000\n"
      "initLimit=20\n"
      "syncLimit=7\n"
      "jute.maxbuffer=4096\n"
      "zookeeper.extendedTypesEnabled=no\n"
      "autopurge.snapRetainCount=3\n"
      "4lw.commands.whitelist=*\n"
      "server.1=h1:2888:3888\n"
      "server.2=h2:2889:3889:participant;2182\n"
      "server.3=h3:2890;0.0.0.0:2183\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tick_time_ms, 500);
  EXPECT_EQ(c->client_address, "127.0.0.1");
  EXPECT_FALSE(c->admin_enabled);
  EXPECT_EQ(c->admin_port, 9090);
  EXPECT_EQ(c->admin_address, "127.0.0.2");
  EXPECT_EQ(c->max_client_cnxns, 0);
  EXPECT_EQ(c->MinSessionTimeout(), 1000);
  EXPECT_EQ(c->MaxSessionTimeout(), 60000);
  EXPECT_EQ(c->init_limit, 20);
  EXPECT_EQ(c->sync_limit, 7);
  EXPECT_EQ(c->max_data_bytes, 4096);
  EXPECT_FALSE(c->extended_types_enabled);
  ASSERT_EQ(c->servers.size(), 3u);
  EXPECT_FALSE(c->standalone());
  EXPECT_EQ(c->servers.at(1).host, "h1");
  EXPECT_EQ(c->servers.at(1).peer_port, 2888);
  EXPECT_EQ(c->servers.at(1).election_port, 3888);
  EXPECT_EQ(c->servers.at(2).client_port, 2182);
  EXPECT_EQ(c->servers.at(3).peer_port, 2890);
  EXPECT_EQ(c->servers.at(3).client_port, 2183);
}

TEST(Config, TickTime_ScalesDefaultSessionBounds) {
  absl::StatusOr<ServerConfig> c = ParseConfig(std::string(kMinimal) + "tickTime=100\n");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->MinSessionTimeout(), 200);
  EXPECT_EQ(c->MaxSessionTimeout(), 2000);
}

struct BadCase {
  std::string name;
  std::string extra;    // appended to a valid base (or replaces it, see below)
  std::string mention;  // must appear in the error
  bool replace_base = false;
};

// Readable test parameter in gtest output.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::vector<BadCase> BadCases() {
  return {
      {"TickTimeNotInt", "tickTime=abc\n", "tickTime"},
      {"TickTimeZero", "tickTime=0\n", "tickTime"},
      {"ClientPortTooBig", "dataDir=/d\nclientPort=70000\n", "clientPort", true},
      {"ClientPortNegative", "dataDir=/d\nclientPort=-1\n", "clientPort", true},
      {"MissingClientPort", "dataDir=/d\n", "clientPort", true},
      {"MissingDataDir", "clientPort=2181\n", "dataDir", true},
      {"EmptyDataDir", "dataDir=\nclientPort=2181\n", "dataDir", true},
      {"UnknownKey", "fooBar=1\n", "fooBar"},
      {"Duplicate", "tickTime=100\ntickTime=200\n", "tickTime"},
      {"NoEquals", "justtext\n", "justtext"},
      {"AdminEnableNotBool", "admin.enableServer=maybe\n", "admin.enableServer"},
      {"AdminPortZero", "admin.serverPort=0\n", "admin.serverPort"},
      {"AdminPortEqualsClient", "admin.serverPort=2181\n", "admin.serverPort"},
      {"ZkClientPortEqualsClient", "zkClientPort=2181\n", "zkClientPort"},
      {"ZkClientPortEqualsAdmin", "zkClientPort=8080\n", "zkClientPort"},
      {"ZkClientPortTooBig", "zkClientPort=65536\n", "zkClientPort"},
      {"MaxCnxnsNegative", "maxClientCnxns=-5\n", "maxClientCnxns"},
      {"MinTimeoutZero", "minSessionTimeout=0\n", "minSessionTimeout"},
      {"MinAboveMax", "minSessionTimeout=50000\nmaxSessionTimeout=10000\n", "minSessionTimeout"},
      {"MaxBelowDefaultMin", "maxSessionTimeout=100\n", "maxSessionTimeout"},
      {"InitLimitNotInt", "initLimit=ten\n", "initLimit"},
      {"SyncLimitZero", "syncLimit=0\n", "syncLimit"},
      {"JuteMaxBufferZero", "jute.maxbuffer=0\n", "jute.maxbuffer"},
      {"ExtendedTypesNotBool", "extendedTypesEnabled=sure\n", "extendedTypesEnabled"},
      {"ServerIdNotInt", "server.x=h:1\nserver.2=h:2\nserver.3=h:3\n", "server.x"},
      {"ServerIdZero", "server.0=h:1\n", "server.0"},
      {"ServerIdTooBig", "server.256=h:1\n", "server.256"},
      {"ServerNoPort", "server.1=h1\n", "server.1"},
      {"ServerEmptyHost", "server.1=:2888\n", "server.1"},
      {"ServerBadPeerPort", "server.1=h:99999\n", "server.1"},
      {"ServerBadElectionPort", "server.1=h:2888:x\n", "server.1"},
      {"ServerObserver", "server.1=h:2888:3888:observer\n", "server.1"},
      {"ServerBadClientPort", "server.1=h:2888;abc\n", "server.1"},
      {"TwoServers", "server.1=h1:2888\nserver.2=h2:2888\n", "2 servers"},
      {"ReadOnlyNotBool", "readonlymode.enabled=maybe\n", "readonlymode.enabled"},
      {"LocalSessionsNotBool", "localSessionsEnabled=2\n", "localSessionsEnabled"},
      {"SecurePortWithoutCert", "secureClientPort=2183\n", "ssl.certFile"},
      {"SecurePortEqualsClient",
       "secureClientPort=2181\nssl.certFile=c\nssl.keyFile=k\nssl.clientAuth=none\n",
       "secureClientPort"},
      {"ClientAuthUnknown", "ssl.clientAuth=sometimes\n", "ssl.clientAuth"},
      {"SecureZkPortWithoutCert", "secureZkClientPort=2283\n", "secureZkClientPort needs"},
      {"SecurePortsEqual",
       "secureClientPort=2283\nsecureZkClientPort=2283\nssl.certFile=c\nssl.keyFile=k\n"
       "ssl.clientAuth=none\n",
       "must differ"},
      {"SslQuorumWithoutFiles", "sslQuorum=true\nssl.quorum.certFile=c\n", "ssl.quorum.keyFile"},
      {"EnforceAuthWithoutSchemes", "enforce.auth.enabled=true\n", "enforce.auth.schemes"},
      {"EnforceAuthUnknownScheme", "enforce.auth.schemes=kerberos\n", "kerberos"},
      {"EnforceAuthNotBool", "enforce.auth.enabled=maybe\n", "enforce.auth.enabled"},
      {"MaxTotalCnxnsNegative", "maxCnxns=-1\n", "maxCnxns"},
      {"MaxWatchesNotANumber", "maxWatchesPerSession=lots\n", "maxWatchesPerSession"},
      {"MaxChildrenNegative", "maxChildrenPerReply=-5\n", "maxChildrenPerReply"},
      {"MinFreeNotANumber", "storage.minFreeMB=lots\n", "storage.minFreeMB"},
      {"OutstandingZero", "globalOutstandingLimit=0\n", "globalOutstandingLimit"},
      {"AuditNotBool", "audit.enable=yes please\n", "audit.enable"},
      {"ClientAuthNeedWithoutCa", "secureClientPort=2183\nssl.certFile=c\nssl.keyFile=k\n",
       "ssl.caFile"},
  };
}

class BadConfigTable : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfigTable, ParseConfig_FailsWithOneLineNamingTheKey) {
  const BadCase& c = GetParam();
  std::string text = c.replace_base ? c.extra : std::string(kMinimal) + c.extra;
  absl::StatusOr<ServerConfig> r = ParseConfig(text);
  ASSERT_FALSE(r.ok()) << "accepted:\n" << text;
  const std::string msg(r.status().message());
  EXPECT_THAT(msg, HasSubstr(c.mention));
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "multi-line reason: " << msg;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Config, BadConfigTable, ::testing::ValuesIn(BadCases()),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return info.param.name;
                         });

TEST(Config, IgnoredZooKeeperKeys_AreAccepted) {
  absl::StatusOr<ServerConfig> c =
      ParseConfig(std::string(kMinimal) +
                  "snapCount=100000\npreAllocSize=65536\ndataLogDir=/x\nstandaloneEnabled=true\n"
                  "reconfigEnabled=false\nmetricsProvider.className=x\n");
  EXPECT_TRUE(c.ok()) << c.status();
}

TEST(Config, LoadConfig_MissingFile_NamesPath) {
  absl::StatusOr<ServerConfig> c = LoadConfig("/nonexistent/zabkeeper/zoo.cfg");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("/nonexistent/zabkeeper/zoo.cfg"));
}

}  // namespace
}  // namespace zabkeeper::server
