// maxWatchesPerSession and maxChildrenPerReply: a request over either limit
// fails whole with THROTTLED_OP (ZooKeeper's "not executed at all") and a
// message naming the limit; it sets no watch and the session goes on. And
// the node's answers while its disk is full.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/node_core.h"
#include "tests/unit/server/one_node.h"

namespace zabkeeper::server {
namespace {

using coretest::Connect;
using coretest::Create;
using coretest::Exists;
using coretest::GetChildren;
using coretest::GetData;
using coretest::OneNode;

NodeCoreConfig Limited(size_t watches, size_t children) {
  NodeCoreConfig c = OneNode::WithVoters({1});
  c.read_limits.max_watches_per_session = watches;
  c.read_limits.max_children_per_reply = children;
  return c;
}

int64_t OpenSession(OneNode& n, ConnId conn) {
  n.core().OpenConnection(conn, "ipv4:127.0.0.1:5000");
  std::vector<ClientOut> out = n.Request(conn, Connect(1));
  EXPECT_EQ(out.size(), 1u);
  return out[0].response.connect().session_id();
}

proto::Response Only(const std::vector<ClientOut>& out) {
  EXPECT_EQ(out.size(), 1u);
  return out.empty() ? proto::Response() : out[0].response;
}

proto::Request AddWatch(int64_t xid, const std::string& path) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_add_watch()->set_path(path);
  r.mutable_add_watch()->set_mode(proto::PERSISTENT_RECURSIVE_WATCH);
  return r;
}

TEST(ReadLimits, WatchPastTheSessionLimit_RefusedWithNothingDone) {
  OneNode n(Limited(2, 0));
  const int64_t sid = OpenSession(n, 1);
  ASSERT_EQ(Only(n.Request(1, Create(2, "/a"))).err(), proto::OK);
  ASSERT_EQ(Only(n.Request(1, Create(3, "/b"))).err(), proto::OK);
  EXPECT_EQ(Only(n.Request(1, GetData(4, "/a", true))).err(), proto::OK);
  EXPECT_EQ(Only(n.Request(1, Exists(5, "/missing", true))).err(), proto::NO_NODE);
  EXPECT_EQ(n.core().watches().SessionWatchCount(sid), 2u);

  // A third watch of any kind is refused, and the read is not served.
  for (const proto::Request& r : {GetData(6, "/b", true), GetChildren(7, "/", true),
                                  Exists(8, "/b", true), AddWatch(9, "/")}) {
    proto::Response reply = Only(n.Request(1, r));
    EXPECT_EQ(reply.err(), proto::THROTTLED_OP) << r.ShortDebugString();
    EXPECT_NE(reply.error_message().find("maxWatchesPerSession"), std::string::npos)
        << reply.error_message();
    EXPECT_FALSE(reply.has_get_data()) << "refused whole, not served without its watch";
  }
  EXPECT_EQ(n.core().watches().SessionWatchCount(sid), 2u);

  // Reads without a watch, and a watch the session already holds, go on.
  EXPECT_EQ(Only(n.Request(1, GetData(10, "/b"))).err(), proto::OK);
  EXPECT_EQ(Only(n.Request(1, GetData(11, "/a", true))).err(), proto::OK);

  // Once a watch fires, there is room again.
  std::vector<ClientOut> fired = n.Request(1, Create(12, "/missing"));
  ASSERT_EQ(fired.size(), 2u) << "the create's reply and the exists watch's NodeCreated";
  EXPECT_EQ(n.core().watches().SessionWatchCount(sid), 1u);
  EXPECT_EQ(Only(n.Request(1, GetData(13, "/b", true))).err(), proto::OK);
  EXPECT_EQ(n.core().watches().SessionWatchCount(sid), 2u);
}

TEST(ReadLimits, WatchLimitIsPerSession) {
  OneNode n(Limited(1, 0));
  OpenSession(n, 1);
  OpenSession(n, 2);
  ASSERT_EQ(Only(n.Request(1, Create(2, "/a"))).err(), proto::OK);
  EXPECT_EQ(Only(n.Request(1, GetData(3, "/a", true))).err(), proto::OK);
  EXPECT_EQ(Only(n.Request(2, GetData(3, "/a", true))).err(), proto::OK);
  EXPECT_EQ(Only(n.Request(1, GetChildren(4, "/a", true))).err(), proto::THROTTLED_OP);
}

TEST(ReadLimits, ChildrenPastTheReplyLimit_RefusedWithoutAWatch) {
  OneNode n(Limited(0, 3));
  const int64_t sid = OpenSession(n, 1);
  ASSERT_EQ(Only(n.Request(1, Create(2, "/p"))).err(), proto::OK);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Only(n.Request(1, Create(3 + i, "/p/c" + std::to_string(i)))).err(), proto::OK);
  }
  proto::Response at_limit = Only(n.Request(1, GetChildren(10, "/p")));
  EXPECT_EQ(at_limit.err(), proto::OK);
  EXPECT_EQ(at_limit.get_children().children_size(), 3);

  ASSERT_EQ(Only(n.Request(1, Create(11, "/p/c3"))).err(), proto::OK);
  proto::Response over = Only(n.Request(1, GetChildren(12, "/p", true)));
  EXPECT_EQ(over.err(), proto::THROTTLED_OP);
  EXPECT_NE(over.error_message().find("has 4 children"), std::string::npos) << over.error_message();
  EXPECT_NE(over.error_message().find("maxChildrenPerReply"), std::string::npos);
  EXPECT_EQ(over.get_children().children_size(), 0);
  EXPECT_EQ(n.core().watches().SessionWatchCount(sid), 0u) << "a refused getChildren sets no watch";
}

