// ZooKeeper's own C client (Debian's libzookeeper-mt, unchanged) against a
// real zabkeeper-server's zkClientPort: CRUD with stats, watches (one-shot,
// on a missing node), sequential and ephemeral nodes, a failed multi's
// per-op results, a session shared with the gRPC API, a wrong password, and
// malformed frames that close only their own connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/zk_client.h"
#include "gtest/gtest.h"
#include "tests/free_port.h"
#include "tests/integration/ensemble.h"
#include "tests/integration/server_process.h"
#include "tests/wait_until.h"
#include "zookeeper/zookeeper.h"

namespace zabkeeper::testing {
namespace {

// Events a handle's watcher saw, as "type:path" (type as ZooKeeper's ints).
struct Events {
  std::mutex mu;
  std::vector<std::string> seen;
  std::atomic<int> state{0};
  void Add(int type, const char* path) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(std::to_string(type) + ":" + (path != nullptr ? path : ""));
  }
  bool Has(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    for (const std::string& s : seen) {
      if (s == e) return true;
    }
    return false;
  }
  size_t Count(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const std::string& s : seen) n += s == e ? 1 : 0;
    return n;
  }
};

void Watcher(zhandle_t*, int type, int state, const char* path, void* ctx) {
  auto* events = static_cast<Events*>(ctx);
  if (type == ZOO_SESSION_EVENT) {
    events->state = state;
  } else {
    events->Add(type, path);
  }
}

// A handle connected to `hosts` within 10 s (null on failure).
zhandle_t* OpenHandle(const std::string& hosts, Events* events, int timeout_ms,
                      const clientid_t* id = nullptr) {
  zhandle_t* zh = zookeeper_init(hosts.c_str(), Watcher, timeout_ms, id, events, 0);
  if (zh == nullptr) return nullptr;
  if (!WaitUntil([&] { return events->state == ZOO_CONNECTED_STATE; }, std::chrono::seconds(10))) {
    zookeeper_close(zh);
    return nullptr;
  }
  return zh;
}

class ZkWireCClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zk_port_ = FreePort();
    server_ = std::make_unique<ServerProcess>(
        dir_.path(),
        std::map<std::string, std::string>{{"zkClientPort", std::to_string(zk_port_)}});
    server_->Start();
    ASSERT_TRUE(WaitUntil([&] { return PortAccepts(zk_port_); }, std::chrono::seconds(10)));
  }
  std::string ZkAddress() const { return "127.0.0.1:" + std::to_string(zk_port_); }

  zhandle_t* Open(Events* events, const clientid_t* id = nullptr) {
    return OpenHandle(ZkAddress(), events, 10000, id);
  }

  std::string Log() const {
    std::ifstream in(server_->log_path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  TempDir dir_;
  int zk_port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ZkWireCClientTest, CrudStatsAndOneShotWatches) {
  Events ev;
  zhandle_t* zh = Open(&ev);
  ASSERT_NE(zh, nullptr);
  char path[256];
  ASSERT_EQ(zoo_create(zh, "/app", "v0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)), ZOK);
  EXPECT_STREQ(path, "/app");
  EXPECT_EQ(zoo_create(zh, "/app", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)),
            ZNODEEXISTS);
  EXPECT_EQ(zoo_create(zh, "/no/parent", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)),
            ZNONODE);

  char buf[64];
  int len = sizeof(buf);
  Stat stat{};
  ASSERT_EQ(zoo_get(zh, "/app", 1, buf, &len, &stat), ZOK);
  EXPECT_EQ(std::string(buf, len), "v0");
  EXPECT_EQ(stat.version, 0);
  EXPECT_EQ(stat.dataLength, 2);
  EXPECT_EQ(stat.czxid, stat.mzxid);

  ASSERT_EQ(zoo_set(zh, "/app", "v1", 2, 0), ZOK);
  EXPECT_EQ(zoo_set(zh, "/app", "v2", 2, 0), ZBADVERSION);
  ASSERT_TRUE(WaitUntil([&] { return ev.Has("3:/app"); }, std::chrono::seconds(5)));  // CHANGED
  ASSERT_EQ(zoo_set(zh, "/app", "v2", 2, 1), ZOK);
  // One-shot: no second event. Events come before the reply of the change
  // that fired them, so by now one would have been seen.
  EXPECT_EQ(ev.Count("3:/app"), 1u);

  // exists on a missing node: NONODE, and the watch is set anyway.
  EXPECT_EQ(zoo_exists(zh, "/later", 1, &stat), ZNONODE);
  ASSERT_EQ(zoo_create(zh, "/later", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)), ZOK);
  ASSERT_TRUE(WaitUntil([&] { return ev.Has("1:/later"); }, std::chrono::seconds(5)));  // CREATED

  ASSERT_EQ(zoo_create(zh, "/app/q-", "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL, path,
                       sizeof(path)),
            ZOK);
  EXPECT_STREQ(path, "/app/q-0000000000");
  String_vector kids{};
  ASSERT_EQ(zoo_get_children2(zh, "/app", 0, &kids, &stat), ZOK);
  ASSERT_EQ(kids.count, 1);
  EXPECT_STREQ(kids.data[0], "q-0000000000");
  EXPECT_EQ(stat.numChildren, 1);
  deallocate_String_vector(&kids);

  EXPECT_EQ(zoo_delete(zh, "/app", -1), ZNOTEMPTY);
  EXPECT_EQ(zoo_delete(zh, "/app/q-0000000000", -1), ZOK);
  EXPECT_EQ(zoo_delete(zh, "/app", -1), ZOK);
  EXPECT_EQ(zoo_exists(zh, "/app", 0, &stat), ZNONODE);
  zookeeper_close(zh);
}

