// NodeCore driven by hand: a one-voter node over the memory stores, its
// NodeReady batches carried out as the contract in node_core.h says. The
// many-node behaviour is zabsim --whole-node's (tests/sim/node_sim*.cc).
#include "server/node_core.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/server/one_node.h"

namespace zabkeeper::server {
namespace {

using coretest::Connect;
using coretest::OneNode;
using coretest::OpenAcl;

TEST(NodeCore, FromConfig_DerivesTicksTimeoutsAndVoters) {
  ServerConfig zoo;
  zoo.tick_time_ms = 2000;
  zoo.init_limit = 10;
  zoo.sync_limit = 5;
  zoo.my_id = 2;
  zoo.servers[1] = PeerAddress{};
  zoo.servers[2] = PeerAddress{};
  zoo.servers[3] = PeerAddress{};
  const NodeCoreConfig c = NodeCoreConfig::From(zoo, 7, 123);
  EXPECT_EQ(c.my_id, 2);
  EXPECT_EQ(c.voters, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(c.tick_ms, 200);  // 10 core ticks per tickTime, 200 ms each
  EXPECT_EQ(c.init_limit_ticks, 100);
  EXPECT_EQ(c.sync_limit_ticks, 50);
  EXPECT_EQ(c.min_session_timeout_ms, 4000);
  EXPECT_EQ(c.max_session_timeout_ms, 40000);
  EXPECT_EQ(c.random_seed, 7u);

  ServerConfig standalone;  // no server.N lines, no myid
  const NodeCoreConfig s = NodeCoreConfig::From(standalone, 1, 0);
  EXPECT_EQ(s.my_id, 1);
  EXPECT_EQ(s.voters, (std::vector<uint64_t>{1}));
}

TEST(NodeCore, OneVoter_ServesWritesReadsAndFiresWatchBeforeTheReply) {
  OneNode n;
  ASSERT_TRUE(n.core().serving());
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  std::vector<ClientOut> out = n.Request(1, Connect(1));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].response.err(), proto::OK);
  EXPECT_NE(out[0].response.connect().session_id(), 0);

  proto::Request create;
  create.set_xid(2);
  create.mutable_create()->set_path("/a");
  create.mutable_create()->set_data("x");
  *create.mutable_create()->add_acl() = OpenAcl();
  out = n.Request(1, create);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK) << out[0].response.error_message();
  const int64_t create_zxid = out[0].response.zxid();

  proto::Request get;
  get.set_xid(3);
  get.mutable_get_data()->set_path("/a");
  get.mutable_get_data()->set_watch(true);
  out = n.Request(1, get);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.get_data().data(), "x");
  EXPECT_EQ(out[0].response.zxid(), create_zxid);

  proto::Request set;
  set.set_xid(4);
  set.mutable_set_data()->set_path("/a");
  set.mutable_set_data()->set_data("y");
  set.mutable_set_data()->set_version(0);
  out = n.Request(1, set);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].response.xid(), -1);  // the event first
  EXPECT_EQ(out[0].response.watch_event().type(), proto::NODE_DATA_CHANGED);
  EXPECT_EQ(out[1].response.xid(), 4);
  EXPECT_EQ(out[1].response.stat().stat().version(), 1);
  EXPECT_EQ(out[0].response.zxid(), out[1].response.zxid());
}

// ctime and mtime are dates (ms since 1970, as ZooKeeper's), not the node's
// monotonic clock: the wall clock at start plus the time run since.
TEST(NodeCore, ZnodeTimesAreWallClockDates) {
  constexpr int64_t kStart = 1'700'000'000'000;  // 2023-11-14
  OneNode n({1}, kStart);
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  ASSERT_EQ(n.Request(1, Connect(1)).at(0).response.err(), proto::OK);
  proto::Request create;
  create.set_xid(2);
  create.mutable_create()->set_path("/a");
  *create.mutable_create()->add_acl() = OpenAcl();
  ASSERT_EQ(n.Request(1, create).at(0).response.err(), proto::OK);
  proto::Request get;
  get.set_xid(3);
  get.mutable_get_data()->set_path("/a");
  std::vector<ClientOut> out = n.Request(1, get);
  ASSERT_EQ(out.size(), 1u);
  const proto::Stat& stat = out[0].response.get_data().stat();
  EXPECT_GE(stat.ctime(), kStart);
  EXPECT_LE(stat.ctime(), kStart + 60'000);
  EXPECT_EQ(stat.mtime(), stat.ctime());
}

TEST(NodeCore, Restart_RecoversWhatTheBatchesWrote) {
  OneNode n;
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  ASSERT_EQ(n.Request(1, Connect(1))[0].response.err(), proto::OK);
  proto::Request create;
  create.set_xid(2);
  create.mutable_create()->set_path("/kept");
  *create.mutable_create()->add_acl() = OpenAcl();
  ASSERT_EQ(n.Request(1, create)[0].response.err(), proto::OK);
  const Zxid applied = n.core().state().last_applied();

  n.Reopen();
  ASSERT_TRUE(n.core().serving());
  EXPECT_NE(n.core().state().tree().Find("/kept"), nullptr);
  EXPECT_GE(n.core().state().last_applied(), applied);
  EXPECT_EQ(n.core().state().sessions().size(), 1u);
}

// The log keeps at most 64 MB of applied txns (then a purge step of 16 MB):
// 1 MB values would otherwise keep 10,000 of them, 10 GB, on every server.
TEST(NodeCore, LogPurge_KeepsAtMost64MBOfAppliedTxns) {
  OneNode n;
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  ASSERT_EQ(n.Request(1, Connect(1))[0].response.err(), proto::OK);
  ASSERT_EQ(n.Request(1, coretest::Create(2, "/big"))[0].response.err(), proto::OK);
  const Zxid first = n.log().FirstZxid();
  proto::Request set;
  set.mutable_set_data()->set_path("/big");
  set.mutable_set_data()->set_data(std::string(1'000'000, 'x'));
  set.mutable_set_data()->set_version(-1);
  for (int i = 0; i < 90; ++i) {
    set.set_xid(10 + i);
    ASSERT_EQ(n.Request(1, set)[0].response.err(), proto::OK);
  }
  EXPECT_GT(n.log().FirstZxid(), first) << "nothing purged";
  const uint64_t kept = n.log().LastZxid().raw() - n.log().FirstZxid().raw() + 1;
  EXPECT_LE(kept, 81u) << "more than 64 MB + a 16 MB step kept";
  EXPECT_GE(kept, 64u) << "fewer than 64 MB kept";
  n.Reopen();  // what the log lost, the state holds
  EXPECT_EQ(n.core().state().tree().Find("/big")->stat.version, 90);
}

TEST(NodeCore, WithoutQuorum_RefusesClientsAndClosesTheStream) {
  OneNode n({1, 2, 3});  // no peers ever connect
  EXPECT_FALSE(n.core().serving());
  n.core().OpenConnection(9, "ipv4:127.0.0.1:5000");
  std::vector<ClientOut> out = n.Request(9, Connect(1));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::CONNECTION_LOSS);
  EXPECT_EQ(n.closed(), std::vector<ConnId>{9});
  EXPECT_EQ(n.core().connection_count(), 0u);
}

}  // namespace
}  // namespace zabkeeper::server
