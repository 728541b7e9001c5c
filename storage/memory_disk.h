// MemoryDisk: a simulated disk for the memory stores (memory_storage.h) of one
// server, so a deterministic simulator can crash a server and lose exactly
// what a power cut would lose.
//
// Model. Each attached store is a file with two copies of its data: the live
// view (the page cache: what reads see) and the durable view (the platter).
// A mutation of an attached store changes the live view at once and queues a
// pending write on the disk. Pending writes of all the disk's stores form one
// global order, as the server's log, state and epoch writes do in its one
// RocksDB WAL. One mutation (an Append of many entries, a StateBatch) is one
// write: it survives whole or not at all, like one RocksDB WriteBatch.
//
// - Sync() makes every pending write durable, in order.
// - FailNextSync(): the next Sync fails, and the disk is failed from then on:
//   every later Sync and every mutation of an attached store returns that
//   error and changes nothing. After a failed fsync nothing written since the
//   last good sync can be trusted (PostgreSQL's "fsyncgate", 2018), so the
//   server must stop; retrying the fsync would wrongly report success. The
//   writes that were pending stay pending: whether they reach the platter is
//   decided by the next Crash.
// - Crash(keep, tear): a power cut. The first `keep` pending writes reached
//   the platter, the rest are lost; with `tear`, the last kept write was torn
//   (detected at open by its checksum and cut, so lost too). Every attached
//   store's live view then becomes its durable view, and the disk is healthy
//   again, as for a restarted process on a replaced machine. What survives is
//   always a prefix of the global order, as TxnLog and StateStore promise.
//
// The stores are the files: keep them, and this disk, across a simulated
// restart and hand the same objects to the restarted server. A store must not
// outlive its disk; destroying a store drops its pending writes.
//
// Deterministic: no randomness, clock or threads inside; the caller picks
// `keep` and `tear` from its seeded RNG. Thread-safe: one mutex guards the
// disk and every store attached to it, so the order of the pending writes is
// the order in which the stores' live views changed.
#ifndef ZABKEEPER_STORAGE_MEMORY_DISK_H_
#define ZABKEEPER_STORAGE_MEMORY_DISK_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace zabkeeper::storage {

class MemoryDisk {
 public:
  // A bound on unsynced writes. Every server write path syncs (the log's
  // Append, ReplaceAll, the epoch setters) long before this; reaching it means
  // a runtime that never syncs, which is a bug, so it is a CHECK failure.
  static constexpr size_t kMaxPendingWrites = size_t{1} << 20;

  // One store's data on this disk (or only in memory, without a disk).
  template <typename View>
  class File;

  MemoryDisk() = default;
  MemoryDisk(const MemoryDisk&) = delete;
  MemoryDisk& operator=(const MemoryDisk&) = delete;
  ~MemoryDisk();

  // Makes every pending write durable. Fails, changing nothing, once the disk
  // has failed (FailNextSync).
  absl::Status Sync();

  // The next Sync fails with DataLoss and leaves the disk failed until Crash.
  void FailNextSync();

  // A power cut: keeps the first min(keep, pending()) pending writes (minus the
  // last of them if `tear`), drops the rest, resets every store's live view to
  // its durable view, and heals the disk (also clearing an unfired
  // FailNextSync).
  void Crash(size_t keep, bool tear);

  // Writes queued since the last Sync or Crash.
  size_t pending() const;
  // Successful Syncs since construction (kept across Crash).
  uint64_t syncs() const;
  // True from a failed Sync until the next Crash.
  bool failed() const;

 private:
  // What a File implements for Crash.
  class Client {
   public:
    virtual void RevertToDurable() = 0;

   protected:
    ~Client() = default;
  };
  struct PendingWrite {
    Client* file;
    std::function<void()> apply_durably;
  };

  // The *Locked members require mu_.
  void AttachLocked(Client* file);
  void DetachLocked(Client* file);
  absl::Status WritableLocked() const;
  void QueueLocked(Client* file, std::function<void()> apply_durably);
  absl::Status SyncLocked();

  mutable std::mutex mu_;
  std::vector<Client*> files_;
  // Bounded by kMaxPendingWrites.
  std::deque<PendingWrite> pending_;
  bool fail_next_sync_ = false;
  // OK while healthy; the error every Sync and mutation returns once failed.
  absl::Status failure_;
  uint64_t syncs_ = 0;
};

// A store's live view and, on a disk, its durable view. Without a disk there is
// only the live view, guarded by the File's own mutex, and every mutation is
// as durable as it gets (the behaviour of the memory stores before disks).
// With a disk, mu() is the disk's mutex.
template <typename View>
class MemoryDisk::File final : private MemoryDisk::Client {
 public:
  explicit File(MemoryDisk* disk) : disk_(disk), mu_(disk != nullptr ? disk->mu_ : own_mu_) {
    if (disk_ != nullptr) {
      std::lock_guard<std::mutex> lock(mu_);
      disk_->AttachLocked(this);
    }
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (disk_ != nullptr) {
      std::lock_guard<std::mutex> lock(mu_);
      disk_->DetachLocked(this);
    }
  }

  // Guards the views; the caller locks it around the members below.
  std::mutex& mu() const { return mu_; }

  const View& live() const { return live_; }

  // Applies `mutation` to the live view now and, on a disk, queues it as one
  // write to apply to the durable view. On a failed disk it returns the disk's
  // error and changes nothing. `mutation` must be deterministic: it runs again
  // on the durable view, which equals the live view as it was before.
  absl::Status MutateLocked(std::function<void(View&)> mutation) {
    if (disk_ == nullptr) {
      mutation(live_);
      return absl::OkStatus();
    }
    if (absl::Status s = disk_->WritableLocked(); !s.ok()) return s;
    mutation(live_);
    disk_->QueueLocked(this, [this, mutation = std::move(mutation)] { mutation(durable_); });
    return absl::OkStatus();
  }

  // Makes this disk's pending writes durable (OK without a disk).
  absl::Status SyncLocked() { return disk_ == nullptr ? absl::OkStatus() : disk_->SyncLocked(); }

 private:
  void RevertToDurable() override { live_ = durable_; }

  MemoryDisk* const disk_;
  mutable std::mutex own_mu_;
  std::mutex& mu_;
  View live_;
  // Unused without a disk.
  View durable_;
};

}  // namespace zabkeeper::storage

#endif  // ZABKEEPER_STORAGE_MEMORY_DISK_H_
