// NodeCore, the client side: connections, connect/reattach, and requests
// routed to the read executor (in session order) or into the write path.
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "server/node_core.h"
#include "server/request_util.h"

namespace zabkeeper::server {

void NodeCore::CoreConnection::Send(proto::Response response) {
  if (!closed_) core_->ready_.client.push_back(ClientOut{id_, std::move(response)});
}

void NodeCore::CoreConnection::CloseStream() {
  if (closed_) return;
  closed_ = true;
  core_->ready_.close.push_back(id_);
}

void NodeCore::OpenConnection(ConnId conn, const std::string& peer,
                              std::vector<proto::Id> identities) {
  auto connection = std::make_shared<CoreConnection>(this, conn, peer);
  for (proto::Id& id : identities) connection->AddAuth(std::move(id));
  conns_.emplace(conn, std::move(connection));
}

void NodeCore::AddIdentities(ConnId conn, std::vector<proto::Id> identities) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  for (proto::Id& id : identities) it->second->AddAuth(std::move(id));
}

void NodeCore::CloseConnection(ConnId conn) { DropConnection(conn); }

void NodeCore::DropConnection(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  const int64_t sid = it->second->session_id();
  auto bound = session_conns_.find(sid);
  if (sid != 0 && bound != session_conns_.end() && bound->second == id) {
    session_conns_.erase(bound);
    // The client re-registers its watches (SetWatches) when it reattaches.
    watches_.RemoveSession(sid);
  }
  conns_.erase(it);
}

NodeCore::CoreConnection* NodeCore::ConnOfSession(int64_t session_id) const {
  auto it = session_conns_.find(session_id);
  if (it == session_conns_.end()) return nullptr;
  auto c = conns_.find(it->second);
  if (c == conns_.end() || c->second->closed()) return nullptr;
  return c->second.get();
}

Connection::ReadFn NodeCore::ReaderFor(int64_t session_id, Connection& conn) {
  return [this, session_id, &conn](const proto::Request& r, std::vector<proto::Response>* out) {
    reads_.Execute(session_id, conn, r, out);
  };
}

SessionTracker::Clock::time_point NodeCore::Now() const {
  return SessionTracker::Clock::time_point(std::chrono::milliseconds(now_ms_));
}

std::string NodeCore::NewPassword() {
  std::string out(16, '\0');
  for (size_t i = 0; i < out.size(); i += 8) {
    // splitmix64: deterministic in the configured seed.
    uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (size_t k = 0; k < 8; ++k) out[i + k] = static_cast<char>((z >> (8 * k)) & 0xff);
  }
  return out;
}

bool NodeCore::Authenticated(const CoreConnection& conn) const {
  for (const proto::Id& id : conn.auth()) {
    if (config_.enforce_auth_schemes.contains(id.scheme())) return true;
  }
  return false;
}

void NodeCore::CloseAllClientStreams() {
  for (auto& [id, conn] : conns_) {
    if (conn->session_id() != 0) watches_.RemoveSession(conn->session_id());
    conn->CloseStream();
  }
  session_conns_.clear();
}

