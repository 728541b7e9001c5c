// Group commit and ordering in the StorageWriter, the thread that carries out
// a node's storage ops: appends queued while a sync runs share the next sync;
// every entry lands once, in zxid order; Persisted is reported in order and
// only for what is durable (capped at a truncation, not at all before an
// install); epoch writes are reported once durable.
#include <algorithm>
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
#include "server/storage_writer.h"
#include "storage/memory_storage.h"
#include "storage/rocksdb_storage.h"
#include "tests/unit/storage/temp_dir.h"
#include "tests/wait_until.h"

namespace zabkeeper::storage {
namespace {

using ::zab::Zxid;

using server::StorageOp;
using server::StorageWriter;
using ::zabkeeper::testing::WaitUntil;

// What the writer reported, in order ("p5" = Persisted(5), "a2" = accepted
// epoch 2, "c2" = current epoch 2).
class Reports {
 public:
  StorageWriter::Reports Hooks() {
    StorageWriter::Reports r;
    r.persisted = [this](Zxid z) { Add(absl::StrCat("p", z.raw())); };
    r.accepted_epoch = [this](uint32_t e) { Add(absl::StrCat("a", e)); };
    r.current_epoch = [this](uint32_t e) { Add(absl::StrCat("c", e)); };
    r.ack = [this](uint64_t to, Zxid z) { Add(absl::StrCat("ack", z.raw(), "->", to)); };
    r.disk_full = [this](bool full) { Add(full ? "full" : "room"); };
    return r;
  }
  bool Saw(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::find(seen_.begin(), seen_.end(), what) != seen_.end();
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(seen_);
  }

