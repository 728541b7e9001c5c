// DataTree: the fresh tree as ZooKeeper 3.8 has it (observed §1a), the
// mutation primitives, the digest, and record round trips.
#include "server/data_tree.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/acl_table.h"
#include "server/errors.h"
#include "server/path_util.h"
#include "tests/unit/server/tree_harness.h"

namespace zabkeeper::server {
namespace {

using ::testing::ElementsAre;
using testing::OpenAcl;

proto::Stat Reported(const DataTree& tree, const std::string& path) {
  proto::Stat s;
  const Znode* node = tree.Find(path);
  EXPECT_NE(node, nullptr) << path;
  if (node != nullptr) node->FillStat(&s);
  return s;
}

proto::CreateTxn CreateTxn(const std::string& path, int32_t parent_cversion, int64_t owner = 0) {
  proto::CreateTxn txn;
  txn.set_path(path);
  txn.set_data("d");
  *txn.mutable_acl() = OpenAcl();
  txn.set_parent_cversion(parent_cversion);
  txn.set_ephemeral_owner(owner);
  return txn;
}

TEST(DataTree, Fresh_HasSystemNodes) {
  DataTree tree;
  EXPECT_EQ(tree.node_count(), 4u);
  for (const char* p : {"/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}) {
    EXPECT_NE(tree.Find(p), nullptr) << p;
  }
  EXPECT_THAT(tree.Find("/")->children, ElementsAre("zookeeper"));
  EXPECT_THAT(tree.Find("/zookeeper")->children, ElementsAre("config", "quota"));
}

TEST(DataTree, Fresh_RootReportsCversionMinus1) {
  DataTree tree;
  proto::Stat s = Reported(tree, "/");
  EXPECT_EQ(s.czxid(), 0);
  EXPECT_EQ(s.mzxid(), 0);
  EXPECT_EQ(s.pzxid(), 0);
  EXPECT_EQ(s.ctime(), 0);
  EXPECT_EQ(s.mtime(), 0);
  EXPECT_EQ(s.version(), 0);
  EXPECT_EQ(s.cversion(), -1);
  EXPECT_EQ(s.aversion(), 0);
  EXPECT_EQ(s.ephemeral_owner(), 0);
  EXPECT_EQ(s.data_length(), 0);
  EXPECT_EQ(s.num_children(), 1);
}

TEST(DataTree, Fresh_ZookeeperReportsCversionMinus2) {
  DataTree tree;
  proto::Stat s = Reported(tree, "/zookeeper");
  EXPECT_EQ(s.cversion(), -2);
  EXPECT_EQ(s.num_children(), 2);
  EXPECT_EQ(s.aversion(), 0);
  EXPECT_EQ(s.version(), 0);
}

TEST(DataTree, Fresh_ConfigReportsAversionMinus1AndReadOnlyAcl) {
  DataTree tree;
  proto::Stat s = Reported(tree, "/zookeeper/config");
  EXPECT_EQ(s.aversion(), -1);
  EXPECT_EQ(s.cversion(), 0);
  EXPECT_EQ(s.num_children(), 0);
  const AclList& acl = tree.acls().Get(tree.Find("/zookeeper/config")->acl_id);
  ASSERT_EQ(acl.size(), 1u);
  EXPECT_EQ(acl[0].perms(), 1);
  EXPECT_EQ(acl[0].id().scheme(), "world");
  EXPECT_EQ(acl[0].id().id(), "anyone");
}

TEST(DataTree, Fresh_QuotaIsPlain) {
  DataTree tree;
  proto::Stat s = Reported(tree, "/zookeeper/quota");
  EXPECT_EQ(s.aversion(), 0);
  EXPECT_EQ(s.cversion(), 0);
  EXPECT_EQ(tree.Find("/zookeeper/quota")->acl_id, AclTable::kOpenAclId);
}

TEST(DataTree, Fresh_DigestIsDeterministic) {
  DataTree a;
  DataTree b;
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_NE(a.digest(), 0u);
}

TEST(DataTree, CreateNode_RecordsEventsAndDirtyPaths) {
  DataTree tree;
  ChangeSet changes;
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/a", 1), Zxid::FromRaw(5), 100, &changes).ok());
  ASSERT_EQ(changes.events.size(), 2u);
  EXPECT_EQ(changes.events[0].type, proto::NODE_CREATED);
  EXPECT_EQ(changes.events[0].path, "/a");
  EXPECT_EQ(changes.events[1].type, proto::NODE_CHILDREN_CHANGED);
  EXPECT_EQ(changes.events[1].path, "/");
  EXPECT_THAT(changes.dirty_paths, ElementsAre("/", "/a"));
  EXPECT_EQ(tree.Find("/")->stat.cversion, 1);
  EXPECT_EQ(tree.Find("/")->stat.pzxid, 5);
}

TEST(DataTree, CreateNode_StaleParentCversion_DoesNotMoveCversionOrPzxid) {
  // Replaying a txn whose parent_cversion is not ahead of the parent (ZooKeeper
  // DataTree.createNode only moves cversion/pzxid forward).
  DataTree tree;
  ChangeSet changes;
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/a", 1), Zxid::FromRaw(5), 100, &changes).ok());
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/b", 1), Zxid::FromRaw(6), 100, &changes).ok());
  EXPECT_EQ(tree.Find("/")->stat.cversion, 1);
  EXPECT_EQ(tree.Find("/")->stat.pzxid, 5);
  EXPECT_NE(tree.Find("/b"), nullptr);
}

TEST(DataTree, MutationsOnWrongState_ReturnErrorsNotCrashes) {
  DataTree tree;
  ChangeSet changes;
  EXPECT_EQ(ErrorCodeOf(tree.CreateNode(CreateTxn("/x/y", 1), Zxid::FromRaw(1), 0, &changes)),
            proto::NO_NODE);
  EXPECT_EQ(ErrorCodeOf(tree.CreateNode(CreateTxn("/zookeeper", 1), Zxid::FromRaw(1), 0, &changes)),
            proto::NODE_EXISTS);
  EXPECT_EQ(ErrorCodeOf(tree.DeleteNode("/nope", Zxid::FromRaw(1), &changes)), proto::NO_NODE);
  EXPECT_EQ(ErrorCodeOf(tree.DeleteNode("/zookeeper", Zxid::FromRaw(1), &changes)),
            proto::NOT_EMPTY);
  proto::SetDataTxn set;
  set.set_path("/nope");
  EXPECT_EQ(ErrorCodeOf(tree.SetData(set, Zxid::FromRaw(1), 0, &changes)), proto::NO_NODE);
  proto::SetAclTxn acl;
  acl.set_path("/nope");
  EXPECT_EQ(ErrorCodeOf(tree.SetAcl(acl, &changes)), proto::NO_NODE);
  EXPECT_TRUE(changes.events.empty());
  EXPECT_EQ(tree.digest(), DataTree().digest());
}

TEST(DataTree, DeleteNode_PzxidOnlyMovesForward) {
  DataTree tree;
  ChangeSet changes;
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/a", 1), Zxid::FromRaw(10), 0, &changes).ok());
  ASSERT_TRUE(tree.DeleteNode("/a", Zxid::FromRaw(7), &changes).ok());  // older zxid (replay)
  EXPECT_EQ(tree.Find("/")->stat.pzxid, 10);
  EXPECT_EQ(tree.Find("/")->stat.cversion, 1);  // stored: creates only
}

TEST(DataTree, Digest_DependsOnContentNotHistoryOfOtherTrees) {
  DataTree a;
  DataTree b;
  ChangeSet changes;
  ASSERT_TRUE(a.CreateNode(CreateTxn("/x", 1), Zxid::FromRaw(1), 10, &changes).ok());
  EXPECT_NE(a.digest(), b.digest());
  ASSERT_TRUE(b.CreateNode(CreateTxn("/x", 1), Zxid::FromRaw(1), 10, &changes).ok());
  EXPECT_EQ(a.digest(), b.digest());
  proto::SetDataTxn set;
  set.set_path("/x");
  set.set_data("new");
  set.set_version(1);
  ASSERT_TRUE(a.SetData(set, Zxid::FromRaw(2), 20, &changes).ok());
  EXPECT_NE(a.digest(), b.digest());
  ASSERT_TRUE(b.SetData(set, Zxid::FromRaw(2), 20, &changes).ok());
  EXPECT_EQ(a.digest(), b.digest());
  // Same txn at a different zxid gives a different tree and digest.
  DataTree c;
  ASSERT_TRUE(c.CreateNode(CreateTxn("/x", 1), Zxid::FromRaw(9), 10, &changes).ok());
  EXPECT_NE(c.digest(), DataTree().digest());
  ASSERT_TRUE(c.SetData(set, Zxid::FromRaw(2), 20, &changes).ok());
  EXPECT_NE(c.digest(), a.digest());
}

TEST(DataTree, Ephemerals_IndexedBySessionAndRemovedOnDelete) {
  DataTree tree;
  ChangeSet changes;
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/e2", 1, 42), Zxid::FromRaw(1), 0, &changes).ok());
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/e1", 2, 42), Zxid::FromRaw(2), 0, &changes).ok());
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/o", 3, 43), Zxid::FromRaw(3), 0, &changes).ok());
  EXPECT_THAT(tree.EphemeralsOf(42), ElementsAre("/e1", "/e2"));
  EXPECT_THAT(tree.EphemeralsOf(43), ElementsAre("/o"));
  EXPECT_EQ(tree.ephemerals().size(), 2u);
  ASSERT_TRUE(tree.DeleteNode("/o", Zxid::FromRaw(4), &changes).ok());
  EXPECT_TRUE(tree.EphemeralsOf(43).empty());
  EXPECT_FALSE(tree.ephemerals().contains(43));
}

TEST(DataTree, ToRecordLoadNode_RoundTripsNodeAndDigest) {
  DataTree src;
  ChangeSet changes;
  proto::CreateTxn txn = CreateTxn("/a", 1, 77);
  txn.set_ttl_ms(0);
  ASSERT_TRUE(src.CreateNode(CreateTxn("/p", 1), Zxid::FromRaw(1), 11, &changes).ok());
  proto::CreateTxn child = CreateTxn("/p/c", 1);
  child.set_container(true);
  child.clear_acl();
  *child.add_acl() = testing::MakeAcl(3, "digest", "u:x");
  ASSERT_TRUE(src.CreateNode(child, Zxid::FromRaw(2), 12, &changes).ok());
  ASSERT_TRUE(src.CreateNode(txn, Zxid::FromRaw(3), 13, &changes).ok());

  DataTree dst;
  src.ForEach([&](const std::string& path, const Znode& node) {
    ASSERT_TRUE(dst.LoadNode(path, src.ToRecord(node)).ok()) << path;
  });
  EXPECT_EQ(dst.node_count(), src.node_count());
  EXPECT_EQ(dst.digest(), src.digest());
  EXPECT_THAT(dst.EphemeralsOf(77), ElementsAre("/a"));
  EXPECT_TRUE(dst.Find("/p/c")->container);
  EXPECT_EQ(dst.acls().Get(dst.Find("/p/c")->acl_id)[0].id().id(), "u:x");
  EXPECT_EQ(Reported(dst, "/p").SerializeAsString(), Reported(src, "/p").SerializeAsString());
}

TEST(DataTree, LoadNode_WithoutParent_IsDataLoss) {
  DataTree tree;
  proto::ZnodeRecord record;
  absl::Status s = tree.LoadNode("/x/y", record);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(tree.LoadNode("bad", record).ok());
}

TEST(DataTree, ForEach_VisitsParentsBeforeChildren) {
  DataTree tree;
  ChangeSet changes;
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/a", 1), Zxid::FromRaw(1), 0, &changes).ok());
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/a-b", 2), Zxid::FromRaw(2), 0, &changes).ok());
  ASSERT_TRUE(tree.CreateNode(CreateTxn("/a/b", 1), Zxid::FromRaw(3), 0, &changes).ok());
  std::vector<std::string> seen;
  tree.ForEach([&](const std::string& path, const Znode&) { seen.push_back(path); });
  ASSERT_EQ(seen.size(), tree.node_count());
  for (size_t i = 0; i < seen.size(); ++i) {
    if (seen[i] == "/") continue;
    std::string parent(ParentPath(seen[i]));
    auto it = std::find(seen.begin(), seen.begin() + i, parent);
    EXPECT_NE(it, seen.begin() + i) << seen[i] << " before its parent " << parent;
  }
}

// Deliberate difference: ZooKeeper returns children in HashSet order (observed
// §9: "aa zz a b B c 9 10 _ a0"); zabkeeper keeps and returns them sorted.
TEST(DataTree, Children_AreKeptSortedBytewise) {
  testing::TreeHarness h;
  h.MustWrite(testing::Create("/o"));
  for (const char* n : {"b", "a", "c", "10", "9", "aa", "B", "_", "zz", "a0"}) {
    h.MustWrite(testing::Create(std::string("/o/") + n));
  }
  EXPECT_THAT(h.Find("/o")->children,
              ElementsAre("10", "9", "B", "_", "a", "a0", "aa", "b", "c", "zz"));
  proto::Stat s = h.StatOf("/o");
  EXPECT_EQ(s.cversion(), 10);
  EXPECT_EQ(s.num_children(), 10);
  EXPECT_EQ(s.pzxid(), h.last_zxid());
  EXPECT_EQ(s.mzxid(), s.czxid());
}

TEST(AclTable, Intern_SharesIdsAndEmptyIsOpen) {
  AclTable table;
  google::protobuf::RepeatedPtrField<proto::Acl> read;
  *read.Add() = testing::MakeAcl(1, "world", "anyone");
  const uint32_t id = table.Intern(read);
  EXPECT_NE(id, AclTable::kOpenAclId);
  EXPECT_EQ(table.Intern(read), id);
  EXPECT_EQ(table.Intern(OpenAcl()), AclTable::kOpenAclId);
  EXPECT_EQ(table.Intern({}), AclTable::kOpenAclId);
  google::protobuf::RepeatedPtrField<proto::Acl> out;
  table.CopyTo(id, &out);
  ASSERT_EQ(out.size(), 1);
  EXPECT_EQ(out[0].perms(), 1);
}

}  // namespace
}  // namespace zabkeeper::server
