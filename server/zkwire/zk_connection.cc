#include "server/zkwire/zk_connection.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asio/bind_executor.hpp"
#include "asio/post.hpp"
#include "asio/read.hpp"
#include "asio/write.hpp"
#include "glog/logging.h"
#include "server/connection.h"
#include "server/zkwire/four_letter.h"

namespace zabkeeper::zkwire {
namespace {

// The node core's stream for this connection: hops onto the strand.
class StreamToConnection final : public server::ClientStream {
 public:
  explicit StreamToConnection(std::weak_ptr<ZkConnection> conn) : conn_(std::move(conn)) {}
  void Send(std::vector<proto::Response> responses) override {
    if (auto c = conn_.lock()) c->Deliver(std::move(responses));
  }
  void Close() override {
    if (auto c = conn_.lock()) c->CloseAfterFlush();
  }

 private:
  std::weak_ptr<ZkConnection> conn_;
};

int32_t BigEndian(const std::array<char, 4>& b) {
  return static_cast<int32_t>((static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8) |
                              static_cast<uint32_t>(static_cast<uint8_t>(b[3])));
}

// The xid the core's connect request carries; a ZooKeeper ConnectRequest has
// none of its own.
constexpr int64_t kConnectXid = 0;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ZkConnection::ZkConnection(std::unique_ptr<ZkStream> stream, ZkStream::Strand strand,
                           server::NodeRuntime* runtime, int32_t max_frame, size_t max_outstanding,
                           const std::set<std::string>* four_letter_words, const SaslSettings* sasl,
                           ConnectionRegistry* registry)
    : strand_(std::move(strand)),
      stream_(std::move(stream)),
      runtime_(runtime),
      max_frame_(max_frame),
      max_outstanding_(max_outstanding),
      four_letter_words_(four_letter_words),
      sasl_settings_(sasl),
      registry_(registry) {
  asio::error_code ec;
  const auto remote = stream_->socket().remote_endpoint(ec);
  if (!ec) {
    peer_ip_ = remote.address().to_string();
    peer_ = absl::StrCat(remote.address().is_v6() ? "ipv6:[" : "ipv4:", peer_ip_,
                         remote.address().is_v6() ? "]:" : ":", remote.port());
  }
  // As Java prints a socket address.
  stats_ = registry_->Add(absl::StrCat("/", peer_ip_, ":", ec ? 0 : remote.port()), NowMs());
}

// A connection never shut down (the front end stopping) leaves no line behind.
ZkConnection::~ZkConnection() { registry_->Remove(stats_.get()); }

void ZkConnection::Start() {
  stream_->Handshake([self = shared_from_this()](const asio::error_code& ec) {
    if (ec) {
      self->Drop("TLS handshake failed: " + ec.message());
      return;
    }
    self->conn_ = self->runtime_->Connect(std::make_shared<StreamToConnection>(self), self->peer_,
                                          self->peer_ip_, self->stream_->Identities());
    if (self->conn_ == 0) {
      self->Drop("too many connections: refused " + self->peer_ip_ + " (maxClientCnxns/maxCnxns)");
      return;
    }
    self->ReadLength();
  });
}

void ZkConnection::ReadLength() {
  if (closed_ || closing_) return;
  if (owed_.size() >= max_outstanding_) {
    read_paused_ = true;
    return;
  }
  reading_ = true;
  stream_->Read(asio::buffer(length_), [self = shared_from_this()](const asio::error_code& ec) {
    self->reading_ = false;
    if (ec) {
      self->Shutdown();
      return;
    }
    const absl::string_view first4(self->length_.data(), 4);
    if (!self->handshake_sent_ && IsFourLetterWord(first4)) {
      self->stats_->PacketReceived();
      self->Send(
          FourLetterReply(first4, *self->four_letter_words_, *self->runtime_, *self->registry_));
      self->closing_ = true;
      if (!self->writing_) self->WriteNext();
      return;
    }
    const int32_t length = BigEndian(self->length_);
    if (length < 0 || length > self->max_frame_) {
      self->Drop(absl::StrCat("frame length ", length, " outside 0..", self->max_frame_,
                              " (jute.maxbuffer)"));
      return;
    }
    self->ReadPayload(static_cast<size_t>(length));
  });
}

void ZkConnection::ReadPayload(size_t length) {
  payload_.resize(length);
  reading_ = true;
  stream_->Read(asio::buffer(payload_), [self = shared_from_this()](const asio::error_code& ec) {
    self->reading_ = false;
    if (ec) {
      self->Shutdown();
      return;
    }
    self->OnFrame();
  });
}

void ZkConnection::OnFrame() {
  if (closed_) return;
  stats_->PacketReceived();
  if (!handshake_sent_) {
    OnConnectFrame();
  } else {
    OnRequestFrame();
  }
  if (!closed_) ReadLength();
}

void ZkConnection::OnConnectFrame() {
  absl::StatusOr<ConnectRequest> c = DecodeConnect(payload_);
  if (!c.ok()) {
    Drop(std::string(c.status().message()));
    return;
  }
  connect_ = *c;
  handshake_sent_ = true;
  proto::Request r;
  r.set_xid(kConnectXid);
  proto::ConnectRequest* body = r.mutable_connect();
  body->set_session_id(c->session_id);
  body->set_password(c->password);
  body->set_timeout_ms(c->timeout_ms);
  body->set_last_zxid_seen(c->last_zxid_seen);
  body->set_read_only(c->read_only);
  Owed owed;
  owed.shape.xid = static_cast<int32_t>(kConnectXid);
  owed.shape.op = proto::OP_CREATE_SESSION;
  owed.connect = true;
  Owe(std::move(owed));
  runtime_->Request(conn_, std::move(r));
}

void ZkConnection::OnRequestFrame() {
  absl::StatusOr<DecodedRequest> d = DecodeRequest(payload_);
  if (!d.ok()) {
    Drop(std::string(d.status().message()));
    return;
  }
  const int32_t op = d->shape.op;
  if (op == proto::OP_SASL) {
    OnSasl(d->shape, d->sasl_token);
    return;
  }
  if (op == proto::OP_RECONFIG) {
    // Not served: reconfig is disabled (ZooKeeper's reconfigEnabled=false
    // answer).
    Owe(Owed{d->shape, EncodeHeaderOnly(d->shape.xid, 0, proto::RECONFIG_DISABLED), false});
    FlushLocalReplies();
    return;
  }
  Owe(Owed{d->shape, "", false});
  runtime_->Request(conn_, std::move(d->request));
}

void ZkConnection::OnSasl(const RequestShape& shape, const std::string& token) {
  if (sasl_settings_->authenticator == nullptr) {
    LOG(INFO) << "zk client " << peer_ << ": SASL is not configured";
    Owe(Owed{shape, EncodeHeaderOnly(shape.xid, 0, proto::UNIMPLEMENTED), false});
    FlushLocalReplies();
    return;
  }
  absl::StatusOr<SaslExchange::Step> step = absl::FailedPreconditionError("not started");
  if (sasl_ == nullptr) {
    absl::StatusOr<std::unique_ptr<SaslExchange>> exchange = sasl_settings_->authenticator->Begin();
    if (exchange.ok()) {
      sasl_ = std::move(*exchange);
    } else {
      step = exchange.status();
    }
  }
  if (sasl_ != nullptr) step = sasl_->Respond(token);
  if (!step.ok()) {
    // As ZooKeeper: AUTH_FAILED (or, where SASL is required, -124) with a
    // null token, then the connection is closed; the session is left to
    // expire.
    LOG(WARNING) << "zk client " << peer_ << ": SASL authentication failed ("
                 << step.status().message() << "); closing the connection";
    const int32_t err =
        sasl_settings_->required ? proto::SESSION_CLOSED_REQUIRE_SASL_AUTH : proto::AUTH_FAILED;
    Owed refusal{shape, EncodeSaslReply(shape.xid, err, nullptr), false};
    refusal.close_after = true;
    Owe(std::move(refusal));
    FlushLocalReplies();
    return;
  }
  if (step->done) {
    std::vector<proto::Id> ids(1);
    ids[0].set_scheme("sasl");
    ids[0].set_id(step->user);
    if (!sasl_settings_->super_user.empty() && step->user == sasl_settings_->super_user) {
      ids.emplace_back().set_scheme("super");
    }
    LOG(INFO) << "zk client " << peer_ << ": SASL authenticated as " << step->user
              << (ids.size() > 1 ? " (super user)" : "");
    runtime_->AddIdentities(conn_, std::move(ids));
  }
  Owe(Owed{shape, EncodeSaslReply(shape.xid, proto::OK, &step->challenge), false});
  FlushLocalReplies();
}

void ZkConnection::Deliver(std::vector<proto::Response> responses) {
  asio::post(strand_, [self = shared_from_this(), rs = std::move(responses)] {
    for (const proto::Response& r : rs) {
      if (self->closed_) return;
      self->Answer(r);
    }
    self->MaybeResumeReading();
  });
}

void ZkConnection::Answer(const proto::Response& r) {
  if (r.xid() == kNotificationXid && r.has_watch_event()) {
    Send(EncodeNotification(r));
    return;
  }
  FlushLocalReplies();
  if (owed_.empty() || owed_.front().shape.xid != r.xid()) {
    Drop(absl::StrCat("reply for xid ", r.xid(), " does not match the request owed (",
                      owed_.empty() ? std::string("none") : absl::StrCat(owed_.front().shape.xid),
                      ")"));
    return;
  }
  Owed owed = std::move(owed_.front());
  owed_.pop_front();
  const int64_t now = NowMs();
  stats_->Responded(owed.shape.op, owed.shape.xid, r.zxid(), now - owed.received_ms, now);
  stats_->SetQueued(owed_.size());
  if (owed.connect) {
    AnswerConnect(r);
  } else if (owed.shape.xid == kAuthXid && r.err() == proto::AUTH_FAILED) {
    // As ZooKeeper: the failure (zxid 0), then the connection is closed; the
    // session is left to expire.
    Send(EncodeHeaderOnly(kAuthXid, 0, proto::AUTH_FAILED));
    closing_ = true;
    LOG(INFO) << "zk client " << peer_ << ": authentication failed (" << r.error_message()
              << "); closing the connection";
  } else {
    Send(EncodeReply(owed.shape, r));
  }
  FlushLocalReplies();
}

void ZkConnection::AnswerConnect(const proto::Response& r) {
  if (r.err() == proto::OK) {
    stats_->SetSession(r.connect().session_id(), r.connect().timeout_ms());
    Send(EncodeConnectResponse(connect_, r.connect().timeout_ms(), r.connect().session_id(),
                               r.connect().password(), r.connect().read_only()));
    return;
  }
  if (r.err() == proto::SESSION_EXPIRED || r.err() == proto::UNKNOWN_SESSION) {
    // ZooKeeper's answer to an expired session or a wrong password: timeout
    // 0 and session 0, which clients report as expiry; then the close.
    Send(EncodeConnectResponse(connect_, 0, 0, std::string(16, '\0'), false));
    LOG(INFO) << "zk client " << peer_ << ": session 0x" << std::hex << connect_.session_id
              << std::dec << " refused: " << r.error_message();
    closing_ = true;
    return;
  }
  // Not serving, or behind the client's last zxid: ZooKeeper closes without
  // a reply and the client tries its next server.
  Drop("connect refused: " + r.error_message());
}

void ZkConnection::Owe(Owed owed) {
  owed.received_ms = NowMs();
  owed_.push_back(std::move(owed));
  stats_->SetQueued(owed_.size());
}

void ZkConnection::FlushLocalReplies() {
  while (!owed_.empty() && !owed_.front().local_frame.empty()) {
    Send(std::move(owed_.front().local_frame));
    if (owed_.front().close_after) closing_ = true;
    owed_.pop_front();
    stats_->SetQueued(owed_.size());
  }
}

void ZkConnection::Send(std::string frame) {
  if (closed_) return;
  stats_->PacketSent();
  outbox_.push_back(std::move(frame));
  if (!writing_) WriteNext();
}

void ZkConnection::WriteNext() {
  if (outbox_.empty()) {
    writing_ = false;
    if (closing_) Shutdown();
    return;
  }
  writing_ = true;
  stream_->Write(asio::buffer(outbox_.front()),
                 [self = shared_from_this()](const asio::error_code& ec) {
                   if (ec) {
                     self->outbox_.clear();
                     self->writing_ = false;
                     self->Shutdown();
                     return;
                   }
                   self->outbox_.pop_front();
                   self->WriteNext();
                 });
}

void ZkConnection::CloseAfterFlush() {
  asio::post(strand_, [self = shared_from_this()] {
    self->closing_ = true;
    if (!self->writing_) self->WriteNext();
  });
}

void ZkConnection::Drop(const std::string& why) {
  if (closed_) return;
  LOG(WARNING) << "zk client " << peer_ << ": closing connection: " << why;
  Shutdown();
}

void ZkConnection::Shutdown() {
  if (closed_) return;
  closed_ = true;
  stream_->Close();
  registry_->Remove(stats_.get());
  if (conn_ != 0) runtime_->Disconnect(conn_, peer_ip_);
}

void ZkConnection::MaybeResumeReading() {
  if (read_paused_ && !reading_ && owed_.size() < max_outstanding_ / 2) {
    read_paused_ = false;
    ReadLength();
  }
}

}  // namespace zabkeeper::zkwire
