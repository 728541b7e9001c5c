// Watch events go only to watchers that may read the node (ZooKeeper's fix of
// CVE-2024-23944): a persistent recursive watch on / must not reveal the
// paths, creations or deletions under a node its session cannot read.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/auth.h"
#include "server/node_core.h"
#include "tests/unit/server/one_node.h"

namespace zabkeeper::server {
namespace {

using coretest::Connect;
using coretest::Create;
using coretest::Delete;
using coretest::OneNode;
using coretest::OpenAcl;

proto::Acl AliceOnly() {
  proto::Acl acl;
  acl.set_perms(0x1f);
  acl.mutable_id()->set_scheme("digest");
  acl.mutable_id()->set_id(DigestOf("alice:secret"));
  return acl;
}

// The paths of the watch events in `out` for connection `conn`.
std::vector<std::string> EventPaths(const std::vector<ClientOut>& out, ConnId conn) {
  std::vector<std::string> paths;
  for (const ClientOut& o : out) {
    if (o.conn == conn && o.response.has_watch_event()) {
      paths.push_back(o.response.watch_event().path());
    }
  }
  return paths;
}

TEST(WatchAcl, RecursiveWatchHearsOnlyWhatItMayRead) {
  OneNode n;
  n.core().OpenConnection(1, "ipv4:127.0.0.1:5000");  // alice
  n.core().OpenConnection(2, "ipv4:127.0.0.1:5001");  // mallory, no identity
  ASSERT_EQ(n.Request(1, Connect(1))[0].response.err(), proto::OK);
  ASSERT_EQ(n.Request(2, Connect(1))[0].response.err(), proto::OK);
  proto::Request auth;
  auth.set_xid(2);
  auth.mutable_auth()->set_scheme("digest");
  auth.mutable_auth()->set_auth("alice:secret");
  ASSERT_EQ(n.Request(1, auth)[0].response.err(), proto::OK);
  proto::Request watch;
  watch.set_xid(2);
  watch.mutable_add_watch()->set_path("/");
  watch.mutable_add_watch()->set_mode(proto::PERSISTENT_RECURSIVE_WATCH);
  ASSERT_EQ(n.Request(2, watch)[0].response.err(), proto::OK);

  std::vector<ClientOut> out;
  for (const proto::Request& r :
       {Create(3, "/secret", AliceOnly()), Create(4, "/secret/plan", AliceOnly()),
        Create(5, "/open", OpenAcl()), Delete(6, "/secret/plan")}) {
    std::vector<ClientOut> more = n.Request(1, r);
    ASSERT_FALSE(more.empty());
    EXPECT_EQ(more.back().response.err(), proto::OK) << r.ShortDebugString();
    out.insert(out.end(), more.begin(), more.end());
  }
  // Mallory hears of /open only: not of the creation or deletion under
  // /secret, nor of /secret itself.
  EXPECT_EQ(EventPaths(out, 2), (std::vector<std::string>{"/open"}));

  // Alice's own recursive watch hears everything she can read.
  watch.set_xid(7);
  ASSERT_EQ(n.Request(1, watch)[0].response.err(), proto::OK);
  out = n.Request(1, Create(8, "/secret/again", AliceOnly()));
  EXPECT_EQ(EventPaths(out, 1), (std::vector<std::string>{"/secret/again"}));
  EXPECT_TRUE(EventPaths(out, 2).empty());
}

}  // namespace
}  // namespace zabkeeper::server
