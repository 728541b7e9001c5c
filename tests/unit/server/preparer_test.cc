// Tree semantics through the write pipeline (Preparer -> StateMachine), pinned
// to what Apache ZooKeeper 3.8 was observed to do (docs/ZOOKEEPER_OBSERVED.md).
// Deliberate differences: strict server-side path validation (BAD_ARGUMENTS),
// oversize data is BAD_ARGUMENTS (not a dropped connection).
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/errors.h"
#include "tests/unit/server/tree_harness.h"

namespace zabkeeper::server {
namespace {

using testing::Create;
using testing::CreateWithAcl;
using testing::Delete;
using ::testing::HasSubstr;
using testing::kSession;
using testing::kSession2;
using testing::MakeAcl;
using testing::SetAcl;
using testing::SetData;
using testing::TreeHarness;

constexpr int64_t kTtlMax = (int64_t{1} << 40) - 1;
const proto::Acl kWorldAll = MakeAcl(31, "world", "anyone");

// ---------------------------------------------------------------------------
// Table: every single-op write and every error code it can produce.
// Each row runs against the same base tree:
//   /a "x" (persistent) with child /a/b, /e (ephemeral of kSession),
//   /leaf, /ctr (container).

struct ErrorCase {
  std::string name;
  proto::Request request;
  proto::ErrorCode want;
};

// Readable test parameter in gtest output.
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

std::string Bytes(size_t n) { return std::string(n, 'z'); }

proto::Request WithMode(const std::string& path, proto::CreateMode mode, int64_t ttl = 0) {
  return Create(path, "", mode, ttl);
}

std::vector<ErrorCase> ErrorCases() {
  const std::string kNul("/a\0b", 4);
  return {
      // create
      {"Create_NewNode_Ok", Create("/n", "d"), proto::OK},
      {"Create_UnderZookeeper_Ok", Create("/zookeeper/x"), proto::OK},
      {"Create_NameWithDots_Ok", Create("/a.b"), proto::OK},
      {"Create_DotPrefixName_Ok", Create("/.a"), proto::OK},
      {"Create_ThreeDots_Ok", Create("/..."), proto::OK},
      {"Create_Space_Ok", Create("/a b"), proto::OK},
      {"Create_NonBreakingSpace_Ok", Create("/x\xC2\xA0"), proto::OK},
      {"Create_EuroSign_Ok", Create("/x\xE2\x82\xAC"), proto::OK},
      {"Create_Existing_NodeExists", Create("/a"), proto::NODE_EXISTS},
      {"Create_Root_NodeExists", Create("/"), proto::NODE_EXISTS},
      {"Create_ParentMissing_NoNode", Create("/nope/x"), proto::NO_NODE},
      {"Create_UnderEphemeral_NoChildrenForEphemerals", Create("/e/x"),
       proto::NO_CHILDREN_FOR_EPHEMERALS},
      {"Create_EphemeralUnderEphemeral_NoChildrenForEphemerals", WithMode("/e/y", proto::EPHEMERAL),
       proto::NO_CHILDREN_FOR_EPHEMERALS},
      {"Create_SequentialUnderEphemeral_NoChildrenForEphemerals",
       WithMode("/e/z", proto::PERSISTENT_SEQUENTIAL), proto::NO_CHILDREN_FOR_EPHEMERALS},
      {"Create_EphemeralUnderContainer_Ok", WithMode("/ctr/e", proto::EPHEMERAL), proto::OK},
      {"Create_EmptyAcl_InvalidAcl", CreateWithAcl("/n", {}), proto::INVALID_ACL},
      {"Create_UnknownScheme_InvalidAcl", CreateWithAcl("/n", {MakeAcl(31, "foo", "bar")}),
       proto::INVALID_ACL},
      {"Create_WorldNotAnyone_InvalidAcl", CreateWithAcl("/n", {MakeAcl(31, "world", "bob")}),
       proto::INVALID_ACL},
      {"Create_PermsAbove31_InvalidAcl", CreateWithAcl("/n", {MakeAcl(32, "world", "anyone")}),
       proto::INVALID_ACL},
      {"Create_NegativePerms_InvalidAcl", CreateWithAcl("/n", {MakeAcl(-1, "world", "anyone")}),
       proto::INVALID_ACL},
      {"Create_DigestAcl_Ok",
       CreateWithAcl("/n", {MakeAcl(31, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")}),
       proto::OK},
      {"Create_ReadOnlyWorldAcl_Ok", CreateWithAcl("/n", {MakeAcl(1, "world", "anyone")}),
       proto::OK},
      {"Create_EmptyPath_BadArguments", Create(""), proto::BAD_ARGUMENTS},
      {"Create_RelativePath_BadArguments", Create("a"), proto::BAD_ARGUMENTS},
      // Deliberate: ZooKeeper's server says NONODE for "/x/" when /x is missing.
      {"Create_TrailingSlash_BadArguments", Create("/a/"), proto::BAD_ARGUMENTS},
      {"Create_TrailingSlashMissingParent_BadArguments", Create("/nope/"), proto::BAD_ARGUMENTS},
      {"Create_DoubleSlash_BadArguments", Create("//a"), proto::BAD_ARGUMENTS},
      {"Create_InnerDoubleSlash_BadArguments", Create("/a//b"), proto::BAD_ARGUMENTS},
      {"Create_Dot_BadArguments", Create("/."), proto::BAD_ARGUMENTS},
      {"Create_DotDot_BadArguments", Create("/.."), proto::BAD_ARGUMENTS},
      {"Create_InnerDot_BadArguments", Create("/a/./b"), proto::BAD_ARGUMENTS},
      {"Create_TrailingDotDot_BadArguments", Create("/a/.."), proto::BAD_ARGUMENTS},
      {"Create_Nul_BadArguments", Create(kNul), proto::BAD_ARGUMENTS},
      {"Create_U0001_BadArguments", Create("/x\x01"), proto::BAD_ARGUMENTS},
      {"Create_U001F_BadArguments", Create("/x\x1F"), proto::BAD_ARGUMENTS},
      {"Create_U007F_BadArguments", Create("/x\x7F"), proto::BAD_ARGUMENTS},
      {"Create_U0080_BadArguments", Create("/x\xC2\x80"), proto::BAD_ARGUMENTS},
      {"Create_UD800_BadArguments", Create("/x\xED\xA0\x80"), proto::BAD_ARGUMENTS},
      {"Create_UFFFF_BadArguments", Create("/x\xEF\xBF\xBF"), proto::BAD_ARGUMENTS},
      {"Create_InvalidUtf8_BadArguments", Create("/x\xFF"), proto::BAD_ARGUMENTS},
      {"Create_SequentialTrailingSlash_Ok", WithMode("/a/", proto::PERSISTENT_SEQUENTIAL),
       proto::OK},
      {"Create_SequentialDot_Ok", WithMode("/.", proto::PERSISTENT_SEQUENTIAL), proto::OK},
      {"Create_SequentialDotDot_Ok", WithMode("/a/..", proto::PERSISTENT_SEQUENTIAL), proto::OK},
      {"Create_SequentialInnerDot_BadArguments", WithMode("/a/./b", proto::PERSISTENT_SEQUENTIAL),
       proto::BAD_ARGUMENTS},
      {"Create_SequentialMissingParent_NoNode", WithMode("/nope/s-", proto::PERSISTENT_SEQUENTIAL),
       proto::NO_NODE},
      {"Create_SequentialOnZookeeperName_Ok", WithMode("/zookeeper", proto::PERSISTENT_SEQUENTIAL),
       proto::OK},
      {"Create_Container_Ok", WithMode("/c2", proto::CONTAINER), proto::OK},
      {"Create_Ttl1_Ok", WithMode("/t", proto::PERSISTENT_WITH_TTL, 1), proto::OK},
      {"Create_TtlMax_Ok", WithMode("/t", proto::PERSISTENT_WITH_TTL, kTtlMax), proto::OK},
      {"Create_TtlZero_BadArguments", WithMode("/t", proto::PERSISTENT_WITH_TTL, 0),
       proto::BAD_ARGUMENTS},
      {"Create_TtlNegative_BadArguments", WithMode("/t", proto::PERSISTENT_WITH_TTL, -1),
       proto::BAD_ARGUMENTS},
      {"Create_TtlTwoPow40_BadArguments", WithMode("/t", proto::PERSISTENT_WITH_TTL, kTtlMax + 1),
       proto::BAD_ARGUMENTS},
      {"Create_TtlInt64Max_BadArguments", WithMode("/t", proto::PERSISTENT_WITH_TTL, INT64_MAX),
       proto::BAD_ARGUMENTS},
      {"Create_SequentialTtl_Ok", WithMode("/ts-", proto::PERSISTENT_SEQUENTIAL_WITH_TTL, 5000),
       proto::OK},
      {"Create_TtlOnPersistent_BadArguments", WithMode("/t", proto::PERSISTENT, 5000),
       proto::BAD_ARGUMENTS},
      {"Create_TtlOnEphemeral_BadArguments", WithMode("/t", proto::EPHEMERAL, 5000),
       proto::BAD_ARGUMENTS},
      {"Create_TtlOnContainer_BadArguments", WithMode("/t", proto::CONTAINER, 5000),
       proto::BAD_ARGUMENTS},
      {"Create_UnknownMode_BadArguments", WithMode("/t", static_cast<proto::CreateMode>(42)),
       proto::BAD_ARGUMENTS},
      {"Create_DataAtLimit_Ok", Create("/big", Bytes(1 << 20)), proto::OK},
      {"Create_DataOverLimit_BadArguments", Create("/big", Bytes((1 << 20) + 1)),
       proto::BAD_ARGUMENTS},
      // delete
      {"Delete_Leaf_Ok", Delete("/leaf"), proto::OK},
      {"Delete_MatchingVersion_Ok", Delete("/leaf", 0), proto::OK},
      {"Delete_Ephemeral_Ok", Delete("/e"), proto::OK},
      {"Delete_UserNodeUnderZookeeper_NoNode", Delete("/zookeeper/none"), proto::NO_NODE},
      {"Delete_WrongVersion_BadVersion", Delete("/leaf", 5), proto::BAD_VERSION},
      {"Delete_VersionMinus2_BadVersion", Delete("/leaf", -2), proto::BAD_VERSION},
      // ZooKeeper checks the version before the children.
      {"Delete_WrongVersionWithChildren_BadVersion", Delete("/a", 7), proto::BAD_VERSION},
      {"Delete_WithChildren_NotEmpty", Delete("/a"), proto::NOT_EMPTY},
      {"Delete_Missing_NoNode", Delete("/none"), proto::NO_NODE},
      {"Delete_MissingParent_NoNode", Delete("/none/x"), proto::NO_NODE},
      {"Delete_Root_BadArguments", Delete("/"), proto::BAD_ARGUMENTS},
      {"Delete_Zookeeper_BadArguments", Delete("/zookeeper"), proto::BAD_ARGUMENTS},
      {"Delete_ZookeeperConfig_BadArguments", Delete("/zookeeper/config"), proto::BAD_ARGUMENTS},
      {"Delete_ZookeeperQuota_BadArguments", Delete("/zookeeper/quota"), proto::BAD_ARGUMENTS},
      {"Delete_EmptyPath_BadArguments", Delete(""), proto::BAD_ARGUMENTS},
      {"Delete_RelativePath_BadArguments", Delete("a"), proto::BAD_ARGUMENTS},
      {"Delete_Nul_BadArguments", Delete(kNul), proto::BAD_ARGUMENTS},
      // Deliberate: ZooKeeper's server says NONODE for these.
      {"Delete_TrailingSlash_BadArguments", Delete("/a/"), proto::BAD_ARGUMENTS},
      {"Delete_DoubleSlash_BadArguments", Delete("//a"), proto::BAD_ARGUMENTS},
      {"Delete_DotComponent_BadArguments", Delete("/a/."), proto::BAD_ARGUMENTS},
      // setData
      {"SetData_AnyVersion_Ok", SetData("/a", "y"), proto::OK},
      {"SetData_MatchingVersion_Ok", SetData("/a", "y", 0), proto::OK},
      {"SetData_Root_Ok", SetData("/", "r"), proto::OK},
      {"SetData_Zookeeper_Ok", SetData("/zookeeper", "x"), proto::OK},
      {"SetData_Ephemeral_Ok", SetData("/e", "x"), proto::OK},
      {"SetData_WrongVersion_BadVersion", SetData("/a", "y", 1), proto::BAD_VERSION},
      {"SetData_VersionMinus2_BadVersion", SetData("/a", "y", -2), proto::BAD_VERSION},
      {"SetData_Version99_BadVersion", SetData("/a", "y", 99), proto::BAD_VERSION},
      {"SetData_Missing_NoNode", SetData("/nonexist", "x"), proto::NO_NODE},
      {"SetData_EmptyPath_BadArguments", SetData("", "x"), proto::BAD_ARGUMENTS},
      {"SetData_RelativePath_BadArguments", SetData("a", "x"), proto::BAD_ARGUMENTS},
      {"SetData_TrailingSlash_BadArguments", SetData("/a/", "x"), proto::BAD_ARGUMENTS},
      {"SetData_DotDot_BadArguments", SetData("/..", "x"), proto::BAD_ARGUMENTS},
      {"SetData_DataAtLimit_Ok", SetData("/a", Bytes(1 << 20)), proto::OK},
      {"SetData_DataOverLimit_BadArguments", SetData("/a", Bytes((1 << 20) + 1)),
       proto::BAD_ARGUMENTS},
      {"SetData_OverLimitOnMissingNode_BadArguments", SetData("/none", Bytes((1 << 20) + 1)),
       proto::BAD_ARGUMENTS},
      // setACL
      {"SetAcl_AnyVersion_Ok", SetAcl("/a", {MakeAcl(1, "world", "anyone")}), proto::OK},
      {"SetAcl_MatchingVersion_Ok", SetAcl("/a", {kWorldAll}, 0), proto::OK},
      {"SetAcl_WrongVersion_BadVersion", SetAcl("/a", {kWorldAll}, 5), proto::BAD_VERSION},
      {"SetAcl_VersionMinus2_BadVersion", SetAcl("/a", {kWorldAll}, -2), proto::BAD_VERSION},
      {"SetAcl_EmptyAcl_InvalidAcl", SetAcl("/a", {}), proto::INVALID_ACL},
      {"SetAcl_UnknownScheme_InvalidAcl", SetAcl("/a", {MakeAcl(31, "x", "y")}),
       proto::INVALID_ACL},
      {"SetAcl_Missing_NoNode", SetAcl("/nonexist", {kWorldAll}), proto::NO_NODE},
      {"SetAcl_EmptyPath_BadArguments", SetAcl("", {kWorldAll}), proto::BAD_ARGUMENTS},
      // not a write
      {"Exists_NotAWrite_Unimplemented",
       [] {
         proto::Request r;
         r.mutable_exists()->set_path("/a");
         return r;
       }(),
       proto::UNIMPLEMENTED},
      {"EmptyBody_Unimplemented", proto::Request(), proto::UNIMPLEMENTED},
  };
}

class WriteErrorTable : public ::testing::TestWithParam<ErrorCase> {
 protected:
  void SetUp() override {
    h_.MustWrite(Create("/a", "x"));
    h_.MustWrite(Create("/a/b"));
    h_.MustWrite(Create("/e", "", proto::EPHEMERAL));
    h_.MustWrite(Create("/leaf"));
    h_.MustWrite(Create("/ctr", "", proto::CONTAINER));
  }
  TreeHarness h_;
};

TEST_P(WriteErrorTable, Write_GivesCode_AndConsumesOneZxid) {
  const ErrorCase& c = GetParam();
  const uint64_t digest_before = h_.tree().digest();
  const size_t nodes_before = h_.tree().node_count();
  const int64_t zxid = h_.last_zxid() + 1;

  ApplyResult r = h_.Write(kSession, c.request);

  EXPECT_EQ(r.err, c.want) << ErrorName(r.err) << " (" << r.error_detail << ")";
  // Every write request takes a zxid, failed or not (observed §6).
  EXPECT_EQ(h_.sm().last_applied(), ZxidOfStat(zxid));
  EXPECT_EQ(h_.preparer().pending_count(), 0u);
  if (c.want == proto::OK) {
    EXPECT_NE(h_.tree().digest(), digest_before);
  } else {
    EXPECT_EQ(h_.tree().digest(), digest_before) << "a failed write changed the tree";
    EXPECT_EQ(h_.tree().node_count(), nodes_before);
    EXPECT_FALSE(r.error_detail.empty()) << "failed write without a reason";
    EXPECT_FALSE(r.has_stat);
  }
  // The next write gets the next zxid.
  h_.MustWrite(Create("/probe"));
  EXPECT_EQ(h_.StatOf("/probe").czxid(), zxid + 1);
}

INSTANTIATE_TEST_SUITE_P(Preparer, WriteErrorTable, ::testing::ValuesIn(ErrorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

// ZooKeeper: setData("/zookeeper/config") -> NOAUTH (its ACL is world:anyone
// READ). ACL checks need the session's identities, which the harness does
// not pass, so this drives the Preparer directly.
TEST(Preparer, SetData_ZookeeperConfig_NoAuth) {
  StateMachine sm;
  Preparer preparer{PreparerLimits{}};
  std::vector<proto::Id> ids(1);
  ids[0].set_scheme("ip");
  ids[0].set_id("127.0.0.1");
  std::string detail;
  proto::Txn txn = preparer.Prepare(sm.tree(), kSession, SetData("/zookeeper/config", "x"),
                                    Zxid::FromRaw(1), 0, &detail, &ids);
  ASSERT_TRUE(txn.has_error());
  EXPECT_EQ(txn.error().err(), proto::NO_AUTH);
}

// ---------------------------------------------------------------------------
// Stats, pinned to the observed values.

TEST(Preparer, Create_Stat_MatchesObserved) {
  TreeHarness h;
  proto::Stat root_before = h.StatOf("/");
  ApplyResult r = h.Write(Create("/c", "hello"));
  ASSERT_EQ(r.err, proto::OK);
  const int64_t z = h.last_zxid();
  EXPECT_EQ(r.path, "/c");
  ASSERT_TRUE(r.has_stat);
  const proto::Stat& s = r.stat;
  EXPECT_EQ(s.czxid(), z);
  EXPECT_EQ(s.mzxid(), z);
  EXPECT_EQ(s.pzxid(), z);
  EXPECT_EQ(s.ctime(), TreeHarness::TimeFor(z));
  EXPECT_EQ(s.mtime(), s.ctime());
  EXPECT_EQ(s.version(), 0);
  EXPECT_EQ(s.cversion(), 0);
  EXPECT_EQ(s.aversion(), 0);
  EXPECT_EQ(s.ephemeral_owner(), 0);
  EXPECT_EQ(s.data_length(), 5);
  EXPECT_EQ(s.num_children(), 0);
  EXPECT_EQ(h.StatOf("/c").SerializeAsString(), s.SerializeAsString());

  proto::Stat root = h.StatOf("/");
  EXPECT_EQ(root.cversion(), root_before.cversion() + 1);
  EXPECT_EQ(root.num_children(), root_before.num_children() + 1);
  EXPECT_EQ(root.pzxid(), z);
  EXPECT_EQ(root.mzxid(), root_before.mzxid());
  EXPECT_EQ(root.version(), root_before.version());
}

TEST(Preparer, Create_EmptyData_HasZeroDataLength) {
  TreeHarness h;
  ASSERT_EQ(h.Write(Create("/dempty", "")).err, proto::OK);
  EXPECT_EQ(h.StatOf("/dempty").data_length(), 0);
  EXPECT_EQ(h.Find("/dempty")->data, "");
}

TEST(Preparer, Create_Ephemeral_OwnerIsSession) {
  TreeHarness h;
  ApplyResult r = h.Write(kSession2, Create("/e", "", proto::EPHEMERAL));
  ASSERT_EQ(r.err, proto::OK);
  EXPECT_EQ(r.stat.ephemeral_owner(), kSession2);
  EXPECT_EQ(h.tree().EphemeralsOf(kSession2), std::vector<std::string>{"/e"});
  EXPECT_TRUE(h.tree().EphemeralsOf(kSession).empty());
}

// ZooKeeper's checkSession: a write of a session that is gone, or whose close
// is prepared already, is SESSION_EXPIRED. Preparing it (as the pipeline did
// before zabsim --whole-node caught it) left an ephemeral that no closeSession
// would ever delete.
TEST(Preparer, PrepareWrite_SessionGoneOrClosing_SessionExpired) {
  DataTree tree;
  Preparer p(PreparerLimits{});
  WriteRequest write;
  write.session_id = 7;
  write.request = Create("/e", "", proto::EPHEMERAL);
  write.request.set_xid(3);
  proto::Txn gone = p.PrepareWrite(tree, write, Zxid::FromRaw(1), 0, /*session_live=*/false);
  ASSERT_TRUE(gone.has_error());
  EXPECT_EQ(gone.error().err(), proto::SESSION_EXPIRED);
  EXPECT_EQ(gone.cxid(), 3);
  EXPECT_TRUE(p.PrepareWrite(tree, write, Zxid::FromRaw(2), 0, /*session_live=*/true).has_create());

  WriteRequest close;
  close.session_id = 7;
  close.request.mutable_close();
  ASSERT_TRUE(p.PrepareWrite(tree, close, Zxid::FromRaw(3), 0, true).has_close_session());
  write.request.mutable_create()->set_path("/p");
  write.request.mutable_create()->set_mode(proto::PERSISTENT);
  proto::Txn closing = p.PrepareWrite(tree, write, Zxid::FromRaw(4), 0, /*session_live=*/true);
  ASSERT_TRUE(closing.has_error());
  EXPECT_EQ(closing.error().err(), proto::SESSION_EXPIRED);

  // A session whose createSession is prepared but not applied is live: a
  // follower may apply it and answer the connect before the leader does.
  WriteRequest connect;
  connect.session_id = 8;
  connect.request.mutable_connect()->set_timeout_ms(5000);
  ASSERT_TRUE(p.PrepareWrite(tree, connect, Zxid::FromRaw(5), 0, false).has_create_session());
  write.session_id = 8;
  EXPECT_TRUE(
      p.PrepareWrite(tree, write, Zxid::FromRaw(6), 0, /*session_live=*/false).has_create());

  WriteRequest reap;  // server-internal writes have no session
  reap.internal = true;
  reap.request = Delete("/gone");
  EXPECT_NE(p.PrepareWrite(tree, reap, Zxid::FromRaw(7), 0, false).error().err(),
            proto::SESSION_EXPIRED);
}

// A local session (localSessionsEnabled) is unknown to the leader: its
// writes pass, but never an ephemeral, alone or inside a multi.
TEST(Preparer, PrepareWrite_LocalSession_WritesButOwnsNoEphemeral) {
  DataTree tree;
  Preparer p(PreparerLimits{});
  WriteRequest write;
  write.session_id = 9;
  write.local_session = true;
  write.request = Create("/p", "", proto::PERSISTENT);
  EXPECT_TRUE(
      p.PrepareWrite(tree, write, Zxid::FromRaw(1), 0, /*session_live=*/false).has_create());
  write.request = Create("/e", "", proto::EPHEMERAL_SEQUENTIAL);
  proto::Txn refused = p.PrepareWrite(tree, write, Zxid::FromRaw(2), 0, false);
  ASSERT_TRUE(refused.has_error());
  EXPECT_EQ(refused.error().err(), proto::EPHEMERAL_ON_LOCAL_SESSION);
  proto::Request multi;
  *multi.mutable_multi()->add_ops()->mutable_create() = Create("/m", "", proto::EPHEMERAL).create();
  write.request = multi;
  EXPECT_EQ(p.PrepareWrite(tree, write, Zxid::FromRaw(3), 0, false).error().err(),
            proto::EPHEMERAL_ON_LOCAL_SESSION);
}

TEST(Preparer, Create_TtlAndContainer_ReportZeroEphemeralOwner) {
  TreeHarness h;
  ApplyResult ttl = h.Write(Create("/ttl", "", proto::PERSISTENT_WITH_TTL, 1000));
  ApplyResult ctr = h.Write(Create("/ctr", "", proto::CONTAINER));
  ASSERT_EQ(ttl.err, proto::OK);
  ASSERT_EQ(ctr.err, proto::OK);
  EXPECT_EQ(ttl.stat.ephemeral_owner(), 0);
  EXPECT_EQ(ctr.stat.ephemeral_owner(), 0);
  EXPECT_EQ(h.Find("/ttl")->ttl_ms, 1000);
  EXPECT_FALSE(h.Find("/ttl")->container);
  EXPECT_TRUE(h.Find("/ctr")->container);
  EXPECT_EQ(h.Find("/ctr")->ttl_ms, 0);
  // Children of TTL and container nodes are allowed.
  EXPECT_EQ(h.Write(Create("/ttl/child")).err, proto::OK);
  EXPECT_EQ(h.Write(Create("/ctr/k")).err, proto::OK);
}

TEST(Preparer, Create_TtlDisabled_Unimplemented) {
  PreparerLimits limits;
  limits.extended_types_enabled = false;
  TreeHarness h(limits);
  EXPECT_EQ(h.Write(Create("/ttl", "", proto::PERSISTENT_WITH_TTL, 1000)).err,
            proto::UNIMPLEMENTED);
  EXPECT_FALSE(h.Exists("/ttl"));
}

TEST(Preparer, Delete_ParentStat_MatchesObserved) {
  TreeHarness h;
  h.MustWrite(Create("/d"));
  h.MustWrite(Create("/d/k"));
  h.MustWrite(Create("/d/k2"));
  proto::Stat d = h.StatOf("/d");
  EXPECT_EQ(d.cversion(), 2);
  EXPECT_EQ(d.num_children(), 2);
  EXPECT_EQ(d.pzxid(), h.last_zxid());

  EXPECT_EQ(h.Write(Delete("/d/k", 5)).err, proto::BAD_VERSION);
  EXPECT_EQ(h.StatOf("/d").SerializeAsString(), d.SerializeAsString());

  ASSERT_EQ(h.Write(Delete("/d/k", 0)).err, proto::OK);
  proto::Stat after = h.StatOf("/d");
  EXPECT_EQ(after.pzxid(), h.last_zxid());
  EXPECT_EQ(after.cversion(), 3);
  EXPECT_EQ(after.num_children(), 1);
  EXPECT_EQ(after.mzxid(), d.mzxid());

  ASSERT_EQ(h.Write(Delete("/d/k2")).err, proto::OK);
  after = h.StatOf("/d");
  EXPECT_EQ(after.pzxid(), h.last_zxid());
  EXPECT_EQ(after.cversion(), 4);
  EXPECT_EQ(after.num_children(), 0);
  EXPECT_FALSE(h.Exists("/d/k2"));
  EXPECT_EQ(h.Write(Delete("/d/k2")).err, proto::NO_NODE);
}

TEST(Preparer, SetData_Stat_MatchesObserved) {
  TreeHarness h;
  h.MustWrite(Create("/m", "a"));
  const int64_t cz = h.last_zxid();
  proto::Stat root = h.StatOf("/");

  ApplyResult r = h.Write(SetData("/m", "bb", 0));
  ASSERT_EQ(r.err, proto::OK);
  ASSERT_TRUE(r.has_stat);
  EXPECT_EQ(r.stat.mzxid(), h.last_zxid());
  EXPECT_EQ(r.stat.czxid(), cz);
  EXPECT_EQ(r.stat.pzxid(), cz);
  EXPECT_EQ(r.stat.version(), 1);
  EXPECT_EQ(r.stat.cversion(), 0);
  EXPECT_EQ(r.stat.data_length(), 2);
  EXPECT_EQ(r.stat.mtime(), TreeHarness::TimeFor(h.last_zxid()));
  EXPECT_GT(r.stat.mtime(), r.stat.ctime());

  EXPECT_EQ(h.Write(SetData("/m", "c", 0)).err, proto::BAD_VERSION);
  r = h.Write(SetData("/m", "c", -1));
  ASSERT_EQ(r.err, proto::OK);
  EXPECT_EQ(r.stat.version(), 2);
  // Identical data still bumps the version (no short-circuit).
  r = h.Write(SetData("/m", "c", -1));
  ASSERT_EQ(r.err, proto::OK);
  EXPECT_EQ(r.stat.version(), 3);
  EXPECT_EQ(r.stat.mzxid(), h.last_zxid());
  r = h.Write(SetData("/m", "", -1));
  EXPECT_EQ(r.stat.version(), 4);
  EXPECT_EQ(r.stat.data_length(), 0);
  // The parent is untouched by setData.
  EXPECT_EQ(h.StatOf("/").SerializeAsString(), root.SerializeAsString());
}

TEST(Preparer, SetData_Root_KeepsCtimeAndBumpsVersion) {
  TreeHarness h;
  ASSERT_EQ(h.Write(SetData("/", "r")).err, proto::OK);
  proto::Stat s = h.StatOf("/");
  EXPECT_EQ(s.mzxid(), h.last_zxid());
  EXPECT_EQ(s.version(), 1);
  EXPECT_EQ(s.data_length(), 1);
  EXPECT_EQ(s.ctime(), 0);
  EXPECT_EQ(s.czxid(), 0);
}

TEST(Preparer, SetAcl_Stat_OnlyAversionMoves) {
  TreeHarness h;
  h.MustWrite(Create("/acl"));
  proto::Stat before = h.StatOf("/acl");
  ApplyResult r = h.Write(SetAcl("/acl", {MakeAcl(1, "world", "anyone")}, 0));
  ASSERT_EQ(r.err, proto::OK);
  ASSERT_TRUE(r.has_stat);
  EXPECT_EQ(r.stat.aversion(), 1);
  EXPECT_EQ(r.stat.mzxid(), before.mzxid());
  EXPECT_EQ(r.stat.version(), before.version());
  EXPECT_EQ(r.stat.pzxid(), before.pzxid());
  const AclList& acl = h.tree().acls().Get(h.Find("/acl")->acl_id);
  ASSERT_EQ(acl.size(), 1u);
  EXPECT_EQ(acl[0].perms(), 1);
  // Setting an identical ACL bumps aversion as well.
  r = h.Write(SetAcl("/acl", {MakeAcl(1, "world", "anyone")}, -1));
  ASSERT_EQ(r.err, proto::OK);
  EXPECT_EQ(r.stat.aversion(), 2);
  EXPECT_EQ(h.Write(SetAcl("/acl", {kWorldAll}, 1)).err, proto::BAD_VERSION);
}

TEST(Preparer, Create_StoresAclList) {
  TreeHarness h;
  const proto::Acl digest = MakeAcl(31, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=");
  ASSERT_EQ(h.Write(CreateWithAcl("/acla", {digest})).err, proto::OK);
  const AclList& acl = h.tree().acls().Get(h.Find("/acla")->acl_id);
  ASSERT_EQ(acl.size(), 1u);
  EXPECT_EQ(acl[0].id().scheme(), "digest");
  EXPECT_EQ(acl[0].id().id(), "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=");
}

// ---------------------------------------------------------------------------
// Sequential naming and cversion bookkeeping.

// Observed §2, with /s fresh.
TEST(Preparer, Sequential_ObservedNamingTable) {
  TreeHarness h;
  h.MustWrite(Create("/s"));
  struct Step {
    proto::Request request;
    std::string name;  // expected path, "" for non-create
    int cversion_after;
  };
  const std::vector<Step> steps = {
      {Create("/s/x-", "", proto::PERSISTENT_SEQUENTIAL), "/s/x-0000000000", 1},
      {Create("/s/plain"), "/s/plain", 2},
      {Delete("/s/plain"), "", 3},
      {Create("/s/x-", "", proto::PERSISTENT_SEQUENTIAL), "/s/x-0000000002", 4},
      {Create("/s/", "", proto::PERSISTENT_SEQUENTIAL), "/s/0000000003", 5},
      {Create("/s/e-", "", proto::EPHEMERAL_SEQUENTIAL), "/s/e-0000000004", 6},
      {Create("/s/x-0000000000", "", proto::PERSISTENT_SEQUENTIAL), "/s/x-00000000000000000005", 7},
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(i);
    ApplyResult r = h.Write(steps[i].request);
    ASSERT_EQ(r.err, proto::OK) << r.error_detail;
    EXPECT_EQ(r.path, steps[i].name);
    if (!steps[i].name.empty()) {
      EXPECT_TRUE(h.Exists(steps[i].name));
    }
    EXPECT_EQ(h.StatOf("/s").cversion(), steps[i].cversion_after);
  }
}

// Observed with seqx.c on a fresh /q: name = (cversion + numChildren) / 2.
TEST(Preparer, Sequential_SuffixIsCreateCount_NotReportedCversion) {
  TreeHarness h;
  h.MustWrite(Create("/q"));
  auto seq = [&] {
    ApplyResult r = h.Write(Create("/q/s-", "", proto::PERSISTENT_SEQUENTIAL));
    EXPECT_EQ(r.err, proto::OK);
    return r.path;
  };
  auto cv = [&] { return h.StatOf("/q").cversion(); };
  EXPECT_EQ(cv(), 0);
  EXPECT_EQ(seq(), "/q/s-0000000000");
  EXPECT_EQ(cv(), 1);
  h.MustWrite(Create("/q/a"));
  EXPECT_EQ(cv(), 2);
  h.MustWrite(Delete("/q/a"));
  EXPECT_EQ(cv(), 3);
  EXPECT_EQ(h.StatOf("/q").num_children(), 1);
  EXPECT_EQ(seq(), "/q/s-0000000002");
  h.MustWrite(Create("/q/b"));
  h.MustWrite(Create("/q/c"));
  h.MustWrite(Delete("/q/b"));
  h.MustWrite(Delete("/q/c"));
  EXPECT_EQ(cv(), 8);
  EXPECT_EQ(h.StatOf("/q").num_children(), 2);
  EXPECT_EQ(seq(), "/q/s-0000000005");
  h.MustWrite(Delete("/q/s-0000000000"));
  h.MustWrite(Create("/q/a"));
  // A failed create (NODEEXISTS) does not move the counter.
  EXPECT_EQ(h.Write(Create("/q/a")).err, proto::NODE_EXISTS);
  EXPECT_EQ(cv(), 11);
  EXPECT_EQ(h.StatOf("/q").num_children(), 3);
  EXPECT_EQ(seq(), "/q/s-0000000007");
  // The stored counter is the create count.
  EXPECT_EQ(h.Find("/q")->stat.cversion, 8);
}

// Reported cversion == 2 * creates - numChildren across a mixed history.
TEST(Preparer, ReportedCversion_IsTwiceCreatesMinusChildren) {
  TreeHarness h;
  h.MustWrite(Create("/p"));
  int creates = 0;
  std::vector<std::string> live;
  for (int i = 0; i < 40; ++i) {
    if (i % 3 == 2 && !live.empty()) {
      h.MustWrite(Delete(live.front()));
      live.erase(live.begin());
    } else {
      ApplyResult r = h.Write(Create("/p/n-", "", proto::PERSISTENT_SEQUENTIAL));
      ASSERT_EQ(r.err, proto::OK);
      EXPECT_EQ(r.path, absl::StrFormat("/p/n-%010d", creates));
      live.push_back(r.path);
      ++creates;
    }
    proto::Stat s = h.StatOf("/p");
    ASSERT_EQ(s.num_children(), static_cast<int>(live.size()));
    ASSERT_EQ(s.cversion(), 2 * creates - static_cast<int>(live.size())) << i;
  }
}

// Observed: create "/" PERSISTENT_SEQUENTIAL -> "/0000000008" after 8 root
// creates (the root's create counter).
TEST(Preparer, Sequential_OnRoot_UsesRootCreateCount) {
  TreeHarness h;
  h.MustWrite(Create("/r1"));
  h.MustWrite(Create("/r2"));
  h.MustWrite(Delete("/r1"));
  ApplyResult r = h.Write(Create("/", "", proto::PERSISTENT_SEQUENTIAL));
  ASSERT_EQ(r.err, proto::OK) << r.error_detail;
  EXPECT_EQ(r.path, "/0000000002");
  EXPECT_TRUE(h.Exists("/0000000002"));
  EXPECT_EQ(h.StatOf("/").num_children(), 3);  // zookeeper, r2, 0000000002
  // A plain create of "/" is still NODEEXISTS.
  EXPECT_EQ(h.Write(Create("/")).err, proto::NODE_EXISTS);
}

TEST(Preparer, Sequential_ZookeeperPrefix_IsRootChild) {
  TreeHarness h;
  ApplyResult r = h.Write(Create("/zookeeper", "", proto::PERSISTENT_SEQUENTIAL));
  ASSERT_EQ(r.err, proto::OK);
  EXPECT_EQ(r.path, "/zookeeper0000000000");
  EXPECT_EQ(h.StatOf("/zookeeper").num_children(), 2);
}

TEST(Preparer, Sequential_DotNames_AreAllowed) {
  TreeHarness h;
  EXPECT_EQ(h.Write(Create("/.", "", proto::PERSISTENT_SEQUENTIAL)).path, "/.0000000000");
  EXPECT_EQ(h.Write(Create("/..", "", proto::PERSISTENT_SEQUENTIAL)).path, "/..0000000001");
}

TEST(Preparer, EphemeralSequential_NoSeparatorAdded) {
  TreeHarness h;
  h.MustWrite(Create("/eph"));
  h.MustWrite(Create("/eph/e1", "", proto::EPHEMERAL), kSession2);
  ApplyResult r = h.Write(kSession2, Create("/eph/e2", "", proto::EPHEMERAL_SEQUENTIAL));
  ASSERT_EQ(r.err, proto::OK);
  EXPECT_EQ(r.path, "/eph/e20000000001");
  EXPECT_EQ(r.stat.ephemeral_owner(), kSession2);
}

// ---------------------------------------------------------------------------
// zxid accounting and error details.

TEST(Preparer, FailedWrites_EachConsumeOneZxid) {
  TreeHarness h;
  h.MustWrite(Create("/z0"));
  const int64_t z0 = h.StatOf("/z0").czxid();
  EXPECT_EQ(h.Write(Create("/z0")).err, proto::NODE_EXISTS);
  EXPECT_EQ(h.Write(SetData("/z0", "", 7)).err, proto::BAD_VERSION);
  EXPECT_EQ(h.Write(Delete("/nonexist")).err, proto::NO_NODE);
  EXPECT_EQ(h.Write(Create("bad")).err, proto::BAD_ARGUMENTS);
  EXPECT_EQ(h.Write(Create("/nope/a")).err, proto::NO_NODE);
  h.MustWrite(Create("/z1"));
  EXPECT_EQ(h.StatOf("/z1").czxid(), z0 + 6);
}

TEST(Preparer, DataLimit_IsConfigurable_WithClearError) {
  PreparerLimits limits;
  limits.max_data_bytes = 10;
  TreeHarness h(limits);
  EXPECT_EQ(h.Write(Create("/ok", std::string(10, 'x'))).err, proto::OK);
  ApplyResult r = h.Write(Create("/big", std::string(11, 'x')));
  EXPECT_EQ(r.err, proto::BAD_ARGUMENTS);
  EXPECT_THAT(r.error_detail, HasSubstr("11"));
  EXPECT_THAT(r.error_detail, HasSubstr("10"));
  EXPECT_FALSE(h.Exists("/big"));
  r = h.Write(SetData("/ok", std::string(11, 'x')));
  EXPECT_EQ(r.err, proto::BAD_ARGUMENTS);
  EXPECT_EQ(h.Find("/ok")->data, std::string(10, 'x'));
}

TEST(Preparer, DefaultDataLimit_IsOneMiB) {
  EXPECT_EQ(PreparerLimits().max_data_bytes, size_t{1} << 20);
}

TEST(Preparer, ErrorDetail_NamesThePath) {
  TreeHarness h;
  EXPECT_THAT(h.Write(Create("/nope/x")).error_detail, HasSubstr("/nope"));
  EXPECT_THAT(h.Write(Delete("/missing")).error_detail, HasSubstr("/missing"));
  EXPECT_THAT(h.Write(Create("/a/")).error_detail, HasSubstr("/a/"));
}

TEST(Preparer, ErrorTxn_IsWhatAFailedRequestBecomes) {
  TreeHarness h;
  TreeHarness::Prepared p = h.Prepare(kSession, Create("/nope/x"));
  ASSERT_EQ(p.txn.body_case(), proto::Txn::kError);
  EXPECT_EQ(p.txn.error().err(), proto::NO_NODE);
  EXPECT_EQ(p.txn.session_id(), kSession);
  EXPECT_EQ(h.preparer().pending_count(), 0u);
  EXPECT_EQ(h.Apply(p).err, proto::NO_NODE);
}

TEST(Preparer, CreateTxn_CarriesResolvedValues) {
  TreeHarness h;
  h.MustWrite(Create("/s"));
  proto::Request req = Create("/s/x-", "d", proto::EPHEMERAL_SEQUENTIAL);
  req.set_xid(77);
  TreeHarness::Prepared p = h.Prepare(kSession2, req);
  ASSERT_EQ(p.txn.body_case(), proto::Txn::kCreate);
  EXPECT_EQ(p.txn.cxid(), 77);
  EXPECT_EQ(p.txn.time_ms(), TreeHarness::TimeFor(p.zxid));
  EXPECT_EQ(p.txn.create().path(), "/s/x-0000000000");
  EXPECT_EQ(p.txn.create().ephemeral_owner(), kSession2);
  EXPECT_EQ(p.txn.create().parent_cversion(), 1);
  EXPECT_EQ(p.txn.create().data(), "d");
}

// ---------------------------------------------------------------------------
// Prepare-ahead: several requests prepared before any is applied see each
// other through the pending overlay.

TEST(PrepareAhead, TwoSequentialCreates_GetDistinctNames) {
  TreeHarness h;
  h.MustWrite(Create("/s"));
  auto p1 = h.Prepare(kSession, Create("/s/n-", "", proto::PERSISTENT_SEQUENTIAL));
  auto p2 = h.Prepare(kSession, Create("/s/n-", "", proto::PERSISTENT_SEQUENTIAL));
  EXPECT_EQ(h.preparer().pending_count(), 3u);  // /s, two children
  ApplyResult r1 = h.Apply(p1);
  ApplyResult r2 = h.Apply(p2);
  EXPECT_EQ(r1.err, proto::OK);
  EXPECT_EQ(r2.err, proto::OK);
  EXPECT_EQ(r1.path, "/s/n-0000000000");
  EXPECT_EQ(r2.path, "/s/n-0000000001");
  EXPECT_EQ(h.StatOf("/s").cversion(), 2);
  EXPECT_EQ(h.preparer().pending_count(), 0u);
}

TEST(PrepareAhead, CreateThenDelete_BothSucceed) {
  TreeHarness h;
  auto p1 = h.Prepare(kSession, Create("/t"));
  auto p2 = h.Prepare(kSession, Delete("/t", 0));
  auto p3 = h.Prepare(kSession, Delete("/t"));  // already deleted by p2
  EXPECT_EQ(h.Apply(p1).err, proto::OK);
  EXPECT_EQ(h.Apply(p2).err, proto::OK);
  EXPECT_EQ(h.Apply(p3).err, proto::NO_NODE);
  EXPECT_FALSE(h.Exists("/t"));
  EXPECT_EQ(h.StatOf("/").pzxid(), p2.zxid);
}

TEST(PrepareAhead, ParentThenChild_ChildSeesPendingParent) {
  TreeHarness h;
  auto p1 = h.Prepare(kSession, Create("/p"));
  auto p2 = h.Prepare(kSession, Create("/p/c"));
  auto p3 = h.Prepare(kSession, Delete("/p"));  // NOTEMPTY: child is pending
  EXPECT_EQ(p3.txn.body_case(), proto::Txn::kError);
  EXPECT_EQ(h.Apply(p1).err, proto::OK);
  EXPECT_EQ(h.Apply(p2).err, proto::OK);
  EXPECT_EQ(h.Apply(p3).err, proto::NOT_EMPTY);
  EXPECT_TRUE(h.Exists("/p/c"));
}

TEST(PrepareAhead, SetDataVersions_AdvanceThroughPending) {
  TreeHarness h;
  h.MustWrite(Create("/v"));
  auto p1 = h.Prepare(kSession, SetData("/v", "1", 0));
  auto p2 = h.Prepare(kSession, SetData("/v", "2", 1));
  auto p3 = h.Prepare(kSession, SetData("/v", "3", 1));  // stale
  EXPECT_EQ(h.Apply(p1).err, proto::OK);
  EXPECT_EQ(h.Apply(p2).stat.version(), 2);
  EXPECT_EQ(h.Apply(p3).err, proto::BAD_VERSION);
  EXPECT_EQ(h.Find("/v")->data, "2");
}

TEST(PrepareAhead, ChildUnderPendingEphemeral_NoChildrenForEphemerals) {
  TreeHarness h;
  auto p1 = h.Prepare(kSession, Create("/e", "", proto::EPHEMERAL));
  auto p2 = h.Prepare(kSession, Create("/e/c"));
  EXPECT_EQ(h.Apply(p1).err, proto::OK);
  EXPECT_EQ(h.Apply(p2).err, proto::NO_CHILDREN_FOR_EPHEMERALS);
}

TEST(PrepareAhead, FailedPrepare_LeavesNoPendingState) {
  TreeHarness h;
  auto p1 = h.Prepare(kSession, Create("/nope/x"));
  EXPECT_EQ(h.preparer().pending_count(), 0u);
  auto p2 = h.Prepare(kSession, Create("/nope"));
  EXPECT_EQ(h.Apply(p1).err, proto::NO_NODE);
  EXPECT_EQ(h.Apply(p2).err, proto::OK);
}

TEST(PrepareAhead, Reset_DropsPendingChanges) {
  TreeHarness h;
  h.Prepare(kSession, Create("/lost"));
  EXPECT_GT(h.preparer().pending_count(), 0u);
  h.preparer().Reset();
  EXPECT_EQ(h.preparer().pending_count(), 0u);
  // The next prepare no longer sees /lost.
  auto p = h.Prepare(kSession, Delete("/lost"));
  EXPECT_EQ(p.txn.body_case(), proto::Txn::kError);
}

// The same script run one request at a time and fully prepared-ahead gives
// the same results and the same tree.
TEST(PrepareAhead, Script_SameResultsAsOneAtATime) {
  const std::vector<proto::Request> script = {
      Create("/a", "1"),
      Create("/a/s-", "", proto::PERSISTENT_SEQUENTIAL),
      Create("/a/s-", "", proto::PERSISTENT_SEQUENTIAL),
      Create("/a/x"),
      Delete("/a/x"),
      Create("/a/s-", "", proto::EPHEMERAL_SEQUENTIAL),
      SetData("/a", "2", 0),
      SetData("/a", "3", 0),  // BAD_VERSION
      Delete("/a"),           // NOT_EMPTY
      Create("/a/x"),
      Create("/a/x"),  // NODE_EXISTS
      SetAcl("/a/x", {MakeAcl(1, "world", "anyone")}, 0),
      testing::Multi({testing::OpCreate("/m"),
                      testing::OpCreate("/m/c-", "", proto::PERSISTENT_SEQUENTIAL),
                      testing::OpCheck("/a", 1)}),
      testing::Multi({testing::OpCreate("/m2"), testing::OpDelete("/nonexist")}),
      Create("/a/s-", "", proto::PERSISTENT_SEQUENTIAL),
      Delete("/a/s-0000000000", 0),
  };
  TreeHarness serial;
  TreeHarness ahead;
  std::vector<ApplyResult> serial_results;
  for (const auto& req : script) serial_results.push_back(serial.Write(kSession, req));
  std::vector<TreeHarness::Prepared> prepared;
  for (const auto& req : script) prepared.push_back(ahead.Prepare(kSession, req));
  for (size_t i = 0; i < script.size(); ++i) {
    SCOPED_TRACE(i);
    ApplyResult r = ahead.Apply(prepared[i]);
    EXPECT_EQ(r.err, serial_results[i].err);
    EXPECT_EQ(r.path, serial_results[i].path);
    EXPECT_EQ(r.stat.SerializeAsString(), serial_results[i].stat.SerializeAsString());
    EXPECT_EQ(r.multi.size(), serial_results[i].multi.size());
  }
  EXPECT_EQ(serial_results[7].err, proto::BAD_VERSION);
  EXPECT_EQ(serial_results[8].err, proto::NOT_EMPTY);
  EXPECT_EQ(serial_results[10].err, proto::NODE_EXISTS);
  EXPECT_EQ(serial_results[13].err, proto::NO_NODE);
  EXPECT_EQ(ahead.tree().digest(), serial.tree().digest());
  EXPECT_EQ(ahead.tree().node_count(), serial.tree().node_count());
  EXPECT_EQ(ahead.preparer().pending_count(), 0u);
}

}  // namespace
}  // namespace zabkeeper::server
