#include "storage/rocksdb_storage.h"

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "storage/power_loss.h"

namespace zabkeeper::storage {
namespace {

constexpr char kAcceptedEpochKey[] = "acceptedEpoch";
constexpr char kCurrentEpochKey[] = "currentEpoch";
constexpr char kLastAppliedKey[] = "lastApplied";

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("rocksdb ", what, ": ", s.ToString()));
}

rocksdb::Slice AsSlice(const std::string& s) { return rocksdb::Slice(s.data(), s.size()); }

// Reads an 8-byte big-endian value of meta; 0 when missing.
absl::StatusOr<uint64_t> ReadMeta(RocksDb* rocks, const char* key) {
  std::string value;
  rocksdb::Status s = rocks->db()->Get(rocksdb::ReadOptions(), rocks->meta(), key, &value);
  if (s.IsNotFound()) return 0;
  if (!s.ok()) return FromRocks(s, "read meta");
  if (value.size() != 8) {
    return absl::DataLossError(absl::StrCat("meta key ", key, " has ", value.size(), " bytes"));
  }
  return DecodeBigEndian64(value);
}

}  // namespace

std::string EncodeBigEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t DecodeBigEndian64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  }
  return v;
}

// Remembers how far flushes of `meta` got: its memtable holds every state
// batch's lastApplied, and atomic_flush flushes nodes and sessions with it.
class RocksDb::FlushListener : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo& info) override {
    if (info.cf_name != "meta") return;
    uint64_t seen = seqno_.load();
    while (info.largest_seqno > seen && !seqno_.compare_exchange_weak(seen, info.largest_seqno)) {
    }
  }
  uint64_t seqno() const { return seqno_.load(); }

 private:
  std::atomic<uint64_t> seqno_{0};
};

uint64_t RocksDb::meta_flushed_seqno() const { return flushes_->seqno(); }

absl::Status RocksDb::FlushState() {
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(db_->Flush(options, {nodes(), sessions(), meta()}), "flush state");
}

absl::StatusOr<std::unique_ptr<RocksDb>> RocksDb::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  // Small write buffers keep memory low; the tree lives in memory anyway and
  // RocksDB is read only at startup. One budget for all column families: the
  // log and nodes families are written at the same rate, and separate 32 MB
  // buffers each held ~80 MB more per server at 1M znodes.
  options.write_buffer_size = 8 << 20;
  options.db_write_buffer_size = 24 << 20;
  options.max_total_wal_size = 256 << 20;
  // State batches skip the WAL (rocksdb_storage.h): their families must
  // reach disk together or not at all.
  options.atomic_flush = true;
  auto flushes = std::make_shared<FlushListener>();
  options.listeners.push_back(flushes);

  std::unique_ptr<rocksdb::Env> env;
  if (PowerLossModeEnabled()) {
    // Test-only (storage/power_loss.h): cut what the last run left unsynced.
    absl::StatusOr<uint64_t> dropped = DropUnsyncedWal(dir);
    if (!dropped.ok()) return dropped.status();
    LOG(WARNING) << "power-loss mode: dropped " << *dropped << " unsynced WAL bytes in " << dir;
    env = SyncLedgerEnv(dir);
    options.env = env.get();
  }

  rocksdb::ColumnFamilyOptions cf_options(options);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {"log", cf_options},
      {"nodes", cf_options},
      {"sessions", cf_options},
      {"meta", cf_options},
  };
  std::unique_ptr<RocksDb> rocks(new RocksDb());
  rocks->flushes_ = std::move(flushes);
  rocks->env_ = std::move(env);
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, descriptors, &rocks->cfs_, &db);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open ", dir));
  rocks->db_.reset(db);
  return rocks;
}

RocksDb::~RocksDb() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* cf : cfs_) {
    db_->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

absl::StatusOr<std::unique_ptr<RocksTxnLog>> RocksTxnLog::Open(RocksDb* rocks) {
  std::unique_ptr<RocksTxnLog> log(new RocksTxnLog(rocks));
  if (absl::Status s = log->RefreshBounds(); !s.ok()) return s;
  return log;
}

absl::Status RocksTxnLog::RefreshBounds() {
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_->db()->NewIterator(rocksdb::ReadOptions(), rocks_->log()));
  it->SeekToFirst();
  first_ = it->Valid() ? DecodeBigEndian64(it->key().ToStringView()) : 0;
  it->SeekToLast();
  last_ = it->Valid() ? DecodeBigEndian64(it->key().ToStringView()) : 0;
  return FromRocks(it->status(), "scan log");
}

