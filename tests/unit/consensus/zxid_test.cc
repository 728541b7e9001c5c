#include "consensus/zxid.h"

#include "gtest/gtest.h"

namespace zab {
namespace {

TEST(Zxid_Parts, EpochAndCounter_RoundTrip) {
  Zxid z(7, 42);
  EXPECT_EQ(z.epoch(), 7u);
  EXPECT_EQ(z.counter(), 42u);
  EXPECT_EQ(z.raw(), (uint64_t{7} << 32) | 42);
  EXPECT_EQ(Zxid::FromRaw(z.raw()), z);
  EXPECT_TRUE(Zxid().IsZero());
}

TEST(Zxid_Format, Hex_MatchesZooKeeper) {
  EXPECT_EQ(Zxid(1, 3).ToString(), "0x100000003");
  EXPECT_EQ(Zxid().ToString(), "0x0");
  EXPECT_EQ(Zxid(0, 0x1f).ToString(), "0x1f");
  EXPECT_EQ(Zxid(0xa, Zxid::kMaxCounter).ToString(), "0xaffffffff");
}

TEST(Zxid_Order, EpochBeforeCounter) {
  EXPECT_LT(Zxid(1, Zxid::kMaxCounter), Zxid(2, 0));
  EXPECT_LT(Zxid(2, 1), Zxid(2, 2));
  EXPECT_EQ(Zxid(3, 4), Zxid::FromRaw((uint64_t{3} << 32) | 4));
}

TEST(Zxid_Order, Max_IsAboveEveryZxid) {
  EXPECT_EQ(Zxid::Max(), Zxid(0xffffffffu, Zxid::kMaxCounter));
  EXPECT_LT(Zxid(0xffffffffu, Zxid::kMaxCounter - 1), Zxid::Max());
}

}  // namespace
}  // namespace zab
