// Recipes against the in-process fake server.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/recipes/barrier.h"
#include "client/recipes/config_watch.h"
#include "client/recipes/leader_election.h"
#include "client/recipes/lock.h"
#include "client/recipes/queue.h"
#include "gtest/gtest.h"
#include "tests/unit/client/fake_server.h"
#include "tests/unit/client/test_util.h"

namespace zk::recipes {
namespace {

using zk::testing::FakeZkServer;
using zk::testing::Recorder;

std::unique_ptr<ZkClient> Connect(const FakeZkServer& server) {
  auto c = ZkClient::Connect(server.connect_string(), absl::Seconds(5));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

TEST(LockRecipe, TwoHolders_NeverOverlap_TokensIncrease) {
  FakeZkServer server;
  auto a = Connect(server), b = Connect(server);
  std::atomic<int> inside{0};
  std::atomic<int64_t> last_token{0};
  std::atomic<bool> overlap{false}, backwards{false};
  auto worker = [&](ZkClient* c) {
    Lock lock(c, "/locks/x");
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(lock.Acquire(absl::Seconds(10)).ok());
      if (inside.fetch_add(1) != 0) overlap = true;
      if (lock.fencing_token() <= last_token.exchange(lock.fencing_token())) backwards = true;
      inside.fetch_sub(1);
      ASSERT_TRUE(lock.Release().ok());
    }
  };
  std::thread ta(worker, a.get()), tb(worker, b.get());
  ta.join();
  tb.join();
  EXPECT_FALSE(overlap);
  EXPECT_FALSE(backwards);
}

TEST(LockRecipe, TryAcquire_Held_TimesOutAndCleansUp_Reentrant) {
  FakeZkServer server;
  auto a = Connect(server), b = Connect(server);
  Lock la(a.get(), "/l"), lb(b.get(), "/l");
  ASSERT_TRUE(la.Acquire().ok());
  ASSERT_TRUE(la.Acquire().ok());  // reentrant
  EXPECT_FALSE(lb.TryAcquire(absl::Milliseconds(200)));
  EXPECT_EQ(a->GetChildren("/l")->children.size(), 1u);  // the loser's node is gone
  ASSERT_TRUE(la.Release().ok());
  EXPECT_TRUE(la.held());
  ASSERT_TRUE(la.Release().ok());
  EXPECT_TRUE(lb.TryAcquire(absl::Seconds(5)));
}

TEST(LockRecipe, SessionSuspended_HolderIsTold) {
  FakeZkServer server;
  auto a = Connect(server);
  Recorder<LockEvent> events;
  Lock lock(a.get(), "/l", [&](LockEvent e) { events.Add(e); });
  ASSERT_TRUE(lock.Acquire().ok());
  server.Stop();
  ASSERT_TRUE(events.WaitCount(1));
  EXPECT_EQ(events.items()[0], LockEvent::kMayHaveLost);
  server.Restart();
  ASSERT_TRUE(events.WaitCount(2));
  EXPECT_EQ(events.items()[1], LockEvent::kStillHeld);
  server.ExpireSession(a->session_id());
  ASSERT_TRUE(events.WaitFor([](auto& v) { return v.back() == LockEvent::kLost; }));
  EXPECT_FALSE(lock.held());
}

TEST(ReadWriteLockRecipe, ReadersShare_WriterExcludes_QueuedWriterBlocksNewReaders) {
  FakeZkServer server;
  auto c1 = Connect(server), c2 = Connect(server), c3 = Connect(server), c4 = Connect(server);
  ReadWriteLock r1(c1.get(), "/rw"), r2(c2.get(), "/rw"), w(c3.get(), "/rw"), r3(c4.get(), "/rw");
  ASSERT_TRUE(r1.read_lock().Acquire().ok());
  ASSERT_TRUE(r2.read_lock().Acquire(absl::Seconds(2)).ok());  // readers share
  std::atomic<bool> writer_in{false};
  std::thread writer([&] {
    ASSERT_TRUE(w.write_lock().Acquire(absl::Seconds(10)).ok());
    writer_in = true;
    absl::SleepFor(absl::Milliseconds(200));
    ASSERT_TRUE(w.write_lock().Release().ok());
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(writer_in);
  // A reader arriving after the queued writer waits for it.
  EXPECT_FALSE(r3.read_lock().TryAcquire(absl::Milliseconds(200)));
  ASSERT_TRUE(r1.read_lock().Release().ok());
  ASSERT_TRUE(r2.read_lock().Release().ok());
  writer.join();
  EXPECT_TRUE(writer_in);
  EXPECT_TRUE(r3.read_lock().TryAcquire(absl::Seconds(5)));
}

TEST(SemaphoreRecipe, NLeases_AtMostNHolders) {
  FakeZkServer server;
  auto c1 = Connect(server), c2 = Connect(server), c3 = Connect(server);
  Semaphore s1(c1.get(), "/sem", 2), s2(c2.get(), "/sem", 2), s3(c3.get(), "/sem", 2);
  ASSERT_TRUE(s1.Acquire().ok());
  ASSERT_TRUE(s2.Acquire(absl::Seconds(2)).ok());
  EXPECT_FALSE(s3.TryAcquire(absl::Milliseconds(200)));
  std::thread t([&] { EXPECT_TRUE(s3.TryAcquire(absl::Seconds(5))); });
  absl::SleepFor(absl::Milliseconds(100));
  ASSERT_TRUE(s1.Release().ok());
  t.join();
}

TEST(LeaderElectionRecipe, OneLeader_FailoverOnResignAndSuspend) {
  FakeZkServer server;
  auto a = Connect(server), b = Connect(server);
  Recorder<bool> ea, eb;
  LeaderElection la(a.get(), "/election", "a", [&](bool l) { ea.Add(l); });
  la.Start();
  ASSERT_TRUE(ea.WaitCount(1));
  LeaderElection lb(b.get(), "/election", "b", [&](bool l) { eb.Add(l); });
  lb.Start();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(la.is_leader());
  EXPECT_FALSE(lb.is_leader());
  EXPECT_EQ(*la.CurrentLeader(), "a");
  la.Resign();
  ASSERT_TRUE(eb.WaitCount(1));
  EXPECT_TRUE(lb.is_leader());
  EXPECT_FALSE(la.is_leader());
  server.Stop();
  ASSERT_TRUE(eb.WaitCount(2));
  EXPECT_FALSE(lb.is_leader());  // suspended: not leader
  server.Restart();
  ASSERT_TRUE(eb.WaitCount(3));
  EXPECT_TRUE(lb.is_leader());
}

TEST(ConfigWatchRecipe, Burst_LastCallbackSeesFinalValue_NeverBackwards) {
  FakeZkServer server;
  auto writer = Connect(server), reader = Connect(server);
  ASSERT_TRUE(writer->Create("/cfg", "0").ok());
  std::mutex mu;
  std::vector<std::string> seen;
  ConfigWatch watch(reader.get(), "/cfg", {}, [&](const ConfigSnapshot& s) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(s.data.value_or("<none>"));
  });
  watch.Start();
  for (int i = 1; i <= 100; ++i) ASSERT_TRUE(writer->SetData("/cfg", std::to_string(i)).ok());
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!seen.empty() && seen.back() == "100") break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), "100");
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_LT(std::stoi(seen[i - 1]), std::stoi(seen[i]));
}

