#include "server/ensemble_driver.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/failpoints.h"
#include "server/zk_server.h"

namespace zabkeeper::server {

EnsembleDriver::EnsembleDriver(ZkServer* server, const ServerConfig& config)
    : server_(server), config_(config) {}

EnsembleDriver::~EnsembleDriver() { Stop(); }

absl::Status EnsembleDriver::Start(::zab::PersistentState state) {
  ::zab::PeerConfig pc;
  // Standalone is a one-voter ensemble: the same pipeline and recovery, with
  // no peers (and sid 1 when there is no myid file).
  pc.sid = static_cast<::zab::ServerId>(config_.my_id != 0 ? config_.my_id : 1);
  for (const auto& [sid, addr] : config_.servers) pc.voters.push_back(sid);
  if (pc.voters.empty()) pc.voters.push_back(pc.sid);
  pc.init_limit_ticks = config_.init_limit * CoreTicksPerTick(config_.tick_time_ms);
  pc.sync_limit_ticks = config_.sync_limit * CoreTicksPerTick(config_.tick_time_ms);
  pc.random_seed =
      static_cast<uint64_t>(config_.my_id) * 7919 +
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  peer_ = std::make_unique<::zab::Peer>(pc, std::move(state));

  PeerTransport::Callbacks callbacks;
  callbacks.up = [this](uint64_t sid) { Post(Event(Event::kUp, sid)); };
  callbacks.down = [this](uint64_t sid) { Post(Event(Event::kDown, sid)); };
  callbacks.frame = [this](uint64_t sid, proto::PeerFrame frame) {
    Event e(Event::kFrame, sid);
    e.frame = std::move(frame);
    Post(std::move(e));
  };
  if (pc.voters.size() > 1) {
    transport_ = std::make_unique<PeerTransport>(config_.my_id, config_.servers, callbacks);
    if (absl::Status s = transport_->Start(); !s.ok()) return s;
  }
  loop_ = std::thread([this] { Loop(); });
  ticker_ = std::thread([this] { TickLoop(); });
  return absl::OkStatus();
}

void EnsembleDriver::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (transport_) transport_->Stop();
  if (loop_.joinable()) loop_.join();
}

void EnsembleDriver::Post(Event event) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    events_.push_back(std::move(event));
  }
  // notify_all: the ticker waits on the same condition variable, and waking
  // only it would leave this event waiting for the next tick.
  cv_.notify_all();
}

void EnsembleDriver::SubmitWrite(WriteRequest write) {
  Event e(Event::kWrite);
  e.write = std::move(write);
  Post(std::move(e));
}

void EnsembleDriver::OnPersisted(uint64_t zxid) { Post(Event(Event::kPersisted, 0, zxid)); }

void EnsembleDriver::OnSnapshotReady(uint64_t follower, uint64_t zxid, std::string data) {
  Event e(Event::kSnapshot, follower, zxid);
  e.data = std::move(data);
  Post(std::move(e));
}

void EnsembleDriver::OnApplied() {
  if (has_parked_.load()) Post(Event(Event::kApplied));
}

void EnsembleDriver::TickLoop() {
  const auto period = std::chrono::milliseconds(
      std::max(1, config_.tick_time_ms / CoreTicksPerTick(config_.tick_time_ms)));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, period, [&] { return stopping_; });
    if (stopping_) return;
    events_.emplace_back(Event::kTick);
    cv_.notify_all();
  }
}

void EnsembleDriver::Loop() {
  std::deque<Event> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !events_.empty(); });
      if (stopping_) return;
      batch.swap(events_);
    }
    for (Event& e : batch) Handle(e);
    batch.clear();
    DrainParked();
    SyncHeldAppends();
    Flush();
    PublishStatus();
  }
}

