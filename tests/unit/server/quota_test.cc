// Quotas (ZooKeeper 3.7/3.8): the server keeps /zookeeper/quota/<P>/
// zookeeper_stats equal to the count and bytes of P's subtree as txns apply
// (DataTree.updateCountBytes), logs soft limits, and with enforceQuota refuses
// writes past a hard limit with QUOTA_EXCEEDED (PrepRequestProcessor.checkQuota).
#include "server/quota.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config.h"
#include "tests/unit/server/tree_harness.h"

namespace zabkeeper::server {
namespace {

using testing::Create;
using testing::Delete;
using ::testing::HasSubstr;
using testing::Multi;
using testing::OpCreate;
using testing::OpSetData;
using testing::SetData;
using testing::TreeHarness;

PreparerLimits Enforcing() {
  PreparerLimits limits;
  limits.enforce_quota = true;
  return limits;
}

// What zkCli's setquota does with plain writes: the parents under
// /zookeeper/quota, the limits node, then a stats node the server fills.
void SetQuota(TreeHarness& h, const std::string& limits) {
  h.MustWrite(Create("/zookeeper/quota/a"));
  h.MustWrite(Create("/zookeeper/quota/a/zookeeper_limits", limits));
  h.MustWrite(Create("/zookeeper/quota/a/zookeeper_stats", "count=0,bytes=0"));
}

std::string Stats(const TreeHarness& h) {
  const Znode* node = h.Find("/zookeeper/quota/a/zookeeper_stats");
  return node == nullptr ? "<none>" : node->data;
}

TEST(StatsTrack, ParsesLimitsInAnyOrderAndDefaultsToMinusOne) {
  StatsTrack st = ParseStatsTrack("count=-1,bytes=-1,byteHardLimit=100,countHardLimit=10");
  EXPECT_EQ(st.count, -1);
  EXPECT_EQ(st.bytes, -1);
  EXPECT_EQ(st.count_hard, 10);
  EXPECT_EQ(st.bytes_hard, 100);
  StatsTrack old = ParseStatsTrack("count=5,bytes=7,junk,x=");
  EXPECT_EQ(old.count, 5);
  EXPECT_EQ(old.bytes, 7);
  EXPECT_EQ(old.count_hard, -1);
  EXPECT_EQ(QuotaLimitPath("/a/b"), "/zookeeper/quota/a/b/zookeeper_limits");
  EXPECT_EQ(QuotaStatPath("/a"), "/zookeeper/quota/a/zookeeper_stats");
}

TEST(Quota, StatsNode_FilledFromExistingSubtreeIncludingTheQuotaRoot) {
  TreeHarness h;
  h.MustWrite(Create("/a", "xy"));
  h.MustWrite(Create("/a/b", "123"));
  h.MustWrite(Create("/ab", "zzzz"));  // a sibling with a shared prefix is not in the subtree
  SetQuota(h, "count=10,bytes=-1");
  EXPECT_EQ(Stats(h), "count=2,bytes=5");
  EXPECT_EQ(h.tree().QuotaPathOf("/a/b/c"), "/a");
  EXPECT_EQ(h.tree().QuotaPathOf("/ab"), "");
}

TEST(Quota, Stats_FollowCreateSetDataDelete) {
  TreeHarness h;
  h.MustWrite(Create("/a"));
  SetQuota(h, "count=10,bytes=-1");
  EXPECT_EQ(Stats(h), "count=1,bytes=0");
  const proto::Stat before = h.StatOf("/zookeeper/quota/a/zookeeper_stats");

  h.MustWrite(Create("/a/b", "hello"));
  EXPECT_EQ(Stats(h), "count=2,bytes=5");
  EXPECT_TRUE(h.last_changes().dirty_paths.contains("/zookeeper/quota/a/zookeeper_stats"));
  h.MustWrite(Create("/a/b/c", "x"));
  EXPECT_EQ(Stats(h), "count=3,bytes=6");
  h.MustWrite(SetData("/a/b", "hi"));
  EXPECT_EQ(Stats(h), "count=3,bytes=3");
  h.MustWrite(Delete("/a/b/c"));
  EXPECT_EQ(Stats(h), "count=2,bytes=2");
  h.MustWrite(Create("/ab", "outside"));
  EXPECT_EQ(Stats(h), "count=2,bytes=2");

  // As in ZooKeeper only the data changes: no version bump, no mzxid.
  const proto::Stat after = h.StatOf("/zookeeper/quota/a/zookeeper_stats");
  EXPECT_EQ(after.version(), before.version());
  EXPECT_EQ(after.mzxid(), before.mzxid());
}

TEST(Quota, DeletingLimitsNode_StopsTracking) {
  TreeHarness h;
  h.MustWrite(Create("/a"));
  SetQuota(h, "count=10,bytes=-1");
  h.MustWrite(Delete("/zookeeper/quota/a/zookeeper_limits"));
  h.MustWrite(Create("/a/b", "x"));
  EXPECT_EQ(Stats(h), "count=1,bytes=0");
  EXPECT_EQ(h.tree().QuotaPathOf("/a/b"), "");
}

TEST(Quota, SoftLimit_ExceededStillSucceeds) {
  TreeHarness h(Enforcing());
  h.MustWrite(Create("/a"));
  SetQuota(h, "count=2,bytes=3,byteHardLimit=-1,countHardLimit=-1");
  h.MustWrite(Create("/a/b", "1234"));
  h.MustWrite(Create("/a/c"));
  EXPECT_EQ(Stats(h), "count=3,bytes=4");
}

TEST(Quota, HardCountLimit_RefusedOnlyWhenEnforced) {
  for (bool enforce : {false, true}) {
    PreparerLimits limits;
    limits.enforce_quota = enforce;
    TreeHarness h(limits);
    h.MustWrite(Create("/a"));
    SetQuota(h, "count=-1,bytes=-1,byteHardLimit=-1,countHardLimit=2");
    h.MustWrite(Create("/a/b"));
    ApplyResult r = h.Write(Create("/a/c"));
    if (enforce) {
      EXPECT_EQ(r.err, proto::QUOTA_EXCEEDED);
      EXPECT_THAT(r.error_detail, HasSubstr("/a"));
      EXPECT_FALSE(h.Exists("/a/c"));
      EXPECT_EQ(Stats(h), "count=2,bytes=0");
      // Deletes are never refused, and make room.
      h.MustWrite(Delete("/a/b"));
      h.MustWrite(Create("/a/c"));
    } else {
      EXPECT_EQ(r.err, proto::OK);
      EXPECT_EQ(Stats(h), "count=3,bytes=0");
    }
  }
}

TEST(Quota, HardByteLimit_RefusesCreateAndGrowingSetData) {
  TreeHarness h(Enforcing());
  h.MustWrite(Create("/a", "12"));
  SetQuota(h, "count=-1,bytes=-1,byteHardLimit=5,countHardLimit=-1");
  EXPECT_EQ(h.Write(Create("/a/b", "1234")).err, proto::QUOTA_EXCEEDED);
  h.MustWrite(Create("/a/b", "123"));
  EXPECT_EQ(h.Write(SetData("/a/b", "1234")).err, proto::QUOTA_EXCEEDED);
  EXPECT_EQ(h.Find("/a/b")->data, "123");
  h.MustWrite(SetData("/a/b", "1"));
  h.MustWrite(SetData("/a", "1234"));
  EXPECT_EQ(Stats(h), "count=2,bytes=5");
  // Empty nodes change no bytes, so the byte limit does not apply to them.
  h.MustWrite(Create("/a/c"));
}

TEST(Quota, HardLimit_InsideMulti_NothingApplied) {
  TreeHarness h(Enforcing());
  h.MustWrite(Create("/a"));
  SetQuota(h, "count=-1,bytes=-1,byteHardLimit=-1,countHardLimit=3");
  const uint64_t digest = h.tree().digest();
  ApplyResult r = h.Write(Multi({OpCreate("/a/x"), OpCreate("/a/y"), OpCreate("/a/z")}));
  EXPECT_EQ(r.err, proto::QUOTA_EXCEEDED);
  ASSERT_EQ(r.multi.size(), 3u);
  EXPECT_EQ(r.multi[0].err(), proto::OK);
  EXPECT_EQ(r.multi[1].err(), proto::OK);
  EXPECT_EQ(r.multi[2].err(), proto::QUOTA_EXCEEDED);
  EXPECT_FALSE(h.Exists("/a/x"));
  EXPECT_EQ(h.tree().digest(), digest);
  EXPECT_EQ(Stats(h), "count=1,bytes=0");
  // The failed multi left nothing pending: two creates still fit.
  EXPECT_EQ(h.Write(Multi({OpCreate("/a/x"), OpSetData("/a/x", "d")})).err, proto::OK);
  h.MustWrite(Create("/a/y"));
  EXPECT_EQ(Stats(h), "count=3,bytes=1");
}

TEST(Quota, HardLimit_CountsPreparedButUnappliedWrites) {
  TreeHarness h(Enforcing());
  h.MustWrite(Create("/a"));
  SetQuota(h, "count=-1,bytes=-1,byteHardLimit=-1,countHardLimit=2");
  TreeHarness::Prepared first = h.Prepare(testing::kSession, Create("/a/b"));
  TreeHarness::Prepared second = h.Prepare(testing::kSession, Create("/a/c"));
  EXPECT_EQ(first.txn.body_case(), proto::Txn::kCreate);
  ASSERT_EQ(second.txn.body_case(), proto::Txn::kError);
  EXPECT_EQ(second.txn.error().err(), proto::QUOTA_EXCEEDED);
  h.Apply(first);
  h.Apply(second);
  EXPECT_EQ(Stats(h), "count=2,bytes=0");
}

TEST(Quota, ReloadedTree_SameDigestAndKeepsTracking) {
  TreeHarness h;
  h.MustWrite(Create("/a", "abc"));
  SetQuota(h, "count=5,bytes=-1");
  h.MustWrite(Create("/a/b", "de"));

  DataTree loaded;
  h.tree().ForEach([&](const std::string& path, const Znode& node) {
    ASSERT_TRUE(loaded.LoadNode(path, h.tree().ToRecord(node)).ok()) << path;
  });
  EXPECT_EQ(loaded.digest(), h.tree().digest());
  EXPECT_EQ(loaded.Find("/zookeeper/quota/a/zookeeper_stats")->data, "count=2,bytes=5");
  EXPECT_EQ(loaded.QuotaPathOf("/a/b"), "/a");

  ChangeSet changes;
  proto::CreateTxn txn;
  txn.set_path("/a/c");
  txn.set_data("f");
  ASSERT_TRUE(loaded.CreateNode(txn, Zxid::FromRaw(100), 1, &changes).ok());
  EXPECT_EQ(loaded.Find("/zookeeper/quota/a/zookeeper_stats")->data, "count=3,bytes=6");
}

TEST(Quota, Config_EnforceQuotaKeyAndAlias) {
  const std::string base = "dataDir=/tmp/x\nclientPort=2181\n";
  absl::StatusOr<ServerConfig> c = ParseConfig(base);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->enforce_quota);
  c = ParseConfig(base + "enforceQuota=true\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->enforce_quota);
  c = ParseConfig(base + "zookeeper.enforceQuota=true\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->enforce_quota);
}

}  // namespace
}  // namespace zabkeeper::server
