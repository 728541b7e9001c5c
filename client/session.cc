#include "client/session.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "client/errors.h"
#include "client/paths.h"
#include "glog/logging.h"

namespace zk {
namespace {

// Special xids, as in ZooKeeper's ClientCnxn.
constexpr int64_t kConnectXid = 0;
constexpr int64_t kNotificationXid = -1;
constexpr int64_t kPingXid = -2;
constexpr int64_t kAuthXid = -4;
constexpr int64_t kSetWatchesXid = -8;
// A stream message stays well under gRPC's default 4 MiB receive limit.
constexpr size_t kMaxBatchBytes = 2 << 20;

std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(std::max(d, absl::ZeroDuration()));
}

}  // namespace

Session::Session(ClientOptions options, ConnectString servers,
                 std::shared_ptr<grpc::ChannelCredentials> credentials)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      servers_(std::move(servers)),
      session_id_(options_.session_id),
      password_(options_.session_password),
      negotiated_timeout_(options_.session_timeout),
      rng_(std::random_device{}()) {
  if (options_.state_listener) listeners_.emplace_back(0, options_.state_listener);
}

Session::~Session() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (connector_.joinable()) connector_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!Terminal())
      EndSessionLocked(SessionState::kClosed, proto::SESSION_EXPIRED, "client destroyed");
  }
  callbacks_.Stop();
}

void Session::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  last_recv_ = absl::Now();  // a given session_id must answer within its timeout
  connector_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "zkc-connect");
    ConnectorLoop();
  });
}

void Session::ConnectorLoop() {
  std::vector<std::string> order = servers_.servers;
  std::unique_lock<std::mutex> lock(mu_);
  std::shuffle(order.begin(), order.end(), rng_);
  size_t attempts = 0;
  while (!stopping_ && !Terminal()) {
    if (attempts > 0 && attempts % order.size() == 0) {
      // Every server tried once: pause 100-400 ms so a dead ensemble is not
      // hammered, then go round again.
      const auto pause = std::chrono::milliseconds(100 + rng_() % 300);
      cv_.wait_for(lock, pause, [this] { return stopping_ || Terminal(); });
      if (stopping_ || Terminal()) break;
    }
    const std::string server = order[attempts % order.size()];
    ++attempts;
    RunConnection(lock, server);
    if (!stopping_ && !Terminal() && state_ == SessionState::kSuspended &&
        absl::Now() - last_recv_ >= negotiated_timeout_) {
      EndSessionLocked(SessionState::kLost, proto::SESSION_EXPIRED,
                       "session timeout passed without reaching a server");
    }
  }
}

void Session::RunConnection(std::unique_lock<std::mutex>& lock, const std::string& server) {
  const uint64_t gen = ++generation_;
  handshake_done_ = false;
  stream_broken_ = false;
  stream_done_ = false;
  write_in_flight_ = true;  // the connect request
  current_server_ = server;
  proto::ClientMessage first;
  proto::Request* req = first.add_requests();
  req->set_xid(kConnectXid);
  proto::ConnectRequest* connect = req->mutable_connect();
  connect->set_session_id(session_id_);
  connect->set_password(password_);
  connect->set_timeout_ms(
      static_cast<int32_t>(absl::ToInt64Milliseconds(options_.session_timeout)));
  connect->set_last_zxid_seen(last_zxid_);
  connect->set_read_only(options_.read_only);
  const bool established = session_id_ != 0;
  lock.unlock();

  grpc::ChannelArguments args;
  // A private subchannel per attempt: no shared reconnect backoff from an
  // earlier failure delays reaching a restarted server.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(-1);
  auto stream = std::make_shared<ClientStream>(
      this, gen, grpc::CreateCustomChannel(server, credentials_, args));
  lock.lock();
  stream_ = stream;
  lock.unlock();
  stream->Start(std::move(first));
  lock.lock();

  // Connect phase: bounded by timeout / #servers (at least 1 s), and for an
  // established session by the time it has left.
  absl::Time deadline =
      absl::Now() + std::max(absl::Seconds(1), options_.session_timeout /
                                                   static_cast<int64_t>(servers_.servers.size()));
  if (established) deadline = std::min(deadline, last_recv_ + negotiated_timeout_);
  cv_.wait_for(lock, ToChrono(deadline - absl::Now()),
               [this] { return stopping_ || stream_broken_ || handshake_done_ || Terminal(); });

  // Connected phase: ping when idle for 1/3 of the timeout; give the server
  // up when nothing was heard for 2/3 of it (as ZooKeeper's ClientCnxn).
  while (handshake_done_ && !stopping_ && !stream_broken_ && !Terminal()) {
    const absl::Time now = absl::Now();
    const absl::Duration read_timeout = negotiated_timeout_ * 2 / 3;
    const absl::Duration ping_interval = negotiated_timeout_ / 3;
    if (now - last_recv_ >= read_timeout) {
      LOG(WARNING) << "zk client: no reply from " << server << " for "
                   << absl::FormatDuration(now - last_recv_) << ", reconnecting";
      break;
    }
    if (now - last_send_ >= ping_interval) {
      Pending ping;
      ping.xid = kPingXid;
      ping.internal = true;
      ping.body = proto::Request::kPing;
      ping.request.set_xid(kPingXid);
      ping.request.mutable_ping();
      outgoing_.push_back(std::move(ping));
      last_send_ = now;  // do not queue another before this one is written
      lock.unlock();
      Flush();
      lock.lock();
      continue;
    }
    const absl::Time wake = std::min(last_recv_ + read_timeout, last_send_ + ping_interval);
    cv_.wait_for(lock, ToChrono(wake - now));
  }

  // Tear down this stream and wait for gRPC's last callback on it.
  // No Write() may start after Finish(): stream_broken_ stops new ones and
  // we wait out one that is being started.
  stream_broken_ = true;
  cv_.wait(lock, [this] { return !write_starting_; });
  std::shared_ptr<ClientStream> r = stream_;
  lock.unlock();
  r->Finish();
  lock.lock();
  cv_.wait(lock, [this] { return stream_done_; });
  stream_.reset();
  handshake_done_ = false;
  write_in_flight_ = false;
  // Internal requests not yet sent are rebuilt by the next handshake.
  std::erase_if(outgoing_, [](const Pending& p) { return p.internal; });
  if (!Terminal()) {
    FailInFlightLocked(proto::CONNECTION_LOSS, absl::StrCat("connection to ", server, " lost"));
    if (!stopping_ && (state_ == SessionState::kConnected || state_ == SessionState::kAuthFailed)) {
      SetStateLocked(SessionState::kSuspended);
    }
  }
  lock.unlock();
  r.reset();  // destroys the channel outside the lock
  lock.lock();
}

