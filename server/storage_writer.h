// StorageWriter: the thread that does a node's blocking I/O. It carries out
// the storage ops of NodeCore's batches in order, as node_core.h's NodeReady
// contract says, and reports completions back (Persisted, the epoch writes).
//
// Group commit (ZooKeeper's SyncRequestProcessor): appends are held while
// more batches are queued and written as one synced log write, so a busy
// node pays one fsync for many txns. Before an op whose order against the
// log matters (install, truncate, an epoch write) the held appends are
// written first. Applied state (kState) and purges go straight through:
// they touch only committed txns, durable already.
//
// A disk about to fill is waited out, not written into: with a reserve set
// (set_disk_reserve, zoo.cfg storage.minFreeMB), a log append or state
// write that would leave less free space than the reserve waits, checked
// every kDiskRetry, until there is room (the reserve, plus half of it again
// once full, so that a little space freed by RocksDB does not switch writes
// on and off), and Reports::disk_full tells the
// core when that starts and ends, so it refuses new client writes
// meanwhile. Nothing queued is lost or reordered, nothing is reported
// durable before it is, and RocksDB itself never meets a full disk (it
// stops all writes on ENOSPC, and its flushes and compactions need the
// reserve's room). Any storage error ends the process: a node that cannot
// trust its disk must not vote (ZooKeeper exits the same way).
#ifndef ZABKEEPER_SERVER_STORAGE_WRITER_H_
#define ZABKEEPER_SERVER_STORAGE_WRITER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "server/bounded_queue.h"
#include "server/node_core.h"
#include "storage/epoch_store.h"
#include "storage/state_store.h"
#include "storage/txn_log.h"

namespace zabkeeper::server {

class StorageWriter {
 public:
  // Called on the writer's thread; must not block.
  struct Reports {
    std::function<void(Zxid zxid)> persisted;
    std::function<void(uint32_t epoch)> accepted_epoch;
    std::function<void(uint32_t epoch)> current_epoch;
    // Sends AckFrame(zxid) to peer `to` (StorageOp::ack_to), ahead of the
    // persisted report: a follower's ACK leaves from this thread.
    std::function<void(uint64_t to, Zxid zxid)> ack;
    // Writes wait for disk room (true); there is room again (false).
    // Optional.
    std::function<void(bool full)> disk_full;
  };
  static constexpr std::chrono::milliseconds kDiskRetry{200};
  // Most txns written with one fsync: bounds the latency of a huge backlog.
  static constexpr size_t kMaxBatch = 2048;

  StorageWriter(storage::TxnLog* log, storage::StateStore* state, storage::EpochStore* epochs,
                Reports reports, size_t capacity);
  ~StorageWriter();

  // Keeps `min_free` bytes free on the disk, as `free_bytes` measures it
  // (statvfs of the data directory). Set before Start; none by default.
  void set_disk_reserve(std::function<uint64_t()> free_bytes, uint64_t min_free) {
    free_bytes_ = std::move(free_bytes);
    min_free_ = min_free;
  }

  void Start();
  // Carries out everything queued, then stops the thread.
  void Stop();
  // Queues one batch's ops; blocks while `capacity` batches are queued.
  void Submit(std::vector<StorageOp> ops);
  // Queues the ops and waits until they are carried out (the synchronous
  // kinds: kInstall, kTruncate).
  void SubmitAndWait(std::vector<StorageOp> ops);

  uint64_t txns_logged() const { return txns_.load(); }
  uint64_t syncs() const { return syncs_.load(); }
  uint64_t sync_micros_total() const { return sync_micros_.load(); }

 private:
  struct Job {
    std::vector<StorageOp> ops;
    std::shared_ptr<std::promise<void>> done;
  };
  void Run();
  void Execute(StorageOp& op);
  // Writes the held appends with one sync and reports them, capped at `cap`
  // (appends made before a truncation count only up to its point). While
  // the log.stall failpoint is armed (a slow log device), a `deferrable`
  // write is put off, so later epoch and state writes go ahead of it, and
  // any other write waits for the stall to end.
  void WriteHeld(Zxid cap, bool deferrable);
  // Waits until writing `bytes` leaves the reserve free (see above); false
  // when stopping meanwhile: then nothing more is written or reported, as
  // if the process had died there.
  bool WaitForRoom(uint64_t bytes);
  bool HasRoom(uint64_t bytes) const;

  storage::TxnLog* log_;
  storage::StateStore* state_;
  storage::EpochStore* epochs_;
  Reports reports_;
  std::function<uint64_t()> free_bytes_;
  uint64_t min_free_ = 0;
  BoundedQueue<Job> queue_;
  std::thread thread_;
  std::vector<storage::LogEntry> held_;  // writer thread only
  uint64_t held_ack_to_ = 0;             // ... the ACK owed once held_ is durable
  Zxid held_ack_zxid_;
  bool disk_full_ = false;  // writer thread only: inside WaitForRoom, full reported
  bool abandoned_ = false;  // writer thread only: stopped while waiting for room
  std::atomic<uint64_t> txns_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> sync_micros_{0};
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_STORAGE_WRITER_H_