TEST_F(ZkWireCClientTest, FailedMultiReportsEachOpAsZooKeeperDoes) {
  Events ev;
  zhandle_t* zh = Open(&ev);
  ASSERT_NE(zh, nullptr);
  char path[256];
  ASSERT_EQ(zoo_create(zh, "/m", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)), ZOK);
  zoo_op_t ops[3];
  zoo_op_result_t results[3];
  char p1[64], p2[64];
  zoo_create_op_init(&ops[0], "/m/a", "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, p1, sizeof(p1));
  zoo_check_op_init(&ops[1], "/m", 7);
  zoo_create_op_init(&ops[2], "/m/b", "y", 1, &ZOO_OPEN_ACL_UNSAFE, 0, p2, sizeof(p2));
  EXPECT_EQ(zoo_multi(zh, 3, ops, results), ZBADVERSION);
  EXPECT_EQ(results[0].err, ZOK);
  EXPECT_EQ(results[1].err, ZBADVERSION);
  EXPECT_EQ(results[2].err, ZRUNTIMEINCONSISTENCY);
  Stat stat{};
  EXPECT_EQ(zoo_exists(zh, "/m/a", 0, &stat), ZNONODE);  // nothing applied

  zoo_check_op_init(&ops[1], "/m", 0);
  ASSERT_EQ(zoo_multi(zh, 3, ops, results), ZOK);
  EXPECT_STREQ(p1, "/m/a");
  EXPECT_STREQ(p2, "/m/b");
  zookeeper_close(zh);
}

TEST_F(ZkWireCClientTest, EphemeralGoesWithItsSessionAndOneTreeForBothProtocols) {
  Events owner_ev, ev;
  zhandle_t* owner = Open(&owner_ev);
  zhandle_t* zh = Open(&ev);
  ASSERT_NE(owner, nullptr);
  ASSERT_NE(zh, nullptr);
  char path[256];
  ASSERT_EQ(zoo_create(owner, "/e", "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, path, sizeof(path)),
            ZOK);
  Stat stat{};
  ASSERT_EQ(zoo_exists(zh, "/e", 1, &stat), ZOK);
  EXPECT_EQ(stat.ephemeralOwner, zoo_client_id(owner)->client_id);

  // The gRPC API sees the same tree and the same session.
  auto grpc = zk::ZkClient::Connect(server_->address());
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  auto seen = (*grpc)->Exists("/e");
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->ephemeral_owner(), zoo_client_id(owner)->client_id);

  zookeeper_close(owner);  // closeSession: the ephemeral goes
  ASSERT_TRUE(WaitUntil([&] { return ev.Has("2:/e"); }, std::chrono::seconds(5)));  // DELETED
  EXPECT_EQ(zoo_exists(zh, "/e", 0, &stat), ZNONODE);
  zookeeper_close(zh);
}

TEST_F(ZkWireCClientTest, WrongPasswordIsAnExpiredSession) {
  Events ev;
  zhandle_t* zh = Open(&ev);
  ASSERT_NE(zh, nullptr);
  clientid_t id = *zoo_client_id(zh);
  id.passwd[0] ^= 0x55;
  Events other;
  zhandle_t* wrong = zookeeper_init(ZkAddress().c_str(), Watcher, 10000, &id, &other, 0);
  ASSERT_NE(wrong, nullptr);
  EXPECT_TRUE(WaitUntil([&] { return other.state == ZOO_EXPIRED_SESSION_STATE; },
                        std::chrono::seconds(10)));
  zookeeper_close(wrong);
  Stat stat{};
  EXPECT_EQ(zoo_exists(zh, "/", 0, &stat), ZOK);  // the real owner is untouched
  zookeeper_close(zh);
}

