// Losing a minority keeps the ensemble serving; losing the majority stops
// writes promptly (they fail, they do not hang) and service resumes when the
// majority returns, with nothing acknowledged lost.
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/ensemble.h"
#include "tests/integration/server/raw_session.h"
#include "tests/wait_until.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class QuorumLossTest : public ::testing::TestWithParam<int> {};

// A write through a fresh session on `id`; OK or the error seen.
proto::ErrorCode WriteVia(Ensemble& e, int id, const std::string& path,
                          std::chrono::milliseconds timeout) {
  RawSession s(e.node(id).address());
  proto::Request c;
  c.mutable_connect()->set_timeout_ms(5000);
  proto::Response cr = s.Call(std::move(c), timeout);
  if (cr.err() != proto::OK) return cr.err();
  return s.Call(CreateReq(path, "x"), timeout).err();
}

TEST_P(QuorumLossTest, MinorityLost_Serves_MajorityLost_WritesFailThenResume) {
  const int n = GetParam();
  const int minority = (n - 1) / 2;
  TempDir dir;
  Ensemble ensemble(dir.path(), n);
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0);
  std::vector<std::string> acked;
  std::vector<int> alive;
  for (int id = 1; id <= n; ++id) alive.push_back(id);

  // Kill a minority of followers: every remaining server still takes writes.
  std::vector<int> killed;
  for (int id = 1; id <= n && static_cast<int>(killed.size()) < minority; ++id) {
    if (id == leader) continue;
    ensemble.node(id).Kill(SIGKILL);
    killed.push_back(id);
    alive.erase(std::find(alive.begin(), alive.end(), id));
  }
  for (int id : alive) {
    std::string path = "/minority-" + std::to_string(id);
    ASSERT_EQ(WriteVia(ensemble, id, path, 5s), proto::OK) << "node " << id;
    acked.push_back(path);
  }
  EXPECT_EQ(ensemble.State(leader), "leader");

  // An open session on the leader, then one more server goes: no quorum.
  FailoverSession session(ensemble, leader, 5000);
  ASSERT_EQ(session.Open().err(), proto::OK);
  ASSERT_EQ(session.Call(CreateReq("/before-loss", "x")).err(), proto::OK);
  acked.push_back("/before-loss");
  int victim = 0;
  for (int id : alive) {
    if (id != leader) victim = id;
  }
  ensemble.node(victim).Kill(SIGKILL);
  killed.push_back(victim);
  alive.erase(std::find(alive.begin(), alive.end(), victim));

  // Writes now fail, within a bounded time, on every remaining server.
  const Clock::time_point lost = Clock::now();
  proto::Response r = session.Call(CreateReq("/during-loss", "x"), 8s, 2s);
  const auto took = Clock::now() - lost;
  EXPECT_NE(r.err(), proto::OK) << "write acknowledged without a quorum";
  EXPECT_LT(took, 8s) << "write hung instead of failing";
  // Once the remaining servers notice (syncLimit), each refuses.
  for (int id : alive) {
    EXPECT_TRUE(WaitUntil([&] { return ensemble.State(id) == "looking"; }, 20s)) << "node " << id;
  }
  for (int id : alive) {
    const Clock::time_point t0 = Clock::now();
    proto::ErrorCode err = WriteVia(ensemble, id, "/no-quorum-" + std::to_string(id), 3s);
    EXPECT_EQ(err, proto::CONNECTION_LOSS) << "node " << id;
    EXPECT_LT(Clock::now() - t0, 3s) << "node " << id << " did not refuse promptly";
    EXPECT_EQ(ensemble.State(id), "looking") << "node " << id;
  }

  // The majority returns: service resumes through the old session.
  ensemble.node(victim).Start();
  ASSERT_GT(WaitForLeaderAmong(
                ensemble,
                [&] {
                  std::vector<int> v = alive;
                  v.push_back(victim);
                  return v;
                }(),
                static_cast<int>(alive.size()), 20s),
            0);
  alive.push_back(victim);
  proto::Response after;
  WaitUntil(
      [&] {
        after = session.Call(CreateReq("/after-resume", "x"), 3s, 5s);
        return after.err() == proto::OK || after.err() == proto::NODE_EXISTS;
      },
      30s, 200ms);
  ASSERT_TRUE(after.err() == proto::OK || after.err() == proto::NODE_EXISTS)
      << after.error_message();
  acked.push_back("/after-resume");
  for (int id : killed) ensemble.node(id).Start();
  ASSERT_GT(ensemble.WaitForLeader(20s, n - 1), 0);
  ASSERT_TRUE(ensemble.WaitConverged(20s));
  for (int id = 1; id <= n; ++id) {
    RawSession s(ensemble.node(id).address());
    ASSERT_EQ(s.Connect().err(), proto::OK) << "node " << id;
    for (const std::string& p : acked) {
      EXPECT_EQ(s.Call(ExistsReq(p)).err(), proto::OK) << p << " lost on node " << id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, QuorumLossTest, ::testing::Values(3, 5),
                         [](const auto& info) { return std::to_string(info.param) + "Nodes"; });

}  // namespace
}  // namespace zabkeeper::testing
