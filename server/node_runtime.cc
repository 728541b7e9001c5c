#include "server/node_runtime.h"

#include <sys/statvfs.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/failpoints.h"
#include "server/quorum_tls.h"
#include "server/request_util.h"
#include "server/thread_name.h"
#include "server/write_trace.h"

namespace zabkeeper::server {
namespace {

// How long a status reader waits for the core thread before it settles for
// what was last published (a core busy installing a snapshot, say).
constexpr auto kCallTimeout = std::chrono::seconds(2);

}  // namespace

NodeRuntime::NodeRuntime(const ServerConfig& config) : config_(config) {}

absl::StatusOr<std::unique_ptr<NodeRuntime>> NodeRuntime::Open(const ServerConfig& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create dataDir ", config.data_dir, ": ", ec.message()));
  }
  std::unique_ptr<NodeRuntime> rt(new NodeRuntime(config));
  auto rocks = storage::RocksDb::Open(config.data_dir + "/db");
  if (!rocks.ok()) return rocks.status();
  rt->rocks_ = std::move(*rocks);
  auto log = storage::RocksTxnLog::Open(rt->rocks_.get());
  if (!log.ok()) return log.status();
  rt->log_ = std::move(*log);
  auto state = storage::RocksStateStore::Open(rt->rocks_.get());
  if (!state.ok()) return state.status();
  rt->state_store_ = std::move(*state);
  auto epochs = storage::RocksEpochStore::Open(rt->rocks_.get());
  if (!epochs.ok()) return epochs.status();
  rt->epoch_store_ = std::move(*epochs);

  const auto start = std::chrono::steady_clock::now();
  // Seeds session passwords and election jitter: differs per run and server.
  const uint64_t seed = static_cast<uint64_t>(config.my_id) * 7919 + std::random_device{}() +
                        static_cast<uint64_t>(start.time_since_epoch().count());
  rt->core_config_ = NodeCoreConfig::From(config, seed, WallMillis());
  if (config.audit_enabled) {
    const std::string path = config.audit_log_file.empty()
                                 ? config.data_dir + "/zookeeper_audit.log"
                                 : config.audit_log_file;
    auto audit = AuditFile::Open(path);
    if (!audit.ok()) return audit.status();
    rt->audit_ = std::move(*audit);
    rt->core_config_.audit_server_user = ServerUserName();
  }
  auto core = NodeCore::Open(rt->core_config_, *rt->log_, *rt->state_store_, *rt->epoch_store_);
  if (!core.ok()) return core.status();
  rt->core_ = std::move(*core);
  LOG(INFO) << "recovered " << rt->core_->state().tree().node_count() << " znodes and "
            << rt->core_->state().sessions().size() << " sessions at zxid "
            << rt->core_->state().last_applied() << ", log to " << rt->log_->LastZxid() << ", in "
            << MillisSince(start) << " ms";
  return rt;
}

NodeRuntime::~NodeRuntime() { Stop(); }