absl::Status RocksTxnLog::Append(absl::Span<const LogEntry> entries) {
  if (entries.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(write_mu_);
  uint64_t last = last_.load();
  rocksdb::WriteBatch batch;
  for (const LogEntry& e : entries) {
    if (e.zxid.raw() <= last) {
      return absl::FailedPreconditionError(
          absl::StrCat("log append out of order: zxid ", e.zxid.raw(), " after ", last));
    }
    last = e.zxid.raw();
    batch.Put(rocks_->log(), EncodeBigEndian64(e.zxid.raw()), AsSlice(e.txn));
  }
  rocksdb::WriteOptions options;
  options.sync = true;
  if (absl::Status s = FromRocks(rocks_->db()->Write(options, &batch), "append log"); !s.ok()) {
    return s;
  }
  if (first_.load() == 0) first_ = entries.front().zxid.raw();
  last_ = last;
  ++syncs_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LogEntry>> RocksTxnLog::ReadAfter(::zab::Zxid after,
                                                             size_t max_entries) const {
  std::vector<LogEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_->db()->NewIterator(rocksdb::ReadOptions(), rocks_->log()));
  for (it->Seek(EncodeBigEndian64(after.raw() + 1)); it->Valid() && out.size() < max_entries;
       it->Next()) {
    out.push_back(LogEntry{::zab::Zxid::FromRaw(DecodeBigEndian64(it->key().ToStringView())),
                           it->value().ToString()});
  }
  if (absl::Status s = FromRocks(it->status(), "read log"); !s.ok()) return s;
  return out;
}

absl::Status RocksTxnLog::TruncateAfter(::zab::Zxid zxid) {
  if (zxid.raw() == ~uint64_t{0}) return absl::OkStatus();  // nothing is after it (zxid + 1 wraps)
  std::lock_guard<std::mutex> lock(write_mu_);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(rocks_->log(), EncodeBigEndian64(zxid.raw() + 1),
                    EncodeBigEndian64(~uint64_t{0}));
  batch.Delete(rocks_->log(), EncodeBigEndian64(~uint64_t{0}));
  rocksdb::WriteOptions options;
  options.sync = true;
  if (absl::Status s = FromRocks(rocks_->db()->Write(options, &batch), "truncate log"); !s.ok()) {
    return s;
  }
  return RefreshBounds();
}

absl::Status RocksTxnLog::PurgeBefore(::zab::Zxid zxid) {
  std::lock_guard<std::mutex> lock(write_mu_);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(rocks_->log(), EncodeBigEndian64(0), EncodeBigEndian64(zxid.raw()));
  if (absl::Status s = FromRocks(rocks_->db()->Write(rocksdb::WriteOptions(), &batch), "purge log");
      !s.ok()) {
    return s;
  }
  return RefreshBounds();
}

absl::StatusOr<std::unique_ptr<RocksStateStore>> RocksStateStore::Open(RocksDb* rocks) {
  std::unique_ptr<RocksStateStore> store(new RocksStateStore(rocks));
  absl::StatusOr<uint64_t> applied = ReadMeta(rocks, kLastAppliedKey);
  if (!applied.ok()) return applied.status();
  store->last_applied_ = *applied;
  store->durable_applied_ = ::zab::Zxid::FromRaw(*applied);  // read back from disk: durable
  return store;
}

absl::Status RocksStateStore::WriteInto(const StateBatch& batch, bool replace) {
  rocksdb::WriteBatch wb;
  if (replace) {
    // Every path starts with '/' (0x2f) and sorts below "0" (0x30).
    wb.DeleteRange(rocks_->nodes(), "/", "0");
    wb.DeleteRange(rocks_->sessions(), std::string(8, '\0'), std::string(9, '\xff'));
  }
  std::string buffer;
  for (const auto& [path, record] : batch.nodes) {
    if (record) {
      buffer.clear();
      record->SerializeToString(&buffer);
      wb.Put(rocks_->nodes(), AsSlice(path), AsSlice(buffer));
    } else {
      wb.Delete(rocks_->nodes(), AsSlice(path));
    }
  }
  for (const auto& [id, record] : batch.sessions) {
    std::string key = EncodeBigEndian64(static_cast<uint64_t>(id));
    if (record) {
      buffer.clear();
      record->SerializeToString(&buffer);
      wb.Put(rocks_->sessions(), key, AsSlice(buffer));
    } else {
      wb.Delete(rocks_->sessions(), key);
    }
  }
  wb.Put(rocks_->meta(), kLastAppliedKey, EncodeBigEndian64(batch.last_applied.raw()));
  rocksdb::WriteOptions options;
  options.disableWAL = true;  // the log holds every txn already
  if (absl::Status s = FromRocks(rocks_->db()->Write(options, &wb), "write state"); !s.ok()) {
    return s;
  }
  last_applied_ = batch.last_applied.raw();
  // This thread writes everything, so the latest sequence number is this
  // batch's last one.
  unflushed_.emplace_back(rocks_->db()->GetLatestSequenceNumber(), batch.last_applied);
  PruneFlushed();  // keeps the list as short as the memtable, not the purge cadence
  return absl::OkStatus();
}

absl::Status RocksStateStore::Write(const StateBatch& batch) {
  return WriteInto(batch, /*replace=*/false);
}

absl::Status RocksStateStore::ReplaceAll(const StateBatch& full_state) {
  // A replaced state must be durable before the caller trims its log.
  if (absl::Status s = WriteInto(full_state, /*replace=*/true); !s.ok()) return s;
  if (absl::Status s = rocks_->FlushState(); !s.ok()) return s;
  unflushed_.clear();
  durable_applied_ = full_state.last_applied;
  return absl::OkStatus();
}

void RocksStateStore::PruneFlushed() {
  const uint64_t flushed = rocks_->meta_flushed_seqno();
  while (!unflushed_.empty() && unflushed_.front().first <= flushed) {
    durable_applied_ = unflushed_.front().second;
    unflushed_.pop_front();
  }
}

::zab::Zxid RocksStateStore::DurableApplied() {
  PruneFlushed();
  return durable_applied_;
}

absl::Status RocksStateStore::Load(
    const std::function<absl::Status(const std::string&, const proto::ZnodeRecord&)>& on_node,
    const std::function<absl::Status(const proto::SessionRecord&)>& on_session) const {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // one sequential scan; do not evict hot blocks
  const rocksdb::Snapshot* snapshot = rocks_->db()->GetSnapshot();
  options.snapshot = snapshot;
  absl::Status status = absl::OkStatus();
  {
    std::unique_ptr<rocksdb::Iterator> it(rocks_->db()->NewIterator(options, rocks_->nodes()));
    proto::ZnodeRecord record;
    for (it->SeekToFirst(); status.ok() && it->Valid(); it->Next()) {
      if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        status =
            absl::DataLossError(absl::StrCat("corrupt znode record at ", it->key().ToString()));
        break;
      }
      status = on_node(it->key().ToString(), record);
    }
    if (status.ok()) status = FromRocks(it->status(), "scan nodes");
  }
  if (status.ok()) {
    std::unique_ptr<rocksdb::Iterator> it(rocks_->db()->NewIterator(options, rocks_->sessions()));
    proto::SessionRecord record;
    for (it->SeekToFirst(); status.ok() && it->Valid(); it->Next()) {
      if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        status = absl::DataLossError("corrupt session record");
        break;
      }
      status = on_session(record);
    }
    if (status.ok()) status = FromRocks(it->status(), "scan sessions");
  }
  rocks_->db()->ReleaseSnapshot(snapshot);
  return status;
}