void Session::OnMessage(uint64_t generation, const proto::ServerMessage& msg) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation != generation_ || stream_broken_) return;
    const bool was_closed = close_replied_;
    for (const proto::Response& resp : msg.responses()) {
      if (stream_broken_ || Terminal()) break;
      if (!handshake_done_) {
        HandleConnectReply(resp);
        wake = true;
      } else {
        HandleReply(resp);
      }
    }
    // Waking the connector (and Close) on every reply would cost a thread
    // switch per request: only the flags they wait for count.
    wake = wake || stream_broken_ || close_replied_ != was_closed;
  }
  if (wake) cv_.notify_all();
  Flush();
}

void Session::HandleConnectReply(const proto::Response& resp) {
  const bool ok = resp.err() == proto::OK && resp.has_connect();
  if (!ok && resp.err() != proto::SESSION_EXPIRED && resp.err() != proto::UNKNOWN_SESSION) {
    LOG(INFO) << "zk client: " << current_server_
              << " refused connect: " << ErrorCodeName(resp.err()) << " " << resp.error_message();
    stream_broken_ = true;
    return;
  }
  const bool reattach = session_id_ != 0;
  if (!ok || resp.connect().timeout_ms() <= 0 ||
      (reattach && resp.connect().session_id() != session_id_)) {
    EndSessionLocked(SessionState::kLost, proto::SESSION_EXPIRED,
                     absl::StrCat("session 0x", absl::Hex(session_id_), " expired"));
    stream_broken_ = true;
    return;
  }
  const proto::ConnectResponse& c = resp.connect();
  session_id_ = c.session_id();
  password_ = c.password();
  negotiated_timeout_ = absl::Milliseconds(c.timeout_ms());
  handshake_done_ = true;
  last_recv_ = last_send_ = absl::Now();

  // Replay credentials, then re-register watches, before anything queued.
  std::deque<Pending> replay;
  for (const auto& [scheme, auth] : auth_infos_) {
    Pending p;
    p.xid = kAuthXid;
    p.internal = true;
    p.body = proto::Request::kAuth;
    p.request.set_xid(kAuthXid);
    p.request.mutable_auth()->set_scheme(scheme);
    p.request.mutable_auth()->set_auth(auth);
    replay.push_back(std::move(p));
  }
  if (!watches_.empty()) {
    Pending p;
    p.xid = kSetWatchesXid;
    p.internal = true;
    p.body = proto::Request::kSetWatches;
    p.request.set_xid(kSetWatchesXid);
    *p.request.mutable_set_watches() = watches_.ToSetWatches(last_zxid_);
    replay.push_back(std::move(p));
  }
  for (auto it = replay.rbegin(); it != replay.rend(); ++it) outgoing_.push_front(std::move(*it));
  SetStateLocked(SessionState::kConnected);
}

