#include "tests/chaos/list_append.h"

#include <initializer_list>

#include "gtest/gtest.h"
#include "tests/chaos/test_util.h"

namespace zabkeeper::chaos {
namespace {

using testing::kLost;

MicroOp Append(std::string key, int64_t element) {
  return MicroOp{MicroOp::Kind::kAppend, std::move(key), element, {}};
}

MicroOp ReadList(std::string key, std::vector<int64_t> list) {
  return MicroOp{MicroOp::Kind::kRead, std::move(key), 0, std::move(list)};
}

Operation Multi(SessionId s, Time inv, std::optional<Time> comp, std::initializer_list<MicroOp> m,
                OpResult result = OpResult::kOk) {
  Operation op = testing::MakeOp(OpKind::kMulti, s, "", 0, inv, comp);
  op.micro = m;
  op.result = comp ? result : OpResult::kUnknown;
  return op;
}

TEST(ListAppendTest, SerialAppendsAndReads_Accepted) {
  History h = {Multi(1, 0, 10, {Append("x", 1), Append("y", 1)}),
               Multi(2, 20, 30, {Append("x", 2)}),
               Multi(3, 40, 50, {ReadList("x", {1, 2}), ReadList("y", {1})})};
  CheckResult r = CheckListAppend(h);
  EXPECT_TRUE(r.ok()) << r.Report();
}

TEST(ListAppendTest, ConcurrentAndIndeterminateAppends_Accepted) {
  History h = {
      Multi(1, 0, 30, {Append("x", 1)}),
      Multi(2, 5, 25, {Append("x", 2), Append("y", 2)}),  // concurrent: either order
      Multi(3, 10, kLost, {Append("x", 3)}),              // lost, and took effect
      Multi(4, 12, kLost, {Append("x", 4)}),              // lost, never took effect
      Multi(5, 15, 20, {Append("x", 5)}, OpResult::kFail),
      Multi(6, 26, 28, {ReadList("x", {2}), ReadList("y", {2})}),  // stale-free prefix
      Multi(7, 40, 50, {ReadList("x", {2, 1, 3}), ReadList("y", {2})}),
  };
  CheckResult r = CheckListAppend(h);
  EXPECT_TRUE(r.ok()) << r.Report();
}

TEST(ListAppendTest, AcknowledgedAppendMissingFromFinalRead_LostAppend) {
  History h = {Multi(1, 0, 10, {Append("x", 1)}), Multi(1, 12, 18, {Append("x", 2)}),
               Multi(2, 20, 30, {ReadList("x", {2})})};
  CheckResult r = CheckListAppend(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kLostAppend)) << r.Report();
}

TEST(ListAppendTest, ElementTwiceInARead_DuplicateAppend) {
  History h = {Multi(1, 0, 10, {Append("x", 1)}), Multi(2, 20, 30, {ReadList("x", {1, 1})})};
  EXPECT_TRUE(CheckListAppend(h).Has(AnomalyKind::kDuplicateAppend));
}

TEST(ListAppendTest, ReadsDisagreeOnOrder_IncompatibleOrder) {
  History h = {Multi(1, 0, 10, {Append("x", 1)}), Multi(2, 0, 10, {Append("x", 2)}),
               Multi(3, 20, 30, {ReadList("x", {2})}), Multi(3, 40, 50, {ReadList("x", {1, 2})})};
  CheckResult r = CheckListAppend(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kIncompatibleOrder)) << r.Report();
  EXPECT_EQ(r.Smallest().ops, (std::vector<size_t>{3, 2}));
}

TEST(ListAppendTest, ElementOfFailedMulti_AbortedRead) {
  History h = {Multi(1, 0, 10, {Append("x", 1)}, OpResult::kFail),
               Multi(2, 20, 30, {ReadList("x", {1})})};
  EXPECT_TRUE(CheckListAppend(h).Has(AnomalyKind::kAbortedRead));
}

TEST(ListAppendTest, ElementNobodyAppended_GarbageRead) {
  History h = {Multi(2, 20, 30, {ReadList("x", {9})})};
  EXPECT_TRUE(CheckListAppend(h).Has(AnomalyKind::kGarbageRead));
}

TEST(ListAppendTest, EachMultiSeesTheOthersAppend_G1cCycle) {
  // T1 read y after T2's append, T2 read x after T1's append: circular
  // information flow, no serial order explains it.
  History h = {Multi(1, 0, 10, {Append("x", 1), ReadList("y", {2})}),
               Multi(2, 0, 10, {Append("y", 2), ReadList("x", {1})}),
               Multi(3, 20, 30, {ReadList("x", {1}), ReadList("y", {2})})};
  CheckResult r = CheckListAppend(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kCycle)) << r.Report();
  EXPECT_EQ(r.Smallest().ops.size(), 2u);
  EXPECT_NE(r.Report().find("G1c cycle"), std::string::npos) << r.Report();
}

TEST(ListAppendTest, ReadMissesAppendCompletedBeforeIt_RealtimeCycle) {
  // Serializable (read first), but not strictly: the append had completed.
  History h = {Multi(1, 0, 10, {Append("x", 1)}), Multi(2, 20, 30, {ReadList("x", {})}),
               Multi(3, 40, 50, {ReadList("x", {1})})};
  CheckResult r = CheckListAppend(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kCycle)) << r.Report();
  EXPECT_NE(r.Report().find("G-single+realtime"), std::string::npos) << r.Report();
}

TEST(ListAppendTest, WriteCycleAcrossTwoKeys_G0) {
  History h = {Multi(1, 0, 10, {Append("x", 1), Append("y", 1)}),
               Multi(2, 0, 10, {Append("x", 2), Append("y", 2)}),
               Multi(3, 20, 30, {ReadList("x", {1, 2}), ReadList("y", {2, 1})})};
  CheckResult r = CheckListAppend(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kCycle)) << r.Report();
  EXPECT_NE(r.Report().find("G0 cycle"), std::string::npos) << r.Report();
}

}  // namespace
}  // namespace zabkeeper::chaos