absl::Status NodeRuntime::Start() {
  StorageWriter::Reports reports;
  reports.persisted = [this](Zxid z) { Post(Input(Input::kPersisted, z.raw()), false); };
  reports.accepted_epoch = [this](uint32_t e) { Post(Input(Input::kAcceptedEpoch, e), false); };
  reports.current_epoch = [this](uint32_t e) { Post(Input(Input::kCurrentEpoch, e), false); };
  // Set below, before the core thread (the only source of ack_to) starts.
  reports.ack = [this](uint64_t to, Zxid zxid) {
    ZK_TRACE("disk.ack_out", zxid.raw());
    if (transport_) transport_->Send(to, AckFrame(zxid));
  };
  reports.disk_full = [this](bool full) {
    Input in(Input::kCall);
    in.call = [this, full] { core_->SetDiskFull(full); };
    Post(std::move(in), false);
  };
  storage_ = std::make_unique<StorageWriter>(log_.get(), state_store_.get(), epoch_store_.get(),
                                             std::move(reports), kStorageCapacity);
  if (config_.min_free_mb > 0) {
    storage_->set_disk_reserve(
        [dir = config_.data_dir]() -> uint64_t {
          struct statvfs fs;
          if (statvfs(dir.c_str(), &fs) != 0) return std::numeric_limits<uint64_t>::max();
          return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
        },
        static_cast<uint64_t>(config_.min_free_mb) << 20);
  }
  storage_->Start();
  if (core_config_.voters.size() > 1) {
    PeerTransport::Callbacks callbacks;
    callbacks.up = [this](uint64_t sid) { Post(Input(Input::kPeerUp, sid), false); };
    callbacks.down = [this](uint64_t sid) { Post(Input(Input::kPeerDown, sid), false); };
    // Frames are not bounded here: the transport delivers them holding its
    // lock, which the core thread needs to send, so waiting for room would
    // deadlock. The senders bound them (the leader's outstanding proposals,
    // the transport's per-link queue).
    callbacks.frame = [this](uint64_t sid, proto::PeerFrame frame) {
      Input in{Input::kFrame, sid};
      in.frame = std::move(frame);
      Post(std::move(in), false);
    };
    PeerTransport::TlsProvider tls;
    if (config_.ssl_quorum) {
      absl::StatusOr<std::unique_ptr<TlsContextSource>> source = QuorumTlsContextSource(config_);
      if (!source.ok()) return source.status();
      std::shared_ptr<TlsContextSource> shared = std::move(*source);
      tls = [shared] { return shared->Current(); };
    }
    transport_ = std::make_unique<PeerTransport>(config_.my_id, config_.servers, callbacks, tls);
    if (absl::Status s = transport_->Start(); !s.ok()) return s;
  }
  if (audit_) {
    audit_->Write({FormatAuditLine(
        AuditEntry{0, core_config_.audit_server_user, "", "serverStart", "", "", "", "success"})});
  }
  core_thread_ = std::thread([this] {
    NameThisThread("zk-core");
    CoreLoop();
  });
  if (config_.standalone()) {
    // A one-voter ensemble elects itself at once: serve from the first
    // request on, as a standalone server is expected to.
    std::unique_lock<std::mutex> lock(status_mu_);
    if (!serving_cv_.wait_for(lock, std::chrono::seconds(30), [this] { return serving_; })) {
      return absl::DeadlineExceededError("standalone server did not establish its epoch");
    }
  }
  return absl::OkStatus();
}

void NodeRuntime::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  inbox_cv_.notify_all();
  not_full_.notify_all();
  if (core_thread_.joinable()) core_thread_.join();
  // "invoked": logged before the server has finished stopping (ZooKeeper).
  if (audit_) {
    audit_->Write({FormatAuditLine(
        AuditEntry{0, core_config_.audit_server_user, "", "serverStop", "", "", "", "invoked"})});
  }
  if (transport_) transport_->Stop();
  if (storage_) storage_->Stop();  // writes what is queued
}

// ---- inputs ------------------------------------------------------------------

bool NodeRuntime::Post(Input input, bool bounded) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (bounded) {
      not_full_.wait(lock, [&] {
        return stopping_ || outstanding_ < static_cast<size_t>(config_.global_outstanding_limit);
      });
      ++outstanding_;
    }
    if (stopping_) return false;
    inbox_.push_back(std::move(input));
  }
  inbox_cv_.notify_one();
  return true;
}

bool NodeRuntime::Call(std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  Input in{Input::kCall};
  in.call = [fn = std::move(fn), done] {
    fn();
    done->set_value();
  };
  if (!Post(std::move(in), false)) return false;
  return finished.wait_for(kCallTimeout) == std::future_status::ready;
}

