// In-memory TxnLog, StateStore and EpochStore for unit tests and the
// simulator. Same contracts as the RocksDB versions, minus durability across
// process restarts. Thread-safe.
#ifndef ZABKEEPER_STORAGE_MEMORY_STORAGE_H_
#define ZABKEEPER_STORAGE_MEMORY_STORAGE_H_

#include <map>
#include <mutex>

#include "storage/epoch_store.h"
#include "storage/state_store.h"
#include "storage/txn_log.h"

namespace zabkeeper::storage {

class MemoryTxnLog : public TxnLog {
 public:
  absl::Status Append(absl::Span<const LogEntry> entries) override;
  absl::StatusOr<std::vector<LogEntry>> ReadAfter(uint64_t after,
                                                  size_t max_entries) const override;
  absl::Status TruncateAfter(uint64_t zxid) override;
  absl::Status PurgeBefore(uint64_t zxid) override;
  uint64_t FirstZxid() const override;
  uint64_t LastZxid() const override;
  uint64_t SyncCount() const override;

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, std::string> entries_;
  uint64_t syncs_ = 0;
};

class MemoryStateStore : public StateStore {
 public:
  absl::Status Write(const StateBatch& batch) override;
  absl::Status ReplaceAll(const StateBatch& full_state) override;
  absl::Status Load(
      const std::function<absl::Status(const std::string&, const proto::ZnodeRecord&)>& on_node,
      const std::function<absl::Status(const proto::SessionRecord&)>& on_session) const override;
  uint64_t LastApplied() const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, proto::ZnodeRecord> nodes_;
  std::map<int64_t, proto::SessionRecord> sessions_;
  uint64_t last_applied_ = 0;
};

class MemoryEpochStore : public EpochStore {
 public:
  uint32_t AcceptedEpoch() const override;
  uint32_t CurrentEpoch() const override;
  absl::Status SetAcceptedEpoch(uint32_t epoch) override;
  absl::Status SetCurrentEpoch(uint32_t epoch) override;

 private:
  mutable std::mutex mu_;
  uint32_t accepted_ = 0;
  uint32_t current_ = 0;
};

}  // namespace zabkeeper::storage

#endif  // ZABKEEPER_STORAGE_MEMORY_STORAGE_H_
