#include "server/storage_writer.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "glog/logging.h"
#include "server/failpoints.h"
#include "server/thread_name.h"
#include "server/write_trace.h"

namespace zabkeeper::server {
namespace {

constexpr size_t kAll = std::numeric_limits<size_t>::max();
constexpr Zxid kNoCap = Zxid::Max();

}  // namespace

StorageWriter::StorageWriter(storage::TxnLog* log, storage::StateStore* state,
                             storage::EpochStore* epochs, Reports reports, size_t capacity)
    : log_(log), state_(state), epochs_(epochs), reports_(std::move(reports)), queue_(capacity) {}

StorageWriter::~StorageWriter() { Stop(); }

void StorageWriter::Start() {
  thread_ = std::thread([this] {
    NameThisThread("zk-storage");
    Run();
  });
}

void StorageWriter::Stop() {
  queue_.Close();
  if (thread_.joinable()) thread_.join();
}

void StorageWriter::Submit(std::vector<StorageOp> ops) {
  if (ops.empty()) return;
  queue_.Push(Job{std::move(ops), nullptr});
}

void StorageWriter::SubmitAndWait(std::vector<StorageOp> ops) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  if (!queue_.Push(Job{std::move(ops), done})) return;  // stopping
  finished.wait();
}

void StorageWriter::Run() {
  while (true) {
    // Everything queued while the last sync ran forms the next batch. Held
    // appends (put off by a stall) are retried every few milliseconds.
    std::vector<Job> jobs = held_.empty() ? queue_.PopBatch(kAll)
                                          : queue_.PopBatchFor(kAll, std::chrono::milliseconds(10));
    if (jobs.empty() && queue_.closed()) {
      // Stopping during a stall drops the held appends, as a crash would.
      WriteHeld(kNoCap, /*deferrable=*/true);
      return;
    }
    for (Job& job : jobs) {
      for (StorageOp& op : job.ops) {
        if (!abandoned_) Execute(op);
      }
      if (job.done) job.done->set_value();  // its synchronous ops are durable
    }
    WriteHeld(kNoCap, /*deferrable=*/true);
  }
}

void StorageWriter::Execute(StorageOp& op) {
  absl::Status s;
  switch (op.kind) {
    case StorageOp::kInstall:
      // Earlier appends land first; the log they were in is then emptied,
      // so they are not reported: the log after the install is another.
      WriteHeld(Zxid(), /*deferrable=*/false);
      if (abandoned_) return;  // stopped while waiting for disk room
      ZK_FAILPOINT_CRASH("snap.before_install");
      s = log_->TruncateAfter(Zxid());
      // The log is emptied, the state not yet replaced: recovery must cope.
      if (s.ok()) ZK_FAILPOINT_CRASH("snap.during_install");
      if (s.ok() && !WaitForRoom(0)) return;
      if (s.ok()) s = state_->ReplaceAll(op.state);
      break;
    case StorageOp::kTruncate:
      WriteHeld(op.zxid, /*deferrable=*/false);
      if (abandoned_) return;  // stopped while waiting for disk room
      s = log_->TruncateAfter(op.zxid);
      break;
    case StorageOp::kAppend:
      if (op.ack_to != 0 && !op.entries.empty()) {
        held_ack_to_ = op.ack_to;
        held_ack_zxid_ = op.entries.back().zxid;
      }
      for (storage::LogEntry& e : op.entries) held_.push_back(std::move(e));
      if (held_.size() >= kMaxBatch) WriteHeld(kNoCap, /*deferrable=*/true);
      break;
    case StorageOp::kAcceptedEpoch:
      WriteHeld(kNoCap, /*deferrable=*/true);
      if (abandoned_) return;  // stopped while waiting for disk room
      ZK_FAILPOINT_CRASH("epoch.before_accepted_write");
      s = epochs_->SetAcceptedEpoch(op.epoch);
      CHECK(s.ok()) << "persisting acceptedEpoch failed: " << s;
      ZK_FAILPOINT_CRASH("epoch.after_accepted_write");
      reports_.accepted_epoch(op.epoch);
      break;
    case StorageOp::kCurrentEpoch:
      WriteHeld(kNoCap, /*deferrable=*/true);
      if (abandoned_) return;  // stopped while waiting for disk room
      ZK_FAILPOINT_CRASH("epoch.before_current_write");
      s = epochs_->SetCurrentEpoch(op.epoch);
      CHECK(s.ok()) << "persisting currentEpoch failed: " << s;
      ZK_FAILPOINT_CRASH("epoch.after_current_write");
      reports_.current_epoch(op.epoch);
      break;
    case StorageOp::kState:
      if (!WaitForRoom(0)) return;
      s = state_->Write(op.state);
      break;
    case StorageOp::kPurge: {
      // Only what the state store cannot lose any more: a restart replays
      // the log after its durable point. Losing a purge only keeps more log,
      // so a failure is worth a warning.
      if (absl::Status p = log_->PurgeBefore(storage::PurgePoint(op.zxid, *state_)); !p.ok()) {
        LOG(WARNING) << "log purge failed: " << p;
      }
      break;
    }
  }
  CHECK(s.ok()) << "storage op " << static_cast<int>(op.kind) << " failed: " << s;
}

bool StorageWriter::HasRoom(uint64_t bytes) const {
  // Once full, writes resume only with half the reserve again free: RocksDB
  // frees a few MB now and then (a flush retires a WAL, a compaction ends),
  // and that alone must not switch writes on and off.
  const uint64_t margin = disk_full_ ? min_free_ / 2 : 0;
  return !free_bytes_ || free_bytes_() >= min_free_ + margin + bytes;
}

bool StorageWriter::WaitForRoom(uint64_t bytes) {
  while (!HasRoom(bytes)) {
    if (!disk_full_) {
      disk_full_ = true;
      LOG(ERROR) << "disk full: fewer than " << (min_free_ >> 20)
                 << " MB free (storage.minFreeMB); writes wait for room";
      if (reports_.disk_full) reports_.disk_full(true);
    }
    if (queue_.closed()) {
      LOG(WARNING) << "stopping while waiting for disk room: what was not written is dropped";
      abandoned_ = true;
      return false;
    }
    std::this_thread::sleep_for(kDiskRetry);
  }
  if (disk_full_) {
    disk_full_ = false;
    LOG(WARNING) << "disk has room again: writes resume";
    if (reports_.disk_full) reports_.disk_full(false);
  }
  return true;
}

void StorageWriter::WriteHeld(Zxid cap, bool deferrable) {
  if (held_.empty() || abandoned_) return;
  if (deferrable && ZK_FAILPOINT_ARMED("log.stall")) return;
  ZK_FAILPOINT_STALL("log.stall");
  uint64_t bytes = 0;
  for (const storage::LogEntry& e : held_) bytes += e.txn.size();
  if (!WaitForRoom(bytes)) return;
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = log_->Append(held_);
  CHECK(s.ok()) << "log append failed: " << s;
  ZK_FAILPOINT_CRASH("log.after_sync");
  ZK_TRACE("disk.synced", held_.back().zxid.raw());
  sync_micros_ += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::steady_clock::now() - start)
                                            .count());
  ++syncs_;
  txns_ += held_.size();
  const Zxid persisted = std::min(held_.back().zxid, cap);
  held_.clear();
  if (held_ack_to_ != 0 && held_ack_zxid_ <= cap) reports_.ack(held_ack_to_, held_ack_zxid_);
  held_ack_to_ = 0;
  if (!persisted.IsZero()) reports_.persisted(persisted);
}

}  // namespace zabkeeper::server
