// Local sessions (localSessionsEnabled, localSessionsUpgradingEnabled) and
// the read-only server (readonlymode.enabled), as ZooKeeper 3.8 has them.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/node_core.h"
#include "tests/unit/server/one_node.h"

namespace zabkeeper::server {
namespace {

using coretest::Connect;
using coretest::OneNode;
using coretest::OpenAcl;

proto::Request Create(int64_t xid, const std::string& path, proto::CreateMode mode) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_create()->set_path(path);
  r.mutable_create()->set_mode(mode);
  *r.mutable_create()->add_acl() = OpenAcl();
  return r;
}

proto::Request Get(int64_t xid, const std::string& path) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_get_data()->set_path(path);
  return r;
}

proto::Request Close(int64_t xid) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_close();
  return r;
}

NodeCoreConfig LocalSessionsConfig(bool upgrading) {
  NodeCoreConfig c = OneNode::WithVoters({1});
  c.local_sessions_enabled = true;
  c.local_sessions_upgrading_enabled = upgrading;
  return c;
}

TEST(LocalSessions, CreatedWithoutATxnAndServeWrites) {
  OneNode n(LocalSessionsConfig(false));
  const Zxid before = n.core().state().last_applied();
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  std::vector<ClientOut> out = n.Request(1, Connect(1));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].response.err(), proto::OK);
  const int64_t sid = out[0].response.connect().session_id();
  EXPECT_NE(sid, 0);
  EXPECT_FALSE(out[0].response.connect().read_only());
  EXPECT_EQ(n.core().state().last_applied(), before);  // no createSession txn
  EXPECT_FALSE(n.core().state().sessions().contains(sid));
  EXPECT_EQ(n.core().local_session_count(), 1u);

  out = n.Request(1, Create(2, "/p", proto::PERSISTENT));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK) << out[0].response.error_message();
  EXPECT_NE(n.core().state().tree().Find("/p"), nullptr);
}

TEST(LocalSessions, EphemeralRefusedWithoutUpgrading) {
  OneNode n(LocalSessionsConfig(false));
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  ASSERT_EQ(n.Request(1, Connect(1)).at(0).response.err(), proto::OK);
  std::vector<ClientOut> out = n.Request(1, Create(2, "/e", proto::EPHEMERAL));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::EPHEMERAL_ON_LOCAL_SESSION);
  EXPECT_EQ(n.core().state().tree().Find("/e"), nullptr);
  // Inside a multi too.
  proto::Request multi;
  multi.set_xid(3);
  *multi.mutable_multi()->add_ops()->mutable_create() = Create(0, "/m", proto::PERSISTENT).create();
  *multi.mutable_multi()->add_ops()->mutable_create() =
      Create(0, "/m/e", proto::EPHEMERAL_SEQUENTIAL).create();
  out = n.Request(1, multi);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::EPHEMERAL_ON_LOCAL_SESSION);
  EXPECT_EQ(n.core().state().tree().Find("/m"), nullptr);
}

TEST(LocalSessions, EphemeralUpgradesTheSessionToAGlobalOne) {
  OneNode n(LocalSessionsConfig(true));
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  const int64_t sid = n.Request(1, Connect(1)).at(0).response.connect().session_id();
  std::vector<ClientOut> out = n.Request(1, Create(2, "/e", proto::EPHEMERAL));
  ASSERT_EQ(out.size(), 1u);  // the upgrade itself answers nobody
  EXPECT_EQ(out[0].response.xid(), 2);
  EXPECT_EQ(out[0].response.err(), proto::OK) << out[0].response.error_message();
  EXPECT_TRUE(n.core().state().sessions().contains(sid));
  EXPECT_EQ(n.core().local_session_count(), 0u);
  const Znode* e = n.core().state().tree().Find("/e");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->stat.ephemeral_owner, sid);
  // Now global: closing it is a txn that deletes its ephemeral.
  out = n.Request(1, Close(3));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().response.err(), proto::OK);
  EXPECT_EQ(n.core().state().tree().Find("/e"), nullptr);
  EXPECT_FALSE(n.core().state().sessions().contains(sid));
}

