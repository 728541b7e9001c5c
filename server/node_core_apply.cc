// NodeCore, the apply side: committed txns applied in zxid order, watch
// events and replies released after apply (events first), syncs completed,
// the log purged behind the state, and the leader's timers (session expiry,
// container and TTL reaping) turned into txns of their own.
#include <algorithm>
#include <utility>

#include "glog/logging.h"
#include "server/auth.h"
#include "server/node_core.h"
#include "server/node_reaper.h"
#include "server/request_util.h"

namespace zabkeeper::server {

void NodeCore::ApplyCommitted(std::vector<::zab::LogEntry>& entries) {
  for (const ::zab::LogEntry& e : entries) {
    proto::Txn txn;
    // Every server logged the same bytes; a txn that does not parse here is
    // corrupt storage, and applying around it would fork the state.
    CHECK(txn.ParseFromString(e.txn)) << "corrupt committed txn at " << e.zxid;
    if (on_apply) on_apply(e.zxid, e.txn);
    ApplyOne(e.zxid, txn);
    Retain(e.zxid, e.txn.size());
  }
  StorageOp& op = ready_.storage.emplace_back();
  op.kind = StorageOp::kState;
  op.state = state_.TakeBatch();
  preparer_.Applied(entries.back().zxid);
  // Keep the most recent applied txns in the log (for DIFF after a
  // restart), at most kRetainedLogEntries of them and kRetainedLogBytes;
  // older ones are in the state store already. Purge in steps. A follower
  // further behind gets a SNAP, as ZooKeeper sends one when the diff would
  // be large.
  constexpr size_t kRetainedLogEntries = 10000;
  constexpr size_t kPurgeStep = 1000;
  constexpr uint64_t kRetainedLogBytes = 64 << 20;
  constexpr uint64_t kPurgeStepBytes = 16 << 20;
  if (retained_.size() >= kRetainedLogEntries + kPurgeStep ||
      retained_bytes_ >= kRetainedLogBytes + kPurgeStepBytes) {
    while (retained_.size() > kRetainedLogEntries || retained_bytes_ > kRetainedLogBytes) {
      retained_bytes_ -= retained_.front().second;
      retained_.pop_front();
    }
    StorageOp& purge = ready_.storage.emplace_back();
    purge.kind = StorageOp::kPurge;
    // Everything before the oldest kept (the next one to apply when none).
    purge.zxid =
        retained_.empty() ? storage::PurgeThrough(entries.back().zxid) : retained_.front().first;
  }
  CompletePendingSyncs();
}

void NodeCore::Retain(Zxid zxid, size_t bytes) {
  retained_.emplace_back(zxid, bytes);
  retained_bytes_ += bytes;
}

void NodeCore::ApplyOne(Zxid zxid, const proto::Txn& txn) {
  ChangeSet changes;
  ApplyResult result = state_.Apply(zxid, txn, &changes);
  const int64_t sid = txn.session_id();
  std::shared_ptr<CoreConnection> conn;
  if (txn.has_close_session()) {
    tracker_.Remove(sid);
    conn = DetachSession(sid);
  } else {
    if (txn.has_create_session()) {
      tracker_.Track(sid, txn.create_session().timeout_ms(), Now());
      local_.Remove(sid);  // an upgraded local session is global from here on
    }
    if (CoreConnection* c = ConnOfSession(sid)) conn = conns_.at(c->id());
  }
  // Watch events go out before the reply that reflects their change.
  for (const TreeEvent& ev : changes.events) {
    if (ev.type == proto::NODE_DELETED) recent_deletes_.Add(zxid, ev.path);
    for (int64_t watcher : watches_.Trigger(ev.type, ev.path)) {
      CoreConnection* c = ConnOfSession(watcher);
      // Only watchers that may read the node hear of it (CVE-2024-23944: a
      // recursive watch on / must not list paths it cannot read). The
      // one-shot watch is used up all the same, as in ZooKeeper.
      if (c == nullptr || !CheckAcl(state_.tree().acls().Get(ev.acl_id), kPermRead, c->auth(),
                                    config_.super_digest)) {
        continue;
      }
      c->Event(WatchEventResponse(ev.type, ev.path, zxid));
    }
  }
  if (config_.audit_enabled && txn.has_close_session()) {
    // Every server logs it (ZooKeeper's DataTree.killSession).
    for (const std::string& path : txn.close_session().paths_to_delete()) {
      ready_.audit.push_back(FormatAuditLine(AuditEntry{sid, config_.audit_server_user, "",
                                                        "ephemeralZNodeDeleteOnSessionClose", path,
                                                        "", "", "success"}));
    }
  }
  if (!conn) return;  // the session is attached to another server (or none)
  if (config_.audit_enabled && !txn.has_create_session() && !txn.has_close_session()) {
    AuditWrite(sid, txn.cxid(), &txn);
  }
  if (txn.has_close_session() && txn.close_session().expired()) {
    TellExpired(*conn, zxid);
    return;
  }
  conn->CompleteWrite(WriteResponseOf(txn, std::move(result), zxid, config_.my_id),
                      ReaderFor(sid, *conn));
  if (txn.has_close_session()) conn->CloseStream();
}

void NodeCore::AddPendingSync(int64_t session_id, int64_t xid, Zxid zxid) {
  pending_syncs_.push_back(PendingSync{zxid, session_id, xid});
  CompletePendingSyncs();
}

void NodeCore::CompletePendingSyncs() {
  const Zxid applied = state_.last_applied();
  auto done = std::stable_partition(pending_syncs_.begin(), pending_syncs_.end(),
                                    [&](const PendingSync& s) { return s.zxid <= applied; });
  std::vector<PendingSync> ready(pending_syncs_.begin(), done);
  pending_syncs_.erase(pending_syncs_.begin(), done);
  for (const PendingSync& ps : ready) {
    proto::Response r;
    r.set_xid(ps.xid);
    r.set_op(proto::OP_SYNC);
    r.set_zxid(StatZxid(applied));
    r.mutable_sync();
    CompleteWrite(ps.session_id, std::move(r));
  }
}

void NodeCore::CompleteWrite(int64_t session_id, proto::Response response) {
  CoreConnection* conn = ConnOfSession(session_id);
  if (conn == nullptr) return;
  conn->CompleteWrite(std::move(response), ReaderFor(session_id, *conn));
}

void NodeCore::AuditWrite(int64_t session_id, int64_t xid, const proto::Txn* txn) {
  CoreConnection* conn = ConnOfSession(session_id);
  if (conn == nullptr) return;
  std::deque<AuditedWrite>& pending = conn->audited;
  // Writes complete in request order; records before `xid` belong to writes
  // whose completion was never seen here (none, normally).
  auto it = std::find_if(pending.begin(), pending.end(),
                         [&](const AuditedWrite& w) { return w.xid == xid; });
  if (it == pending.end()) return;
  for (const AuditEntry& e : AuditCompletedWrite(*it, session_id, txn)) {
    ready_.audit.push_back(FormatAuditLine(e));
  }
  pending.erase(pending.begin(), it + 1);
}

void NodeCore::ExpireAndReap() {
  if (now_ms_ >= next_reap_ms_) {
    const int interval = config_.container_check_interval_ms;
    next_reap_ms_ = now_ms_ + interval;
    const size_t limit = std::max<size_t>(
        1, static_cast<size_t>(int64_t{config_.container_max_per_minute} * interval / 60000));
    for (const ReapCandidate& c : FindReapable(state_.tree(), WallMs(), limit)) {
      WriteRequest write;
      write.request.mutable_delete_()->set_path(c.path);
      write.request.mutable_delete_()->set_version(c.version);
      write.internal = true;
      HandleWrite(std::move(write), 0);
    }
  }
  for (int64_t sid : tracker_.TakeExpired(Now())) {
    WriteRequest expire;
    expire.session_id = sid;
    expire.expire = true;
    HandleWrite(std::move(expire), 0);
  }
}

void NodeCore::TrackAllSessions() {
  for (const auto& [id, record] : state_.sessions()) tracker_.Track(id, record.timeout_ms(), Now());
}

}  // namespace zabkeeper::server
