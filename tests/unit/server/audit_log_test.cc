// The audit log's lines, field for field as ZooKeeper's documentation shows
// them (zookeeperAuditLogs: tab-separated key=value, fixed order, empty
// fields left out, ACLs as scheme:id:cdrwa).
#include "server/audit_log.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zabkeeper::server {
namespace {

proto::Id Id(const std::string& scheme, const std::string& id) {
  proto::Id out;
  out.set_scheme(scheme);
  out.set_id(id);
  return out;
}

proto::Request CreateRequest(const std::string& path, proto::CreateMode mode) {
  proto::Request r;
  r.set_xid(7);
  r.mutable_create()->set_path(path);
  r.mutable_create()->set_mode(mode);
  return r;
}

TEST(AuditLog, FormatsZooKeeperFieldsInOrder_LeavingEmptyOnesOut) {
  AuditEntry e{0x19344730000, "192.168.1.2,zkcli", "192.168.1.2", "create", "/a", "persistent", "",
               "success"};
  EXPECT_EQ(FormatAuditLine(e),
            "session=0x19344730000\tuser=192.168.1.2,zkcli\tip=192.168.1.2\toperation=create\t"
            "znode=/a\tznode_type=persistent\tresult=success");
  AuditEntry start{0, "zookeeper", "", "serverStart", "", "", "", "success"};
  EXPECT_EQ(FormatAuditLine(start), "user=zookeeper\toperation=serverStart\tresult=success");
}

TEST(AuditLog, TabsAndNewlinesInAValueCannotForgeALine) {
  AuditEntry e{1, "u", "", "delete", "/a\n\tresult=success\r", "", "", "failure"};
  EXPECT_EQ(FormatAuditLine(e),
            "session=0x1\tuser=u\toperation=delete\tznode=/aresult=success\tresult=failure");
}

TEST(AuditLog, UsersAreAddressDigestUserAndOtherIds) {
  EXPECT_EQ(AuditUsers({Id("ip", "127.0.0.1"), Id("digest", "alice:JYdjG/dL2+v79QyuS8/0gpT+rQQ="),
                        Id("x509", "CN=client,O=zabkeeper")}),
            "127.0.0.1,alice,CN=client,O=zabkeeper");
}

TEST(AuditLog, AclStringUsesZooKeeperPermissionLetters) {
  google::protobuf::RepeatedPtrField<proto::Acl> acl;
  proto::Acl* all = acl.Add();
  all->set_perms(0x1f);
  *all->mutable_id() = Id("world", "anyone");
  proto::Acl* rw = acl.Add();
  rw->set_perms(1 | 2);  // READ | WRITE
  *rw->mutable_id() = Id("digest", "bob:hash");
  EXPECT_EQ(AuditAclString(acl), "world:anyone:cdrwa,digest:bob:hash:rw");
}

TEST(AuditLog, SequentialCreate_SuccessNamesTheAppliedPath_FailureTheRequestedOne) {
  AuditedWrite w;
  ASSERT_TRUE(AuditRecordOf(CreateRequest("/q/n-", proto::EPHEMERAL_SEQUENTIAL),
                            {Id("ip", "10.0.0.1")}, "10.0.0.1", &w));
  proto::Txn applied;
  applied.mutable_create()->set_path("/q/n-0000000003");
  std::vector<AuditEntry> ok = AuditCompletedWrite(w, 0x42, &applied);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(FormatAuditLine(ok[0]),
            "session=0x42\tuser=10.0.0.1\tip=10.0.0.1\toperation=create\tznode=/q/n-0000000003\t"
            "znode_type=ephemeral_sequential\tresult=success");
  proto::Txn refused;
  refused.mutable_error()->set_err(proto::NO_NODE);
  std::vector<AuditEntry> bad = AuditCompletedWrite(w, 0x42, &refused);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].znode, "/q/n-");
  EXPECT_EQ(bad[0].result, "failure");
  // Failed before it was applied (e.g. the leader was lost).
  EXPECT_EQ(AuditCompletedWrite(w, 0x42, nullptr).at(0).result, "failure");
}

TEST(AuditLog, SetAclCarriesTheNewAcl) {
  proto::Request r;
  r.mutable_set_acl()->set_path("/a");
  proto::Acl* acl = r.mutable_set_acl()->add_acl();
  acl->set_perms(0x1f);
  *acl->mutable_id() = Id("world", "anyone");
  AuditedWrite w;
  ASSERT_TRUE(AuditRecordOf(r, {}, "127.0.0.1", &w));
  proto::Txn applied;
  applied.mutable_set_acl()->set_path("/a");
  EXPECT_EQ(FormatAuditLine(AuditCompletedWrite(w, 5, &applied).at(0)),
            "session=0x5\tip=127.0.0.1\toperation=setAcl\tznode=/a\tacl=world:anyone:cdrwa\t"
            "result=success");
}

TEST(AuditLog, Multi_OneLinePerAppliedChange_OrOneFailureLine) {
  proto::Request r;
  r.mutable_multi()->add_ops()->mutable_create()->set_path("/m/s-");
  r.mutable_multi()->mutable_ops(0)->mutable_create()->set_mode(proto::PERSISTENT_SEQUENTIAL);
  r.mutable_multi()->add_ops()->mutable_check()->set_path("/m");
  r.mutable_multi()->add_ops()->mutable_set_data()->set_path("/m");
  r.mutable_multi()->add_ops()->mutable_delete_()->set_path("/m/old");
  AuditedWrite w;
  ASSERT_TRUE(AuditRecordOf(r, {Id("ip", "127.0.0.1")}, "127.0.0.1", &w));

  proto::Txn applied;
  applied.mutable_multi()->add_txns()->mutable_create()->set_path("/m/s-0000000001");
  applied.mutable_multi()->add_txns()->mutable_check()->set_path("/m");
  applied.mutable_multi()->add_txns()->mutable_set_data()->set_path("/m");
  applied.mutable_multi()->add_txns()->mutable_delete_()->set_path("/m/old");
  std::vector<AuditEntry> lines = AuditCompletedWrite(w, 9, &applied);
  ASSERT_EQ(lines.size(), 3u) << "the check is not logged";
  EXPECT_EQ(lines[0].operation, "create");
  EXPECT_EQ(lines[0].znode, "/m/s-0000000001");
  EXPECT_EQ(lines[0].znode_type, "persistent_sequential");
  EXPECT_EQ(lines[1].operation, "setData");
  EXPECT_EQ(lines[2].operation, "delete");
  EXPECT_EQ(lines[2].znode, "/m/old");

  proto::Txn failed;
  failed.mutable_multi()->add_txns()->mutable_error()->set_err(proto::OK);
  failed.mutable_multi()->add_txns()->mutable_error()->set_err(proto::BAD_VERSION);
  lines = AuditCompletedWrite(w, 9, &failed);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(FormatAuditLine(lines[0]),
            "session=0x9\tuser=127.0.0.1\tip=127.0.0.1\toperation=multiOperation\t"
            "result=failure");
}

TEST(AuditLog, ReadsAreNotAudited) {
  proto::Request r;
  r.mutable_get_data()->set_path("/a");
  AuditedWrite w;
  EXPECT_FALSE(AuditRecordOf(r, {}, "127.0.0.1", &w));
}

}  // namespace
}  // namespace zabkeeper::server
