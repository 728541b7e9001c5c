#include "tests/chaos/linearizability.h"

#include <random>

#include "gtest/gtest.h"
#include "tests/chaos/test_util.h"

namespace zabkeeper::chaos {
namespace {

using testing::Cas;
using testing::kLost;
using testing::Read;
using testing::Ver;
using testing::Write;

LinearizabilityOptions WithReads() {
  LinearizabilityOptions o;
  o.include_reads = true;
  return o;
}

TEST(LinearizabilityTest, SequentialWritesAndReads_Accepted) {
  History h = {Write(1, "x", 1, 0, 10), Read(2, "x", 1, 20, 30), Write(1, "x", 2, 40, 50),
               Read(2, "x", 2, 60, 70)};
  EXPECT_TRUE(CheckLinearizable(h, WithReads()).ok());
}

TEST(LinearizabilityTest, ConcurrentWrites_EitherOrderAccepted) {
  // Both writes overlap; reads see 2 then 1, so 2 was linearized first.
  History h = {Ver(Write(1, "x", 1, 0, 50), 2), Ver(Write(2, "x", 2, 10, 40), 1),
               Read(3, "x", 1, 60, 70)};
  EXPECT_TRUE(CheckLinearizable(h, WithReads()).ok()) << CheckLinearizable(h, WithReads()).Report();
}

TEST(LinearizabilityTest, IndeterminateWriteThatHappened_Accepted) {
  History h = {Write(1, "x", 1, 0, kLost), Read(2, "x", 1, 100, 110)};
  EXPECT_TRUE(CheckLinearizable(h, WithReads()).ok());
}

TEST(LinearizabilityTest, IndeterminateWriteThatDidNotHappen_Accepted) {
  History h = {Write(1, "x", 1, 0, kLost), Read(2, "x", 0, 100, 110), Write(2, "x", 2, 120, 130),
               Read(2, "x", 2, 140, 150)};
  EXPECT_TRUE(CheckLinearizable(h, WithReads()).ok());
}

TEST(LinearizabilityTest, IndeterminateCasThatHappened_ImpliedByLaterCas_Accepted) {
  // The lost CAS 0->1 must have happened for the later CAS expecting 1 to succeed.
  History h = {Cas(1, "x", 0, 7, 0, kLost), Cas(2, "x", 1, 8, 100, 110), Read(2, "x", 8, 120, 130)};
  EXPECT_TRUE(CheckLinearizable(h, WithReads()).ok());
}

TEST(LinearizabilityTest, ConcurrentCasOneWinsOneGetsBadVersion_Accepted) {
  History h = {Cas(1, "x", 0, 1, 0, 20), Cas(2, "x", 0, 2, 5, 25, OpResult::kFail)};
  EXPECT_TRUE(CheckLinearizable(h).ok());
}

TEST(LinearizabilityTest, StaleFollowerRead_IgnoredByDefault_RejectedWithReads) {
  // ZooKeeper allows this stale read; only the read-inclusive mode rejects it.
  History h = {Write(1, "x", 1, 0, 10), Read(2, "x", 0, 20, 30)};
  EXPECT_TRUE(CheckLinearizable(h).ok());
  CheckResult r = CheckLinearizable(h, WithReads());
  EXPECT_TRUE(r.Has(AnomalyKind::kNotLinearizable)) << r.Report();
}

TEST(LinearizabilityTest, WriteOrderAgainstRealTime_Rejected) {
  // The first write completed before the second began, yet the versions say the
  // second was applied first.
  History h = {Ver(Write(1, "x", 1, 0, 10), 2), Ver(Write(2, "x", 2, 20, 30), 1)};
  CheckResult r = CheckLinearizable(h);
  ASSERT_TRUE(r.Has(AnomalyKind::kNotLinearizable));
  EXPECT_NE(r.Report().find("cannot place #0"), std::string::npos) << r.Report();
}

TEST(LinearizabilityTest, CasSucceedsOnVersionAlreadyOverwritten_Rejected) {
  History h = {Write(1, "x", 1, 0, 10), Cas(2, "x", 0, 5, 20, 30)};
  EXPECT_TRUE(CheckLinearizable(h).Has(AnomalyKind::kNotLinearizable));
}

TEST(LinearizabilityTest, TwoConcurrentCasBothWin_Rejected) {
  History h = {Cas(1, "x", 0, 1, 0, 20), Cas(2, "x", 0, 2, 5, 25)};
  EXPECT_TRUE(CheckLinearizable(h).Has(AnomalyKind::kNotLinearizable));
}

TEST(LinearizabilityTest, BadVersionWhenVersionMatched_Rejected) {
  History h = {Cas(1, "x", 0, 1, 0, 10, OpResult::kFail)};
  EXPECT_TRUE(CheckLinearizable(h).Has(AnomalyKind::kNotLinearizable));
}

TEST(LinearizabilityTest, LostAcknowledgedWrite_RejectedWithReads) {
  History h = {Write(1, "x", 1, 0, 10), Write(1, "x", 2, 20, 30), Read(2, "x", 1, 40, 50)};
  CheckResult r = CheckLinearizable(h, WithReads());
  ASSERT_TRUE(r.Has(AnomalyKind::kNotLinearizable));
  EXPECT_EQ(r.Smallest().key, "x");
}

TEST(LinearizabilityTest, KeysAreIndependent_OnlyTheBadKeyReported) {
  History h = {Write(1, "a", 1, 0, 10), Read(2, "a", 1, 20, 30), Write(1, "b", 1, 0, 10),
               Read(2, "b", 0, 20, 30)};
  CheckResult r = CheckLinearizable(h, WithReads());
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].key, "b");
}