void NodeCore::ClientRequest(ConnId id, proto::Request request) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second->closed()) return;
  std::shared_ptr<CoreConnection> conn = it->second;
  const proto::OpCode op = OpOf(request);
  if (!serving_ && !read_only_) {
    // Like ZooKeeper: a server without a quorum serves nobody; the client
    // reattaches its session to another server.
    conn->Reply(ErrorResponse(request.xid(), op, proto::CONNECTION_LOSS,
                              "this server is not serving (no quorum); try another server"));
    conn->CloseStream();
    return;
  }
  if (request.body_case() == proto::Request::kConnect) {
    HandleConnect(*conn, request);
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
  const bool local = local_.Find(sid) != nullptr;
  if (!(local ? local_.Touch(sid, Now()) : tracker_.Touch(sid, Now()))) {
    conn->Reply(
        ErrorResponse(request.xid(), op, proto::SESSION_EXPIRED, "session expired or closing"));
    conn->CloseStream();
    return;
  }
  if (config_.enforce_auth && request.body_case() != proto::Request::kAuth &&
      !Authenticated(*conn)) {
    // ZooKeeper 3.8 (AuthenticationHelper): the request is refused and the
    // connection closed; the session stays until it expires.
    conn->Reply(ErrorResponse(request.xid(), op, proto::SESSION_CLOSED_REQUIRE_SASL_AUTH,
                              absl::StrCat("enforce.auth.enabled: authenticate first with one of: ",
                                           absl::StrJoin(config_.enforce_auth_schemes, ","))));
    conn->CloseStream();
    return;
  }
  if (disk_full_ && IsTreeWrite(request)) {
    conn->Reply(ErrorResponse(request.xid(), op, proto::NOT_READ_ONLY,
                              "this server's disk is full: writes are refused until space "
                              "returns (reads still work)"));
    return;
  }
  if (!serving_) {
    // The read-only server: reads only.
    if (request.has_close()) {
      CloseLocally(*conn, request);
    } else if (IsTreeWrite(request) || request.has_sync()) {
      conn->Reply(ErrorResponse(request.xid(), op, proto::NOT_READ_ONLY,
                                "this server is read-only: it has no quorum"));
    } else {
      conn->Read(request, ReaderFor(sid, *conn));
    }
    return;
  }
  if (role_.role == ::zab::Role::kFollowing && !local) touched_[sid] = true;
  if (local_.IsLocal(sid)) {
    if (request.has_close()) {
      CloseLocally(*conn, request);
      return;
    }
    if (CreatesEphemeral(request)) {
      if (!config_.local_sessions_upgrading_enabled) {
        conn->Reply(ErrorResponse(request.xid(), op, proto::EPHEMERAL_ON_LOCAL_SESSION,
                                  "a local session cannot create ephemeral nodes "
                                  "(localSessionsUpgradingEnabled=false)"));
        return;
      }
      UpgradeSession(sid);
    }
  }
  if (IsTreeWrite(request)) {
    std::vector<proto::Id> auth = conn->auth();
    if (config_.audit_enabled) {
      AuditedWrite record;
      if (AuditRecordOf(request, auth, conn->peer_ip(), &record)) {
        conn->audited.push_back(std::move(record));
      }
    }
    // The payload moves on into the txn: no copy per stage.
    WriteRequest write{sid, std::move(request), false, std::move(auth), false};
    write.local_session = local_.IsLocal(sid);
    Submit(conn.get(), std::move(write));
  } else if (request.body_case() == proto::Request::kSync) {
    // The leader says up to which zxid; done once applied here.
    Submit(conn.get(), WriteRequest{sid, std::move(request), false, {}, false});
  } else {
    conn->Read(request, ReaderFor(sid, *conn));
  }
}

void NodeCore::SetDiskFull(bool full) {
  if (full != disk_full_) {
    LOG(WARNING) << (full ? "disk full: refusing client writes and new sessions"
                          : "disk has room again: accepting writes");
  }
  disk_full_ = full;
}

void NodeCore::Submit(CoreConnection* conn, WriteRequest write) {
  if (conn != nullptr) conn->ExpectWrite(write.request.xid());
  HandleWrite(std::move(write), 0);
}

void NodeCore::HandleConnect(CoreConnection& conn, const proto::Request& request) {
  const int64_t xid = request.xid();
  if (conn.session_id() != 0) {
    conn.Reply(ErrorResponse(xid, proto::OP_CREATE_SESSION, proto::BAD_ARGUMENTS,
                             "this stream already has a session"));
    return;
  }
  const proto::ConnectRequest& req = request.connect();
  auto fail = [&](proto::ErrorCode code, const std::string& message) {
    conn.Reply(ErrorResponse(xid, proto::OP_CREATE_SESSION, code, message));
    conn.CloseStream();
  };
  if (!serving_ && !req.read_only()) {
    // ZooKeeper's read-only server refuses a client that did not say it
    // can be read-only; the client tries another server.
    return fail(proto::CONNECTION_LOSS,
                "this server is read-only (no quorum) and the client does not allow that");
  }
  // As ZooKeeper, for new sessions too: a server behind what the client saw
  // refuses it (a local session would answer at once, from the past).
  if (req.last_zxid_seen() > StatZxid(state_.last_applied())) {
    return fail(proto::CONNECTION_LOSS,
                absl::StrCat("this server is behind the client: client saw zxid 0x",
                             absl::Hex(req.last_zxid_seen()), ", server has ",
                             state_.last_applied().ToString(), "; try another server"));
  }
  const int32_t timeout_ms =
      std::clamp(req.timeout_ms(), config_.min_session_timeout_ms, config_.max_session_timeout_ms);
  if (req.session_id() == 0) {
    const int64_t sid = tracker_.NextSessionId();
    if (!serving_ || config_.local_sessions_enabled) {
      // A local session: no txn, this server alone knows it.
      LocalSessions::Session session{NewPassword(), timeout_ms, !serving_, false};
      const std::string password = session.password;
      local_.Add(sid, std::move(session), Now());
      AcceptSession(conn, xid, sid, password, timeout_ms);
      return;
    }
    if (disk_full_) {
      // A new session is a write; the client tries another server. (An
      // existing session reattaches without one.)
      return fail(proto::CONNECTION_LOSS,
                  "this server's disk is full: no new sessions until space returns");
    }
    conn.set_session_id(sid);
    session_conns_[sid] = conn.id();
    WriteRequest write{sid, request, false, {}, false};
    proto::ConnectRequest* c = write.request.mutable_connect();
    c->set_session_id(sid);
    c->set_password(NewPassword());
    c->set_timeout_ms(timeout_ms);
    Submit(&conn, std::move(write));
    return;
  }
  // Reattach an existing session: one of this server's local sessions, or a
  // global one.
  const int64_t sid = req.session_id();
  std::string password;
  int32_t session_timeout = 0;
  const LocalSessions::Session* local = local_.Find(sid);
  if (local != nullptr) {
    password = local->password;
    session_timeout = local->timeout_ms;
  } else {
    auto it = state_.sessions().find(sid);
    if (it == state_.sessions().end() || !tracker_.IsLive(sid)) {
      return fail(proto::SESSION_EXPIRED,
                  absl::StrCat("session 0x", absl::Hex(sid), " has expired"));
    }
    password = it->second.password();
    session_timeout = it->second.timeout_ms();
  }
  if (password != req.password()) {
    return fail(proto::SESSION_EXPIRED, "wrong password for session");
  }
  if (local != nullptr) {
    local_.Touch(sid, Now());
  } else {
    tracker_.Touch(sid, Now());
    if (role_.role == ::zab::Role::kFollowing) touched_[sid] = true;
  }
  AcceptSession(conn, xid, sid, password, session_timeout);
}