void Session::HandleReply(const proto::Response& resp) {
  last_recv_ = absl::Now();
  if (resp.zxid() > last_zxid_) last_zxid_ = resp.zxid();
  if (resp.xid() == kPingXid) return;
  if (resp.xid() == kNotificationXid) {
    const proto::WatchEvent& ev = resp.watch_event();
    if (ev.zxid() > last_zxid_) last_zxid_ = ev.zxid();
    std::vector<Watcher> fired = watches_.Materialize(ev.type(), ev.path());
    if (fired.empty()) return;
    WatchedEvent event{ev.type(), SessionState::kConnected, StripChroot(servers_.chroot, ev.path()),
                       ev.zxid()};
    for (Watcher& w : fired) {
      callbacks_.Post([w = std::move(w), event] { w(event); });
    }
    return;
  }
  if (in_flight_.empty() || in_flight_.front().xid != resp.xid()) {
    LOG(ERROR) << "zk client: reply xid " << resp.xid() << " does not match the oldest request ("
               << (in_flight_.empty() ? 0 : in_flight_.front().xid) << "); reconnecting";
    stream_broken_ = true;
    return;
  }
  Pending p = std::move(in_flight_.front());
  in_flight_.pop_front();
  if (p.watch.has_value()) {
    WatchRegistration& w = *p.watch;
    if (w.kind == WatchKind::kExist) {
      // exists() on a present node is a data watch, on an absent one an
      // exist watch (ZooKeeper's ExistsWatchRegistration).
      if (resp.err() == proto::OK) watches_.Add(WatchKind::kData, w.path, std::move(w.watcher));
      if (resp.err() == proto::NO_NODE) {
        watches_.Add(WatchKind::kExist, w.path, std::move(w.watcher));
      }
    } else if (resp.err() == proto::OK) {
      watches_.Add(w.kind, w.path, std::move(w.watcher));
    }
  }
  if (p.body == proto::Request::kClose) close_replied_ = true;
  if (resp.err() == proto::AUTH_FAILED) SetStateLocked(SessionState::kAuthFailed);
  if (p.done) {
    callbacks_.Post([done = std::move(p.done), resp] { done(resp); });
  }
  if (resp.err() == proto::SESSION_EXPIRED && p.body != proto::Request::kClose) {
    EndSessionLocked(SessionState::kLost, proto::SESSION_EXPIRED, "session expired");
  }
}

void Session::Flush() {
  std::shared_ptr<ClientStream> stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!handshake_done_ || write_in_flight_ || stream_broken_ || outgoing_.empty() || !stream_) {
      return;
    }
    write_buffer_.Clear();
    size_t bytes = 0;
    int count = 0;
    while (!outgoing_.empty() && count < options_.max_batch &&
           (count == 0 || bytes + outgoing_.front().request.ByteSizeLong() <= kMaxBatchBytes)) {
      Pending p = std::move(outgoing_.front());
      outgoing_.pop_front();
      bytes += p.request.ByteSizeLong();
      ++count;
      *write_buffer_.add_requests() = std::move(p.request);
      if (p.xid != kPingXid) in_flight_.push_back(std::move(p));
    }
    write_in_flight_ = true;
    write_starting_ = true;
    last_send_ = absl::Now();
    stream = stream_;
  }
  // Not under mu_: a write may take a while to hand to gRPC's transport.
  stream->Write(&write_buffer_);
  bool teardown_waits = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    write_starting_ = false;
    teardown_waits = stream_broken_;  // the connector waits for this write to start
  }
  if (teardown_waits) cv_.notify_all();
}

void Session::OnWriteDone(uint64_t generation, bool ok) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation != generation_) return;
    write_in_flight_ = false;
    if (!ok) stream_broken_ = true;
  }
  if (!ok) cv_.notify_all();
  Flush();
}

void Session::OnReadFailed(uint64_t generation) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation == generation_) stream_broken_ = true;
  }
  cv_.notify_all();
}

void Session::OnStreamDone(uint64_t generation, const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation == generation_) {
      stream_broken_ = true;
      stream_done_ = true;
    }
    VLOG(1) << "zk client: stream to " << current_server_ << " ended: " << status.error_message();
  }
  cv_.notify_all();
}

void Session::Submit(proto::Request request, Done done, std::optional<WatchRegistration> watch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Terminal()) {
      PostError(std::move(done), proto::SESSION_EXPIRED,
                state_ == SessionState::kClosed ? "session closed" : "session expired");
      return;
    }
    Pending p;
    p.xid = next_xid_++;
    p.body = request.body_case();
    request.set_xid(p.xid);
    p.request = std::move(request);
    p.done = std::move(done);
    p.watch = std::move(watch);
    outgoing_.push_back(std::move(p));
  }
  Flush();
}