ConnId NodeRuntime::Connect(std::shared_ptr<ClientStream> stream, const std::string& peer,
                            const std::string& peer_ip, std::vector<proto::Id> identities) {
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    if (config_.max_cnxns > 0 && connection_count_ >= static_cast<size_t>(config_.max_cnxns)) {
      return 0;
    }
    int& n = conns_per_ip_[peer_ip];
    if (config_.max_client_cnxns > 0 && n >= config_.max_client_cnxns) {
      if (n == 0) conns_per_ip_.erase(peer_ip);
      return 0;
    }
    ++n;
    ++connection_count_;
  }
  const ConnId id = next_conn_++;
  Input in{Input::kOpen, id};
  in.stream = std::move(stream);
  in.peer = peer;
  in.identities = std::move(identities);
  Post(std::move(in), false);
  return id;
}

void NodeRuntime::Request(ConnId conn, proto::Request request) {
  ++requests_;
  if (IsTreeWrite(request)) {
    ++writes_;
  } else if (request.body_case() != proto::Request::kConnect &&
             request.body_case() != proto::Request::kSync &&
             request.body_case() != proto::Request::BODY_NOT_SET) {
    ++reads_;
  }
  Input in{Input::kRequest, conn};
  in.request = std::move(request);
  Post(std::move(in), true);
}

void NodeRuntime::AddIdentities(ConnId conn, std::vector<proto::Id> identities) {
  Input in{Input::kIdentities, conn};
  in.identities = std::move(identities);
  Post(std::move(in), false);
}

void NodeRuntime::Disconnect(ConnId conn, const std::string& peer_ip) {
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    auto it = conns_per_ip_.find(peer_ip);
    if (it != conns_per_ip_.end() && --it->second <= 0) conns_per_ip_.erase(it);
    if (connection_count_ > 0) --connection_count_;
  }
  Post(Input(Input::kClose, conn), false);
}

// ---- the core thread ---------------------------------------------------------

int64_t NodeRuntime::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start_)
      .count();
}

void NodeRuntime::CoreLoop() {
  int64_t next_tick = 0;
  std::deque<Input> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      inbox_cv_.wait_until(lock, start_ + std::chrono::milliseconds(next_tick),
                           [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) return;
      batch.swap(inbox_);
    }
    for (Input& in : batch) Dispatch(in);
    batch.clear();
    const int64_t now = NowMs();
    if (now >= next_tick) {
      // The first tick starts the node.
      core_->Tick(now);
      next_tick = now + core_config_.tick_ms;
    }
    CarryOut();
    NoteRole();
  }
}

void NodeRuntime::Dispatch(Input& in) {
  switch (in.kind) {
    case Input::kPeerUp:
      core_->PeerConnected(in.id);
      break;
    case Input::kPeerDown:
      core_->PeerDisconnected(in.id);
      break;
    case Input::kFrame:
      ZK_TRACE("core.frame_in", in.id);
      core_->PeerFrame(in.id, std::move(in.frame));
      break;
    case Input::kPersisted:
      ZK_TRACE("core.persisted", in.id);
      core_->Persisted(Zxid::FromRaw(in.id));
      break;
    case Input::kAcceptedEpoch:
      core_->AcceptedEpochPersisted(static_cast<uint32_t>(in.id));
      break;
    case Input::kCurrentEpoch:
      core_->CurrentEpochPersisted(static_cast<uint32_t>(in.id));
      break;
    case Input::kOpen:
      streams_[in.id] = std::move(in.stream);
      core_->OpenConnection(in.id, in.peer, std::move(in.identities));
      break;
    case Input::kIdentities:
      core_->AddIdentities(in.id, std::move(in.identities));
      break;
    case Input::kRequest:
      ZK_TRACE("core.request", in.request.xid());
      // Owed a reply, unless its stream is gone (the core ignores it then).
      if (streams_.contains(in.id)) {
        ++unanswered_[in.id];
      } else {
        Release(1);
      }
      core_->ClientRequest(in.id, std::move(in.request));
      break;
    case Input::kClose:
      core_->CloseConnection(in.id);
      streams_.erase(in.id);
      if (auto it = unanswered_.find(in.id); it != unanswered_.end()) {
        Release(it->second);
        unanswered_.erase(it);
      }
      break;
    case Input::kCall:
      in.call();
      break;
  }
}

