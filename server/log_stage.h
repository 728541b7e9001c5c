// LogStage: the group-commit stage (ZooKeeper's SyncRequestProcessor). One
// thread takes every proposal queued while the previous fsync ran and writes
// them as one synced batch, then hands the batch on in order. Counts syncs
// and txns so group commit is observable (txns / syncs = batch size).
#ifndef ZABKEEPER_SERVER_LOG_STAGE_H_
#define ZABKEEPER_SERVER_LOG_STAGE_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/bounded_queue.h"
#include "storage/txn_log.h"

namespace zabkeeper::server {

class LogStage {
 public:
  // Entries move from Append to the log and on to `next`: no payload copy.
  using Batch = std::vector<storage::LogEntry>;
  // Largest batch written with one fsync; bounds latency of a huge backlog.
  static constexpr size_t kMaxBatch = 2048;

  LogStage(storage::TxnLog* log, size_t capacity, std::function<void(Batch)> next);
  ~LogStage();

  void Start();
  // Writes what is queued, then stops the thread.
  void Stop();
  bool Append(storage::LogEntry entry);
  // Waits until everything appended so far is written and handed on.
  void Flush();
  // Writes `entries` as one synced batch on the calling thread, after what
  // is queued; nothing is handed on. For a follower, whose ACK waits for
  // the sync anyway: two thread hand-offs fewer on every write's path.
  void WriteNow(const std::vector<storage::LogEntry>& entries);

  uint64_t txns_logged() const { return txns_.load(); }
  uint64_t syncs() const { return syncs_.load(); }
  // Sum of fsync'd batch write latencies, for the average in mntr.
  uint64_t sync_micros_total() const { return sync_micros_.load(); }

 private:
  void Run();
  void Write(const std::vector<storage::LogEntry>& entries);

  storage::TxnLog* log_;
  BoundedQueue<storage::LogEntry> queue_;
  std::function<void(Batch)> next_;
  std::thread thread_;
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;
  uint64_t appended_ = 0;  // guarded by flush_mu_
  uint64_t written_ = 0;   // guarded by flush_mu_
  bool stopped_ = false;   // guarded by flush_mu_
  std::atomic<uint64_t> txns_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> sync_micros_{0};
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_LOG_STAGE_H_