TEST(LinearizabilityTest, TinyBudget_ReportedAsInconclusiveNotAccepted) {
  History h;
  for (int i = 0; i < 12; ++i) h.push_back(Write(i, "x", i + 1, 0, 100));
  h.push_back(Read(99, "x", 1000, 200, 210));
  LinearizabilityOptions o = WithReads();
  o.max_steps_per_key = 10;
  EXPECT_TRUE(CheckLinearizable(h, o).Has(AnomalyKind::kSearchBudgetExhausted));
}

// A register run sequentially (op i takes effect at time 100*i), then every op
// widened to a random interval around its effect point: overlapping, still
// linearizable by construction. Some writes are indeterminate, applied or not.
History RandomLinearizableHistory(uint64_t seed, int ops) {
  std::mt19937_64 rng(seed);
  History h;
  int64_t value = 0;
  int32_t version = 0;
  int64_t next_value = 1;
  for (int i = 0; i < ops; ++i) {
    const Time at = 100 * static_cast<Time>(i);
    const Time invoke = at - static_cast<Time>(rng() % 150);
    const Time complete = at + static_cast<Time>(rng() % 150);
    const SessionId s = static_cast<SessionId>(rng() % 4);
    const int kind = static_cast<int>(rng() % 10);
    const bool lost = rng() % 10 == 0;
    const bool applied = rng() % 2 == 0;
    if (kind < 4) {
      Operation op = Write(s, "x", next_value++, invoke, lost ? kLost : std::optional(complete));
      if (!lost || applied) {
        value = op.value;
        ++version;
      }
      if (!lost) op.version = version;
      h.push_back(op);
    } else if (kind < 6) {
      const int32_t expected = rng() % 2 == 0 ? version : version - 1;
      const bool wins = expected == version;
      Operation op =
          Cas(s, "x", expected, next_value++, invoke, lost ? kLost : std::optional(complete),
              wins ? OpResult::kOk : OpResult::kFail);
      if (wins && (!lost || applied)) {
        value = op.value;
        ++version;
        if (!lost) op.version = version;
      }
      h.push_back(op);
    } else {
      Operation op = Read(s, "x", value, invoke, complete);
      op.version = version;
      h.push_back(op);
    }
  }
  return h;
}

TEST(LinearizabilityTest, RandomOverlappingHistories_AcceptedThenRejectedWhenCorrupted) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    History h = RandomLinearizableHistory(seed, 80);
    CheckResult valid = CheckLinearizable(h, WithReads());
    ASSERT_TRUE(valid.ok()) << valid.Report();

    std::mt19937_64 rng(seed * 7919);
    std::vector<size_t> reads, writes;
    for (size_t i = 0; i < h.size(); ++i) {
      if (h[i].kind == OpKind::kRead) reads.push_back(i);
      if (h[i].kind != OpKind::kRead && h[i].ok()) writes.push_back(i);
    }
    ASSERT_FALSE(reads.empty());
    ASSERT_FALSE(writes.empty());

    History bad_read = h;  // a value nobody wrote
    bad_read[reads[rng() % reads.size()]].value = -1;
    EXPECT_TRUE(CheckLinearizable(bad_read, WithReads()).Has(AnomalyKind::kNotLinearizable));

    History bad_write = h;  // a version no run of this history can produce
    bad_write[writes[rng() % writes.size()]].version = 100000;
    EXPECT_TRUE(CheckLinearizable(bad_write).Has(AnomalyKind::kNotLinearizable));
  }
}

