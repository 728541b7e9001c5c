#include "server/zk_server.h"

#include <chrono>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/errors.h"
#include "server/request_util.h"

namespace zabkeeper::server {
namespace {

constexpr size_t kReplayChunk = 10000;

std::string RandomPassword() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  std::string out(16, '\0');
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t v = rng();
    for (size_t k = 0; k < 8; ++k) out[i + k] = static_cast<char>((v >> (8 * k)) & 0xff);
  }
  return out;
}

}  // namespace

ZkServer::ZkServer(const ServerConfig& config)
    : config_(config),
      preparer_(PreparerLimits{static_cast<size_t>(config.max_data_bytes),
                               config.extended_types_enabled, (int64_t{1} << 40) - 1,
                               config.super_digest, config.enforce_quota}),
      tracker_(config.my_id, WallMillis()) {}

absl::StatusOr<std::unique_ptr<ZkServer>> ZkServer::Open(const ServerConfig& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create dataDir ", config.data_dir, ": ", ec.message()));
  }
  std::unique_ptr<ZkServer> server(new ZkServer(config));
  auto rocks = storage::RocksDb::Open(config.data_dir + "/db");
  if (!rocks.ok()) return rocks.status();
  server->rocks_ = std::move(*rocks);
  auto log = storage::RocksTxnLog::Open(server->rocks_.get());
  if (!log.ok()) return log.status();
  server->txn_log_ = std::move(*log);
  auto state = storage::RocksStateStore::Open(server->rocks_.get());
  if (!state.ok()) return state.status();
  server->state_store_ = std::move(*state);
  auto epochs = storage::RocksEpochStore::Open(server->rocks_.get());
  if (!epochs.ok()) return epochs.status();
  server->epoch_store_ = std::move(*epochs);
  if (absl::Status s = server->Recover(); !s.ok()) return s;
  return server;
}

absl::Status ZkServer::Recover() {
  auto start = std::chrono::steady_clock::now();
  if (absl::Status s = state_.LoadFrom(*state_store_); !s.ok()) return s;
  uint64_t loaded_at = state_.last_applied();
  // The log tail may hold uncommitted txns; the ZAB core decides (commit,
  // or TRUNC by the new leader; standalone, a one-voter ensemble, commits
  // them all). It gets the whole retained log.
  recovered_.accepted_epoch = epoch_store_->AcceptedEpoch();
  recovered_.current_epoch = epoch_store_->CurrentEpoch();
  recovered_.applied = ::zab::Zxid::FromRaw(state_.last_applied());
  uint64_t after = 0;
  while (true) {
    auto entries = txn_log_->ReadAfter(after, kReplayChunk);
    if (!entries.ok()) return entries.status();
    if (entries->empty()) break;
    for (storage::LogEntry& e : *entries) {
      after = e.zxid;
      if (e.zxid <= state_.last_applied()) retained_zxids_.push_back(e.zxid);
      recovered_.log.push_back(::zab::LogEntry{::zab::Zxid::FromRaw(e.zxid), std::move(e.payload)});
    }
  }
  last_applied_ = state_.last_applied();
  // Sessions continue if their clients come back within their timeout.
  TrackAllSessions();
  LOG(INFO) << "recovered " << state_.tree().node_count() << " znodes and "
            << state_.sessions().size() << " sessions at zxid 0x" << std::hex
            << state_.last_applied() << std::dec << " (state at 0x" << std::hex << loaded_at
            << std::dec << ", log has " << recovered_.log.size() << " for the ZAB core) in "
            << MillisSince(start) << " ms";
  return absl::OkStatus();
}

ZkServer::~ZkServer() { Stop(); }

absl::Status ZkServer::Start() {
  // One pipeline for every mode: standalone is a one-voter ensemble.
  serving_ = false;
  expiry_enabled_ = false;
  role_state_ = "looking";
  driver_ = std::make_unique<EnsembleDriver>(this, config_);
  // The core caps outstanding proposals itself; the log queue only needs
  // room for what a follower receives between two fsyncs.
  log_stage_ = std::make_unique<LogStage>(txn_log_.get(), 1 << 20, [this](LogStage::Batch batch) {
    driver_->OnPersisted(batch.back().zxid);
  });
  log_stage_->Start();
  apply_thread_ = std::thread([this] { ApplyLoop(); });
  expiry_thread_ = std::thread([this] { ExpiryLoop(); });
  started_ = true;
  if (absl::Status s = driver_->Start(std::move(recovered_)); !s.ok()) return s;
  if (config_.standalone()) {
    // A one-voter ensemble elects itself at once: serve from the first
    // request on, as a standalone server is expected to.
    std::unique_lock<std::mutex> lock(role_mu_);
    if (!role_cv_.wait_for(lock, std::chrono::seconds(30), [this] { return serving_.load(); })) {
      return absl::DeadlineExceededError("standalone server did not establish its epoch");
    }
  }
  return absl::OkStatus();
}

