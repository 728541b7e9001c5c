// RocksDB-backed TxnLog, StateStore and EpochStore sharing one database.
//
// Layout: one RocksDB instance per server (directory <dataDir>/db), one WAL,
// four column families:
//   log       key: zxid, 8 bytes big-endian      value: txn payload
//   nodes     key: znode path (bytes, "/a/b")     value: proto::ZnodeRecord
//   sessions  key: session id, 8 bytes big-endian value: proto::SessionRecord
//   meta      key: "acceptedEpoch" | "currentEpoch" | "lastApplied"
//             value: 8 bytes big-endian
// Big-endian keys make RocksDB's bytewise order the numeric order; path keys
// sort a parent before its children because a parent's path is a prefix.
//
// Crash behaviour: log appends and epoch writes go through the WAL with
// WriteOptions::sync, so they are on disk when the call returns. State
// batches (nodes + sessions + lastApplied) skip the WAL: every committed txn
// is in the log already, and writing it to the WAL a second time cost a
// second copy of every value (a 1 MB setData wrote 2 MB to the WAL). They
// become durable when RocksDB flushes its memtables, which atomic_flush does
// for all families at once, so a crash recovers the state of the last flush:
// never torn, at lastApplied <= what the log holds, and the log tail after it
// is replayed on restart. DurableApplied() follows the flushes (an event
// listener), and the log is purged only below it. ReplaceAll flushes before
// it returns.
#ifndef ZABKEEPER_STORAGE_ROCKSDB_STORAGE_H_
#define ZABKEEPER_STORAGE_ROCKSDB_STORAGE_H_

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "storage/epoch_store.h"
#include "storage/state_store.h"
#include "storage/txn_log.h"

namespace zabkeeper::storage {

// Owns the database and its column family handles.
class RocksDb {
 public:
  static absl::StatusOr<std::unique_ptr<RocksDb>> Open(const std::string& dir);
  ~RocksDb();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* log() const { return cfs_[1]; }
  rocksdb::ColumnFamilyHandle* nodes() const { return cfs_[2]; }
  rocksdb::ColumnFamilyHandle* sessions() const { return cfs_[3]; }
  rocksdb::ColumnFamilyHandle* meta() const { return cfs_[4]; }
  // The largest sequence number a completed flush of `meta` (and, with
  // atomic_flush, of every family written with it) made durable.
  uint64_t meta_flushed_seqno() const;
  // Flushes the state families (nodes, sessions, meta) and waits.
  absl::Status FlushState();

 private:
  class FlushListener;
  RocksDb() = default;
  std::shared_ptr<FlushListener> flushes_;
  std::unique_ptr<rocksdb::Env> env_;  // test-only (power_loss.h); outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;  // default, log, nodes, sessions, meta
};

// Encodes v as 8 bytes big-endian (keys of `log`, `sessions`, values of `meta`).
std::string EncodeBigEndian64(uint64_t v);
uint64_t DecodeBigEndian64(std::string_view bytes);

class RocksTxnLog : public TxnLog {
 public:
  // rocks must outlive this object.
  static absl::StatusOr<std::unique_ptr<RocksTxnLog>> Open(RocksDb* rocks);

  absl::Status Append(absl::Span<const LogEntry> entries) override;
  absl::StatusOr<std::vector<LogEntry>> ReadAfter(::zab::Zxid after,
                                                  size_t max_entries) const override;
  absl::Status TruncateAfter(::zab::Zxid zxid) override;
  absl::Status PurgeBefore(::zab::Zxid zxid) override;
  ::zab::Zxid FirstZxid() const override { return ::zab::Zxid::FromRaw(first_.load()); }
  ::zab::Zxid LastZxid() const override { return ::zab::Zxid::FromRaw(last_.load()); }
  uint64_t SyncCount() const override { return syncs_.load(); }

 private:
  explicit RocksTxnLog(RocksDb* rocks) : rocks_(rocks) {}
  absl::Status RefreshBounds();

  RocksDb* rocks_;
  std::mutex write_mu_;  // serialises Append/Truncate/Purge and the bounds
  std::atomic<uint64_t> first_{0};
  std::atomic<uint64_t> last_{0};
  std::atomic<uint64_t> syncs_{0};
};

class RocksStateStore : public StateStore {
 public:
  static absl::StatusOr<std::unique_ptr<RocksStateStore>> Open(RocksDb* rocks);

  absl::Status Write(const StateBatch& batch) override;
  absl::Status ReplaceAll(const StateBatch& full_state) override;
  absl::Status Load(
      const std::function<absl::Status(const std::string&, const proto::ZnodeRecord&)>& on_node,
      const std::function<absl::Status(const proto::SessionRecord&)>& on_session) const override;
  ::zab::Zxid LastApplied() const override { return ::zab::Zxid::FromRaw(last_applied_.load()); }
  ::zab::Zxid DurableApplied() override;

 private:
  explicit RocksStateStore(RocksDb* rocks) : rocks_(rocks) {}
  absl::Status WriteInto(const StateBatch& batch, bool replace);
  // Moves durable_applied_ past every write a completed flush covers.
  void PruneFlushed();

  RocksDb* rocks_;
  std::atomic<uint64_t> last_applied_{0};
  // Written, not yet known flushed: (sequence number after the write, its
  // lastApplied), oldest first. Writing thread only.
  std::deque<std::pair<uint64_t, ::zab::Zxid>> unflushed_;
  ::zab::Zxid durable_applied_;
};

class RocksEpochStore : public EpochStore {
 public:
  static absl::StatusOr<std::unique_ptr<RocksEpochStore>> Open(RocksDb* rocks);

  uint32_t AcceptedEpoch() const override { return accepted_.load(); }
  uint32_t CurrentEpoch() const override { return current_.load(); }
  absl::Status SetAcceptedEpoch(uint32_t epoch) override;
  absl::Status SetCurrentEpoch(uint32_t epoch) override;

 private:
  explicit RocksEpochStore(RocksDb* rocks) : rocks_(rocks) {}
  absl::Status Put(const char* key, uint32_t epoch);

  RocksDb* rocks_;
  std::atomic<uint32_t> accepted_{0};
  std::atomic<uint32_t> current_{0};
};

}  // namespace zabkeeper::storage

#endif  // ZABKEEPER_STORAGE_ROCKSDB_STORAGE_H_
