// ZkServer: the hooks the EnsembleDriver calls (prepare on the leader, log
// and apply on every member, snapshots, roles, forwarded replies).
#include <malloc.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/errors.h"
#include "server/path_util.h"
#include "server/request_util.h"
#include "server/zk_server.h"

namespace zabkeeper::server {

proto::Txn ZkServer::PrepareWrite(const WriteRequest& write, int64_t zxid) {
  std::lock_guard<std::mutex> prep(prep_mu_);
  return PrepareLocked(write, zxid);
}

proto::Txn ZkServer::PrepareLocked(const WriteRequest& write, int64_t zxid) {
  std::shared_lock<std::shared_mutex> tree(tree_mu_);
  return preparer_.PrepareWrite(state_.tree(), write, zxid, WallMillis(),
                                state_.sessions().contains(write.session_id));
}

void ZkServer::ResetPreparer() {
  std::lock_guard<std::mutex> prep(prep_mu_);
  preparer_.Reset();
}

void ZkServer::AppendToLog(std::vector<::zab::LogEntry> entries, bool now) {
  if (now) {
    std::vector<storage::LogEntry> batch;
    batch.reserve(entries.size());
    for (::zab::LogEntry& e : entries) batch.push_back({e.zxid.raw(), std::move(e.txn)});
    log_stage_->WriteNow(batch);
    return;
  }
  for (::zab::LogEntry& e : entries) log_stage_->Append({e.zxid.raw(), std::move(e.txn)});
}

absl::Status ZkServer::TruncateLog(uint64_t zxid) {
  log_stage_->Flush();  // no append may land after the truncation
  return txn_log_->TruncateAfter(zxid);
}

absl::Status ZkServer::InstallSnapshot(uint64_t zxid, const std::string& data) {
  const auto start = std::chrono::steady_clock::now();
  int64_t parsed_ms = 0, loaded_ms = 0;
  int nodes = 0;
  int sessions = 0;
  {
    // Scoped: the parsed message and the state batch must be destroyed (not
    // just cleared, which keeps their elements) before malloc_trim below.
    proto::StateSnapshot snapshot;
    if (!snapshot.ParseFromString(data)) {
      return absl::DataLossError("corrupt snapshot from leader");
    }
    snapshot.set_zxid(zxid);
    parsed_ms = MillisSince(start);
    log_stage_->Flush();
    WaitApplyIdle();
    // Log first: a crash in between leaves the old state with an empty log,
    // which simply syncs again; the reverse could pair new state with old txns.
    if (absl::Status s = txn_log_->TruncateAfter(0); !s.ok()) return s;
    nodes = snapshot.nodes_size();
    sessions = snapshot.sessions_size();
    {
      std::unique_lock<std::shared_mutex> tree(tree_mu_);
      if (absl::Status s = state_.LoadSnapshot(snapshot); !s.ok()) return s;
      last_applied_ = state_.last_applied();
      tracker_.Clear();  // sessions closed in the history the snapshot covers go too
      TrackAllSessions();
    }
    loaded_ms = MillisSince(start);
    // Durable before the core hears the install is done (it is synchronous).
    storage::StateBatch full;
    full.last_applied = zxid;
    full.nodes.reserve(snapshot.nodes_size());
    for (proto::StateSnapshot::Node& n : *snapshot.mutable_nodes()) {
      full.nodes.emplace_back(std::move(*n.mutable_path()), std::move(*n.mutable_record()));
    }
    for (proto::SessionRecord& r : *snapshot.mutable_sessions()) {
      full.sessions.emplace_back(r.session_id(), std::move(r));
    }
    if (absl::Status s = state_store_->ReplaceAll(full); !s.ok()) return s;
  }
  {
    std::lock_guard<std::mutex> prep(prep_mu_);
    preparer_.Reset();
  }
  retained_zxids_.clear();
  malloc_trim(0);  // the snapshot's buffers are free now; give them back
  LOG(INFO) << "installed snapshot at zxid 0x" << std::hex << zxid << std::dec << ": " << nodes
            << " znodes, " << sessions << " sessions, " << data.size() << " bytes in "
            << MillisSince(start) << " ms (parsed at " << parsed_ms << ", tree loaded at "
            << loaded_ms << ", stored and synced after)";
  return absl::OkStatus();
}

absl::Status ZkServer::PersistAcceptedEpoch(uint32_t epoch) {
  return epoch_store_->SetAcceptedEpoch(epoch);
}

absl::Status ZkServer::PersistCurrentEpoch(uint32_t epoch) {
  return epoch_store_->SetCurrentEpoch(epoch);
}

void ZkServer::EnqueueCommitted(std::vector<::zab::LogEntry> entries) {
  ApplyItem item;
  item.entries = std::move(entries);
  {
    std::lock_guard<std::mutex> lock(apply_idle_mu_);
    ++apply_enqueued_;
  }
  apply_queue_.Push(std::move(item));
}

void ZkServer::EnqueueSnapshotRequest(uint64_t follower, uint64_t zxid) {
  ApplyItem item;
  item.snapshot = true;
  item.follower = follower;
  item.snapshot_zxid = zxid;
  {
    std::lock_guard<std::mutex> lock(apply_idle_mu_);
    ++apply_enqueued_;
  }
  apply_queue_.Push(std::move(item));
}

void ZkServer::WaitApplyIdle() {
  std::unique_lock<std::mutex> lock(apply_idle_mu_);
  apply_idle_cv_.wait(lock, [&] { return apply_done_ >= apply_enqueued_ || stopping_; });
}

void ZkServer::SetRole(const std::string& state, bool serving, bool leader) {
  bool was_serving;
  {
    std::lock_guard<std::mutex> lock(role_mu_);
    // A one-voter ensemble's leader is what ZooKeeper calls standalone.
    role_state_ = config_.standalone() && state == "leader" ? "standalone" : state;
    was_serving = serving_.exchange(serving);
  }
  role_cv_.notify_all();
  if (leader) {
    // The new leader owns expiry; every session gets a full timeout from now
    // so a leader change never expires a healthy session.
    std::shared_lock<std::shared_mutex> tree(tree_mu_);
    TrackAllSessions();
  }
  expiry_enabled_ = leader;
  if (was_serving && !serving) CloseAllClientStreams();
}

void ZkServer::CloseAllClientStreams() {
  std::vector<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    for (auto& [sid, conn] : session_conns_) conns.push_back(conn);
    session_conns_.clear();
  }
  for (auto& conn : conns) {
    watches_.RemoveSession(conn->session_id());
    conn->CloseStream();
  }
}