void ZkServer::Stop() {
  if (!started_) return;
  started_ = false;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (driver_) driver_->Stop();
  if (expiry_thread_.joinable()) expiry_thread_.join();
  log_stage_->Stop();  // writes what is queued
  apply_queue_.Close();
  if (apply_thread_.joinable()) apply_thread_.join();
}

// ---- connections -----------------------------------------------------------

bool ZkServer::AdmitConnection(const std::string& peer_ip) {
  std::lock_guard<std::mutex> lock(conns_mu_);
  int& n = conns_per_ip_[peer_ip];
  if (config_.max_client_cnxns > 0 && n >= config_.max_client_cnxns) {
    if (n == 0) conns_per_ip_.erase(peer_ip);
    return false;
  }
  ++n;
  ++connection_count_;
  return true;
}

void ZkServer::ReleaseConnection(const std::string& peer_ip) {
  std::lock_guard<std::mutex> lock(conns_mu_);
  auto it = conns_per_ip_.find(peer_ip);
  if (it != conns_per_ip_.end() && --it->second <= 0) conns_per_ip_.erase(it);
  if (connection_count_ > 0) --connection_count_;
}

std::shared_ptr<Connection> ZkServer::ConnOf(int64_t session_id) const {
  std::lock_guard<std::mutex> lock(conns_mu_);
  auto it = session_conns_.find(session_id);
  return it == session_conns_.end() ? nullptr : it->second;
}

void ZkServer::HandleDisconnect(const std::shared_ptr<Connection>& conn) {
  int64_t sid = conn->session_id();
  if (sid == 0) return;
  std::lock_guard<std::mutex> lock(conns_mu_);
  auto it = session_conns_.find(sid);
  if (it != session_conns_.end() && it->second == conn) {
    session_conns_.erase(it);
    // Under conns_mu_: a reattach elsewhere binds the session under the same
    // lock, so it cannot register watches that this would then drop. The
    // client re-registers its watches (SetWatches) when it reattaches.
    watches_.RemoveSession(sid);
  }
}

// ---- requests --------------------------------------------------------------

void ZkServer::HandleRequest(const std::shared_ptr<Connection>& conn,
                             const proto::Request& request) {
  ++requests_;
  const proto::OpCode op = OpOf(request);
  if (!serving_.load()) {
    // Like ZooKeeper: a server without a quorum serves nobody; the client
    // reattaches its session to another server.
    conn->Reply(ErrorResponse(request.xid(), op, proto::CONNECTION_LOSS,
                              "this server is not serving (no quorum); try another server"));
    conn->CloseStream();
    return;
  }
  if (request.body_case() == proto::Request::kConnect) {
    HandleConnect(conn, request);
    return;
  }
  if (request.body_case() == proto::Request::BODY_NOT_SET) {
    conn->Reply(ErrorResponse(request.xid(), op, proto::UNIMPLEMENTED,
                              "unknown request type (no recognised body)"));
    return;
  }
  const int64_t sid = conn->session_id();
  if (sid == 0) {
    conn->Reply(ErrorResponse(request.xid(), op, proto::BAD_ARGUMENTS,
                              "the first request on a stream must be connect"));
    return;
  }
  if (!tracker_.Touch(sid)) {
    conn->Reply(
        ErrorResponse(request.xid(), op, proto::SESSION_EXPIRED, "session expired or closing"));
    conn->CloseStream();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(touched_mu_);
    touched_.insert(sid);
  }
  switch (request.body_case()) {
    case proto::Request::kCreate:
    case proto::Request::kDelete:
    case proto::Request::kSetData:
    case proto::Request::kSetAcl:
    case proto::Request::kMulti:
    case proto::Request::kClose:
      ++writes_;
      Submit(conn, WriteRequest{sid, request, false, conn->auth(), false});
      return;
    case proto::Request::kSync:
      // The leader says up to which zxid; done once applied here.
      Submit(conn, WriteRequest{sid, request, false, {}, false});
      return;
    default:
      break;
  }
  ++reads_;
  std::shared_lock<std::shared_mutex> tree(tree_mu_);
  conn->Read(request, ReaderFor(sid, *conn));
}

Connection::ReadFn ZkServer::ReaderFor(int64_t session_id, Connection& conn) {
  return [this, session_id, &conn](const proto::Request& r, std::vector<proto::Response>* out) {
    read_executor_.Execute(session_id, conn, r, out);
  };
}

void ZkServer::TrackAllSessions() {
  for (const auto& [id, record] : state_.sessions()) tracker_.Track(id, record.timeout_ms());
}

