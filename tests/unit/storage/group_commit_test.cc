// Group commit: the LogStage writes everything queued during one fsync as a
// single synced batch, so under concurrent load syncs() < txns_logged(), and
// every entry lands in the log, in zxid order, exactly once.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/log_stage.h"
#include "storage/memory_storage.h"
#include "storage/rocksdb_storage.h"
#include "tests/unit/storage/temp_dir.h"

namespace zabkeeper::storage {
namespace {

using server::LogStage;

// Hands out zxids and pushes in zxid order, from many threads.
class Appender {
 public:
  explicit Appender(LogStage* stage) : stage_(stage) {}
  void AppendOne() {
    std::lock_guard<std::mutex> lock(mu_);
    ++zxid_;
    ASSERT_TRUE(
        stage_->Append(LogEntry{static_cast<uint64_t>(zxid_), absl::StrCat("payload-", zxid_)}));
  }
  int64_t last_zxid() const { return zxid_; }

 private:
  LogStage* stage_;
  std::mutex mu_;
  int64_t zxid_ = 0;
};

// Collects what the stage hands on and checks it is gap-free and in order.
class Downstream {
 public:
  void Take(LogStage::Batch batch) {
    std::lock_guard<std::mutex> lock(mu_);
    ++batches_;
    for (const LogEntry& e : batch) {
      if (static_cast<int64_t>(e.zxid) != last_ + 1) ++out_of_order_;
      last_ = static_cast<int64_t>(e.zxid);
      ++count_;
    }
  }
  int64_t count() const { return count_; }
  int64_t last() const { return last_; }
  int64_t batches() const { return batches_; }
  int64_t out_of_order() const { return out_of_order_; }

 private:
  std::mutex mu_;
  int64_t last_ = 0;
  int64_t count_ = 0;
  int64_t batches_ = 0;
  int64_t out_of_order_ = 0;
};

void RunConcurrentAppenders(LogStage* stage, Appender* appender, int threads, int per_thread) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) appender->AppendOne();
    });
  }
  for (auto& w : workers) w.join();
  stage->Stop();
}

void ExpectLogHoldsAllInOrder(const TxnLog& log, int64_t n) {
  auto all = log.ReadAfter(0, static_cast<size_t>(n) + 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(static_cast<int64_t>(all->size()), n);
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ((*all)[i].zxid, static_cast<uint64_t>(i + 1));
    ASSERT_EQ((*all)[i].payload, absl::StrCat("payload-", i + 1));
  }
  EXPECT_EQ(log.LastZxid(), static_cast<uint64_t>(n));
}

TEST(GroupCommit, RocksLog_ConcurrentAppenders_FewerSyncsThanTxns) {
  testing::TempDir dir;
  auto rocks = RocksDb::Open(dir.Sub("db"));
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  auto log = RocksTxnLog::Open(rocks->get());
  ASSERT_TRUE(log.ok()) << log.status();
  Downstream down;
  LogStage stage(log->get(), 4096, [&](LogStage::Batch b) { down.Take(std::move(b)); });
  stage.Start();
  Appender appender(&stage);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  RunConcurrentAppenders(&stage, &appender, kThreads, kPerThread);
  constexpr int64_t kTotal = kThreads * kPerThread;

  EXPECT_EQ(stage.txns_logged(), static_cast<uint64_t>(kTotal));
  EXPECT_LT(stage.syncs(), stage.txns_logged()) << "no batching at all";
  EXPECT_GE(stage.syncs(), 1u);
  EXPECT_EQ(stage.syncs(), (*log)->SyncCount()) << "one log sync per stage batch";
  EXPECT_EQ(down.count(), kTotal);
  EXPECT_EQ(down.last(), kTotal);
  EXPECT_EQ(down.out_of_order(), 0);
  EXPECT_EQ(static_cast<uint64_t>(down.batches()), stage.syncs());
  ExpectLogHoldsAllInOrder(**log, kTotal);
  std::printf("group commit (RocksDB): %llu txns in %llu syncs (%.1f txns/sync)\n",
              static_cast<unsigned long long>(stage.txns_logged()),
              static_cast<unsigned long long>(stage.syncs()),
              static_cast<double>(stage.txns_logged()) / static_cast<double>(stage.syncs()));
}

