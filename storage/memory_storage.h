// In-memory TxnLog, StateStore and EpochStore for unit tests and the
// simulator. Same contracts as the RocksDB versions. Thread-safe.
//
// Without a disk (the default) every write is final at once and nothing is
// ever lost: there is no restart to survive. On a MemoryDisk (memory_disk.h)
// the three stores of one server share a simulated disk with real crash
// semantics: a write is visible at once but durable only after a sync of the
// disk, and MemoryDisk::Crash keeps a prefix of the unsynced writes across all
// three stores. What each mutation promises on a disk:
//
//   MemoryTxnLog::Append            durable on return (syncs the disk)
//   MemoryTxnLog::AppendUnsynced    durable at the disk's next Sync (group commit)
//   MemoryTxnLog::TruncateAfter     durable on return
//   MemoryTxnLog::PurgeBefore       unsynced (losing a purge only keeps more log)
//   MemoryStateStore::Write         unsynced (rides behind the log's syncs)
//   MemoryStateStore::ReplaceAll    durable on return
//   MemoryEpochStore::Set*Epoch     durable on return
//
// A mutation on a failed disk returns the disk's error and changes nothing. A
// mutation whose own sync fails returns that error but stays visible (the
// write reached the page cache); whether it survives is up to the next Crash.
#ifndef ZABKEEPER_STORAGE_MEMORY_STORAGE_H_
#define ZABKEEPER_STORAGE_MEMORY_STORAGE_H_

#include <map>
#include <mutex>

#include "storage/epoch_store.h"
#include "storage/memory_disk.h"
#include "storage/state_store.h"
#include "storage/txn_log.h"

namespace zabkeeper::storage {

class MemoryTxnLog : public TxnLog {
 public:
  // `disk`, if set, must outlive the log.
  explicit MemoryTxnLog(MemoryDisk* disk = nullptr) : file_(disk) {}

  absl::Status Append(absl::Span<const LogEntry> entries) override;
  // Like Append, without the sync: the entries are visible to reads at once
  // and durable after the disk's next Sync. Without a disk, the same as
  // Append except that SyncCount does not move.
  absl::Status AppendUnsynced(absl::Span<const LogEntry> entries);
  absl::StatusOr<std::vector<LogEntry>> ReadAfter(::zab::Zxid after,
                                                  size_t max_entries) const override;
  absl::Status TruncateAfter(::zab::Zxid zxid) override;
  absl::Status PurgeBefore(::zab::Zxid zxid) override;
  ::zab::Zxid FirstZxid() const override;
  ::zab::Zxid LastZxid() const override;
  // Successful Appends (each one sync). A process counter: kept across Crash.
  uint64_t SyncCount() const override;

 private:
  using Entries = std::map<uint64_t, std::string>;
  absl::Status AppendLocked(absl::Span<const LogEntry> entries);

  MemoryDisk::File<Entries> file_;
  uint64_t syncs_ = 0;  // guarded by file_.mu()
};

class MemoryStateStore : public StateStore {
 public:
  // `disk`, if set, must outlive the store.
  explicit MemoryStateStore(MemoryDisk* disk = nullptr) : file_(disk) {}

  absl::Status Write(const StateBatch& batch) override;
  absl::Status ReplaceAll(const StateBatch& full_state) override;
  absl::Status Load(
      const std::function<absl::Status(const std::string&, const proto::ZnodeRecord&)>& on_node,
      const std::function<absl::Status(const proto::SessionRecord&)>& on_session) const override;
  ::zab::Zxid LastApplied() const override;
  // Every write here rides the disk's next Sync, in order with the log's
  // writes, as a prefix: a purge written after a state batch never survives
  // without it, so what was applied counts as durable for purging.
  ::zab::Zxid DurableApplied() override { return LastApplied(); }

 private:
  struct State {
    std::map<std::string, proto::ZnodeRecord> nodes;
    std::map<int64_t, proto::SessionRecord> sessions;
    ::zab::Zxid last_applied;
  };
  static void Apply(const StateBatch& batch, State& state);

  MemoryDisk::File<State> file_;
};

class MemoryEpochStore : public EpochStore {
 public:
  // `disk`, if set, must outlive the store.
  explicit MemoryEpochStore(MemoryDisk* disk = nullptr) : file_(disk) {}

  uint32_t AcceptedEpoch() const override;
  uint32_t CurrentEpoch() const override;
  absl::Status SetAcceptedEpoch(uint32_t epoch) override;
  absl::Status SetCurrentEpoch(uint32_t epoch) override;

 private:
  struct Epochs {
    uint32_t accepted = 0;
    uint32_t current = 0;
  };

  MemoryDisk::File<Epochs> file_;
};

}  // namespace zabkeeper::storage

#endif  // ZABKEEPER_STORAGE_MEMORY_STORAGE_H_
