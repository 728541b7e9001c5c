// Ensembles of real server processes on 127.0.0.1: election, writes through
// every server, convergence of every replica.
#include "tests/integration/ensemble.h"

#include "gtest/gtest.h"
#include "tests/integration/server/raw_session.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;

class EnsembleTest : public ::testing::TestWithParam<int> {};

TEST_P(EnsembleTest, ElectsLeader_WritesThroughEveryServer_ReplicasConverge) {
  TempDir dir;
  Ensemble ensemble(dir.path(), GetParam());
  ensemble.StartAll();
  int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0) << "no leader elected";

  for (int id = 1; id <= ensemble.size(); ++id) {
    RawSession s(ensemble.node(id).address());
    proto::Response c = s.Connect(5000);
    ASSERT_EQ(c.err(), proto::OK) << "node " << id << ": " << c.error_message();
    std::string path = "/from" + std::to_string(id);
    proto::Response r = s.Call(CreateReq(path, "v"));
    ASSERT_EQ(r.err(), proto::OK) << "node " << id << ": " << r.error_message();
    EXPECT_EQ(r.create().path(), path);
    // The writer reads its own write on the server it is attached to.
    EXPECT_EQ(s.Call(GetReq(path)).get_data().data(), "v");
    proto::Response set = s.Call(SetReq(path, "w", 0));
    EXPECT_EQ(set.err(), proto::OK);
    EXPECT_EQ(set.stat().stat().version(), 1);
    proto::Request sync;
    sync.mutable_sync()->set_path("/");
    EXPECT_EQ(s.Call(sync).err(), proto::OK);
  }
  ASSERT_TRUE(ensemble.WaitConverged()) << "replicas differ";
  // Every server sees every write.
  for (int id = 1; id <= ensemble.size(); ++id) {
    RawSession s(ensemble.node(id).address());
    ASSERT_EQ(s.Connect().err(), proto::OK);
    proto::Response root = s.Call(ChildrenReq("/"));
    EXPECT_EQ(root.get_children().children_size(), ensemble.size() + 1) << "node " << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, EnsembleTest, ::testing::Values(3, 5),
                         [](const auto& info) { return std::to_string(info.param) + "Nodes"; });

}  // namespace
}  // namespace zabkeeper::testing