TEST(ConfigWatchRecipe, Subtree_SeesChildChanges) {
  FakeZkServer server;
  auto writer = Connect(server), reader = Connect(server);
  ASSERT_TRUE(writer->Create("/app", "root").ok());
  Recorder<ConfigSnapshot> snaps;
  ConfigWatch watch(reader.get(), "/app", {.watch_subtree = true},
                    [&](const ConfigSnapshot& s) { snaps.Add(s); });
  watch.Start();
  ASSERT_TRUE(snaps.WaitCount(1));
  ASSERT_TRUE(writer->Create("/app/db", "x").ok());
  ASSERT_TRUE(writer->Create("/app/db/url", "u").ok());
  ASSERT_TRUE(snaps.WaitFor([](auto& v) { return v.back().subtree.count("db/url") > 0; }));
  ASSERT_TRUE(writer->SetData("/app/db/url", "u2").ok());
  ASSERT_TRUE(snaps.WaitFor([](auto& v) {
    auto it = v.back().subtree.find("db/url");
    return it != v.back().subtree.end() && it->second == "u2";
  }));
}

// Items are named with absl::StrCat: GCC 12 at -O3 reports a false -Wrestrict
// in `absl::StrCat("i", i)` (GCC PR 105329), failing the Release build.
TEST(QueueRecipe, ProducersConsumers_EveryItemOnce_FifoForOneConsumer) {
  FakeZkServer server;
  auto p = Connect(server), c1 = Connect(server), c2 = Connect(server);
  DistributedQueue q(p.get(), "/q");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.Offer(absl::StrCat("i", i)).ok());
  EXPECT_EQ(**q.Peek(), "i0");
  EXPECT_EQ(**q.Poll(), "i0");
  EXPECT_EQ(*q.Take(absl::Seconds(1)), "i1");
  std::mutex mu;
  std::multiset<std::string> got;
  auto consume = [&](ZkClient* c) {
    DistributedQueue cq(c, "/q");
    while (true) {
      auto item = cq.Take(absl::Milliseconds(500));
      if (!item.ok()) return;
      std::lock_guard<std::mutex> lock(mu);
      got.insert(*item);
    }
  };
  std::thread t1(consume, c1.get()), t2(consume, c2.get());
  for (int i = 5; i < 60; ++i) ASSERT_TRUE(q.Offer(absl::StrCat("i", i)).ok());
  t1.join();
  t2.join();
  EXPECT_EQ(got.size(), 58u);
  for (int i = 2; i < 60; ++i) EXPECT_EQ(got.count(absl::StrCat("i", i)), 1u);
}

