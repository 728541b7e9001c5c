#include "server/log_stage.h"

#include <chrono>

#include "glog/logging.h"
#include "server/failpoints.h"

namespace zabkeeper::server {

LogStage::LogStage(storage::TxnLog* log, size_t capacity, std::function<void(Batch)> next)
    : log_(log), queue_(capacity), next_(std::move(next)) {}

LogStage::~LogStage() { Stop(); }

void LogStage::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LogStage::Stop() {
  queue_.Close();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(flush_mu_);
  stopped_ = true;
  flush_cv_.notify_all();
}

bool LogStage::Append(storage::LogEntry entry) {
  {
    std::lock_guard<std::mutex> lock(flush_mu_);
    ++appended_;
  }
  return queue_.Push(std::move(entry));
}

void LogStage::Flush() {
  std::unique_lock<std::mutex> lock(flush_mu_);
  flush_cv_.wait(lock, [&] { return stopped_ || written_ >= appended_; });
}

void LogStage::WriteNow(const std::vector<storage::LogEntry>& entries) {
  Flush();
  Write(entries);
}

void LogStage::Write(const std::vector<storage::LogEntry>& entries) {
  ZK_FAILPOINT_STALL("log.stall");
  auto start = std::chrono::steady_clock::now();
  absl::Status status = log_->Append(entries);
  // A log that cannot be written loses acknowledged writes if we go on:
  // stop the server (as ZooKeeper does) and let restart recover.
  CHECK(status.ok()) << "transaction log append failed: " << status;
  ZK_FAILPOINT_CRASH("log.after_sync");
  sync_micros_ += std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  txns_ += entries.size();
  ++syncs_;
}

void LogStage::Run() {
  while (true) {
    Batch batch = queue_.PopBatch(kMaxBatch);
    if (batch.empty()) return;  // closed and drained
    Write(batch);
    const size_t n = batch.size();
    next_(std::move(batch));
    std::lock_guard<std::mutex> lock(flush_mu_);
    written_ += n;
    flush_cv_.notify_all();
  }
}

}  // namespace zabkeeper::server