void NodeCore::AcceptSession(CoreConnection& conn, int64_t xid, int64_t sid,
                             const std::string& password, int32_t timeout_ms) {
  // A stream that held the session before loses it.
  auto bound = session_conns_.find(sid);
  if (bound != session_conns_.end() && bound->second != conn.id()) {
    auto old = conns_.find(bound->second);
    if (old != conns_.end()) {
      old->second->set_session_id(0);
      old->second->CloseStream();
    }
  }
  session_conns_[sid] = conn.id();
  watches_.RemoveSession(sid);  // the client re-registers them with SetWatches
  conn.set_session_id(sid);
  proto::Response response;
  response.set_xid(xid);
  response.set_op(proto::OP_CREATE_SESSION);
  response.set_zxid(StatZxid(state_.last_applied()));
  proto::ConnectResponse* c = response.mutable_connect();
  c->set_session_id(sid);
  c->set_password(password);
  c->set_timeout_ms(timeout_ms);
  c->set_server_id(config_.my_id);
  c->set_read_only(!serving_);
  conn.Reply(std::move(response));
}

void NodeCore::CloseLocally(CoreConnection& conn, const proto::Request& request) {
  // A global session on a read-only server is not closed (that is a txn):
  // only its stream; the leader expires it once a quorum is back.
  const int64_t sid = conn.session_id();
  local_.Remove(sid);
  DetachSession(sid);
  proto::Response r;
  r.set_xid(request.xid());
  r.set_op(proto::OP_CLOSE_SESSION);
  r.set_zxid(StatZxid(state_.last_applied()));
  conn.Reply(std::move(r));
  conn.CloseStream();
}

void NodeCore::ExpireLocal(int64_t sid) {
  if (std::shared_ptr<CoreConnection> conn = DetachSession(sid)) {
    TellExpired(*conn, state_.last_applied());
  }
}

std::shared_ptr<NodeCore::CoreConnection> NodeCore::DetachSession(int64_t sid) {
  watches_.RemoveSession(sid);
  auto it = session_conns_.find(sid);
  if (it == session_conns_.end()) return nullptr;
  auto c = conns_.find(it->second);
  session_conns_.erase(it);
  return c == conns_.end() ? nullptr : c->second;
}

void NodeCore::TellExpired(CoreConnection& conn, Zxid zxid) {
  proto::Response r = WatchEventResponse(proto::NONE, "", zxid);
  r.mutable_watch_event()->set_state(proto::EXPIRED);
  conn.Event(std::move(r));
  conn.CloseStream();
}

void NodeCore::UpgradeSession(int64_t sid) {
  const LocalSessions::Session* s = local_.Find(sid);
  if (s == nullptr || s->upgrading) return;
  WriteRequest write;
  write.session_id = sid;
  write.request.set_xid(kSessionUpgradeXid);
  proto::ConnectRequest* c = write.request.mutable_connect();
  c->set_session_id(sid);
  c->set_password(s->password);
  c->set_timeout_ms(s->timeout_ms);
  local_.MarkUpgrading(sid);
  // Not expected by the stream: its reply matches no request of the client.
  HandleWrite(std::move(write), 0);
}

}  // namespace zabkeeper::server