TEST(CounterRecipe, ConcurrentAdds_SumUp) {
  FakeZkServer server;
  auto a = Connect(server), b = Connect(server);
  auto add = [](ZkClient* c) {
    SharedCounter counter(c, "/counters/n");
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(counter.Add(1).ok());
  };
  std::thread ta(add, a.get()), tb(add, b.get());
  ta.join();
  tb.join();
  SharedCounter counter(a.get(), "/counters/n");
  EXPECT_EQ(*counter.Get(), 100);
  auto v = counter.GetVersioned();
  EXPECT_TRUE(IsBadVersion(counter.TrySet(5, v->second + 1)));
  EXPECT_TRUE(counter.TrySet(5, v->second).ok());
}

TEST(BarrierRecipe, WaitReturnsAfterRemove_DoubleBarrierEntersTogether) {
  FakeZkServer server;
  auto a = Connect(server), b = Connect(server);
  Barrier barrier(a.get(), "/b/gate");
  ASSERT_TRUE(barrier.Set().ok());
  EXPECT_EQ(barrier.Wait(absl::Milliseconds(100)).code(), absl::StatusCode::kDeadlineExceeded);
  std::thread remover([&] {
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(Barrier(b.get(), "/b/gate").Remove().ok());
  });
  EXPECT_TRUE(barrier.Wait(absl::Seconds(5)).ok());
  remover.join();

  DoubleBarrier da(a.get(), "/db", 2, "a"), db(b.get(), "/db", 2, "b");
  EXPECT_FALSE(da.Enter(absl::Milliseconds(200)).ok());  // alone: times out
  std::thread tb([&] {
    EXPECT_TRUE(db.Enter(absl::Seconds(5)).ok());
    EXPECT_TRUE(db.Leave(absl::Seconds(5)).ok());
  });
  EXPECT_TRUE(da.Enter(absl::Seconds(5)).ok());
  EXPECT_TRUE(da.Leave(absl::Seconds(5)).ok());
  tb.join();
}

}  // namespace
}  // namespace zk::recipes