void NodeRuntime::CarryOut() {
  // Bounded: the core produces follow-up batches only from inputs, and the
  // only inputs here are its own requests for a snapshot.
  for (int round = 0; round < 1000 && core_->HasReady(); ++round) {
    NodeReady ready = core_->TakeReady();
    bool sync = false;
    for (const StorageOp& op : ready.storage) {
      sync |= op.kind == StorageOp::kInstall || op.kind == StorageOp::kTruncate;
    }
    // Install and truncate are synchronous in the contract: nothing of this
    // batch leaves before the log they change is durable. They happen only
    // while a follower syncs with its leader, when it serves nobody.
    if (sync) {
      ZK_TRACE("core.storage_out", ready.storage.size());
      storage_->SubmitAndWait(std::move(ready.storage));
    }
    for (auto& [sid, frame] : ready.frames) {
      if (ZK_FAILPOINT_ARMED("peer.drop_proposals")) {
        auto* zab = frame.mutable_zab();
        for (int i = zab->size() - 1; i >= 0; --i) {
          if (zab->Get(i).has_proposal()) zab->DeleteSubrange(i, 1);
        }
      }
      ZK_TRACE("core.frame_out", sid);
      if (transport_) transport_->Send(sid, std::move(frame));
    }
    if (!ready.client.empty()) ZK_TRACE("core.reply_out", ready.client.size());
    // A run of replies to one connection is one Send, in the core's order.
    size_t answered = 0;
    for (size_t i = 0; i < ready.client.size();) {
      const ConnId conn = ready.client[i].conn;
      auto owed = unanswered_.find(conn);
      std::vector<proto::Response> run;
      for (; i < ready.client.size() && ready.client[i].conn == conn; ++i) {
        // Watch events answer nothing; neither does an expiry notice.
        if (!ready.client[i].response.has_watch_event() && owed != unanswered_.end() &&
            owed->second > 0) {
          --owed->second;
          ++answered;
        }
        run.push_back(std::move(ready.client[i].response));
      }
      auto it = streams_.find(conn);
      if (it != streams_.end()) it->second->Send(std::move(run));
    }
    // The rest of the storage ops may complete after the frames and replies
    // (the contract), so they are handed over last: waking the storage
    // thread first would let it take this core's CPU while the PROPOSALs,
    // COMMITs and replies still wait to be written.
    if (!sync && !ready.storage.empty()) {
      ZK_TRACE("core.storage_out", ready.storage.size());
      storage_->Submit(std::move(ready.storage));
    }
    if (audit_) audit_->Write(ready.audit);
    for (ConnId conn : ready.close) {
      if (auto owed = unanswered_.find(conn); owed != unanswered_.end()) {
        answered += owed->second;  // a closed stream is owed nothing more
        unanswered_.erase(owed);
      }
      auto it = streams_.find(conn);
      if (it == streams_.end()) continue;
      it->second->Close();
      streams_.erase(it);
    }
    Release(answered);
  }
}

void NodeRuntime::Release(size_t n) {
  if (n == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    outstanding_ -= std::min(n, outstanding_);
  }
  not_full_.notify_all();
}

void NodeRuntime::NoteRole() {
  const ::zab::RoleState& role = core_->role();
  if (role.role == noted_role_.role && role.leader == noted_role_.leader &&
      role.epoch == noted_role_.epoch && role.established == noted_role_.established) {
    return;
  }
  noted_role_ = role;
  LOG(INFO) << "role " << ::zab::RoleName(role.role) << " leader=" << role.leader
            << " epoch=" << role.epoch << " established=" << role.established;
  Publish();
}

