// ZkServer's apply path: committed txns applied to the tree in zxid order,
// replies and watch events released after apply, the log purged behind the
// state store, and the leader's timers (session expiry, container and TTL
// reaping) that turn into txns of their own.
#include <malloc.h>

#include <chrono>

#include "glog/logging.h"
#include "server/node_reaper.h"
#include "server/request_util.h"
#include "server/zk_server.h"

namespace zabkeeper::server {

// ---- apply path ------------------------------------------------------------

void ZkServer::ApplyLoop() {
  while (true) {
    std::vector<ApplyItem> items = apply_queue_.PopBatch(64);
    if (items.empty()) return;
    for (ApplyItem& item : items) {
      if (item.snapshot) {
        std::string data;
        const auto start = std::chrono::steady_clock::now();
        int64_t fill_ms = 0;
        {
          // Scoped: destroyed (Clear keeps the elements) before malloc_trim.
          proto::StateSnapshot snapshot;
          {
            std::shared_lock<std::shared_mutex> tree(tree_mu_);
            state_.FillSnapshot(&snapshot);
          }
          fill_ms = MillisSince(start);
          if (snapshot.zxid() != item.snapshot_zxid) {
            LOG(ERROR) << "snapshot for " << item.follower << " asked at 0x" << std::hex
                       << item.snapshot_zxid << " but state is at 0x" << snapshot.zxid();
          }
          if (driver_) data = snapshot.SerializeAsString();
        }
        LOG(INFO) << "snapshot for server " << item.follower << ": " << data.size()
                  << " bytes, built in " << fill_ms << " ms, serialized in "
                  << MillisSince(start) - fill_ms << " ms";
        if (driver_) driver_->OnSnapshotReady(item.follower, item.snapshot_zxid, std::move(data));
        // A big snapshot leaves hundreds of MB in malloc's free lists.
        malloc_trim(0);
      } else {
        ApplyEntries(item.entries);
      }
      {
        std::lock_guard<std::mutex> lock(apply_idle_mu_);
        ++apply_done_;
      }
      apply_idle_cv_.notify_all();
    }
  }
}

void ZkServer::ApplyEntries(const std::vector<::zab::LogEntry>& entries) {
  if (entries.empty()) return;
  storage::StateBatch state_batch;
  {
    std::unique_lock<std::shared_mutex> tree(tree_mu_);
    for (const ::zab::LogEntry& e : entries) {
      proto::Txn txn;
      if (!txn.ParseFromString(e.txn)) {
        // Every server logged the same bytes; a txn that does not parse here
        // is corrupt storage, and applying around it would fork the state.
        LOG(FATAL) << "corrupt committed txn at " << e.zxid;
      }
      ApplyOne(static_cast<int64_t>(e.zxid.raw()), txn);
    }
    state_batch = state_.TakeBatch();
    last_applied_ = state_.last_applied();
  }
  // Not synced: rides behind the synced log records in the same WAL.
  absl::Status status = state_store_->Write(state_batch);
  CHECK(status.ok()) << "state store write failed: " << status;
  {
    std::lock_guard<std::mutex> prep(prep_mu_);
    preparer_.Applied(static_cast<int64_t>(entries.back().zxid.raw()));
  }
  for (const ::zab::LogEntry& e : entries) retained_zxids_.push_back(e.zxid.raw());
  PurgeLog();
  CompletePendingSyncs();
  driver_->OnApplied();
}

void ZkServer::PurgeLog() {
  // Keep the most recent kRetainedLogEntries applied txns (for DIFF after a
  // restart); older ones are in the state store already. Purge in steps.
  constexpr size_t kRetainedLogEntries = 10000;
  constexpr size_t kPurgeStep = 1000;
  if (retained_zxids_.size() < kRetainedLogEntries + kPurgeStep) return;
  while (retained_zxids_.size() > kRetainedLogEntries) retained_zxids_.pop_front();
  absl::Status s = txn_log_->PurgeBefore(retained_zxids_.front());
  if (!s.ok()) LOG(WARNING) << "log purge failed: " << s;
}

void ZkServer::ApplyOne(int64_t zxid, const proto::Txn& txn) {
  ChangeSet changes;
  ApplyResult result = state_.Apply(static_cast<uint64_t>(zxid), txn, &changes);
  const int64_t sid = txn.session_id();
  std::shared_ptr<Connection> conn;
  if (txn.has_close_session()) {
    tracker_.Remove(sid);
    watches_.RemoveSession(sid);
    std::lock_guard<std::mutex> lock(conns_mu_);
    auto it = session_conns_.find(sid);
    if (it != session_conns_.end()) {
      conn = std::move(it->second);
      session_conns_.erase(it);
    }
  } else {
    if (txn.has_create_session()) tracker_.Track(sid, txn.create_session().timeout_ms());
    conn = ConnOf(sid);
  }
  for (const TreeEvent& ev : changes.events) {
    if (ev.type == proto::NODE_DELETED) {
      recent_deletes_.Add(zxid, ev.path);
    }
    for (int64_t watcher : watches_.Trigger(ev.type, ev.path)) {
      if (std::shared_ptr<Connection> c = ConnOf(watcher)) {
        c->Event(WatchEventResponse(ev.type, ev.path, zxid));
      }
    }
  }
  if (!conn) return;  // the session is attached to another server (or none)

  if (txn.has_close_session() && txn.close_session().expired()) {
    proto::Response r = WatchEventResponse(proto::NONE, "", zxid);
    r.mutable_watch_event()->set_state(proto::EXPIRED);
    conn->Event(std::move(r));
    conn->CloseStream();
    return;
  }
  proto::Response response = WriteResponseOf(txn, std::move(result), zxid, config_.my_id);
  conn->CompleteWrite(std::move(response), ReaderFor(sid, *conn));
  if (txn.has_close_session()) conn->CloseStream();
}

void ZkServer::ExpiryLoop() {
  const auto period = std::chrono::milliseconds(std::max(config_.tick_time_ms / 2, 10));
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, period, [&] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    if (!expiry_enabled_.load()) {
      lock.lock();
      continue;
    }
    ReapNodes();
    for (int64_t sid : tracker_.TakeExpired()) {
      LOG(INFO) << "session 0x" << std::hex << sid << " expired";
      WriteRequest expire;
      expire.session_id = sid;
      expire.expire = true;
      Submit(nullptr, std::move(expire));
    }
    lock.lock();
  }
}

void ZkServer::ReapNodes() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_reap_) return;
  const int interval = config_.container_check_interval_ms;
  next_reap_ = now + std::chrono::milliseconds(interval);
  const size_t limit = std::max<size_t>(
      1, static_cast<size_t>(int64_t{config_.container_max_per_minute} * interval / 60000));
  std::vector<ReapCandidate> candidates;
  {
    std::shared_lock<std::shared_mutex> tree(tree_mu_);
    candidates = FindReapable(state_.tree(), WallMillis(), limit);
  }
  for (const ReapCandidate& c : candidates) {
    WriteRequest write;
    write.request.mutable_delete_()->set_path(c.path);
    write.request.mutable_delete_()->set_version(c.version);
    write.internal = true;
    Submit(nullptr, std::move(write));
  }
}

}  // namespace zabkeeper::server
