// enforce.auth.enabled / enforce.auth.schemes, as ZooKeeper 3.8's
// AuthenticationHelper does it: any request but auth from a connection with
// no identity of a listed scheme is answered SessionClosedRequireAuth (-124)
// and the connection is closed; the session is not closed by it.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/node_core.h"
#include "tests/unit/server/one_node.h"

namespace zabkeeper::server {
namespace {

using coretest::Connect;
using coretest::Exists;
using coretest::OneNode;

NodeCoreConfig Enforcing(std::set<std::string> schemes) {
  NodeCoreConfig c = OneNode::WithVoters({1});
  c.enforce_auth = true;
  c.enforce_auth_schemes = std::move(schemes);
  return c;
}

proto::Request Auth(int64_t xid, const std::string& scheme, const std::string& auth) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_auth()->set_scheme(scheme);
  r.mutable_auth()->set_auth(auth);
  return r;
}

int64_t OpenSession(OneNode& n, ConnId conn) {
  n.core().OpenConnection(conn, "ipv4:127.0.0.1:5000");
  std::vector<ClientOut> out = n.Request(conn, Connect(1));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK) << "connecting needs no identity";
  return out[0].response.connect().session_id();
}

TEST(EnforceAuth, UnauthenticatedRequest_RefusedAndConnectionClosed_SessionKept) {
  OneNode n(Enforcing({"digest"}));
  const int64_t sid = OpenSession(n, 1);
  std::vector<ClientOut> out = n.Request(1, Exists(2, "/"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.xid(), 2);
  EXPECT_EQ(out[0].response.err(), proto::SESSION_CLOSED_REQUIRE_SASL_AUTH);
  EXPECT_NE(out[0].response.error_message().find("digest"), std::string::npos)
      << out[0].response.error_message();
  ASSERT_EQ(n.closed().size(), 1u);
  EXPECT_EQ(n.closed()[0], 1u);
  EXPECT_TRUE(n.core().state().sessions().contains(sid)) << "the session expires on its own";
}

TEST(EnforceAuth, AfterDigestAuth_RequestsServed) {
  OneNode n(Enforcing({"digest"}));
  OpenSession(n, 1);
  std::vector<ClientOut> out = n.Request(1, Auth(2, "digest", "alice:secret"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK);
  out = n.Request(1, Exists(3, "/"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK);
  EXPECT_TRUE(n.closed().empty());
}

TEST(EnforceAuth, IpScheme_EveryConnectionHasIt) {
  // As in ZooKeeper, each connection carries ip:<address> from the start.
  OneNode n(Enforcing({"ip"}));
  OpenSession(n, 1);
  std::vector<ClientOut> out = n.Request(1, Exists(2, "/"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK);
}

TEST(EnforceAuth, Off_NothingRequired) {
  OneNode n(OneNode::WithVoters({1}));
  OpenSession(n, 1);
  std::vector<ClientOut> out = n.Request(1, Exists(2, "/"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].response.err(), proto::OK);
}

}  // namespace
}  // namespace zabkeeper::server