absl::StatusOr<std::unique_ptr<RocksEpochStore>> RocksEpochStore::Open(RocksDb* rocks) {
  std::unique_ptr<RocksEpochStore> store(new RocksEpochStore(rocks));
  absl::StatusOr<uint64_t> accepted = ReadMeta(rocks, kAcceptedEpochKey);
  if (!accepted.ok()) return accepted.status();
  absl::StatusOr<uint64_t> current = ReadMeta(rocks, kCurrentEpochKey);
  if (!current.ok()) return current.status();
  store->accepted_ = static_cast<uint32_t>(*accepted);
  store->current_ = static_cast<uint32_t>(*current);
  return store;
}

absl::Status RocksEpochStore::Put(const char* key, uint32_t epoch) {
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(rocks_->db()->Put(options, rocks_->meta(), key, EncodeBigEndian64(epoch)),
                   "write epoch");
}

absl::Status RocksEpochStore::SetAcceptedEpoch(uint32_t epoch) {
  if (absl::Status s = Put(kAcceptedEpochKey, epoch); !s.ok()) return s;
  accepted_ = epoch;
  return absl::OkStatus();
}

absl::Status RocksEpochStore::SetCurrentEpoch(uint32_t epoch) {
  if (absl::Status s = Put(kCurrentEpochKey, epoch); !s.ok()) return s;
  current_ = epoch;
  return absl::OkStatus();
}

}  // namespace zabkeeper::storage