void EnsembleDriver::Handle(Event& e) {
  switch (e.kind) {
    case Event::kFrame:
      HandleFrame(e.sid, e.frame);
      break;
    case Event::kUp:
      peer_->PeerConnected(e.sid);
      ProcessReady();
      break;
    case Event::kDown:
      outgoing_.erase(e.sid);
      peer_->PeerDisconnected(e.sid);
      ProcessReady();
      break;
    case Event::kTick: {
      ++ticks_;
      peer_->Tick();
      ProcessReady();
      if (role_.role == ::zab::Role::kFollowing && role_.established) {
        std::vector<int64_t> touched = server_->TakeTouchedSessions();
        if (!touched.empty()) {
          proto::PeerFrame& f = outgoing_[role_.leader];
          for (int64_t sid : touched) f.add_touched_sessions(sid);
        }
      }
      // Parked writes do not wait forever.
      const uint64_t max_wait =
          static_cast<uint64_t>(config_.sync_limit) * CoreTicksPerTick(config_.tick_time_ms);
      while (!parked_.empty() && ticks_ - parked_.front().parked_at_tick > max_wait) {
        Parked p = std::move(parked_.front());
        parked_.pop_front();
        FailWrite(p.write, p.from, proto::CONNECTION_LOSS, "leader not ready in time");
      }
      has_parked_ = !parked_.empty();
      break;
    }
    case Event::kPersisted:
      peer_->Persisted(::zab::Zxid::FromRaw(e.zxid));
      ProcessReady();
      break;
    case Event::kSnapshot:
      peer_->SnapshotReady(e.sid, ::zab::Zxid::FromRaw(e.zxid), std::move(e.data));
      ProcessReady();
      break;
    case Event::kWrite:
      HandleWrite(std::move(e.write), 0);
      break;
    case Event::kApplied:
      break;  // DrainParked runs after every round
  }
}

void EnsembleDriver::ProcessReady() {
  // Bounded: each round acts on what the core produced; the core produces
  // follow-up work only in response to inputs, which are finite here.
  for (int round = 0; round < 1000 && peer_->HasReady(); ++round) {
    ::zab::Ready ready = peer_->TakeReady();
    // Held appends land before anything that replaces the log or the role.
    if (ready.install_snapshot || ready.truncate_after || ready.role) WriteHeldAppends();
    if (ready.install_snapshot) {
      ZK_FAILPOINT_CRASH("snap.before_install");
      absl::Status s = server_->InstallSnapshot(ready.install_snapshot->zxid.raw(),
                                                ready.install_snapshot->data);
      CHECK(s.ok()) << "installing snapshot failed: " << s;
    }
    if (ready.truncate_after) {
      absl::Status s = server_->TruncateLog(ready.truncate_after->raw());
      CHECK(s.ok()) << "truncating the log failed: " << s;
    }
    if (!ready.append.empty()) {
      if (role_.role == ::zab::Role::kLeading) {
        // The leader's sync runs beside the round trip to its followers.
        WriteHeldAppends();
        server_->AppendToLog(std::move(ready.append));
      } else {
        for (::zab::LogEntry& e : ready.append) held_appends_.push_back(std::move(e));
      }
    }
    std::optional<::zab::Epoch> accepted, current;
    if (ready.persist_accepted_epoch) {
      absl::Status s = server_->PersistAcceptedEpoch(*ready.persist_accepted_epoch);
      CHECK(s.ok()) << "persisting acceptedEpoch failed: " << s;
      ZK_FAILPOINT_CRASH("epoch.after_accepted_write");
      accepted = ready.persist_accepted_epoch;
    }
    if (ready.persist_current_epoch) {
      absl::Status s = server_->PersistCurrentEpoch(*ready.persist_current_epoch);
      CHECK(s.ok()) << "persisting currentEpoch failed: " << s;
      ZK_FAILPOINT_CRASH("epoch.after_current_write");
      current = ready.persist_current_epoch;
    }
    if (!ready.commit.empty()) server_->EnqueueCommitted(std::move(ready.commit));
    for (const ::zab::SnapshotRequest& req : ready.snapshot_requests) {
      server_->EnqueueSnapshotRequest(req.follower, req.zxid.raw());
    }
    for (::zab::OutMessage& m : ready.messages) {
      if (m.message.has_proposal() && ZK_FAILPOINT_ARMED("peer.drop_proposals")) continue;
      *outgoing_[m.to].add_zab() = std::move(m.message);
    }
    if (ready.role) OnRole(*ready.role);
    // The epoch acks go in only after this batch is fully carried out.
    if (accepted) peer_->AcceptedEpochPersisted(*accepted);
    if (current) peer_->CurrentEpochPersisted(*current);
  }
}

