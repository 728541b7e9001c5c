#include "server/client_service.h"

#include <deque>
#include <mutex>

#include "glog/logging.h"

namespace zabkeeper::server {
namespace {

class SessionReactor;

// The Connection half of a stream. Outlives the reactor when the pipeline
// still holds it; sends after the stream ended are dropped.
class StreamConnection final : public Connection {
 public:
  StreamConnection(std::string peer, SessionReactor* reactor)
      : Connection(std::move(peer)), reactor_(reactor) {}

  void CloseStream() override;
  // Reactor callbacks.
  void WriteDone(bool ok);
  void Detach();

 protected:
  void Send(proto::Response response) override;

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

class SessionReactor final
    : public grpc::ServerBidiReactor<proto::ClientMessage, proto::ServerMessage> {
 public:
  SessionReactor(ZkServer* server, grpc::CallbackServerContext* context)
      : server_(server),
        conn_(std::make_shared<StreamConnection>(context->peer(), this)),
        peer_ip_(conn_->peer_ip()) {
    if (!server_->AdmitConnection(peer_ip_)) {
      admitted_ = false;
      LOG(WARNING) << "too many connections from " << peer_ip_;
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "too many connections from this address (maxClientCnxns)"));
      return;
    }
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // Client closed its side or the stream broke.
      server_->HandleDisconnect(conn_);
      conn_->CloseStream();
      return;
    }
    for (const proto::Request& request : in_.requests()) server_->HandleRequest(conn_, request);
    in_.Clear();
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override { conn_->WriteDone(ok); }

  void OnDone() override {
    conn_->Detach();
    server_->HandleDisconnect(conn_);
    if (admitted_) server_->ReleaseConnection(peer_ip_);
    delete this;
  }

 private:
  ZkServer* server_;
  std::shared_ptr<StreamConnection> conn_;
  const std::string peer_ip_;
  proto::ClientMessage in_;
  bool admitted_ = true;
};

void StreamConnection::Send(proto::Response response) {
  std::lock_guard<std::mutex> lock(mu_);
  if (reactor_ == nullptr || finished_) return;
  outbox_.push_back(std::move(response));
  if (!writing_) StartWriteLocked();
}

void StreamConnection::StartWriteLocked() {
  in_flight_.Clear();
  // One message carries everything that queued up during the last write.
  while (!outbox_.empty()) {
    *in_flight_.add_responses() = std::move(outbox_.front());
    outbox_.pop_front();
  }
  writing_ = true;
  reactor_->StartWrite(&in_flight_);
}

void StreamConnection::FinishLocked() {
  if (finished_ || reactor_ == nullptr) return;
  finished_ = true;
  reactor_->Finish(grpc::Status::OK);
}

void StreamConnection::WriteDone(bool ok) {
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

void StreamConnection::CloseStream() {
  std::lock_guard<std::mutex> lock(mu_);
  closing_ = true;
  if (!writing_ && outbox_.empty()) FinishLocked();
}

void StreamConnection::Detach() {
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
