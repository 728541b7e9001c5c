#include "server/client_service.h"

#include <algorithm>
#include <chrono>
#include <deque>

#include "glog/logging.h"
#include "server/connection.h"
#include "server/thread_name.h"
#include "server/write_trace.h"

namespace zabkeeper::server {
namespace {

using Shared = ClientService::Shared;
using AsyncStream = grpc::ServerAsyncReaderWriter<proto::ServerMessage, proto::ClientMessage>;

class StreamCall;

// The outgoing half of a stream, as the runtime's core thread drives it.
// Outlives the call when the runtime still holds it; sends after the stream
// ended are dropped.
class StreamOut final : public ClientStream {
 public:
  explicit StreamOut(StreamCall* call) : call_(call) {}

  void Send(std::vector<proto::Response> responses) override;
  void Close() override;
  // Ends the stream at once with `status` (a refused connection).
  void Refuse(const grpc::Status& status);
  // The call's completion-queue thread.
  void WriteDone(bool ok);
  void Detach();

 private:
  void StartWriteLocked();
  void FinishLocked(const grpc::Status& status);

  std::mutex mu_;
  StreamCall* call_;  // null once the call is over
  proto::ServerMessage in_flight_;
  std::deque<proto::Response> outbox_;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

// A verified TLS client certificate (secureClientPort) as an `x509` ACL
// identity: its subject in RFC 2253 form, as gRPC reports it and as
// ZooKeeper's X509AuthenticationProvider names it.
std::vector<proto::Id> X509Identities(const grpc::ServerContext& context) {
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

// One stream, from asking gRPC for it to its end. Its operations complete
// on its completion queue's thread, which deletes it once Finish and every
// other operation it started have completed.
class StreamCall {
 public:
  enum class Event { kAccepted, kRead, kWrite, kFinish };
  struct Tag {
    StreamCall* call;
    Event event;
  };

  // Asks gRPC for the next stream on `cq` (none once stopping).
  static void Accept(Shared* shared, grpc::ServerCompletionQueue* cq) {
    std::lock_guard<std::mutex> lock(shared->mu);
    if (shared->stopping) return;
    auto* call = new StreamCall(shared, cq);
    call->pending_ = 1;
    shared->service.RequestSession(&call->context_, &call->stream_, cq, cq, &call->accepted_);
  }

  void Handle(Event event, bool ok) {
    switch (event) {
      case Event::kAccepted:
        if (!ok) {  // the server is shutting down
          delete this;
          return;
        }
        Accept(shared_, cq_);
        Open();
        break;
      case Event::kRead:
        OnRead(ok);
        break;
      case Event::kWrite:
        out_->WriteDone(ok);
        break;
      case Event::kFinish:
        finished_ = true;
        break;
    }
    // Once Finish completed nothing starts another operation: the last one
    // to complete ends the call.
    if (--pending_ == 0 && finished_) {
      out_->Detach();
      Disconnect();
      delete this;
    }
  }

  // StreamOut, under its lock: at most one write, then one Finish.
  void StartWrite(const proto::ServerMessage* msg) {
    ++pending_;
    stream_.Write(*msg, &wrote_);
  }
  void StartFinish(const grpc::Status& status) {
    ++pending_;
    stream_.Finish(status, &finished_tag_);
  }

 private:
  StreamCall(Shared* shared, grpc::ServerCompletionQueue* cq)
      : shared_(shared), cq_(cq), out_(std::make_shared<StreamOut>(this)) {
    ++shared_->live;
  }
  ~StreamCall() { --shared_->live; }

  void Open() {
    peer_ = context_.peer();
    peer_ip_ = PeerIp(peer_);
    conn_ = shared_->server->Connect(out_, peer_, peer_ip_, X509Identities(context_));
    if (conn_ == 0) {
      LOG(WARNING) << "too many connections (maxClientCnxns/maxCnxns), refused " << peer_ip_;
      out_->Refuse(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "too many connections (maxClientCnxns from this address, or "
                                "maxCnxns)"));
      return;
    }
    StartRead();
  }

  void StartRead() {
    ++pending_;
    stream_.Read(&in_, &read_);
  }

  void OnRead(bool ok) {
    if (!ok) {
      // The client closed its side, or the stream broke.
      Disconnect();
      out_->Close();
      return;
    }
    for (proto::Request& request : *in_.mutable_requests()) {
      ZK_TRACE("client.read", request.xid());
      shared_->server->Request(conn_, std::move(request));
    }
    in_.Clear();
    StartRead();
  }

  void Disconnect() {
    if (conn_ == 0 || disconnected_) return;
    disconnected_ = true;
    shared_->server->Disconnect(conn_, peer_ip_);
  }

  Shared* const shared_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::ServerContext context_;
  AsyncStream stream_{&context_};
  std::shared_ptr<StreamOut> out_;
  Tag accepted_{this, Event::kAccepted};
  Tag read_{this, Event::kRead};
  Tag wrote_{this, Event::kWrite};
  Tag finished_tag_{this, Event::kFinish};
  // Operations started and not completed; the core thread starts writes.
  std::atomic<int> pending_{0};
  bool finished_ = false;  // Finish completed (the queue's thread only)
  std::string peer_;
  std::string peer_ip_;
  ConnId conn_ = 0;
  bool disconnected_ = false;
  proto::ClientMessage in_;
};

void StreamOut::Send(std::vector<proto::Response> responses) {
  std::lock_guard<std::mutex> lock(mu_);
  if (call_ == nullptr || finished_) return;
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
  call_->StartWrite(&in_flight_);
}

void StreamOut::FinishLocked(const grpc::Status& status) {
  if (finished_ || call_ == nullptr) return;
  finished_ = true;
  call_->StartFinish(status);
}

void StreamOut::Refuse(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  FinishLocked(status);
}

void StreamOut::WriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  writing_ = false;
  if (!ok) {
    outbox_.clear();
    FinishLocked(grpc::Status::OK);
    return;
  }
  if (!outbox_.empty() && !finished_) {
    StartWriteLocked();
  } else if (closing_) {
    FinishLocked(grpc::Status::OK);
  }
}

void StreamOut::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closing_ = true;
  // A write in flight finishes first (WriteDone); gRPC takes no Finish beside it.
  if (!writing_ && outbox_.empty()) FinishLocked(grpc::Status::OK);
}

void StreamOut::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  call_ = nullptr;
  outbox_.clear();
}

