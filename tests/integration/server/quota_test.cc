// Quotas against one real zabkeeper-server process: the server keeps
// /zookeeper/quota/<P>/zookeeper_stats as txns apply, soft limits only log,
// and with enforceQuota=true hard limits refuse writes with QUOTA_EXCEEDED
// (ZooKeeper 3.7+). Stats are persisted: the digest survives a restart.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/admin_get.h"
#include "tests/integration/server/raw_session.h"
#include "tests/integration/server_process.h"

namespace zabkeeper::testing {
namespace {

class QuotaTest : public ::testing::Test {
 protected:
  void StartServer(bool enforce) {
    server_ = std::make_unique<ServerProcess>(
        dir_.path(),
        std::map<std::string, std::string>{{"zookeeper.enforceQuota", enforce ? "true" : "false"}});
    server_->Start();
  }

  nlohmann::json Admin(const std::string& command) {
    return AdminGet(server_->admin_port(), command);
  }

  // What zkCli's setquota writes.
  static void SetQuota(RawSession& s, const std::string& limits) {
    ASSERT_EQ(s.Call(CreateReq("/zookeeper/quota/app", "")).err(), proto::OK);
    ASSERT_EQ(s.Call(CreateReq("/zookeeper/quota/app/zookeeper_limits", limits)).err(), proto::OK);
    ASSERT_EQ(s.Call(CreateReq("/zookeeper/quota/app/zookeeper_stats", "count=0,bytes=0")).err(),
              proto::OK);
  }

  static std::string Stats(RawSession& s) {
    return s.Call(GetReq("/zookeeper/quota/app/zookeeper_stats")).get_data().data();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(QuotaTest, Stats_FollowWrites_AndSurviveRestart) {
  StartServer(false);
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/app", "abc")).err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/app/x", "12")).err(), proto::OK);
  SetQuota(s, "count=3,bytes=-1,byteHardLimit=-1,countHardLimit=-1");
  EXPECT_EQ(Stats(s), "count=2,bytes=5");

  ASSERT_EQ(s.Call(CreateReq("/app/y", "")).err(), proto::OK);
  // Past the soft count limit: logged, still applied.
  ASSERT_EQ(s.Call(CreateReq("/app/z", "4567")).err(), proto::OK);
  EXPECT_EQ(Stats(s), "count=4,bytes=9");
  ASSERT_EQ(s.Call(SetReq("/app/x", "")).err(), proto::OK);
  ASSERT_EQ(s.Call(DeleteReq("/app/y")).err(), proto::OK);
  EXPECT_EQ(Stats(s), "count=3,bytes=7");

  const nlohmann::json before = Admin("hash");
  ASSERT_FALSE(before.is_null());
  EXPECT_EQ(server_->Stop(), 0);
  server_->Start();
  const nlohmann::json after = Admin("hash");
  ASSERT_FALSE(after.is_null());
  EXPECT_EQ(after["digest"], before["digest"]);
  EXPECT_EQ(after["zxid"], before["zxid"]);

  RawSession t(server_->address());
  ASSERT_EQ(t.Connect().err(), proto::OK);
  EXPECT_EQ(Stats(t), "count=3,bytes=7");
  ASSERT_EQ(t.Call(CreateReq("/app/w", "1")).err(), proto::OK);
  EXPECT_EQ(Stats(t), "count=4,bytes=8");
}

TEST_F(QuotaTest, HardLimits_Enforced_QuotaExceededAndNothingApplied) {
  StartServer(true);
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/app", "")).err(), proto::OK);
  SetQuota(s, "count=-1,bytes=-1,byteHardLimit=10,countHardLimit=3");

  ASSERT_EQ(s.Call(CreateReq("/app/a", "12345")).err(), proto::OK);
  proto::Response big = s.Call(SetReq("/app/a", "12345678901"));
  EXPECT_EQ(big.err(), proto::QUOTA_EXCEEDED);
  EXPECT_EQ(s.Call(GetReq("/app/a")).get_data().data(), "12345");

  proto::Request multi;
  *multi.mutable_multi()->add_ops()->mutable_create() = CreateReq("/app/b", "").create();
  *multi.mutable_multi()->add_ops()->mutable_create() = CreateReq("/app/c", "").create();
  proto::Response r = s.Call(multi);
  EXPECT_EQ(r.err(), proto::QUOTA_EXCEEDED);
  ASSERT_EQ(r.multi().results_size(), 2);
  EXPECT_EQ(r.multi().results(0).err(), proto::OK);
  EXPECT_EQ(r.multi().results(1).err(), proto::QUOTA_EXCEEDED);
  EXPECT_EQ(s.Call(ExistsReq("/app/b")).err(), proto::NO_NODE);
  EXPECT_EQ(Stats(s), "count=2,bytes=5");

  ASSERT_EQ(s.Call(CreateReq("/app/b", "")).err(), proto::OK);
  EXPECT_EQ(s.Call(CreateReq("/app/c", "")).err(), proto::QUOTA_EXCEEDED);
  // Outside the quota's subtree nothing is limited.
  EXPECT_EQ(s.Call(CreateReq("/apple", "12345678901")).err(), proto::OK);
  EXPECT_EQ(Stats(s), "count=3,bytes=5");
}

TEST_F(QuotaTest, HardLimits_NotEnforcedByDefault) {
  StartServer(false);
  RawSession s(server_->address());
  ASSERT_EQ(s.Connect().err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/app", "")).err(), proto::OK);
  SetQuota(s, "count=-1,bytes=-1,byteHardLimit=-1,countHardLimit=1");
  EXPECT_EQ(s.Call(CreateReq("/app/a", "")).err(), proto::OK);
  EXPECT_EQ(Stats(s), "count=2,bytes=0");
}

}  // namespace
}  // namespace zabkeeper::testing