TEST(GroupCommit, RocksLog_SurvivesReopenAfterStop) {
  testing::TempDir dir;
  {
    auto rocks = RocksDb::Open(dir.Sub("db"));
    ASSERT_TRUE(rocks.ok());
    auto log = RocksTxnLog::Open(rocks->get());
    ASSERT_TRUE(log.ok());
    LogStage stage(log->get(), 64, [](LogStage::Batch) {});
    stage.Start();
    Appender appender(&stage);
    RunConcurrentAppenders(&stage, &appender, 4, 50);
  }
  auto rocks = RocksDb::Open(dir.Sub("db"));
  ASSERT_TRUE(rocks.ok());
  auto log = RocksTxnLog::Open(rocks->get());
  ASSERT_TRUE(log.ok());
  ExpectLogHoldsAllInOrder(**log, 200);
}

// A log whose first sync holds until the test releases it: everything queued
// meanwhile must go out in the next batch. Deterministic evidence of
// batching, with no sleep to guess how long the first sync takes.
class GatedLog : public MemoryTxnLog {
 public:
  explicit GatedLog(bool open = false) : open_(open) {}
  absl::Status Append(absl::Span<const LogEntry> entries) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
    }
    max_batch_ = std::max<size_t>(max_batch_, entries.size());
    return MemoryTxnLog::Append(entries);
  }
  void WaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  size_t max_batch() const { return max_batch_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_;
  std::atomic<size_t> max_batch_{0};
};

TEST(GroupCommit, SlowSync_QueuedProposalsShareOneSync) {
  GatedLog log;
  Downstream down;
  LogStage stage(&log, 1024, [&](LogStage::Batch b) { down.Take(std::move(b)); });
  stage.Start();
  Appender appender(&stage);
  appender.AppendOne();  // the first sync starts and holds
  log.WaitEntered();
  for (int i = 0; i < 99; ++i) appender.AppendOne();  // queued behind it
  log.Open();
  stage.Stop();
  EXPECT_EQ(stage.txns_logged(), 100u);
  EXPECT_EQ(stage.syncs(), 2u);
  EXPECT_EQ(log.max_batch(), 99u);
  EXPECT_EQ(down.count(), 100);
  EXPECT_EQ(down.out_of_order(), 0);
  ExpectLogHoldsAllInOrder(log, 100);
}

TEST(GroupCommit, Stop_DrainsQueueBeforeReturning) {
  MemoryTxnLog log;
  Downstream down;
  LogStage stage(&log, 16, [&](LogStage::Batch b) { down.Take(std::move(b)); });
  stage.Start();
  Appender appender(&stage);
  for (int i = 0; i < 500; ++i) appender.AppendOne();
  stage.Stop();
  EXPECT_EQ(down.count(), 500);
  EXPECT_EQ(log.LastZxid(), 500u);
  EXPECT_EQ(stage.txns_logged(), 500u);
  EXPECT_FALSE(stage.Append(LogEntry{})) << "append after stop accepted";
}

TEST(GroupCommit, BatchSize_IsCappedAtKMaxBatch) {
  GatedLog log(/*open=*/true);  // records the largest batch
  Downstream down;
  const int n = static_cast<int>(LogStage::kMaxBatch) * 2 + 10;
  LogStage stage(&log, static_cast<size_t>(n) + 10,
                 [&](LogStage::Batch b) { down.Take(std::move(b)); });
  Appender appender(&stage);
  for (int i = 0; i < n; ++i) appender.AppendOne();  // all queued before start
  stage.Start();
  stage.Stop();
  EXPECT_EQ(down.count(), n);
  EXPECT_EQ(log.max_batch(), LogStage::kMaxBatch);
  EXPECT_EQ(stage.syncs(), 3u);
}

}  // namespace
}  // namespace zabkeeper::storage