void ZkServer::FailWrite(int64_t session_id, int64_t xid, proto::ErrorCode code,
                         const std::string& message) {
  std::shared_ptr<Connection> conn = ConnOf(session_id);
  if (!conn) return;
  std::shared_lock<std::shared_mutex> tree(tree_mu_);
  conn->CompleteWrite(ErrorResponse(xid, proto::OP_ERROR, code, message),
                      ReaderFor(session_id, *conn));
}

void ZkServer::AddPendingSync(int64_t session_id, int64_t xid, uint64_t zxid) {
  {
    std::lock_guard<std::mutex> lock(syncs_mu_);
    pending_syncs_.push_back(PendingSync{zxid, session_id, xid});
  }
  if (last_applied_.load() >= zxid) CompletePendingSyncs();
}

void ZkServer::CompletePendingSyncs() {
  std::vector<PendingSync> done;
  {
    std::lock_guard<std::mutex> lock(syncs_mu_);
    const uint64_t applied = last_applied_.load();
    for (auto it = pending_syncs_.begin(); it != pending_syncs_.end();) {
      if (it->zxid <= applied) {
        done.push_back(*it);
        it = pending_syncs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const PendingSync& ps : done) {
    std::shared_ptr<Connection> conn = ConnOf(ps.session_id);
    if (!conn) continue;
    proto::Response r;
    r.set_xid(ps.xid);
    r.set_op(proto::OP_SYNC);
    r.set_zxid(static_cast<int64_t>(last_applied_.load()));
    r.mutable_sync();
    std::shared_lock<std::shared_mutex> tree(tree_mu_);
    conn->CompleteWrite(std::move(r), ReaderFor(ps.session_id, *conn));
  }
}

void ZkServer::RetryExpire(int64_t session_id) {
  std::shared_lock<std::shared_mutex> tree(tree_mu_);
  if (state_.sessions().contains(session_id)) tracker_.Track(session_id, 0);
}

void ZkServer::TouchSessions(const google::protobuf::RepeatedField<int64_t>& sessions) {
  for (int64_t sid : sessions) tracker_.Touch(sid);
}

std::vector<int64_t> ZkServer::TakeTouchedSessions() {
  std::lock_guard<std::mutex> lock(touched_mu_);
  std::vector<int64_t> out(touched_.begin(), touched_.end());
  touched_.clear();
  return out;
}

}  // namespace zabkeeper::server