// A raw connection: sends `bytes`, then reads until the server closes it or
// 5 s pass.
struct Exchanged {
  std::string data;     // what the server sent
  bool closed = false;  // the server closed (or reset) the connection
};

Exchanged RawExchange(int port, const std::string& bytes) {
  Exchanged out;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return out;
  }
  (void)!write(fd, bytes.data(), bytes.size());
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[512];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.data.append(buf, static_cast<size_t>(n));
  out.closed = n == 0 || errno == ECONNRESET;
  close(fd);
  return out;
}

bool ServerCloses(int port, const std::string& bytes) { return RawExchange(port, bytes).closed; }
std::string Exchange(int port, const std::string& bytes) { return RawExchange(port, bytes).data; }

std::string Be32(int32_t v) {
  const uint32_t n = htonl(static_cast<uint32_t>(v));
  return std::string(reinterpret_cast<const char*>(&n), 4);
}

std::string ValidConnect() {
  std::string body = Be32(0) + std::string(8, '\0') + Be32(10000) + std::string(8, '\0') +
                     Be32(16) + std::string(16, '\0');
  return Be32(static_cast<int32_t>(body.size())) + body;
}

TEST_F(ZkWireCClientTest, MalformedFramesCloseOnlyTheirConnection) {
  Events ev;
  zhandle_t* zh = Open(&ev);
  ASSERT_NE(zh, nullptr);
  char path[256];
  ASSERT_EQ(zoo_create(zh, "/keep", "safe", 4, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)), ZOK);

  EXPECT_TRUE(ServerCloses(zk_port_, Be32(-1)));           // negative length
  EXPECT_TRUE(ServerCloses(zk_port_, Be32(64 << 20)));     // past jute.maxbuffer
  EXPECT_TRUE(ServerCloses(zk_port_, Be32(5) + "short"));  // not a ConnectRequest
  EXPECT_TRUE(ServerCloses(zk_port_, ValidConnect() + Be32(8) + Be32(1) + Be32(999)));  // opcode
  EXPECT_TRUE(ServerCloses(zk_port_, ValidConnect() + Be32(12) + Be32(1) + Be32(4) + Be32(50)));
  std::string garbage = ValidConnect();
  for (int i = 0; i < 200; ++i) garbage.push_back(static_cast<char>(i * 37));
  EXPECT_TRUE(ServerCloses(zk_port_, garbage));

  const std::string log = Log();
  EXPECT_NE(log.find("frame length -1 outside"), std::string::npos);
  EXPECT_NE(log.find("unknown opcode 999"), std::string::npos);

  // The well-behaved session and the data are untouched.
  char buf[16];
  int len = sizeof(buf);
  Stat stat{};
  ASSERT_EQ(zoo_get(zh, "/keep", 0, buf, &len, &stat), ZOK);
  EXPECT_EQ(std::string(buf, len), "safe");
  EXPECT_TRUE(server_->running() && !server_->Exited());
  zookeeper_close(zh);
}

// Four-letter words as ZooKeeper answers them: by default only srvr.
TEST_F(ZkWireCClientTest, FourLetterWordsFollowTheAllowlist) {
  const std::string srvr = Exchange(zk_port_, "srvr");
  EXPECT_NE(srvr.find("Zookeeper version: 3.8.0"), std::string::npos) << srvr;
  EXPECT_NE(srvr.find("Mode: standalone"), std::string::npos) << srvr;
  EXPECT_NE(srvr.find("Node count: "), std::string::npos) << srvr;
  EXPECT_EQ(Exchange(zk_port_, "ruok"),
            "ruok is not executed because it is not in the whitelist.\n");
  EXPECT_EQ(Exchange(zk_port_, "mntr"),
            "mntr is not executed because it is not in the whitelist.\n");

  server_->Kill();
  std::ofstream(server_->config_path(), std::ios::app) << "4lw.commands.whitelist=*\n";
  server_->Start();
  ASSERT_TRUE(WaitUntil([&] { return PortAccepts(zk_port_); }, std::chrono::seconds(10)));
  EXPECT_EQ(Exchange(zk_port_, "ruok"), "imok");
  EXPECT_EQ(Exchange(zk_port_, "isro"), "rw");
  const std::string mntr = Exchange(zk_port_, "mntr");
  EXPECT_NE(mntr.find("zk_server_state\tstandalone\n"), std::string::npos) << mntr;
  EXPECT_NE(Exchange(zk_port_, "envi").find("zookeeper.version=3.8.0"), std::string::npos);
}