TEST(ReadLimits, Unlimited_ByZero) {
  OneNode n(Limited(0, 0));
  OpenSession(n, 1);
  ASSERT_EQ(Only(n.Request(1, Create(2, "/p"))).err(), proto::OK);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Only(n.Request(1, Create(3 + i, "/p/c" + std::to_string(i)))).err(), proto::OK);
    EXPECT_EQ(Only(n.Request(1, GetData(100 + i, "/p/c" + std::to_string(i), true))).err(),
              proto::OK);
  }
  EXPECT_EQ(Only(n.Request(1, GetChildren(200, "/p", true))).get_children().children_size(), 50);
}

// A full disk (storage_writer.h reports it): writes are refused at once with
// NOT_READ_ONLY, reads go on, new sessions are refused, an existing one may
// reattach; once there is room, writes are taken again.
TEST(DiskFull, WritesAndNewSessionsRefused_ReadsAndReattachServed) {
  OneNode n(Limited(0, 0));
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");
  const proto::ConnectResponse session = Only(n.Request(1, Connect(1))).connect();
  ASSERT_EQ(Only(n.Request(1, Create(2, "/a"))).err(), proto::OK);
  n.core().SetDiskFull(true);

  proto::Response refused = Only(n.Request(1, Create(3, "/b")));
  EXPECT_EQ(refused.err(), proto::NOT_READ_ONLY);
  EXPECT_NE(refused.error_message().find("disk is full"), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(Only(n.Request(1, GetData(4, "/a"))).err(), proto::OK);

  n.core().OpenConnection(2, "ipv4:127.0.0.1:5001");
  EXPECT_EQ(Only(n.Request(2, Connect(1))).err(), proto::CONNECTION_LOSS) << "a new session";
  n.core().OpenConnection(3, "ipv4:127.0.0.1:5002");
  proto::Request reattach = Connect(1);
  reattach.mutable_connect()->set_session_id(session.session_id());
  reattach.mutable_connect()->set_password(session.password());
  EXPECT_EQ(Only(n.Request(3, reattach)).err(), proto::OK) << "an existing session reattaches";

  n.core().SetDiskFull(false);
  EXPECT_EQ(Only(n.Request(3, Create(5, "/b"))).err(), proto::OK);
}

}  // namespace
}  // namespace zabkeeper::server
