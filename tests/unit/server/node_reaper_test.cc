// NodeReaper: which containers and TTL nodes are due, on a fake clock.
#include "server/node_reaper.h"

#include "gtest/gtest.h"
#include "server/state_machine.h"

namespace zabkeeper::server {
namespace {

class NodeReaperTest : public ::testing::Test {
 protected:
  void Create(const std::string& path, int64_t time_ms, bool container = false,
              int64_t ttl_ms = 0) {
    proto::Txn txn;
    txn.set_time_ms(time_ms);
    proto::CreateTxn* c = txn.mutable_create();
    c->set_path(path);
    c->set_container(container);
    c->set_ttl_ms(ttl_ms);
    c->set_parent_cversion(1000 + ++zxid_);
    Apply(txn);
  }
  void Delete(const std::string& path) {
    proto::Txn txn;
    txn.mutable_delete_()->set_path(path);
    Apply(txn);
  }
  void SetData(const std::string& path, int64_t time_ms) {
    proto::Txn txn;
    txn.set_time_ms(time_ms);
    txn.mutable_set_data()->set_path(path);
    txn.mutable_set_data()->set_version(1);
    Apply(txn);
  }
  void Apply(const proto::Txn& txn) {
    ChangeSet changes;
    ApplyResult r = sm_.Apply(Zxid::FromRaw(++zxid_), txn, &changes);
    ASSERT_EQ(r.err, proto::OK) << r.error_detail;
  }
  std::vector<std::string> Due(int64_t now) {
    std::vector<std::string> out;
    for (const ReapCandidate& c : FindReapable(sm_.tree(), now, 100)) out.push_back(c.path);
    return out;
  }

  StateMachine sm_;
  uint64_t zxid_ = 0;
};

TEST_F(NodeReaperTest, Container_NeverHadChildren_IsKept) {
  Create("/c", 0, /*container=*/true);
  EXPECT_TRUE(Due(1'000'000).empty());
}

TEST_F(NodeReaperTest, Container_LastChildDeleted_IsDue) {
  Create("/c", 0, true);
  Create("/c/x", 0);
  EXPECT_TRUE(Due(10).empty()) << "still has a child";
  Delete("/c/x");
  EXPECT_EQ(Due(10), std::vector<std::string>{"/c"});
}

TEST_F(NodeReaperTest, Ttl_DueOnlyAfterTtlSinceLastModification) {
  Create("/t", 1000, false, /*ttl_ms=*/500);
  EXPECT_TRUE(Due(1400).empty());
  EXPECT_EQ(Due(1501), std::vector<std::string>{"/t"});
  SetData("/t", 1400);  // a modification restarts the clock
  EXPECT_TRUE(Due(1800).empty());
  EXPECT_EQ(Due(1901), std::vector<std::string>{"/t"});
}

TEST_F(NodeReaperTest, Ttl_WithChildren_IsKept) {
  Create("/t", 0, false, 100);
  Create("/t/kid", 0);
  EXPECT_TRUE(Due(10'000).empty());
}

TEST_F(NodeReaperTest, CandidateCarriesTheVersionSeen_AndLimitIsHonoured) {
  for (int i = 0; i < 5; ++i) Create("/t" + std::to_string(i), 0, false, 1);
  std::vector<ReapCandidate> due = FindReapable(sm_.tree(), 100, 3);
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].version, 0);
}

TEST_F(NodeReaperTest, DeletedExpirableNode_LeavesTheIndex) {
  Create("/t", 0, false, 1);
  Delete("/t");
  EXPECT_TRUE(sm_.tree().expirable().empty());
  EXPECT_TRUE(Due(100).empty());
}

}  // namespace
}  // namespace zabkeeper::server
