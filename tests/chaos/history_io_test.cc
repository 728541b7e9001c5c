#include "tests/chaos/history_io.h"

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/chaos/linearizability.h"
#include "tests/chaos/test_util.h"

namespace zabkeeper::chaos {
namespace {

using testing::At;
using testing::Cas;
using testing::kLost;
using testing::Read;
using testing::Write;

void ExpectSame(const Operation& a, const Operation& b) {
  EXPECT_EQ(a.session, b.session);
  EXPECT_EQ(a.process, b.process);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.expected_version, b.expected_version);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.zxid, b.zxid);
  EXPECT_EQ(a.invoke, b.invoke);
  EXPECT_EQ(a.complete, b.complete);
  EXPECT_EQ(a.result, b.result);
  ASSERT_EQ(a.micro.size(), b.micro.size());
  for (size_t i = 0; i < a.micro.size(); ++i) {
    EXPECT_EQ(a.micro[i].kind, b.micro[i].kind);
    EXPECT_EQ(a.micro[i].key, b.micro[i].key);
    EXPECT_EQ(a.micro[i].element, b.micro[i].element);
    EXPECT_EQ(a.micro[i].list, b.micro[i].list);
  }
}

TEST(HistoryIoTest, EveryFieldRoundTrips) {
  History h = {At(Write(7, "k1", 1000000001, 10, 20), 3, 1),
               Cas(8, "k2", 4, 2000000002, 15, 30, OpResult::kFail),
               Write(9, "k1", 3000000003, 16, kLost), At(Read(7, "k1", 1000000001, 40, 50), 3, 1)};
  h[0].zxid = Zxid::FromRaw(0x1'0000'0003);
  Operation multi = Write(5, "", 0, 60, 70);
  multi.kind = OpKind::kMulti;
  multi.micro = {{MicroOp::Kind::kAppend, "l0", 17, {}},
                 {MicroOp::Kind::kRead, "l1", 0, {3, 1, 2}},
                 {MicroOp::Kind::kRead, "l2", 0, {}}};
  h.push_back(multi);
  for (const Operation& op : h) {
    std::optional<Operation> back = DecodeOp(EncodeOp(op));
    ASSERT_TRUE(back.has_value()) << EncodeOp(op);
    ExpectSame(op, *back);
  }
}

TEST(HistoryIoTest, MalformedLines_Rejected) {
  EXPECT_FALSE(DecodeOp("").has_value());
  EXPECT_FALSE(DecodeOp("final\tk0\t1\t2").has_value());
  std::string line = EncodeOp(Write(1, "k0", 5, 1, 2));
  EXPECT_FALSE(DecodeOp(line.substr(0, line.size() - 2)).has_value());
  std::string bad_kind = line;
  bad_kind.replace(bad_kind.find("write"), 5, "wrote");
  EXPECT_FALSE(DecodeOp(bad_kind).has_value());
}

// A history read back from a file is judged as the original was.
TEST(HistoryIoTest, FileRoundTrip_KeepsTheVerdict) {
  History lost = {Write(1, "x", 1, 0, 10), Write(2, "x", 2, 20, 30), Read(3, "x", 1, 40, 50)};
  const std::string path = ::testing::TempDir() + "/history_io_test.tsv";
  {
    std::ofstream out(path);
    out << "# comment lines are skipped\n";
    for (const Operation& op : lost) out << EncodeOp(op) << "\n";
  }
  History back;
  ASSERT_EQ(ReadHistoryFile(path, back), 3);
  LinearizabilityOptions o;
  o.include_reads = true;
  EXPECT_FALSE(CheckLinearizable(back, o).ok());
  EXPECT_EQ(ReadHistoryFile(path + ".missing", back), -1);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace zabkeeper::chaos