absl::Status Session::Close(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (Terminal()) return absl::OkStatus();
  if (handshake_done_ && !stream_broken_) {
    Pending p;
    p.xid = next_xid_++;
    p.body = proto::Request::kClose;
    p.request.set_xid(p.xid);
    p.request.mutable_close();
    outgoing_.push_back(std::move(p));
    lock.unlock();
    Flush();
    lock.lock();
    cv_.wait_for(lock, ToChrono(timeout),
                 [this] { return close_replied_ || stream_broken_ || Terminal(); });
  }
  if (!Terminal())
    EndSessionLocked(SessionState::kClosed, proto::SESSION_EXPIRED, "session closed");
  stopping_ = true;
  lock.unlock();
  cv_.notify_all();
  if (connector_.joinable() && connector_.get_id() != std::this_thread::get_id()) {
    connector_.join();
  }
  return absl::OkStatus();
}

absl::Status Session::WaitConnected(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, ToChrono(timeout), [this] {
    return state_ == SessionState::kConnected || state_ == SessionState::kAuthFailed || Terminal();
  });
  if (state_ == SessionState::kConnected || state_ == SessionState::kAuthFailed) {
    return absl::OkStatus();
  }
  if (Terminal()) return ZkError(proto::SESSION_EXPIRED, "session is over");
  return ZkError(proto::CONNECTION_LOSS,
                 absl::StrCat("not connected after ", absl::FormatDuration(timeout)));
}

void Session::SetStateLocked(SessionState state) {
  if (state_ == state) return;
  state_ = state;
  cv_.notify_all();
  std::vector<std::function<void(SessionState)>> listeners;
  for (const auto& [id, l] : listeners_) listeners.push_back(l);
  callbacks_.Post([listeners = std::move(listeners), state] {
    for (const auto& l : listeners) l(state);
  });
}

void Session::PostError(Done done, proto::ErrorCode code, std::string detail) {
  if (!done) return;
  proto::Response resp;
  resp.set_err(code);
  resp.set_error_message(std::move(detail));
  callbacks_.Post([done = std::move(done), resp = std::move(resp)] { done(resp); });
}

void Session::FailInFlightLocked(proto::ErrorCode code, absl::string_view why) {
  while (!in_flight_.empty()) {
    Pending p = std::move(in_flight_.front());
    in_flight_.pop_front();
    PostError(std::move(p.done), code, std::string(why));
  }
}

void Session::EndSessionLocked(SessionState state, proto::ErrorCode code, absl::string_view why) {
  if (state == SessionState::kLost) {
    LOG(WARNING) << "zk client: session 0x" << std::hex << session_id_ << " lost: " << why;
  }
  SetStateLocked(state);
  FailInFlightLocked(code, why);
  while (!outgoing_.empty()) {
    Pending p = std::move(outgoing_.front());
    outgoing_.pop_front();
    PostError(std::move(p.done), code, std::string(why));
  }
  const WatchedEvent event{proto::NONE, state, "", 0};
  for (Watcher& w : watches_.TakeAll()) {
    callbacks_.Post([w = std::move(w), event] { w(event); });
  }
  stream_broken_ = true;  // the connector tears the stream down
  cv_.notify_all();
}

SessionState Session::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}
int64_t Session::session_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_id_;
}
std::string Session::password() const {
  std::lock_guard<std::mutex> lock(mu_);
  return password_;
}
absl::Duration Session::negotiated_timeout() const {
  std::lock_guard<std::mutex> lock(mu_);
  return negotiated_timeout_;
}
std::string Session::current_server() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_server_;
}
int64_t Session::last_zxid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_zxid_;
}

void Session::RememberAuth(const std::string& scheme, const std::string& auth) {
  std::lock_guard<std::mutex> lock(mu_);
  auth_infos_.emplace_back(scheme, auth);
}

size_t Session::RemoveLocalWatches(const std::string& path, proto::WatcherType type) {
  std::lock_guard<std::mutex> lock(mu_);
  return watches_.Remove(path, type);
}

bool Session::HasLocalWatch(const std::string& path, proto::WatcherType type) const {
  std::lock_guard<std::mutex> lock(mu_);
  return watches_.Has(path, type);
}

void Session::AddWatch(WatchKind kind, const std::string& path, Watcher watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  watches_.Add(kind, path, std::move(watcher));
}

int Session::AddStateListener(std::function<void(SessionState)> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  const int id = next_listener_id_++;
  listeners_.emplace_back(id, std::move(listener));
  return id;
}

void Session::RemoveStateListener(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

}  // namespace zk
