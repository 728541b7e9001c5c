#include "storage/memory_disk.h"

#include <algorithm>

#include "glog/logging.h"

namespace zabkeeper::storage {

MemoryDisk::~MemoryDisk() {
  std::lock_guard<std::mutex> lock(mu_);
  CHECK(files_.empty()) << "MemoryDisk destroyed before the " << files_.size() << " stores on it";
}

absl::Status MemoryDisk::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  return SyncLocked();
}

void MemoryDisk::FailNextSync() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_sync_ = true;
}

void MemoryDisk::Crash(size_t keep, bool tear) {
  std::lock_guard<std::mutex> lock(mu_);
  keep = std::min(keep, pending_.size());
  if (tear && keep > 0) --keep;  // a torn write fails its checksum and is cut
  for (size_t i = 0; i < keep; ++i) pending_[i].apply_durably();
  pending_.clear();
  for (Client* file : files_) file->RevertToDurable();
  fail_next_sync_ = false;
  failure_ = absl::OkStatus();
}

size_t MemoryDisk::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

uint64_t MemoryDisk::syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}

bool MemoryDisk::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !failure_.ok();
}

void MemoryDisk::AttachLocked(Client* file) { files_.push_back(file); }

void MemoryDisk::DetachLocked(Client* file) {
  std::erase(files_, file);
  std::erase_if(pending_, [file](const PendingWrite& w) { return w.file == file; });
}

absl::Status MemoryDisk::WritableLocked() const { return failure_; }

void MemoryDisk::QueueLocked(Client* file, std::function<void()> apply_durably) {
  CHECK_LT(pending_.size(), kMaxPendingWrites) << "MemoryDisk: too many writes without a Sync";
  pending_.push_back(PendingWrite{file, std::move(apply_durably)});
}

absl::Status MemoryDisk::SyncLocked() {
  if (!failure_.ok()) return failure_;
  if (fail_next_sync_) {
    fail_next_sync_ = false;
    failure_ = absl::DataLossError(
        "MemoryDisk: fsync failed (injected); writes since the last good sync may be lost and "
        "every later sync and write fails until the server restarts (Crash)");
    return failure_;
  }
  for (PendingWrite& w : pending_) w.apply_durably();
  pending_.clear();
  ++syncs_;
  return absl::OkStatus();
}

}  // namespace zabkeeper::storage