// cons and stat list each ZooKeeper-protocol connection as ZooKeeper does:
// its address, counters, and (cons) session, last op, zxid and latencies.
TEST_F(ZkWireCClientTest, ConsAndStatListEachConnection) {
  server_->Kill();
  std::ofstream(server_->config_path(), std::ios::app) << "4lw.commands.whitelist=*\n";
  server_->Start();
  ASSERT_TRUE(WaitUntil([&] { return PortAccepts(zk_port_); }, std::chrono::seconds(10)));
  Events ev;
  zhandle_t* zh = Open(&ev);
  ASSERT_NE(zh, nullptr);
  char path[64];
  ASSERT_EQ(zoo_create(zh, "/c", "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)), ZOK);
  char buf[8];
  int len = sizeof(buf);
  ASSERT_EQ(zoo_get(zh, "/c", 0, buf, &len, nullptr), ZOK);
  const std::string sid = absl::StrCat("sid=0x", absl::Hex(zoo_client_id(zh)->client_id));

  const std::string cons = Exchange(zk_port_, "cons");
  // The client's line (lop is GETD, or PING if a ping came after it) and
  // the asking connection's own, then an empty line.
  EXPECT_NE(cons.find(sid), std::string::npos) << cons;
  EXPECT_TRUE(cons.find(",lop=GETD,") != std::string::npos ||
              cons.find(",lop=PING,") != std::string::npos)
      << cons;
  EXPECT_NE(cons.find(" /127.0.0.1:"), std::string::npos) << cons;
  EXPECT_NE(cons.find(",to=10000,"), std::string::npos) << cons;
  EXPECT_NE(cons.find("](queued=0,recved=1,sent=0)\n"), std::string::npos) << cons;
  EXPECT_EQ(cons.substr(cons.size() - 3), ")\n\n") << cons;

  const std::string stat = Exchange(zk_port_, "stat");
  EXPECT_EQ(stat.find("Clients:\n /127.0.0.1:"), stat.find("Clients:")) << stat;
  EXPECT_EQ(stat.find("sid="), std::string::npos) << stat;  // brief lines
  EXPECT_NE(stat.find("Mode: standalone\n"), std::string::npos) << stat;
  zookeeper_close(zh);
  // A closed connection is gone from the list.
  ASSERT_TRUE(WaitUntil([&] { return Exchange(zk_port_, "cons").find(sid) == std::string::npos; },
                        std::chrono::seconds(5)));
}

// With `limit_line` in zoo.cfg the server holds two connections: a third is
// closed at once, logged with `logged`, and once one closes a slot is free.
void ExpectTwoConnectionsAllowed(ServerProcess& server, int zk_port, const std::string& limit_line,
                                 const std::string& logged, std::function<std::string()> log,
                                 std::function<zhandle_t*(Events*)> open) {
  server.Kill();
  std::ofstream(server.config_path(), std::ios::app) << limit_line << "\n";
  server.Start();
  ASSERT_TRUE(WaitUntil([&] { return PortAccepts(zk_port); }, std::chrono::seconds(10)));
  Events e1, e2, e3;
  zhandle_t* z1 = open(&e1);
  zhandle_t* z2 = open(&e2);
  ASSERT_NE(z1, nullptr);
  ASSERT_NE(z2, nullptr);
  EXPECT_TRUE(ServerCloses(zk_port, ValidConnect()));  // the third
  EXPECT_NE(log().find(logged), std::string::npos);
  zookeeper_close(z2);
  zhandle_t* z3 = open(&e3);  // a slot is free again
  EXPECT_NE(z3, nullptr);
  if (z3 != nullptr) zookeeper_close(z3);
  zookeeper_close(z1);
}

// maxClientCnxns counts ZooKeeper-protocol connections per client address,
// as ZooKeeper does: past it a new connection is closed at once.
TEST_F(ZkWireCClientTest, MaxClientCnxnsPerAddressIsEnforced) {
  ExpectTwoConnectionsAllowed(
      *server_, zk_port_, "maxClientCnxns=2", "too many connections: refused 127.0.0.1",
      [&] { return Log(); }, [&](Events* e) { return Open(e); });
}

// maxCnxns (ZooKeeper 3.6+) bounds the server's client connections from all
// addresses together.
TEST_F(ZkWireCClientTest, MaxCnxnsBoundsAllConnections) {
  ExpectTwoConnectionsAllowed(
      *server_, zk_port_, "maxCnxns=2", "(maxClientCnxns/maxCnxns)", [&] { return Log(); },
      [&](Events* e) { return Open(e); });
}

// enforce.auth.enabled with enforce.auth.schemes=digest, seen through
// ZooKeeper's own C client: an unauthenticated request gets
// ZSESSIONCLOSEDREQUIRESASLAUTH (-124), as ZooKeeper 3.8 answers it; after
// zoo_add_auth the same kind of request is served.
TEST_F(ZkWireCClientTest, EnforceAuthRefusesUnauthenticatedRequests) {
  server_->Kill();
  std::ofstream(server_->config_path(), std::ios::app)
      << "enforce.auth.enabled=true\nenforce.auth.schemes=digest\n";
  server_->Start();
  ASSERT_TRUE(WaitUntil([&] { return PortAccepts(zk_port_); }, std::chrono::seconds(10)));
  Events anon_events;
  zhandle_t* anon = Open(&anon_events);
  ASSERT_NE(anon, nullptr) << "connecting needs no identity";
  struct Stat stat;
  EXPECT_EQ(zoo_exists(anon, "/", 0, &stat), ZSESSIONCLOSEDREQUIRESASLAUTH);
  zookeeper_close(anon);

  Events events;
  zhandle_t* zh = Open(&events);
  ASSERT_NE(zh, nullptr);
  const char* cred = "alice:secret";
  ASSERT_EQ(zoo_add_auth(zh, "digest", cred, static_cast<int>(strlen(cred)), nullptr, nullptr),
            ZOK);
  EXPECT_EQ(zoo_exists(zh, "/", 0, &stat), ZOK);
  char path[64];
  EXPECT_EQ(zoo_create(zh, "/enforced", "v", 1, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)), ZOK);
  zookeeper_close(zh);
}

// The C client on a 3-node ensemble, every server in its connect string, as
// a user sets it up: its session (connected to the leader), the session's
// ephemeral and its data watch survive the leader's kill.
TEST(ZkWireCClientEnsemble, SessionEphemeralAndWatchSurviveALeaderKill) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  TempDir dir;
  Ensemble ens(dir.path(), 3, /*tick_ms=*/100, /*zk_client_ports=*/true);
  ens.StartAll();
  const int leader = ens.WaitForLeader();
  ASSERT_GT(leader, 0);
  const int follower = leader % 3 + 1;
  auto hosts_from = [&](int first) {
    std::string out = "127.0.0.1:" + std::to_string(ens.zk_port(first));
    for (int id = 1; id <= 3; ++id) {
      if (id != first) out += ",127.0.0.1:" + std::to_string(ens.zk_port(id));
    }
    return out;
  };
  // In list order: a's session on the leader, b's on a follower.
  zoo_deterministic_conn_order(1);
  Events ea, eb;
  zhandle_t* a = OpenHandle(hosts_from(leader), &ea, 4000);
  zhandle_t* b = OpenHandle(hosts_from(follower), &eb, 4000);
  zoo_deterministic_conn_order(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const int64_t sid = zoo_client_id(a)->client_id;
  char path[64];
  ASSERT_EQ(zoo_create(a, "/e", "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, path, sizeof(path)),
            ZOK);
  ASSERT_EQ(zoo_create(a, "/cfg", "v1", 2, &ZOO_OPEN_ACL_UNSAFE, 0, path, sizeof(path)), ZOK);
  char buf[8];
  int len = sizeof(buf);
  ASSERT_EQ(zoo_get(a, "/cfg", 1, buf, &len, nullptr), ZOK);

  ens.node(leader).Kill();
  ASSERT_GT(ens.WaitForLeader(), 0);
  // a moves to another server with its session; b writes once it can.
  ASSERT_TRUE(WaitUntil(
      [&] { return ea.state == ZOO_CONNECTED_STATE && zoo_exists(a, "/e", 0, nullptr) == ZOK; },
      std::chrono::seconds(15)));
  EXPECT_EQ(zoo_client_id(a)->client_id, sid);
  Stat stat{};
  ASSERT_EQ(zoo_exists(b, "/e", 0, &stat), ZOK);
  EXPECT_EQ(stat.ephemeralOwner, sid);
  ASSERT_TRUE(
      WaitUntil([&] { return zoo_set(b, "/cfg", "v2", 2, -1) == ZOK; }, std::chrono::seconds(10)));
  // The watch set on the dead leader was re-registered where a went.
  EXPECT_TRUE(WaitUntil([&] { return ea.Has("3:/cfg"); }, std::chrono::seconds(5)));
  EXPECT_EQ(ea.Count("3:/cfg"), 1u);
  zookeeper_close(a);
  zookeeper_close(b);
}

}  // namespace
}  // namespace zabkeeper::testing