 private:
  void Add(std::string s) {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(std::move(s));
  }
  std::mutex mu_;
  std::vector<std::string> seen_;
};

std::vector<StorageOp> Append(uint64_t from, uint64_t to) {
  std::vector<StorageOp> ops(1);
  ops[0].kind = StorageOp::kAppend;
  for (uint64_t z = from; z <= to; ++z) {
    ops[0].entries.push_back(LogEntry{::zab::Zxid::FromRaw(z), absl::StrCat("payload-", z)});
  }
  return ops;
}

std::vector<StorageOp> AppendAcked(uint64_t from, uint64_t to, uint64_t leader) {
  std::vector<StorageOp> ops = Append(from, to);
  ops[0].ack_to = leader;
  return ops;
}

std::vector<StorageOp> One(StorageOp::Kind kind, uint64_t zxid = 0, uint32_t epoch = 0) {
  std::vector<StorageOp> ops(1);
  ops[0].kind = kind;
  ops[0].zxid = Zxid::FromRaw(zxid);
  ops[0].epoch = epoch;
  return ops;
}

void ExpectLogHolds(const TxnLog& log, uint64_t n) {
  auto all = log.ReadAfter(Zxid(), static_cast<size_t>(n) + 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_EQ((*all)[i].zxid.raw(), i + 1);
    ASSERT_EQ((*all)[i].txn, absl::StrCat("payload-", i + 1));
  }
  EXPECT_EQ(log.LastZxid().raw(), n);
}

// Persisted reports must rise and end at `last`.
void ExpectPersistedRisesTo(const std::vector<std::string>& reports, uint64_t last) {
  uint64_t prev = 0;
  for (const std::string& r : reports) {
    ASSERT_EQ(r[0], 'p') << r;
    const uint64_t z = std::stoull(r.substr(1));
    EXPECT_GT(z, prev) << "reports out of order";
    prev = z;
  }
  EXPECT_EQ(prev, last);
}

// A log whose syncs hold until the test opens it: everything queued meanwhile
// must go out in the next batch. Deterministic evidence of batching.
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

// A StorageWriter on memory stores, with its reports recorded. Log is the
// log type (a GatedLog where the test controls the syncs).
template <typename Log = MemoryTxnLog>
struct MemoryWriter {
  template <typename... LogArgs>
  explicit MemoryWriter(size_t capacity, LogArgs... log_args)
      : log(log_args...), writer(&log, &state, &epochs, reports.Hooks(), capacity) {}
  Log log;
  MemoryStateStore state;
  MemoryEpochStore epochs;
  Reports reports;
  StorageWriter writer;
};

TEST(GroupCommit, SlowSync_QueuedAppendsShareOneSync) {
  MemoryWriter<GatedLog> w(1024);
  auto& [log, state, epochs, reports, writer] = w;
  writer.Start();
  writer.Submit(Append(1, 1));  // the first sync starts and holds
  log.WaitEntered();
  for (uint64_t z = 2; z <= 100; ++z) writer.Submit(Append(z, z));  // queued behind it
  log.Open();
  writer.Stop();
  EXPECT_EQ(writer.txns_logged(), 100u);
  EXPECT_EQ(writer.syncs(), 2u);
  EXPECT_EQ(log.max_batch(), 99u);
  ExpectLogHolds(log, 100);
  const std::vector<std::string> seen = reports.Take();
  EXPECT_EQ(seen, (std::vector<std::string>{"p1", "p100"}));
}

TEST(GroupCommit, RocksLog_ManyBatches_FewerSyncsThanTxns_SurviveReopen) {
  testing::TempDir dir;
  Reports reports;
  {
    auto rocks = RocksDb::Open(dir.Sub("db"));
    ASSERT_TRUE(rocks.ok()) << rocks.status();
    auto log = RocksTxnLog::Open(rocks->get());
    auto state = RocksStateStore::Open(rocks->get());
    auto epochs = RocksEpochStore::Open(rocks->get());
    ASSERT_TRUE(log.ok() && state.ok() && epochs.ok());
    StorageWriter writer(log->get(), state->get(), epochs->get(), reports.Hooks(), 4096);
    writer.Start();
    for (uint64_t z = 1; z <= 2000; ++z) writer.Submit(Append(z, z));
    writer.Stop();
    EXPECT_EQ(writer.txns_logged(), 2000u);
    EXPECT_LT(writer.syncs(), writer.txns_logged()) << "no batching at all";
    EXPECT_EQ(writer.syncs(), (*log)->SyncCount()) << "one log sync per batch";
    std::printf("group commit (RocksDB): %llu txns in %llu syncs\n",
                static_cast<unsigned long long>(writer.txns_logged()),
                static_cast<unsigned long long>(writer.syncs()));
  }
  ExpectPersistedRisesTo(reports.Take(), 2000);
  auto rocks = RocksDb::Open(dir.Sub("db"));
  ASSERT_TRUE(rocks.ok());
  auto log = RocksTxnLog::Open(rocks->get());
  ASSERT_TRUE(log.ok());
  ExpectLogHolds(**log, 2000);
}

TEST(GroupCommit, Stop_WritesWhatIsQueued) {
  MemoryWriter<> w(16);
  auto& [log, state, epochs, reports, writer] = w;
  writer.Start();
  for (uint64_t z = 1; z <= 500; ++z) writer.Submit(Append(z, z));
  writer.Stop();
  ExpectLogHolds(log, 500);
  EXPECT_EQ(writer.txns_logged(), 500u);
  ExpectPersistedRisesTo(reports.Take(), 500);
}

TEST(GroupCommit, BatchSize_IsCappedAtKMaxBatch) {
  const uint64_t n = StorageWriter::kMaxBatch * 2 + 10;
  MemoryWriter<GatedLog> w(n + 10, /*open=*/true);  // the log records the largest batch
  auto& [log, state, epochs, reports, writer] = w;
  for (uint64_t z = 1; z <= n; ++z) writer.Submit(Append(z, z));  // all queued before start
  writer.Start();
  writer.Stop();
  ExpectLogHolds(log, n);
  EXPECT_EQ(log.max_batch(), StorageWriter::kMaxBatch);
  EXPECT_EQ(writer.syncs(), 3u);
}

TEST(GroupCommit, TruncateAfterAppends_ReportsOnlyUpToTheTruncation) {
  MemoryWriter<> w(16);
  auto& [log, state, epochs, reports, writer] = w;
  // Queued before the thread starts, so both are one batch.
  writer.Submit(Append(1, 5));
  writer.Submit(One(StorageOp::kTruncate, 3));
  writer.Start();
  // Synchronous: done when SubmitAndWait returns.
  writer.SubmitAndWait(One(StorageOp::kTruncate, 2));
  EXPECT_EQ(log.LastZxid().raw(), 2u);
  writer.Stop();
  EXPECT_EQ(reports.Take(), (std::vector<std::string>{"p3"}))
      << "entries 4 and 5 are gone: reporting them would ACK a lie";
}

TEST(GroupCommit, InstallAfterAppends_ReportsNothingAndReplacesEverything) {
  MemoryWriter<> w(16);
  auto& [log, state, epochs, reports, writer] = w;
  writer.Submit(Append(1, 5));
  std::vector<StorageOp> install = One(StorageOp::kInstall);
  install[0].state.last_applied = Zxid::FromRaw(9);
  writer.Submit(std::move(install));
  writer.Start();
  writer.Stop();
  EXPECT_EQ(log.LastZxid().raw(), 0u) << "the log before a snapshot is emptied";
  EXPECT_EQ(state.LastApplied().raw(), 9u);
  EXPECT_TRUE(reports.Take().empty()) << "appends before an install must not be reported";
}

TEST(GroupCommit, EpochWrites_ComeAfterEarlierAppends_AndAreReportedOnceDurable) {
  MemoryWriter<> w(16);
  auto& [log, state, epochs, reports, writer] = w;
  writer.Submit(Append(1, 2));
  writer.Submit(One(StorageOp::kAcceptedEpoch, 0, 7));
  writer.Submit(Append(3, 3));
  writer.Submit(One(StorageOp::kCurrentEpoch, 0, 7));
  writer.Start();
  writer.Stop();
  EXPECT_EQ(epochs.AcceptedEpoch(), 7u);
  EXPECT_EQ(epochs.CurrentEpoch(), 7u);
  EXPECT_EQ(reports.Take(), (std::vector<std::string>{"p2", "a7", "p3", "c7"}));
  ExpectLogHolds(log, 3);
}

// A follower's ACK leaves the storage thread once the appends are durable,
// before the Persisted report, and one ACK covers a group-committed batch.
TEST(GroupCommit, AckedAppends_AckOnceDurable_BeforePersisted) {
  MemoryWriter<GatedLog> w(1024);
  auto& [log, state, epochs, reports, writer] = w;
  writer.Start();
  writer.Submit(AppendAcked(1, 1, 7));
  log.WaitEntered();
  EXPECT_TRUE(reports.Take().empty()) << "reported before the sync finished";
  for (uint64_t z = 2; z <= 10; ++z) writer.Submit(AppendAcked(z, z, 7));
  log.Open();
  writer.Stop();
  EXPECT_EQ(reports.Take(), (std::vector<std::string>{"ack1->7", "p1", "ack10->7", "p10"}));
}

TEST(GroupCommit, AckedAppendsBeforeTruncation_AreNotAcked) {
  MemoryWriter<> w(16);
  auto& [log, state, epochs, reports, writer] = w;
  writer.Submit(Append(1, 2));
  writer.Submit(AppendAcked(3, 5, 2));
  writer.Submit(One(StorageOp::kTruncate, 3));
  writer.Start();
  writer.Stop();
  EXPECT_EQ(reports.Take(), (std::vector<std::string>{"p3"}))
      << "an ACK of 5 would name entries the truncation removed";
}

// With a disk reserve, an append that would leave less free space than the
// reserve waits: the core hears "full" and nothing is reported durable; once
// there is room it lands, "room" first, then its Persisted.
TEST(GroupCommit, DiskReserve_AppendWaitsForRoom_ThenLands) {
  MemoryWriter<> w(16);
  // References, not structured bindings: clang 14 cannot capture those.
  MemoryTxnLog& log = w.log;
  Reports& reports = w.reports;
  StorageWriter& writer = w.writer;
  std::atomic<uint64_t> free_bytes{100};
  writer.set_disk_reserve([&] { return free_bytes.load(); }, 1000);
  writer.Start();
  writer.Submit(Append(1, 3));
  ASSERT_TRUE(WaitUntil([&] { return reports.Saw("full"); }, std::chrono::seconds(5)));
  std::this_thread::sleep_for(3 * StorageWriter::kDiskRetry);
  EXPECT_EQ(log.LastZxid().raw(), 0u) << "written into the reserve";
  free_bytes = 1 << 20;
  ASSERT_TRUE(WaitUntil([&] { return log.LastZxid().raw() == 3; }, std::chrono::seconds(5)));
  writer.Submit(Append(4, 4));
  writer.Stop();
  EXPECT_EQ(reports.Take(), (std::vector<std::string>{"full", "room", "p3", "p4"}));
}

// The reserve counts what the append would add: room for 100 bytes free is
// not room for a 200-byte batch.
TEST(GroupCommit, DiskReserve_CountsTheBatchBytes) {
  MemoryWriter<> w(16);
  // References, not structured bindings: clang 14 cannot capture those.
  MemoryTxnLog& log = w.log;
  Reports& reports = w.reports;
  StorageWriter& writer = w.writer;
  std::atomic<uint64_t> free_bytes{1000 + 9};  // "payload-1" is 9 bytes
  writer.set_disk_reserve([&] { return free_bytes.load(); }, 1000);
  writer.Start();
  writer.Submit(Append(1, 1));
  ASSERT_TRUE(WaitUntil([&] { return log.LastZxid().raw() == 1; }, std::chrono::seconds(5)));
  writer.Submit(Append(2, 3));  // 18 bytes
  ASSERT_TRUE(WaitUntil([&] { return reports.Saw("full"); }, std::chrono::seconds(5)));
  free_bytes = 1000 + 500 + 18;  // once full: the reserve and half of it again
  writer.Stop();
  EXPECT_EQ(log.LastZxid().raw(), 3u);
}

// Once full, room for the write alone is not enough: writes resume with half
// the reserve again free, so a little space freed now and then does not
// switch them on and off.
TEST(GroupCommit, DiskReserve_ResumesOnlyWithAMargin) {
  MemoryWriter<> w(16);
  MemoryTxnLog& log = w.log;
  Reports& reports = w.reports;
  StorageWriter& writer = w.writer;
  std::atomic<uint64_t> free_bytes{100};
  writer.set_disk_reserve([&] { return free_bytes.load(); }, 1000);
  writer.Start();
  writer.Submit(Append(1, 1));
  ASSERT_TRUE(WaitUntil([&] { return reports.Saw("full"); }, std::chrono::seconds(5)));
  free_bytes = 1000 + 9;      // room for the write, not for the margin
  const int64_t retries = 3;  // the writer re-checks every kDiskRetry
  std::this_thread::sleep_for(retries * StorageWriter::kDiskRetry);
  EXPECT_EQ(log.LastZxid().raw(), 0u) << "resumed inside the margin";
  EXPECT_FALSE(reports.Saw("room"));
  free_bytes = 1000 + 500 + 9;
  ASSERT_TRUE(WaitUntil([&] { return log.LastZxid().raw() == 1; }, std::chrono::seconds(5)));
  writer.Stop();
  EXPECT_TRUE(reports.Saw("room"));
}

// Stopping while an append waits for room drops it, as a crash would, and
// the writer stops instead of waiting forever.
TEST(GroupCommit, DiskReserve_StopWhileWaiting_DropsWhatWasNotWritten) {
  MemoryWriter<> w(16);
  // References, not structured bindings: clang 14 cannot capture those.
  MemoryTxnLog& log = w.log;
  Reports& reports = w.reports;
  StorageWriter& writer = w.writer;
  writer.set_disk_reserve([] { return uint64_t{0}; }, 1000);
  writer.Start();
  writer.Submit(Append(1, 2));
  writer.Submit(One(StorageOp::kCurrentEpoch, 0, 3));
  ASSERT_TRUE(WaitUntil([&] { return reports.Saw("full"); }, std::chrono::seconds(5)));
  writer.Stop();
  EXPECT_EQ(log.LastZxid().raw(), 0u);
  EXPECT_EQ(reports.Take(), (std::vector<std::string>{"full"})) << "nothing after the drop";
}

}  // namespace
}  // namespace zabkeeper::storage