void ZkServer::HandleConnect(const std::shared_ptr<Connection>& conn,
                             const proto::Request& request) {
  const int64_t xid = request.xid();
  if (conn->session_id() != 0) {
    conn->Reply(ErrorResponse(xid, proto::OP_CREATE_SESSION, proto::BAD_ARGUMENTS,
                              "this stream already has a session"));
    return;
  }
  const proto::ConnectRequest& req = request.connect();
  const int32_t timeout =
      std::clamp(req.timeout_ms(), config_.MinSessionTimeout(), config_.MaxSessionTimeout());
  if (req.session_id() == 0) {
    const int64_t sid = tracker_.NextSessionId();
    conn->set_session_id(sid);
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      session_conns_[sid] = conn;
    }
    WriteRequest write{sid, request, false, {}, false};
    proto::ConnectRequest* c = write.request.mutable_connect();
    c->set_session_id(sid);
    c->set_password(RandomPassword());
    c->set_timeout_ms(timeout);
    Submit(conn, std::move(write));
    return;
  }
  // Reattach an existing session.
  const int64_t sid = req.session_id();
  proto::Response response;
  response.set_xid(xid);
  response.set_op(proto::OP_CREATE_SESSION);
  {
    std::shared_lock<std::shared_mutex> tree(tree_mu_);
    response.set_zxid(static_cast<int64_t>(state_.last_applied()));
    auto it = state_.sessions().find(sid);
    if (it == state_.sessions().end() || !tracker_.IsLive(sid)) {
      conn->Reply(ErrorResponse(xid, proto::OP_CREATE_SESSION, proto::SESSION_EXPIRED,
                                absl::StrCat("session 0x", absl::Hex(sid), " has expired")));
      conn->CloseStream();
      return;
    }
    if (it->second.password() != req.password()) {
      conn->Reply(ErrorResponse(xid, proto::OP_CREATE_SESSION, proto::SESSION_EXPIRED,
                                "wrong password for session"));
      conn->CloseStream();
      return;
    }
    if (req.last_zxid_seen() > static_cast<int64_t>(state_.last_applied())) {
      conn->Reply(
          ErrorResponse(xid, proto::OP_CREATE_SESSION, proto::CONNECTION_LOSS,
                        absl::StrCat("this server is behind the client: client saw zxid 0x",
                                     absl::Hex(req.last_zxid_seen()), ", server has 0x",
                                     absl::Hex(state_.last_applied()), "; try another server")));
      conn->CloseStream();
      return;
    }
    proto::ConnectResponse* c = response.mutable_connect();
    c->set_session_id(sid);
    c->set_password(it->second.password());
    c->set_timeout_ms(it->second.timeout_ms());
    c->set_server_id(config_.my_id);
  }
  std::shared_ptr<Connection> old;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    auto& slot = session_conns_[sid];
    if (slot != conn) old = std::move(slot);
    slot = conn;
    watches_.RemoveSession(sid);  // the client re-registers them with SetWatches
  }
  conn->set_session_id(sid);
  tracker_.Touch(sid);
  if (old) {
    old->set_session_id(0);
    old->CloseStream();
  }
  conn->Reply(std::move(response));
}

// ---- write path ------------------------------------------------------------

void ZkServer::Submit(const std::shared_ptr<Connection>& conn, WriteRequest write) {
  if (conn) conn->ExpectWrite(write.request.xid());
  driver_->SubmitWrite(std::move(write));
}

// ---- status ----------------------------------------------------------------

ServerStats ZkServer::Stats() const {
  ServerStats s;
  {
    std::lock_guard<std::mutex> lock(role_mu_);
    s.state = role_state_;
  }
  {
    std::shared_lock<std::shared_mutex> tree(tree_mu_);
    s.zxid = static_cast<int64_t>(state_.last_applied());
    s.node_count = state_.tree().node_count();
    s.session_count = state_.sessions().size();
    s.digest = state_.tree().digest();
    for (const auto& [sid, paths] : state_.tree().ephemerals()) s.ephemerals_count += paths.size();
  }
  s.epoch = epoch_store_->CurrentEpoch();
  if (driver_) {
    const DriverStatus d = driver_->Status();
    s.epoch = d.epoch;
    // Logged here but not applied yet (same epoch: the counters compare).
    const uint64_t applied = last_applied_.load();
    if (d.last_zxid >> 32 == applied >> 32 && d.last_zxid > applied) {
      s.outstanding = d.last_zxid - applied;
    }
  }
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    s.connection_count = connection_count_;
  }
  s.watch_count = watches_.watch_count();
  if (log_stage_) {
    s.txns_logged = log_stage_->txns_logged();
    s.log_syncs = log_stage_->syncs();
    s.avg_fsync_us = s.log_syncs == 0 ? 0 : log_stage_->sync_micros_total() / s.log_syncs;
  }
  s.requests = requests_.load();
  s.reads = reads_.load();
  s.writes = writes_.load();
  return s;
}

DriverStatus ZkServer::EnsembleStatus() const {
  return driver_ ? driver_->Status() : DriverStatus{};
}

std::pair<int64_t, uint64_t> ZkServer::Digest() const {
  std::shared_lock<std::shared_mutex> tree(tree_mu_);
  return {static_cast<int64_t>(state_.last_applied()), state_.tree().digest()};
}

std::vector<std::pair<int64_t, std::vector<std::string>>> ZkServer::EphemeralsBySession() const {
  std::shared_lock<std::shared_mutex> tree(tree_mu_);
  std::vector<std::pair<int64_t, std::vector<std::string>>> out;
  for (const auto& [sid, paths] : state_.tree().ephemerals()) {
    out.emplace_back(sid, std::vector<std::string>(paths.begin(), paths.end()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace zabkeeper::server