void EnsembleDriver::WriteHeldAppends() {
  if (held_appends_.empty()) return;
  held_persisted_ = held_appends_.back().zxid.raw();
  server_->AppendToLog(std::move(held_appends_), /*now=*/true);
  held_appends_.clear();
}

void EnsembleDriver::SyncHeldAppends() {
  // Bounded like ProcessReady: the core answers Persisted with messages,
  // not with more appends, unless new input arrived (it has not: one thread).
  for (int round = 0; round < 100 && (!held_appends_.empty() || held_persisted_ != 0); ++round) {
    WriteHeldAppends();
    const uint64_t zxid = held_persisted_;
    held_persisted_ = 0;
    peer_->Persisted(::zab::Zxid::FromRaw(zxid));
    ProcessReady();
  }
}

void EnsembleDriver::OnRole(const ::zab::RoleState& role) {
  const bool was_leader = role_.role == ::zab::Role::kLeading && role_.established;
  role_ = role;
  LOG(INFO) << "role " << ::zab::RoleName(role.role) << " leader=" << role.leader
            << " epoch=" << role.epoch << " established=" << role.established;
  if (role.role == ::zab::Role::kLeading && role.established) {
    // Prepare nothing until every txn of the history is applied here.
    barrier_zxid_ = peer_->last_zxid().raw();
    server_->SetRole("leader", /*serving=*/true, /*leader=*/true);
  } else if (role.role == ::zab::Role::kFollowing && role.established) {
    server_->SetRole("follower", /*serving=*/true, /*leader=*/false);
  } else {
    server_->SetRole("looking", /*serving=*/false, /*leader=*/false);
  }
  if (was_leader && !(role.role == ::zab::Role::kLeading && role.established)) {
    server_->ResetPreparer();
  }
  if (role.role != ::zab::Role::kLeading || !role.established) {
    while (!parked_.empty()) {
      Parked p = std::move(parked_.front());
      parked_.pop_front();
      FailWrite(p.write, p.from, proto::CONNECTION_LOSS, "leadership changed");
    }
    has_parked_ = false;
  }
}

void EnsembleDriver::HandleFrame(uint64_t from, proto::PeerFrame& frame) {
  for (const zabkeeper::zab::PeerMessage& m : frame.zab()) {
    peer_->Step(from, m);
    ProcessReady();
  }
  for (proto::ForwardedRequest& r : *frame.mutable_requests()) {
    WriteRequest w;
    w.session_id = r.session_id();
    w.request = std::move(*r.mutable_request());
    w.auth.assign(r.auth().begin(), r.auth().end());
    HandleWrite(std::move(w), from);
  }
  if (frame.touched_sessions_size() > 0) server_->TouchSessions(frame.touched_sessions());
  for (const proto::ForwardReply& reply : frame.replies()) {
    if (reply.err() != proto::OK) {
      server_->FailWrite(reply.session_id(), reply.xid(), reply.err(), reply.error_message());
    } else {
      server_->AddPendingSync(reply.session_id(), reply.xid(), reply.zxid());
    }
  }
}

bool EnsembleDriver::LeaderReady() const {
  return role_.role == ::zab::Role::kLeading && role_.established &&
         server_->last_applied() >= barrier_zxid_;
}

void EnsembleDriver::HandleWrite(WriteRequest write, uint64_t from) {
  if (role_.role == ::zab::Role::kLeading && role_.established) {
    if (!parked_.empty() || !LeaderReady()) {
      if (parked_.size() >= kMaxParked) {
        FailWrite(write, from, proto::CONNECTION_LOSS, "leader is catching up; too many waiting");
        return;
      }
      parked_.push_back(Parked{std::move(write), from, ticks_});
      has_parked_ = true;
      return;
    }
    LeaderWrite(write, from);
    return;
  }
  if (from != 0) {
    FailWrite(write, from, proto::CONNECTION_LOSS, "not the leader");
    return;
  }
  if (role_.role == ::zab::Role::kFollowing && role_.established && transport_ &&
      transport_->IsUp(role_.leader)) {
    proto::ForwardedRequest* f = outgoing_[role_.leader].add_requests();
    f->set_session_id(write.session_id);
    *f->mutable_request() = std::move(write.request);
    for (proto::Id& id : write.auth) *f->add_auth() = std::move(id);
    return;
  }
  FailWrite(write, from, proto::CONNECTION_LOSS, "no leader; try again");
}

