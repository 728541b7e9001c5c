#include "consensus/vote.h"

#include <vector>

#include "gtest/gtest.h"

namespace zab {
namespace {

TEST(Vote_Order, EpochThenZxidThenSid) {
  Vote a{1, Zxid(1, 9), 1};
  Vote b{2, Zxid(1, 1), 2};  // higher epoch wins despite lower zxid
  EXPECT_TRUE(Beats(b, a));
  Vote c{1, Zxid(1, 10), 1};
  EXPECT_TRUE(Beats(c, a));  // same epoch: higher zxid
  Vote d{3, Zxid(1, 9), 1};
  EXPECT_TRUE(Beats(d, a));  // same epoch and zxid: higher sid
  EXPECT_FALSE(Beats(a, a));
}

// ZOOKEEPER-1419: the order must be total and acyclic, or 5 servers can
// chase each other's votes forever.
TEST(Vote_Order, AllTriples_TotalAntisymmetricTransitive) {
  std::vector<Vote> votes;
  for (ServerId s = 1; s <= 3; ++s) {
    for (uint32_t c = 0; c < 3; ++c) {
      for (Epoch e = 0; e < 3; ++e) votes.push_back(Vote{s, Zxid(e % 2, c), e});
    }
  }
  for (const Vote& a : votes) {
    for (const Vote& b : votes) {
      int n = Beats(a, b) + Beats(b, a) + (a == b);
      EXPECT_EQ(n, 1) << a.ToString() << " vs " << b.ToString();
      for (const Vote& c : votes) {
        if (Beats(a, b) && Beats(b, c)) {
          EXPECT_TRUE(Beats(a, c));
        }
      }
    }
  }
}

}  // namespace
}  // namespace zab
