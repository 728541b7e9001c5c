#include "server/client_service.h"

#include <deque>
#include <mutex>

#include "glog/logging.h"
#include "server/connection.h"
#include "server/write_trace.h"

namespace zabkeeper::server {
namespace {

class SessionReactor;

// The outgoing half of a stream, as the runtime's core thread drives it.
// Outlives the reactor when the runtime still holds it; sends after the
// stream ended are dropped.
class StreamOut final : public ClientStream {
 public:
  explicit StreamOut(SessionReactor* reactor) : reactor_(reactor) {}

  void Send(std::vector<proto::Response> responses) override;
  void Close() override;
  // Reactor callbacks.
  void WriteDone(bool ok);
  void Detach();

 private:
  void StartWriteLocked();
  void FinishLocked();

  std::mutex mu_;
  SessionReactor* reactor_;  // null once the RPC is done
  proto::ServerMessage in_flight_;
  std::deque<proto::Response> outbox_;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

// A verified TLS client certificate (secureClientPort) as an `x509` ACL
// identity: its subject in RFC 2253 form, as gRPC reports it and as
// ZooKeeper's X509AuthenticationProvider names it.
std::vector<proto::Id> X509Identities(const grpc::CallbackServerContext& context) {
  std::vector<proto::Id> out;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return out;
  for (const grpc::string_ref& subject : auth->FindPropertyValues("x509_subject")) {
    proto::Id id;
    id.set_scheme("x509");
    id.set_id(std::string(subject.data(), subject.size()));
    out.push_back(std::move(id));
  }
  return out;
}

class SessionReactor final
    : public grpc::ServerBidiReactor<proto::ClientMessage, proto::ServerMessage> {
 public:
  SessionReactor(NodeRuntime* server, grpc::CallbackServerContext* context)
      : server_(server),
        out_(std::make_shared<StreamOut>(this)),
        peer_(context->peer()),
        peer_ip_(PeerIp(peer_)) {
    conn_ = server_->Connect(out_, peer_, peer_ip_, X509Identities(*context));
    if (conn_ == 0) {
      LOG(WARNING) << "too many connections (maxClientCnxns/maxCnxns), refused " << peer_ip_;
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "too many connections (maxClientCnxns from this address, or "
                          "maxCnxns)"));
      return;
    }
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // Client closed its side or the stream broke.
      Disconnect();
      out_->Close();
      return;
    }
    for (proto::Request& request : *in_.mutable_requests()) {
      ZK_TRACE("client.read", request.xid());
      server_->Request(conn_, std::move(request));
    }
    in_.Clear();
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override { out_->WriteDone(ok); }

  void OnDone() override {
    out_->Detach();
    Disconnect();
    delete this;
  }

 private:
  void Disconnect() {
    if (conn_ == 0 || disconnected_) return;
    disconnected_ = true;
    server_->Disconnect(conn_, peer_ip_);
  }

  NodeRuntime* server_;
  std::shared_ptr<StreamOut> out_;
  const std::string peer_;
  const std::string peer_ip_;
  ConnId conn_ = 0;
  bool disconnected_ = false;
  proto::ClientMessage in_;
};

void StreamOut::Send(std::vector<proto::Response> responses) {
  std::lock_guard<std::mutex> lock(mu_);
  if (reactor_ == nullptr || finished_) return;
  for (proto::Response& r : responses) outbox_.push_back(std::move(r));
  if (!writing_) StartWriteLocked();
}

void StreamOut::StartWriteLocked() {
  in_flight_.Clear();
  // One message carries everything that queued up during the last write.
  while (!outbox_.empty()) {
    *in_flight_.add_responses() = std::move(outbox_.front());
    outbox_.pop_front();
  }
  writing_ = true;
  ZK_TRACE("client.write", in_flight_.responses_size());
  reactor_->StartWrite(&in_flight_);
}

void StreamOut::FinishLocked() {
  if (finished_ || reactor_ == nullptr) return;
  finished_ = true;
  reactor_->Finish(grpc::Status::OK);
}

void StreamOut::WriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  writing_ = false;
  if (!ok) {
    outbox_.clear();
    FinishLocked();
    return;
  }
  if (!outbox_.empty() && !finished_) {
    StartWriteLocked();
  } else if (closing_) {
    FinishLocked();
  }
}

void StreamOut::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closing_ = true;
  if (!writing_ && outbox_.empty()) FinishLocked();
}

void StreamOut::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  reactor_ = nullptr;
  outbox_.clear();
}

}  // namespace

grpc::ServerBidiReactor<proto::ClientMessage, proto::ServerMessage>* ClientService::Session(
    grpc::CallbackServerContext* context) {
  return new SessionReactor(server_, context);
}

}  // namespace zabkeeper::server
