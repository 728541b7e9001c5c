// NodeCore, the ZAB side: recovery, the core's Ready batches turned into
// storage ops and frames, roles, and the write path (park, propose with the
// zxid Propose assigns, forward to the leader, fail).
#include "server/node_core.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/peer_payload.h"
#include "server/request_util.h"

namespace zabkeeper::server {
namespace {

constexpr size_t kReplayChunk = 10000;

}  // namespace

NodeCoreConfig NodeCoreConfig::From(const ServerConfig& config, uint64_t random_seed,
                                    int64_t start_wall_ms) {
  NodeCoreConfig c;
  c.my_id = config.my_id != 0 ? config.my_id : 1;
  for (const auto& [sid, addr] : config.servers) c.voters.push_back(static_cast<uint64_t>(sid));
  if (c.voters.empty()) c.voters.push_back(static_cast<uint64_t>(c.my_id));
  // At least 4 core ticks per tickTime and at most 200 ms per core tick, so
  // elections settle in about a second even with the default 2 s tickTime
  // (ZooKeeper's election waits are 200 ms, independent of tickTime).
  const int per_tick = std::max(4, config.tick_time_ms / 200);
  c.tick_ms = std::max(1, config.tick_time_ms / per_tick);
  c.init_limit_ticks = config.init_limit * per_tick;
  c.sync_limit_ticks = config.sync_limit * per_tick;
  c.min_session_timeout_ms = config.MinSessionTimeout();
  c.max_session_timeout_ms = config.MaxSessionTimeout();
  c.container_check_interval_ms = config.container_check_interval_ms;
  c.container_max_per_minute = config.container_max_per_minute;
  c.limits =
      PreparerLimits{static_cast<size_t>(config.max_data_bytes), config.extended_types_enabled,
                     (int64_t{1} << 40) - 1, config.super_digest, config.enforce_quota};
  c.read_limits = ReadLimits{static_cast<size_t>(config.max_watches_per_session),
                             static_cast<size_t>(config.max_children_per_reply)};
  c.super_digest = config.super_digest;
  c.enforce_auth = config.enforce_auth;
  c.enforce_auth_schemes = config.enforce_auth_schemes;
  c.audit_enabled = config.audit_enabled;
  // ZooKeeper starts its read-only server max(2 s, tickTime) after losing
  // the quorum.
  c.read_only_enabled = config.read_only_enabled;
  c.read_only_after_ms = std::max(2000, config.tick_time_ms);
  c.local_sessions_enabled = config.local_sessions_enabled;
  c.local_sessions_upgrading_enabled = config.local_sessions_upgrading_enabled;
  c.random_seed = random_seed;
  c.start_wall_ms = start_wall_ms;
  return c;
}

absl::StatusOr<std::unique_ptr<NodeCore>> NodeCore::Open(const NodeCoreConfig& config,
                                                         const storage::TxnLog& log,
                                                         const storage::StateStore& store,
                                                         const storage::EpochStore& epochs) {
  StateMachine state;
  if (absl::Status s = state.LoadFrom(store); !s.ok()) return s;
  // The log tail may hold uncommitted txns: the ZAB core decides what of it
  // commits (all of it, for a one-voter ensemble).
  ::zab::PersistentState recovered;
  recovered.accepted_epoch = epochs.AcceptedEpoch();
  recovered.current_epoch = epochs.CurrentEpoch();
  recovered.applied = state.last_applied();
  Zxid after;
  while (true) {
    auto entries = log.ReadAfter(after, kReplayChunk);
    if (!entries.ok()) return entries.status();
    if (entries->empty()) break;
    for (storage::LogEntry& e : *entries) {
      after = e.zxid;
      recovered.log.push_back(std::move(e));
    }
  }
  return std::unique_ptr<NodeCore>(new NodeCore(config, std::move(recovered), std::move(state)));
}

NodeCore::NodeCore(const NodeCoreConfig& config, ::zab::PersistentState recovered,
                   StateMachine state)
    : config_(config),
      preparer_(config.limits),
      state_(std::move(state)),
      tracker_(config.my_id, config.start_wall_ms),
      rng_(config.random_seed * 0x9e3779b97f4a7c15ULL + 1) {
  for (const ::zab::LogEntry& e : recovered.log) {
    if (e.zxid <= state_.last_applied()) Retain(e.zxid, e.txn.size());
  }
  ::zab::PeerConfig pc;
  pc.sid = static_cast<::zab::ServerId>(config.my_id);
  for (uint64_t v : config.voters) pc.voters.push_back(static_cast<::zab::ServerId>(v));
  pc.init_limit_ticks = config.init_limit_ticks;
  pc.sync_limit_ticks = config.sync_limit_ticks;
  pc.committed_log_window = config.committed_log_window;
  pc.committed_log_bytes = config.committed_log_bytes;
  pc.random_seed = config.random_seed;
  pc.driver_acks_appends = true;  // the runtime's storage thread ACKs (StorageOp::ack_to)
  peer_ = std::make_unique<::zab::Peer>(pc, std::move(recovered));
  // Sessions continue if their clients come back within their timeout.
  TrackAllSessions();
}

NodeCore::~NodeCore() = default;

proto::PeerFrame AckFrame(Zxid zxid) {
  proto::PeerFrame frame;
  frame.add_zab()->mutable_ack()->set_zxid(zxid.raw());
  return frame;
}

NodeReady NodeCore::TakeReady() {
  // Closed streams are gone once the runtime has them to close.
  for (ConnId id : ready_.close) DropConnection(id);
  NodeReady out = std::move(ready_);
  ready_ = NodeReady();
  return out;
}

// ---- inputs ------------------------------------------------------------------

void NodeCore::Tick(int64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  ++ticks_;
  peer_->Tick();
  ProcessPeerReady();
  if (role_.role == ::zab::Role::kFollowing && role_.established && !touched_.empty()) {
    proto::PeerFrame& f = ready_.frames[role_.leader];
    for (const auto& [sid, unused] : touched_) f.add_touched_sessions(sid);
    touched_.clear();
  }
  // Parked writes do not wait forever.
  const uint64_t max_wait = static_cast<uint64_t>(config_.sync_limit_ticks);
  while (!parked_.empty() && ticks_ - parked_.front().parked_at_tick > max_wait) {
    Parked p = std::move(parked_.front());
    parked_.pop_front();
    FailWrite(p.write, p.from, proto::CONNECTION_LOSS, "leader not ready in time");
  }
  if (expiry_owner_) ExpireAndReap();
  for (int64_t sid : local_.TakeExpired(Now())) ExpireLocal(sid);
  UpdateReadOnly();
}

void NodeCore::UpdateReadOnly() {
  if (serving_) return;
  if (not_serving_since_ms_ < 0) not_serving_since_ms_ = now_ms_;
  const bool ro =
      config_.read_only_enabled && now_ms_ - not_serving_since_ms_ >= config_.read_only_after_ms;
  if (ro && !read_only_) LOG(INFO) << "no quorum: serving read-only sessions";
  read_only_ = ro;
}

void NodeCore::PeerConnected(uint64_t sid) {
  peer_->PeerConnected(static_cast<::zab::ServerId>(sid));
  ProcessPeerReady();
}

void NodeCore::PeerDisconnected(uint64_t sid) {
  // What was queued for the broken link is lost with it.
  ready_.frames.erase(sid);
  peer_->PeerDisconnected(static_cast<::zab::ServerId>(sid));
  ProcessPeerReady();
}

void NodeCore::PeerFrame(uint64_t from, proto::PeerFrame frame) {
  const auto sid = static_cast<::zab::ServerId>(from);
  for (const zabkeeper::zab::PeerMessage& m : frame.zab()) {
    if (absl::Status bad = CheckPeerPayload(m); !bad.ok()) {
      // The sender is faulty: the rest of its frame is dropped and the link
      // taken as broken and made again, so a follower leaves that leader and
      // elects anew rather than log a hole.
      LOG(ERROR) << "peer " << from << " sent " << bad.message()
                 << ": dropping its frame and restarting the link";
      peer_->PeerDisconnected(sid);
      peer_->PeerConnected(sid);
      ProcessPeerReady();
      return;
    }
    peer_->Step(sid, m);
    ProcessPeerReady();
  }
  for (proto::ForwardedRequest& r : *frame.mutable_requests()) {
    WriteRequest w;
    w.session_id = r.session_id();
    w.request = std::move(*r.mutable_request());
    w.auth.assign(r.auth().begin(), r.auth().end());
    w.local_session = r.local_session();
    HandleWrite(std::move(w), from);
  }
  for (int64_t sid : frame.touched_sessions()) tracker_.Touch(sid, Now());
  for (const proto::ForwardReply& reply : frame.replies()) OnForwardReply(reply);
}

void NodeCore::Persisted(Zxid zxid) {
  peer_->Persisted(zxid);
  ProcessPeerReady();
}

void NodeCore::AcceptedEpochPersisted(uint32_t epoch) {
  peer_->AcceptedEpochPersisted(epoch);
  ProcessPeerReady();
}

void NodeCore::CurrentEpochPersisted(uint32_t epoch) {
  peer_->CurrentEpochPersisted(epoch);
  ProcessPeerReady();
}

// ---- the ZAB core's batches ----------------------------------------------------

void NodeCore::ProcessPeerReady() {
  // Bounded: the core produces follow-up work only in response to inputs,
  // and the only input here is a snapshot it asked for.
  for (int round = 0; round < 1000 && peer_->HasReady(); ++round) {
    ::zab::Ready ready = peer_->TakeReady();
    if (ready.install_snapshot) InstallSnapshot(*ready.install_snapshot);
    if (ready.truncate_after) {
      StorageOp& op = ready_.storage.emplace_back();
      op.kind = StorageOp::kTruncate;
      op.zxid = *ready.truncate_after;
    }
    if (!ready.append.empty()) {
      StorageOp& op = ready_.storage.emplace_back();
      op.kind = StorageOp::kAppend;
      op.entries = std::move(ready.append);
      op.ack_to = ready.ack_appends_to.value_or(0);
    }
    if (ready.persist_accepted_epoch) {
      StorageOp& op = ready_.storage.emplace_back();
      op.kind = StorageOp::kAcceptedEpoch;
      op.epoch = *ready.persist_accepted_epoch;
    }
    if (ready.persist_current_epoch) {
      StorageOp& op = ready_.storage.emplace_back();
      op.kind = StorageOp::kCurrentEpoch;
      op.epoch = *ready.persist_current_epoch;
    }
    if (!ready.commit.empty()) ApplyCommitted(ready.commit);
    for (const ::zab::SnapshotRequest& req : ready.snapshot_requests) {
      // Applied state is exactly at req.zxid now (commits came first).
      proto::StateSnapshot snapshot;
      state_.FillSnapshot(&snapshot);
      peer_->SnapshotReady(req.follower, req.zxid, snapshot.SerializeAsString());
    }
    for (::zab::OutMessage& m : ready.messages) {
      *ready_.frames[m.to].add_zab() = std::move(m.message);
    }
    if (ready.role) OnRole(*ready.role);
  }
  DrainParked();
}

void NodeCore::InstallSnapshot(const ::zab::SnapshotInstall& install) {
  proto::StateSnapshot snapshot;
  // The leader's bytes were checked by the transport; a snapshot that does
  // not parse is a protocol fault the core cannot recover from in place.
  CHECK(snapshot.ParseFromString(install.data)) << "corrupt snapshot from the leader";
  snapshot.set_zxid(install.zxid.raw());
  CHECK(state_.LoadSnapshot(snapshot).ok()) << "snapshot does not load";
  preparer_.Reset();
  retained_.clear();
  retained_bytes_ = 0;
  if (on_install) on_install(install.zxid);
  tracker_.Clear();
  TrackAllSessions();
  StorageOp& op = ready_.storage.emplace_back();
  op.kind = StorageOp::kInstall;
  op.state = state_.FullState();
  state_.TakeBatch();  // the full state covers whatever was dirty
}

void NodeCore::OnRole(const ::zab::RoleState& role) {
  const bool was_leader = role_.role == ::zab::Role::kLeading && role_.established;
  role_ = role;
  const bool leader = role.role == ::zab::Role::kLeading && role.established;
  const bool serving = role.established;
  if (leader) {
    // Prepare nothing until every txn of the history is applied here.
    barrier_zxid_ = peer_->last_zxid();
    // The new leader owns expiry: every session gets a full timeout from
    // now, so a leader change never expires a healthy session.
    TrackAllSessions();
  }
  if (was_leader && !leader) preparer_.Reset();
  expiry_owner_ = leader;
  if (!leader) {
    while (!parked_.empty()) {
      Parked p = std::move(parked_.front());
      parked_.pop_front();
      FailWrite(p.write, p.from, proto::CONNECTION_LOSS, "leadership changed");
    }
  }
  if (serving_ && !serving) {
    CloseAllClientStreams();
    not_serving_since_ms_ = now_ms_;
  }
  if (!serving_ && serving && read_only_) {
    // The read-only server stops: its clients reconnect, to a read-write
    // server now, and its sessions are gone.
    CloseAllClientStreams();
    local_.RemoveReadOnly();
    read_only_ = false;
  }
  serving_ = serving;
}

// ---- writes --------------------------------------------------------------------

bool NodeCore::LeaderReady() const {
  return role_.role == ::zab::Role::kLeading && role_.established &&
         state_.last_applied() >= barrier_zxid_;
}

void NodeCore::HandleWrite(WriteRequest write, uint64_t from) {
  if (role_.role == ::zab::Role::kLeading && role_.established) {
    if (!parked_.empty() || !LeaderReady()) {
      if (parked_.size() >= config_.max_parked) {
        FailWrite(write, from, proto::CONNECTION_LOSS, "leader is catching up; too many waiting");
        return;
      }
      parked_.push_back(Parked{std::move(write), from, ticks_});
      return;
    }
    LeaderWrite(write, from);
    return;
  }
  if (from != 0) {
    FailWrite(write, from, proto::CONNECTION_LOSS, "not the leader");
    return;
  }
  if (role_.role == ::zab::Role::kFollowing && role_.established) {
    // If the link is down the frame is lost and the session's request
    // stays unanswered until its stream closes (the role changes first).
    proto::ForwardedRequest* f = ready_.frames[role_.leader].add_requests();
    f->set_session_id(write.session_id);
    f->set_local_session(write.local_session);
    *f->mutable_request() = std::move(write.request);
    for (proto::Id& id : write.auth) *f->add_auth() = std::move(id);
    return;
  }
  FailWrite(write, from, proto::CONNECTION_LOSS, "no leader; try again");
}

void NodeCore::DrainParked() {
  while (!parked_.empty() && LeaderReady()) {
    Parked p = std::move(parked_.front());
    parked_.pop_front();
    LeaderWrite(p.write, p.from);
  }
}

void NodeCore::LeaderWrite(const WriteRequest& write, uint64_t from) {
  if (write.request.has_sync()) {
    // Done once the requester has applied everything proposed so far.
    const Zxid zxid = peer_->last_zxid();
    if (from == 0) {
      AddPendingSync(write.session_id, write.request.xid(), zxid);
    } else {
      proto::ForwardReply* r = ready_.frames[from].add_replies();
      r->set_session_id(write.session_id);
      r->set_xid(write.request.xid());
      r->set_zxid(zxid.raw());
    }
    return;
  }
  // Propose assigns the zxid and prepare runs with it; a refused proposal
  // prepares nothing.
  absl::StatusOr<::zab::Zxid> zxid = peer_->Propose([&](::zab::Zxid z) {
    return preparer_
        .PrepareWrite(state_.tree(), write, z, WallMs(),
                      state_.sessions().contains(write.session_id))
        .SerializeAsString();
  });
  if (!zxid.ok()) {
    FailWrite(write, from, proto::CONNECTION_LOSS, std::string(zxid.status().message()));
  }
  ProcessPeerReady();
}

void NodeCore::FailWrite(const WriteRequest& write, uint64_t from, proto::ErrorCode code,
                         const std::string& message) {
  if (write.expire) {
    // Not proposed: expire it again on the next pass of the expiry owner,
    // unless it is closed meanwhile (a second closeSession would follow).
    if (state_.sessions().contains(write.session_id)) tracker_.Track(write.session_id, 0, Now());
    return;
  }
  if (write.internal) return;  // reaping tries again on its next pass
  if (write.request.has_connect() && write.request.xid() == kSessionUpgradeXid) {
    local_.UpgradeFailed(write.session_id);
    return;
  }
  if (from == 0) {
    if (config_.audit_enabled) AuditWrite(write.session_id, write.request.xid(), nullptr);
    CompleteWrite(write.session_id,
                  ErrorResponse(write.request.xid(), proto::OP_ERROR, code, message));
    return;
  }
  proto::ForwardReply* r = ready_.frames[from].add_replies();
  r->set_session_id(write.session_id);
  r->set_xid(write.request.xid());
  r->set_err(code);
  r->set_error_message(message);
}

void NodeCore::OnForwardReply(const proto::ForwardReply& reply) {
  if (reply.xid() == kSessionUpgradeXid) {
    local_.UpgradeFailed(reply.session_id());
    return;
  }
  if (reply.err() != proto::OK) {
    if (config_.audit_enabled) AuditWrite(reply.session_id(), reply.xid(), nullptr);
    CompleteWrite(reply.session_id(),
                  ErrorResponse(reply.xid(), proto::OP_ERROR, reply.err(), reply.error_message()));
  } else {
    AddPendingSync(reply.session_id(), reply.xid(), Zxid::FromRaw(reply.zxid()));
  }
}

}  // namespace zabkeeper::server
