// ACL schemes and permission checks: auth.h's primitives, and the Preparer's
// check of every write operation, allowed and denied, table-driven.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/auth.h"
#include "server/preparer.h"
#include "server/state_machine.h"
#include "tests/unit/server/tree_harness.h"

namespace zabkeeper::server {
namespace {

using testing::Create;
using testing::Delete;
using testing::Multi;
using testing::OpCheck;
using testing::SetAcl;
using testing::SetData;

proto::Id IdOf(const std::string& scheme, const std::string& id) {
  proto::Id out;
  out.set_scheme(scheme);
  out.set_id(id);
  return out;
}

proto::Acl AclOf(int perms, const std::string& scheme, const std::string& id) {
  proto::Acl a;
  a.set_perms(perms);
  *a.mutable_id() = IdOf(scheme, id);
  return a;
}

// Digests ZooKeeper 3.8's DigestAuthenticationProvider computes
// (docs/ZOOKEEPER_OBSERVED.md, section ACL).
TEST(Digest, MatchesZooKeeperDigestAuthenticationProvider) {
  EXPECT_EQ(DigestOf("user:password"), "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=");
  EXPECT_EQ(DigestOf("super:secret"), "super:lK75jTNcA+U9vtVEw5vB51mj/w4=");
  EXPECT_EQ(DigestOf("alice:alice-secret"), "alice:JYdjG/dL2+v79QyuS8/0gpT+rQQ=");
}

TEST(Authenticate, DigestYieldsDigestId_OtherSchemesFail) {
  absl::StatusOr<proto::Id> id = Authenticate("digest", "user:password");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->scheme(), "digest");
  EXPECT_EQ(id->id(), "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=");
  EXPECT_FALSE(Authenticate("digest", "no-colon").ok());
  EXPECT_FALSE(Authenticate("kerberos", "x").ok());
}

struct CheckCase {
  const char* name;
  std::vector<proto::Acl> acl;
  int32_t perm;
  std::vector<proto::Id> ids;
  bool allowed;
};

class CheckAclTest : public ::testing::TestWithParam<CheckCase> {};

TEST_P(CheckAclTest, DecidesLikeZooKeeper) {
  const CheckCase& c = GetParam();
  EXPECT_EQ(CheckAcl(c.acl, c.perm, c.ids, "super:lK75jTNcA+U9vtVEw5vB51mj/w4="), c.allowed);
}

const proto::Id kLocal = IdOf("ip", "127.0.0.1");
const proto::Id kAlice = IdOf("digest", "alice:JYdjG/dL2+v79QyuS8/0gpT+rQQ=");
const proto::Id kSuper = IdOf("digest", "super:lK75jTNcA+U9vtVEw5vB51mj/w4=");

INSTANTIATE_TEST_SUITE_P(
    Schemes, CheckAclTest,
    ::testing::Values(
        CheckCase{"WorldAnyone_Allows", {AclOf(31, "world", "anyone")}, kPermWrite, {}, true},
        CheckCase{
            "WorldReadOnly_DeniesWrite", {AclOf(1, "world", "anyone")}, kPermWrite, {}, false},
        CheckCase{"Digest_HolderAllowed",
                  {AclOf(31, kAlice.scheme(), kAlice.id())},
                  kPermRead,
                  {kLocal, kAlice},
                  true},
        CheckCase{"Digest_OtherDenied",
                  {AclOf(31, kAlice.scheme(), kAlice.id())},
                  kPermRead,
                  {kLocal, IdOf("digest", "alice:wrong")},
                  false},
        CheckCase{"Digest_PermBitMissing",
                  {AclOf(kPermRead, "digest", kAlice.id())},
                  kPermDelete,
                  {kAlice},
                  false},
        CheckCase{"IpExact_Allowed", {AclOf(31, "ip", "127.0.0.1")}, kPermRead, {kLocal}, true},
        CheckCase{"IpExact_OtherDenied", {AclOf(31, "ip", "10.0.0.1")}, kPermRead, {kLocal}, false},
        CheckCase{"IpCidr_Inside", {AclOf(31, "ip", "127.0.0.0/8")}, kPermRead, {kLocal}, true},
        CheckCase{"IpCidr_Outside", {AclOf(31, "ip", "10.0.0.0/8")}, kPermRead, {kLocal}, false},
        CheckCase{"Super_PassesEverything",
                  {AclOf(1, "ip", "10.0.0.1")},
                  kPermAdmin,
                  {kLocal, kSuper},
                  true},
        CheckCase{"SecondEntryGrants",
                  {AclOf(kPermRead, "world", "anyone"), AclOf(31, "digest", kAlice.id())},
                  kPermWrite,
                  {kAlice},
                  true},
        CheckCase{"EmptyAcl_DeniesAll", {}, kPermRead, {kLocal}, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(FixupAcl, AuthSchemeBecomesCallersDigestIds_IpIdsIgnored) {
  google::protobuf::RepeatedPtrField<proto::Acl> acl;
  *acl.Add() = AclOf(31, "auth", "");
  ASSERT_TRUE(FixupAcl(&acl, {kLocal, kAlice}).ok());
  ASSERT_EQ(acl.size(), 1);
  EXPECT_EQ(acl[0].id().scheme(), "digest");
  EXPECT_EQ(acl[0].id().id(), kAlice.id());
}

// A SASL user's "auth" ACL names sasl:<user>; the super id that
// zookeeper.superUser adds is never copied into an ACL (ZooKeeper has no
// provider for it), but passes every check.
TEST(FixupAcl, AuthSchemeTakesSaslIdsButNotSuper) {
  google::protobuf::RepeatedPtrField<proto::Acl> acl;
  *acl.Add() = AclOf(31, "auth", "");
  ASSERT_TRUE(FixupAcl(&acl, {kLocal, IdOf("sasl", "bob"), IdOf("super", "")}).ok());
  ASSERT_EQ(acl.size(), 1);
  EXPECT_EQ(acl[0].id().scheme(), "sasl");
  EXPECT_EQ(acl[0].id().id(), "bob");
  const std::vector<proto::Acl> bobs{AclOf(kPermRead, "sasl", "bob")};
  EXPECT_TRUE(CheckAcl(bobs, kPermRead, {IdOf("sasl", "bob")}, ""));
  EXPECT_FALSE(CheckAcl(bobs, kPermRead, {IdOf("sasl", "alice")}, ""));
  EXPECT_FALSE(CheckAcl(bobs, kPermWrite, {IdOf("sasl", "bob")}, ""));
  EXPECT_TRUE(CheckAcl(bobs, kPermWrite, {IdOf("sasl", "alice"), IdOf("super", "")}, ""));
  google::protobuf::RepeatedPtrField<proto::Acl> only_super;
  *only_super.Add() = AclOf(31, "auth", "");
  EXPECT_FALSE(FixupAcl(&only_super, {kLocal, IdOf("super", "")}).ok());
}

TEST(FixupAcl, RejectsWhatZooKeeperRejects) {
  auto invalid = [](proto::Acl a, std::vector<proto::Id> ids) {
    google::protobuf::RepeatedPtrField<proto::Acl> acl;
    *acl.Add() = a;
    return FixupAcl(&acl, ids).code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid(AclOf(31, "auth", ""), {kLocal}));  // no authenticated id
  EXPECT_TRUE(invalid(AclOf(31, "world", "someone"), {}));
  EXPECT_TRUE(invalid(AclOf(31, "digest", "no-colon"), {}));
  EXPECT_TRUE(invalid(AclOf(31, "ip", "not-an-ip"), {}));
  EXPECT_TRUE(invalid(AclOf(31, "ip", "10.0.0.0/40"), {}));
  // ZooKeeper takes sasl ids once its SASL provider is registered
  // (authProvider.N=...SASLAuthenticationProvider); zabkeeper's is built in.
  EXPECT_FALSE(invalid(AclOf(31, "sasl", "x"), {}));
  EXPECT_TRUE(invalid(AclOf(31, "sasl", ""), {}));
  EXPECT_TRUE(invalid(AclOf(31, "kerberos", "x"), {}));
  EXPECT_TRUE(invalid(AclOf(64, "world", "anyone"), {}));
  google::protobuf::RepeatedPtrField<proto::Acl> empty;
  EXPECT_FALSE(FixupAcl(&empty, {kAlice}).ok());
}

// Every write's permission check in the Preparer: which node's ACL and
// which perm bit, allowed and denied.
struct OpCase {
  const char* name;
  proto::Request request;
  int32_t perms_on_target;  // perms world:anyone has on /t (and its child /t/c)
  proto::ErrorCode expected;
};

class PermissionTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(PermissionTest, ChecksTheRightNodeAndBit) {
  const OpCase& c = GetParam();
  StateMachine sm;
  Preparer preparer(PreparerLimits{});
  std::string detail;
  int64_t zxid = 0;
  auto run = [&](const proto::Request& r, const std::vector<proto::Id>* ids) {
    proto::Txn txn = preparer.Prepare(sm.tree(), 1, r, Zxid::FromRaw(++zxid), 1000, &detail, ids);
    ChangeSet changes;
    ApplyResult result = sm.Apply(Zxid::FromRaw(zxid), txn, &changes);
    preparer.Applied(Zxid::FromRaw(zxid));
    return result.err;
  };
  // /t carries the perms under test; its child /t/c is open to all.
  proto::Request make_t = Create("/t");
  make_t.mutable_create()->mutable_acl(0)->set_perms(c.perms_on_target);
  ASSERT_EQ(run(make_t, nullptr), proto::OK);
  proto::Request make_c = Create("/t/c");
  ASSERT_EQ(run(make_c, nullptr), proto::OK);

  const std::vector<proto::Id> ids = {kLocal};
  EXPECT_EQ(run(c.request, &ids), c.expected) << detail;
}

constexpr int32_t kAll = 31;
INSTANTIATE_TEST_SUITE_P(
    Operations, PermissionTest,
    ::testing::Values(
        OpCase{"Create_ParentHasCreate", Create("/t/new"), kPermCreate, proto::OK},
        OpCase{"Create_ParentLacksCreate", Create("/t/new"), kAll & ~kPermCreate, proto::NO_AUTH},
        OpCase{"Delete_ParentHasDelete", Delete("/t/c"), kPermDelete, proto::OK},
        OpCase{"Delete_ParentLacksDelete", Delete("/t/c"), kAll & ~kPermDelete, proto::NO_AUTH},
        OpCase{"SetData_NodeHasWrite", SetData("/t", ""), kPermWrite, proto::OK},
        OpCase{"SetData_NodeLacksWrite", SetData("/t", ""), kAll & ~kPermWrite, proto::NO_AUTH},
        OpCase{"SetAcl_NodeHasAdmin", SetAcl("/t", {AclOf(31, "world", "anyone")}), kPermAdmin,
               proto::OK},
        OpCase{"SetAcl_NodeLacksAdmin", SetAcl("/t", {AclOf(31, "world", "anyone")}),
               kAll & ~kPermAdmin, proto::NO_AUTH},
        OpCase{"Check_NodeHasRead", Multi({OpCheck("/t", -1)}), kPermRead, proto::OK},
        OpCase{"Check_NodeLacksRead", Multi({OpCheck("/t", -1)}), kAll & ~kPermRead,
               proto::NO_AUTH},
        // The child's own ACL is open: only the parent's matters for create.
        OpCase{"SetData_OnOpenChild_ParentIrrelevant", SetData("/t/c", ""), 0, proto::OK}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace zabkeeper::server