void Poll(grpc::ServerCompletionQueue* cq) {
  NameThisThread("zk-grpc");
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
    auto* t = static_cast<StreamCall::Tag*>(tag);
    t->call->Handle(t->event, ok);
  }
}

}  // namespace

ClientService::ClientService(NodeRuntime* server) { shared_.server = server; }

ClientService::~ClientService() { Stop(); }

void ClientService::Register(grpc::ServerBuilder* builder) {
  builder->RegisterService(&shared_.service);
  // Half the cores, up to 4: the core, storage and peer threads need the
  // rest, and in gRPC 1.51 a completion queue's thread often polls for
  // another's streams and must wake it (on 2 cores, 1 thread measured 2.4
  // context switches per request against 2 threads' 5.6, at equal latency).
  const int threads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()) / 2, 1, 4);
  for (int i = 0; i < threads; ++i) cqs_.push_back(builder->AddCompletionQueue());
}

void ClientService::Start() {
  for (auto& cq : cqs_) {
    StreamCall::Accept(&shared_, cq.get());
    threads_.emplace_back([cq = cq.get()] { Poll(cq); });
  }
}

void ClientService::Stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(shared_.mu);
    shared_.stopping = true;
  }
  // The server's Shutdown ended every stream; their last completions may
  // still be on the way. A completion queue must see nothing new once shut
  // down, so wait for the streams first.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!threads_.empty() && shared_.live > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (shared_.live > 0) LOG(WARNING) << shared_.live << " client streams still open at stop";
  for (auto& cq : cqs_) cq->Shutdown();
  for (std::thread& t : threads_) t.join();
  if (threads_.empty()) {
    // Never started: nothing was asked of the queues; drain them all the same.
    void* tag = nullptr;
    bool ok = false;
    for (auto& cq : cqs_) {
      while (cq->Next(&tag, &ok)) {
      }
    }
  }
}

}  // namespace zabkeeper::server
