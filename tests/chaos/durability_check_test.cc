#include "tests/chaos/durability_check.h"

#include "gtest/gtest.h"
#include "tests/chaos/test_util.h"

namespace zabkeeper::chaos {
namespace {

using testing::At;
using testing::kLost;
using testing::Write;

Zxid Z(uint32_t counter) { return Zxid(1, counter); }

// x: acknowledged 1@5 then 2@8; a lost write of 3 took effect at 9.
// y: acknowledged 1@6.
const History kHistory = {At(Write(1, "x", 1, 0, 10), 5), At(Write(1, "x", 2, 20, 30), 8),
                          At(Write(2, "y", 1, 0, 10), 6), Write(2, "x", 3, 40, kLost)};

NodeFinalState Node(std::string name, FinalValue x, FinalValue y) {
  return NodeFinalState{std::move(name), {{"x", x}, {"y", y}}};
}

TEST(DurabilityCheckTest, AllNodesHoldTheNewestOrALaterWrite_Accepted) {
  CheckResult r = CheckDurability(
      kHistory, {Node("server.1", {3, Z(9)}, {1, Z(6)}), Node("server.2", {3, Z(9)}, {1, Z(6)}),
                 Node("server.3", {3, Z(9)}, {1, Z(6)})});
  EXPECT_TRUE(r.ok()) << r.Report();
}

TEST(DurabilityCheckTest, OneNodeRolledBackAnAcknowledgedWrite_LostWrite) {
  CheckResult r = CheckDurability(
      kHistory, {Node("server.1", {2, Z(8)}, {1, Z(6)}), Node("server.2", {1, Z(5)}, {1, Z(6)})});
  ASSERT_TRUE(r.Has(AnomalyKind::kLostWrite)) << r.Report();
  EXPECT_EQ(r.Smallest().key, "x");
  EXPECT_EQ(r.Smallest().ops, (std::vector<size_t>{1}));
  EXPECT_NE(r.Report().find("server.2"), std::string::npos) << r.Report();
  EXPECT_TRUE(r.Has(AnomalyKind::kDivergentNodes));
}

TEST(DurabilityCheckTest, OtherValueAtTheAcknowledgedZxid_LostWrite) {
  CheckResult r = CheckDurability(kHistory, {Node("server.1", {7, Z(8)}, {1, Z(6)})});
  EXPECT_TRUE(r.Has(AnomalyKind::kLostWrite)) << r.Report();
}

TEST(DurabilityCheckTest, KeyMissingOnANode_LostWrite) {
  CheckResult r = CheckDurability(kHistory, {NodeFinalState{"server.3", {{"x", {2, Z(8)}}}}});
  ASSERT_TRUE(r.Has(AnomalyKind::kLostWrite)) << r.Report();
  EXPECT_EQ(r.Smallest().key, "y");
}

}  // namespace
}  // namespace zabkeeper::chaos