// A pile of lost blind writes (as after a stall and a power cut): a later
// CAS needs exactly 20 of them to have happened. Which 20 does not matter,
// and the search must not try every subset: a small budget suffices.
TEST(LinearizabilityTest, ManyLostWritesOnlyCountedNotEnumerated_AcceptedWithinSmallBudget) {
  History h;
  for (int i = 0; i < 60; ++i) h.push_back(Write(1, "x", 100 + i, 10 + i, kLost));
  h.push_back(Ver(Cas(2, "x", 20, 7, 1000, 1010), 21));
  h.push_back(Ver(Write(2, "x", 8, 1020, 1030), 22));
  LinearizabilityOptions small;
  small.max_steps_per_key = 20'000;
  const CheckResult r = CheckLinearizable(h, small);
  EXPECT_TRUE(r.ok()) << r.Report();
}

// Lost CASes, each expecting another version (as after a power cut, every
// worker's CAS pending): only those whose expected version is current can
// have happened, one per version, and the checker must not try the rest.
TEST(LinearizabilityTest, LostCasesWithManyExpectedVersions_AcceptedWithinSmallBudget) {
  History h;
  for (int i = 0; i < 60; ++i) h.push_back(Cas(1, "x", i % 30, 100 + i, 10 + i, kLost));
  h.push_back(Ver(Cas(2, "x", 25, 7, 1000, 1010), 26));  // needs versions 0..24 taken
  LinearizabilityOptions small;
  small.max_steps_per_key = 20'000;
  const CheckResult r = CheckLinearizable(h, small);
  EXPECT_TRUE(r.ok()) << r.Report();
  // Lost CASes expecting 10..39 cannot lift the version from 0 to 10.
  History gap;
  for (int i = 0; i < 30; ++i) gap.push_back(Cas(1, "x", 10 + i, 100 + i, 10 + i, kLost));
  gap.push_back(Ver(Cas(2, "x", 12, 7, 1000, 1010), 13));
  EXPECT_TRUE(CheckLinearizable(gap, small).Has(AnomalyKind::kNotLinearizable));
}

// The same pile cannot excuse a CAS that came before any of it: the
// reduction drops only choices that are alike, never a real conflict.
TEST(LinearizabilityTest, LostWritesInvokedLaterCannotExplainAnEarlierCas_Rejected) {
  History h;
  h.push_back(Ver(Write(1, "x", 1, 0, 10), 1));
  h.push_back(Ver(Cas(2, "x", 5, 7, 20, 30), 6));  // needs 4 more writes before t=30
  for (int i = 0; i < 60; ++i) h.push_back(Write(1, "x", 100 + i, 40 + i, kLost));
  LinearizabilityOptions small;
  small.max_steps_per_key = 20'000;
  EXPECT_TRUE(CheckLinearizable(h, small).Has(AnomalyKind::kNotLinearizable));
}

// A lost write whose value a read saw is not like the others: it is the one
// that must be placed before that read.
TEST(LinearizabilityTest, LostWriteThatWasReadIsPlacedItself_Accepted) {
  History h;
  for (int i = 0; i < 30; ++i) h.push_back(Write(1, "x", 100 + i, 10 + i, kLost));
  h.push_back(Read(2, "x", 125, 500, 510));
  h.push_back(Read(2, "x", 125, 520, 530));
  EXPECT_TRUE(CheckLinearizable(h, WithReads()).ok());
  // 103 read after 125: its lost write took effect between them. Each write
  // that was read is placed as itself, never stood in for by another.
  h.push_back(Read(2, "x", 103, 540, 550));
  EXPECT_TRUE(CheckLinearizable(h, WithReads()).ok()) << CheckLinearizable(h, WithReads()).Report();
  h.push_back(Read(2, "x", 125, 560, 570));  // 125 again: written once, cannot come back
  EXPECT_TRUE(CheckLinearizable(h, WithReads()).Has(AnomalyKind::kNotLinearizable));
}

}  // namespace
}  // namespace zabkeeper::chaos