TEST(LocalSessions, ReattachOnlyHereAndCloseIsLocal) {
  OneNode n(LocalSessionsConfig(false));
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  const proto::ConnectResponse first = n.Request(1, Connect(1)).at(0).response.connect();
  n.core().CloseConnection(1);

  proto::Request again = Connect(1);
  again.mutable_connect()->set_session_id(first.session_id());
  again.mutable_connect()->set_password("wrong");
  n.core().OpenConnection(2, "ipv4:127.0.0.1:5001");
  EXPECT_EQ(n.Request(2, again).at(0).response.err(), proto::SESSION_EXPIRED);

  again.mutable_connect()->set_password(first.password());
  n.core().OpenConnection(3, "ipv4:127.0.0.1:5002");
  std::vector<ClientOut> out = n.Request(3, again);
  ASSERT_EQ(out.at(0).response.err(), proto::OK);
  EXPECT_EQ(out[0].response.connect().session_id(), first.session_id());

  const Zxid before = n.core().state().last_applied();
  out = n.Request(3, Close(2));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.op(), proto::OP_CLOSE_SESSION);
  EXPECT_EQ(out[0].response.err(), proto::OK);
  EXPECT_EQ(n.core().state().last_applied(), before);  // no txn
  EXPECT_EQ(n.core().local_session_count(), 0u);
}

TEST(LocalSessions, ExpireOnTheirServerAndTellTheClient) {
  OneNode n(LocalSessionsConfig(false));
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  ASSERT_EQ(n.Request(1, Connect(1)).at(0).response.err(), proto::OK);
  std::vector<ClientOut> out = n.Advance(3000);
  EXPECT_TRUE(out.empty());  // 10 s timeout: alive
  out = n.Advance(8000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.watch_event().state(), proto::EXPIRED);
  EXPECT_EQ(n.core().local_session_count(), 0u);
  EXPECT_EQ(n.closed(), std::vector<ConnId>{1});
}

NodeCoreConfig PartitionedReadOnlyConfig() {
  NodeCoreConfig c = OneNode::WithVoters({1, 2, 3});  // no peer ever connects
  c.read_only_enabled = true;
  c.read_only_after_ms = 2000;
  return c;
}

proto::Request ReadOnlyConnect(int64_t xid) {
  proto::Request r = Connect(xid);
  r.mutable_connect()->set_read_only(true);
  return r;
}

TEST(ReadOnlyServer, StartsAfterTheDelayAndServesOnlyReadOnlyClients) {
  OneNode n(PartitionedReadOnlyConfig());
  ASSERT_FALSE(n.core().serving());
  EXPECT_FALSE(n.core().read_only());
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  EXPECT_EQ(n.Request(1, ReadOnlyConnect(1)).at(0).response.err(), proto::CONNECTION_LOSS);

  n.Advance(2000);
  EXPECT_TRUE(n.core().read_only());
  // A client that did not allow read-only is refused and closed.
  n.core().OpenConnection(2, "ipv4:127.0.0.1:5001");
  EXPECT_EQ(n.Request(2, Connect(1)).at(0).response.err(), proto::CONNECTION_LOSS);
  EXPECT_EQ(n.closed().back(), 2u);

  n.core().OpenConnection(3, "ipv4:127.0.0.1:5002");
  std::vector<ClientOut> out = n.Request(3, ReadOnlyConnect(1));
  ASSERT_EQ(out.at(0).response.err(), proto::OK);
  EXPECT_TRUE(out[0].response.connect().read_only());
  EXPECT_NE(out[0].response.connect().session_id(), 0);

  out = n.Request(3, Get(2, "/zookeeper"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK);
  out = n.Request(3, Create(3, "/w", proto::PERSISTENT));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::NOT_READ_ONLY);
  proto::Request sync;
  sync.set_xid(4);
  sync.mutable_sync()->set_path("/");
  EXPECT_EQ(n.Request(3, sync).at(0).response.err(), proto::NOT_READ_ONLY);
  EXPECT_EQ(n.core().state().tree().Find("/w"), nullptr);

  out = n.Request(3, Close(5));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK);
  EXPECT_EQ(n.core().local_session_count(), 0u);
}

TEST(ReadOnlyServer, Disabled_RefusesEveryoneWithoutAQuorum) {
  NodeCoreConfig c = PartitionedReadOnlyConfig();
  c.read_only_enabled = false;
  OneNode n(c);
  n.Advance(5000);
  EXPECT_FALSE(n.core().read_only());
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  EXPECT_EQ(n.Request(1, ReadOnlyConnect(1)).at(0).response.err(), proto::CONNECTION_LOSS);
}

}  // namespace
}  // namespace zabkeeper::server