void NodeRuntime::Publish() {
  const ::zab::Peer& peer = core_->peer();
  const StateMachine& state = core_->state();
  const ::zab::RoleState& role = core_->role();
  ZabStatus d;
  d.established = role.established;
  d.leader = role.leader;
  d.epoch = peer.current_epoch();
  d.accepted_epoch = peer.accepted_epoch();
  if (role.established) d.state = role.role == ::zab::Role::kLeading ? "leader" : "follower";
  d.counters = peer.counters();
  d.last_zxid = peer.last_zxid();
  d.committed_zxid = peer.committed_zxid();
  const Zxid last = peer.last_zxid();
  for (const auto& [sid, acked] : peer.FollowerAcks()) {
    // Behind by an epoch: everything of the current one is missing.
    d.follower_lag[sid] = acked.epoch() == last.epoch() ? TxnsBetween(acked, last)
                                                        : (acked < last ? last.counter() : 0);
  }
  for (const auto& [sid, addr] : config_.servers) {
    if (sid != config_.my_id && transport_ && transport_->IsUp(static_cast<uint64_t>(sid))) {
      ++d.peers_up;
    }
  }
  ServerStats s;
  // A one-voter ensemble's leader is what ZooKeeper calls standalone.
  s.state = config_.standalone() && d.state == "leader" ? "standalone" : d.state;
  if (core_->read_only()) s.state = "read-only";  // ZooKeeper's Mode for it
  s.zxid = state.last_applied();
  s.epoch = d.epoch;
  s.node_count = state.tree().node_count();
  s.session_count = state.sessions().size() + core_->local_session_count();
  s.digest = state.tree().digest();
  for (const auto& [sid, paths] : state.tree().ephemerals()) s.ephemerals_count += paths.size();
  s.watch_count = core_->watch_count();
  // Logged here but not applied yet (same epoch: the counters compare).
  s.outstanding = TxnsBetween(state.last_applied(), d.last_zxid);
  std::lock_guard<std::mutex> lock(status_mu_);
  stats_ = std::move(s);
  zab_status_ = std::move(d);
  const bool serving = core_->serving();
  if (serving != serving_) {
    serving_ = serving;
    serving_cv_.notify_all();
  }
}

// ---- status ------------------------------------------------------------------

ServerStats NodeRuntime::Stats() { return StatsAndZab().first; }

std::pair<ServerStats, ZabStatus> NodeRuntime::StatsAndZab() {
  Call([this] { Publish(); });
  ServerStats s;
  ZabStatus zab;
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    s = stats_;
    zab = zab_status_;
  }
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    s.connection_count = connection_count_;
  }
  if (storage_) {
    s.txns_logged = storage_->txns_logged();
    s.log_syncs = storage_->syncs();
    s.avg_fsync_us = s.log_syncs == 0 ? 0 : storage_->sync_micros_total() / s.log_syncs;
  }
  s.requests = requests_.load();
  s.reads = reads_.load();
  s.writes = writes_.load();
  return {s, zab};
}

std::pair<int64_t, uint64_t> NodeRuntime::Digest() {
  auto out = std::make_shared<std::pair<int64_t, uint64_t>>();
  if (!Call([this, out] {
        *out = {StatZxid(core_->state().last_applied()), core_->state().tree().digest()};
      })) {
    return {-1, 0};
  }
  return *out;
}

std::vector<std::pair<int64_t, std::vector<std::string>>> NodeRuntime::EphemeralsBySession() {
  auto out = std::make_shared<std::vector<std::pair<int64_t, std::vector<std::string>>>>();
  if (!Call([this, out] {
        for (const auto& [sid, paths] : core_->state().tree().ephemerals()) {
          out->emplace_back(sid, std::vector<std::string>(paths.begin(), paths.end()));
        }
      })) {
    return {};
  }
  std::sort(out->begin(), out->end());
  return std::move(*out);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> NodeRuntime::Watches(WatchKind kind) {
  auto out = std::make_shared<std::vector<std::pair<std::string, std::vector<int64_t>>>>();
  if (!Call([this, out, kind] { *out = core_->watches().Snapshot(kind); })) return {};
  return std::move(*out);
}

}  // namespace zabkeeper::server
