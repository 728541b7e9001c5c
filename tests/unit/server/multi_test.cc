// multi: all-or-nothing at one zxid, per-op results as ZooKeeper 3.8 reports
// them (observed §6): OK before the failing op, its code, RUNTIME_INCONSISTENCY
// after it.
#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/errors.h"
#include "tests/unit/server/tree_harness.h"

namespace zabkeeper::server {
namespace {

using testing::Create;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::kSession;
using testing::Multi;
using testing::OpCheck;
using testing::OpCreate;
using testing::OpDelete;
using testing::OpSetData;
using testing::TreeHarness;

std::vector<proto::ErrorCode> Codes(const ApplyResult& r) {
  std::vector<proto::ErrorCode> out;
  for (const proto::OpResult& op : r.multi) out.push_back(op.err());
  return out;
}

TEST(Multi, AllOk_SharesOneZxid_AndReportsPerOpValues) {
  TreeHarness h;
  h.MustWrite(Create("/z0"));
  ApplyResult r =
      h.Write(Multi({OpCreate("/mu", "d"), OpCreate("/mu/a-", "", proto::PERSISTENT_SEQUENTIAL),
                     OpSetData("/mu", "dd", 0), OpCheck("/mu", 1), OpDelete("/z0", 0)}));
  const int64_t z = h.last_zxid();
  ASSERT_EQ(r.err, proto::OK) << r.error_detail;
  ASSERT_EQ(r.multi.size(), 5u);
  EXPECT_THAT(Codes(r), ElementsAreArray({proto::OK, proto::OK, proto::OK, proto::OK, proto::OK}));
  EXPECT_EQ(r.multi[0].create().path(), "/mu");
  EXPECT_EQ(r.multi[1].create().path(), "/mu/a-0000000000");
  ASSERT_TRUE(r.multi[2].has_set_data());
  const proto::Stat& s = r.multi[2].set_data().stat();
  EXPECT_EQ(s.czxid(), z);
  EXPECT_EQ(s.mzxid(), z);
  EXPECT_EQ(s.pzxid(), z);
  EXPECT_EQ(s.version(), 1);
  EXPECT_EQ(s.cversion(), 1);
  EXPECT_EQ(s.data_length(), 2);
  EXPECT_EQ(s.num_children(), 1);
  EXPECT_EQ(r.multi[3].result_case(), proto::OpResult::kCheck);
  EXPECT_EQ(r.multi[4].result_case(), proto::OpResult::kDelete);
  EXPECT_FALSE(h.Exists("/z0"));
  EXPECT_EQ(h.StatOf("/mu/a-0000000000").czxid(), z);
  EXPECT_EQ(h.StatOf("/").pzxid(), z);
  // One zxid for the whole multi.
  h.MustWrite(Create("/z1"));
  EXPECT_EQ(h.StatOf("/z1").czxid(), z + 1);
}

// Failure at each position of a 4-op multi: codes before are OK, at the
// failing op its code, after it RUNTIME_INCONSISTENCY; nothing applied; one
// zxid consumed.
struct FailCase {
  std::string name;
  std::vector<proto::Op> ops;
  std::vector<proto::ErrorCode> codes;
  proto::ErrorCode overall;
};

// Readable test parameter in gtest output.
void PrintTo(const FailCase& c, std::ostream* os) { *os << c.name; }

std::vector<FailCase> FailCases() {
  const auto OK = proto::OK;
  const auto RI = proto::RUNTIME_INCONSISTENCY;
  return {
      {"FailAt0_NodeExists",
       {OpCreate("/mu"), OpCreate("/mx"), OpSetData("/mu", "e"), OpCreate("/my")},
       {proto::NODE_EXISTS, RI, RI, RI},
       proto::NODE_EXISTS},
      {"FailAt1_NoNode",
       {OpCreate("/my"), OpSetData("/nonexist", "e"), OpCreate("/mz"), OpCreate("/mz2")},
       {OK, proto::NO_NODE, RI, RI},
       proto::NO_NODE},
      {"FailAt2_BadVersion",
       {OpCreate("/mq"), OpCreate("/mr"), OpCheck("/mu", 99), OpCreate("/ms")},
       {OK, OK, proto::BAD_VERSION, RI},
       proto::BAD_VERSION},
      {"FailAt3_NotEmpty_OpsSeeEarlierOps",
       {OpCreate("/mw"), OpCreate("/mw/c"), OpSetData("/mw", "x"), OpDelete("/mw")},
       {OK, OK, OK, proto::NOT_EMPTY},
       proto::NOT_EMPTY},
      {"FailAt0_CheckMissing",
       {OpCheck("/nonexist", -1), OpCreate("/a1"), OpCreate("/a2"), OpCreate("/a3")},
       {proto::NO_NODE, RI, RI, RI},
       proto::NO_NODE},
      {"FailAt1_DeleteBadVersion",
       {OpCreate("/a1"), OpDelete("/mu", 3), OpCreate("/a2"), OpCreate("/a3")},
       {OK, proto::BAD_VERSION, RI, RI},
       proto::BAD_VERSION},
      {"FailAt2_BadPath",
       {OpCreate("/a1"), OpCreate("/a2"), OpCreate("bad"), OpCreate("/a3")},
       {OK, OK, proto::BAD_ARGUMENTS, RI},
       proto::BAD_ARGUMENTS},
      {"FailAt1_UnderEphemeral",
       {OpCreate("/eph", "", proto::EPHEMERAL), OpCreate("/eph/c"), OpCreate("/a2"),
        OpCreate("/a3")},
       {OK, proto::NO_CHILDREN_FOR_EPHEMERALS, RI, RI},
       proto::NO_CHILDREN_FOR_EPHEMERALS},
      {"FailAt0_CheckEmptyPath",
       {OpCheck("", -1), OpCreate("/a1"), OpCreate("/a2"), OpCreate("/a3")},
       {proto::BAD_ARGUMENTS, RI, RI, RI},
       proto::BAD_ARGUMENTS},
      {"FailAt2_DeleteSystemNode",
       {OpCreate("/a1"), OpCreate("/a2"), OpDelete("/zookeeper"), OpCreate("/a3")},
       {OK, OK, proto::BAD_ARGUMENTS, RI},
       proto::BAD_ARGUMENTS},
      {"FailAt3_EmptyOp",
       {OpCreate("/a1"), OpCreate("/a2"), OpCreate("/a3"), proto::Op()},
       {OK, OK, OK, proto::UNIMPLEMENTED},
       proto::UNIMPLEMENTED},
      {"FailAt1_CreateThenCreateSame",
       {OpCreate("/a1"), OpCreate("/a1"), OpCreate("/a2"), OpCreate("/a3")},
       {OK, proto::NODE_EXISTS, RI, RI},
       proto::NODE_EXISTS},
  };
}

class MultiFailure : public ::testing::TestWithParam<FailCase> {};

TEST_P(MultiFailure, Multi_PerOpCodes_NothingApplied_OneZxid) {
  const FailCase& c = GetParam();
  TreeHarness h;
  h.MustWrite(Create("/mu"));
  const uint64_t digest = h.tree().digest();
  const size_t nodes = h.tree().node_count();
  const int64_t z = h.last_zxid() + 1;

  ApplyResult r = h.Write(Multi(c.ops));

  EXPECT_EQ(r.err, c.overall);
  EXPECT_THAT(Codes(r), ElementsAreArray(c.codes));
  for (const proto::OpResult& op : r.multi) {
    EXPECT_EQ(op.result_case(), proto::OpResult::RESULT_NOT_SET) << "failed multi carries values";
  }
  EXPECT_EQ(h.tree().digest(), digest);
  EXPECT_EQ(h.tree().node_count(), nodes);
  EXPECT_EQ(h.preparer().pending_count(), 0u);
  EXPECT_THAT(r.error_detail, HasSubstr("op "));
  h.MustWrite(Create("/probe"));
  EXPECT_EQ(h.StatOf("/probe").czxid(), z + 1);
}

INSTANTIATE_TEST_SUITE_P(Multi, MultiFailure, ::testing::ValuesIn(FailCases()),
                         [](const ::testing::TestParamInfo<FailCase>& info) {
                           return info.param.name;
                         });

TEST(Multi, SingleCheck_MissingIsNoNode_AnyVersionIsOk) {
  TreeHarness h;
  h.MustWrite(Create("/mu"));
  ApplyResult r = h.Write(Multi({OpCheck("/nonexist", -1)}));
  EXPECT_EQ(r.err, proto::NO_NODE);
  EXPECT_THAT(Codes(r), ElementsAreArray({proto::NO_NODE}));
  r = h.Write(Multi({OpCheck("/mu", -1)}));
  EXPECT_EQ(r.err, proto::OK);
  EXPECT_THAT(Codes(r), ElementsAreArray({proto::OK}));
  r = h.Write(Multi({OpCheck("/mu", 0)}));
  EXPECT_EQ(r.err, proto::OK);
  r = h.Write(Multi({OpCheck("/mu", -2)}));
  EXPECT_EQ(r.err, proto::BAD_VERSION);
}

TEST(Multi, Empty_IsOk_AndConsumesAZxid) {
  TreeHarness h;
  h.MustWrite(Create("/z5"));
  const int64_t z5 = h.last_zxid();
  ApplyResult r = h.Write(Multi({}));
  EXPECT_EQ(r.err, proto::OK);
  EXPECT_TRUE(r.multi.empty());
  h.MustWrite(Create("/z6"));
  EXPECT_EQ(h.StatOf("/z6").czxid(), z5 + 2);
}

TEST(Multi, CreateThenDeleteSameNode_LeavesNothing) {
  TreeHarness h;
  ApplyResult r = h.Write(Multi({OpCreate("/tmpn"), OpDelete("/tmpn", -1)}));
  ASSERT_EQ(r.err, proto::OK);
  EXPECT_EQ(r.multi[0].create().path(), "/tmpn");
  EXPECT_FALSE(h.Exists("/tmpn"));
  // The root saw one create and one delete at this zxid.
  proto::Stat root = h.StatOf("/");
  EXPECT_EQ(root.pzxid(), h.last_zxid());
  EXPECT_EQ(root.cversion(), 1);  // stored 1 create, 1 child (/zookeeper)
}

TEST(Multi, TwoSequentialCreates_GetDistinctNames) {
  TreeHarness h;
  h.MustWrite(Create("/s"));
  ApplyResult r = h.Write(Multi({OpCreate("/s/n-", "", proto::PERSISTENT_SEQUENTIAL),
                                 OpCreate("/s/n-", "", proto::PERSISTENT_SEQUENTIAL)}));
  ASSERT_EQ(r.err, proto::OK);
  EXPECT_EQ(r.multi[0].create().path(), "/s/n-0000000000");
  EXPECT_EQ(r.multi[1].create().path(), "/s/n-0000000001");
}

TEST(Multi, Failed_DoesNotAdvanceSequenceCounter) {
  TreeHarness h;
  h.MustWrite(Create("/s"));
  EXPECT_EQ(h.Write(Multi({OpCreate("/s/n-", "", proto::PERSISTENT_SEQUENTIAL),
                           OpCheck("/nonexist", -1)}))
                .err,
            proto::NO_NODE);
  ApplyResult r = h.Write(Create("/s/n-", "", proto::PERSISTENT_SEQUENTIAL));
  EXPECT_EQ(r.path, "/s/n-0000000000");
}

TEST(Multi, Successful_FiresEventsAndDirtiesPaths) {
  TreeHarness h;
  ApplyResult r = h.Write(Multi({OpCreate("/a"), OpSetData("/a", "x")}));
  ASSERT_EQ(r.err, proto::OK);
  const ChangeSet& c = h.last_changes();
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].type, proto::NODE_CREATED);
  EXPECT_EQ(c.events[1].type, proto::NODE_CHILDREN_CHANGED);
  EXPECT_EQ(c.events[1].path, "/");
  EXPECT_EQ(c.events[2].type, proto::NODE_DATA_CHANGED);
  EXPECT_TRUE(c.dirty_paths.contains("/a"));
  EXPECT_TRUE(c.dirty_paths.contains("/"));
}

TEST(Multi, Failed_FiresNoEvents) {
  TreeHarness h;
  ASSERT_NE(h.Write(Multi({OpCreate("/a"), OpDelete("/nonexist")})).err, proto::OK);
  EXPECT_TRUE(h.last_changes().events.empty());
  EXPECT_TRUE(h.last_changes().dirty_paths.empty());
}

TEST(Multi, Txn_FailedIsMultiOfErrorTxns) {
  TreeHarness h;
  TreeHarness::Prepared p =
      h.Prepare(kSession, Multi({OpCreate("/a"), OpDelete("/nonexist"), OpCreate("/b")}));
  ASSERT_EQ(p.txn.body_case(), proto::Txn::kMulti);
  ASSERT_EQ(p.txn.multi().txns_size(), 3);
  for (const proto::Txn& sub : p.txn.multi().txns()) {
    EXPECT_EQ(sub.body_case(), proto::Txn::kError);
  }
  EXPECT_EQ(p.txn.multi().txns(1).error().err(), proto::NO_NODE);
  EXPECT_EQ(h.preparer().pending_count(), 0u);
}

}  // namespace
}  // namespace zabkeeper::server