void EnsembleDriver::DrainParked() {
  while (!parked_.empty() && LeaderReady()) {
    Parked p = std::move(parked_.front());
    parked_.pop_front();
    LeaderWrite(p.write, p.from);
  }
  has_parked_ = !parked_.empty();
}

void EnsembleDriver::LeaderWrite(const WriteRequest& write, uint64_t from) {
  if (write.request.has_sync()) {
    // Done once the requester has applied everything proposed so far.
    const uint64_t zxid = peer_->last_zxid().raw();
    if (from == 0) {
      server_->AddPendingSync(write.session_id, write.request.xid(), zxid);
    } else {
      proto::ForwardReply* r = outgoing_[from].add_replies();
      r->set_session_id(write.session_id);
      r->set_xid(write.request.xid());
      r->set_zxid(zxid);
    }
    return;
  }
  // Propose assigns the zxid and prepares with it, so the prepared-changes
  // overlay is tagged with the zxid that applies it; a refused proposal
  // prepares nothing.
  absl::StatusOr<::zab::Zxid> zxid = peer_->Propose([&](::zab::Zxid z) {
    return server_->PrepareWrite(write, static_cast<int64_t>(z.raw())).SerializeAsString();
  });
  if (!zxid.ok()) {
    FailWrite(write, from, proto::CONNECTION_LOSS, std::string(zxid.status().message()));
  }
  ProcessReady();
}

void EnsembleDriver::FailWrite(const WriteRequest& write, uint64_t from, proto::ErrorCode code,
                               const std::string& message) {
  if (write.expire) {
    // Not proposed: arm the session to expire again on the next pass of
    // the expiry owner, or it would stay "closing" forever.
    server_->RetryExpire(write.session_id);
    return;
  }
  if (from == 0) {
    server_->FailWrite(write.session_id, write.request.xid(), code, message);
    return;
  }
  proto::ForwardReply* r = outgoing_[from].add_replies();
  r->set_session_id(write.session_id);
  r->set_xid(write.request.xid());
  r->set_err(code);
  r->set_error_message(message);
}

void EnsembleDriver::Flush() {
  for (auto& [sid, frame] : outgoing_) {
    if (frame.zab_size() == 0 && frame.requests_size() == 0 && frame.replies_size() == 0 &&
        frame.touched_sessions_size() == 0) {
      continue;
    }
    if (transport_) transport_->Send(sid, std::move(frame));
  }
  outgoing_.clear();
}

void EnsembleDriver::PublishStatus() {
  DriverStatus s;
  s.established = role_.established;
  s.leader = role_.leader;
  s.epoch = peer_->current_epoch();
  s.accepted_epoch = peer_->accepted_epoch();
  if (role_.established) {
    s.state = role_.role == ::zab::Role::kLeading ? "leader" : "follower";
  }
  s.counters = peer_->counters();
  s.last_zxid = peer_->last_zxid().raw();
  s.committed_zxid = peer_->committed_zxid().raw();
  const ::zab::Zxid last = peer_->last_zxid();
  for (const auto& [sid, acked] : peer_->FollowerAcks()) {
    s.follower_lag[sid] = acked.epoch() == last.epoch() && acked.counter() <= last.counter()
                              ? last.counter() - acked.counter()
                              : (acked < last ? last.counter() : 0);
  }
  for (const auto& [sid, addr] : config_.servers) {
    if (static_cast<uint64_t>(sid) != static_cast<uint64_t>(config_.my_id) && transport_ &&
        transport_->IsUp(sid)) {
      ++s.peers_up;
    }
  }
  std::lock_guard<std::mutex> lock(status_mu_);
  status_ = std::move(s);
}

DriverStatus EnsembleDriver::Status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

}  // namespace zabkeeper::server
