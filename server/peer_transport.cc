#include "server/peer_transport.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace zabkeeper::server {
namespace {

// A SNAP of a large tree travels as one message; allow up to 1 GiB.
constexpr int kMaxPeerMessageBytes = 1 << 30;

void MergeInto(proto::PeerFrame* dst, proto::PeerFrame* src) {
  for (auto& m : *src->mutable_zab()) *dst->add_zab() = std::move(m);
  for (auto& r : *src->mutable_requests()) *dst->add_requests() = std::move(r);
  for (int64_t t : src->touched_sessions()) dst->add_touched_sessions(t);
  for (auto& r : *src->mutable_replies()) *dst->add_replies() = std::move(r);
}

// Outbox shared by both kinds of link.
class Outbox {
 public:
  bool Push(proto::PeerFrame frame) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    if (frames_.size() >= PeerTransport::kMaxQueuedFrames) {
      closed_ = true;
      cv_.notify_all();
      return false;
    }
    frames_.push_back(std::move(frame));
    cv_.notify_all();
    return true;
  }
  // Everything queued, merged into one frame; false once closed.
  bool PopAll(uint64_t from, proto::PeerFrame* out, bool wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (wait) cv_.wait(lock, [&] { return closed_ || !frames_.empty(); });
    if (closed_ || frames_.empty()) return false;
    out->Clear();
    out->set_from(from);
    while (!frames_.empty()) {
      MergeInto(out, &frames_.front());
      frames_.pop_front();
    }
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    frames_.clear();
    cv_.notify_all();
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<proto::PeerFrame> frames_;
  bool closed_ = false;
};

// The dialing side: a synchronous client stream written by the dial thread
// and read by a reader thread.
class DialedLink final : public PeerLink {
 public:
  explicit DialedLink(grpc::ClientContext* context) : context_(context) {}
  bool Send(proto::PeerFrame frame) override { return outbox_.Push(std::move(frame)); }
  void Close() override {
    outbox_.Close();
    context_->TryCancel();
  }
  // Returns when the link is closed or a write fails.
  void WriteLoop(uint64_t from,
                 grpc::ClientReaderWriter<proto::PeerFrame, proto::PeerFrame>* stream) {
    proto::PeerFrame frame;
    while (outbox_.PopAll(from, &frame, /*wait=*/true)) {
      if (!stream->Write(frame)) return;
    }
  }

 private:
  grpc::ClientContext* context_;
  Outbox outbox_;
};

class AcceptedReactor;

// The accepting side's link; outlives the reactor if the transport holds it.
class AcceptedLink final : public PeerLink {
 public:
  AcceptedLink(uint64_t my_sid, AcceptedReactor* reactor) : my_sid_(my_sid), reactor_(reactor) {}
  bool Send(proto::PeerFrame frame) override;
  void Close() override;
  void WriteDone(bool ok);
  void Detach();

 private:
  void StartWriteLocked();

  const uint64_t my_sid_;
  std::mutex mu_;
  AcceptedReactor* reactor_;
  Outbox outbox_;
  proto::PeerFrame in_flight_;
  bool writing_ = false;
  bool finished_ = false;
};

class AcceptedReactor final : public grpc::ServerBidiReactor<proto::PeerFrame, proto::PeerFrame> {
 public:
  explicit AcceptedReactor(PeerTransport* transport)
      : transport_(transport), link_(std::make_shared<AcceptedLink>(transport->my_sid(), this)) {
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      link_->Close();
      return;
    }
    if (sid_ == 0) {
      const uint64_t from = in_.from();
      auto it = transport_->servers().find(static_cast<int64_t>(from));
      if (from == 0 || it == transport_->servers().end() || from >= transport_->my_sid()) {
        LOG(WARNING) << "refusing peer link from unknown or higher server id " << from;
        link_->Close();
        return;
      }
      sid_ = from;
      transport_->LinkUp(sid_, link_);
    }
    transport_->Deliver(sid_, link_.get(), std::move(in_));
    in_.Clear();
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override { link_->WriteDone(ok); }
  void OnDone() override {
    link_->Detach();
    if (sid_ != 0) transport_->LinkDown(sid_, link_.get());
    delete this;
  }

 private:
  PeerTransport* transport_;
  std::shared_ptr<AcceptedLink> link_;
  proto::PeerFrame in_;
  uint64_t sid_ = 0;
};

bool AcceptedLink::Send(proto::PeerFrame frame) {
  if (!outbox_.Push(std::move(frame))) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (!writing_ && !finished_ && reactor_ != nullptr) StartWriteLocked();
  return true;
}

void AcceptedLink::StartWriteLocked() {
  if (!outbox_.PopAll(my_sid_, &in_flight_, /*wait=*/false)) return;
  writing_ = true;
  reactor_->StartWrite(&in_flight_);
}

void AcceptedLink::WriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  writing_ = false;
  if (finished_ || reactor_ == nullptr) return;
  if (!ok || outbox_.closed()) {
    // Finish only now: gRPC allows no Finish while a write is in flight.
    outbox_.Close();
    finished_ = true;
    reactor_->Finish(ok ? grpc::Status::OK : grpc::Status::CANCELLED);
    return;
  }
  StartWriteLocked();
}

void AcceptedLink::Close() {
  outbox_.Close();
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_ || reactor_ == nullptr || writing_) return;  // WriteDone finishes
  finished_ = true;
  reactor_->Finish(grpc::Status::OK);
}

void AcceptedLink::Detach() {
  outbox_.Close();
  std::lock_guard<std::mutex> lock(mu_);
  reactor_ = nullptr;
}

}  // namespace

class PeerTransport::Service final : public proto::ZabPeer::CallbackService {
 public:
  explicit Service(PeerTransport* transport) : transport_(transport) {}
  grpc::ServerBidiReactor<proto::PeerFrame, proto::PeerFrame>* Link(
      grpc::CallbackServerContext*) override {
    return new AcceptedReactor(transport_);
  }

 private:
  PeerTransport* transport_;
};

PeerTransport::PeerTransport(uint64_t my_sid, std::map<int64_t, PeerAddress> servers,
                             Callbacks callbacks)
    : my_sid_(my_sid), servers_(std::move(servers)), callbacks_(std::move(callbacks)) {}

PeerTransport::~PeerTransport() { Stop(); }

absl::Status PeerTransport::Start() {
  auto me = servers_.find(static_cast<int64_t>(my_sid_));
  if (me == servers_.end()) return absl::InvalidArgumentError("my id is not in the server list");
  service_ = std::make_unique<Service>(this);
  grpc::ServerBuilder builder;
  int bound = 0;
  const std::string address = absl::StrCat(me->second.host, ":", me->second.peer_port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound);
  builder.RegisterService(service_.get());
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // a taken port fails loudly
  builder.SetMaxReceiveMessageSize(kMaxPeerMessageBytes);
  builder.SetMaxSendMessageSize(kMaxPeerMessageBytes);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || bound == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for peers on ", address));
  }
  for (const auto& [sid, addr] : servers_) {
    if (static_cast<uint64_t>(sid) > my_sid_) {
      dialers_.emplace_back([this, peer = static_cast<uint64_t>(sid)] { DialLoop(peer); });
    }
  }
  return absl::OkStatus();
}

void PeerTransport::Stop() {
  if (stopping_.exchange(true)) return;
  stop_cv_.notify_all();
  std::map<uint64_t, std::shared_ptr<PeerLink>> links;
  {
    std::lock_guard<std::mutex> lock(mu_);
    links = links_;
  }
  for (auto& [sid, link] : links) link->Close();
  for (auto& t : dialers_) t.join();
  dialers_.clear();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

void PeerTransport::Send(uint64_t sid, proto::PeerFrame frame) {
  std::shared_ptr<PeerLink> link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(sid);
    if (it == links_.end()) return;
    link = it->second;
  }
  if (!link->Send(std::move(frame))) link->Close();
}

bool PeerTransport::IsUp(uint64_t sid) const {
  std::lock_guard<std::mutex> lock(mu_);
  return links_.contains(sid);
}

void PeerTransport::LinkUp(uint64_t sid, const std::shared_ptr<PeerLink>& link) {
  std::shared_ptr<PeerLink> old;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(sid);
  if (it != links_.end()) {
    old = it->second;
    callbacks_.down(sid);
  }
  links_[sid] = link;
  if (old) old->Close();
  callbacks_.up(sid);
}

void PeerTransport::LinkDown(uint64_t sid, const PeerLink* link) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(sid);
  if (it == links_.end() || it->second.get() != link) return;
  links_.erase(it);
  callbacks_.down(sid);
}

void PeerTransport::Deliver(uint64_t sid, const PeerLink* link, proto::PeerFrame frame) {
  // Under the lock so that a frame of a replaced link never follows the
  // replacement's Up.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(sid);
  if (it == links_.end() || it->second.get() != link) return;
  callbacks_.frame(sid, std::move(frame));
}

void PeerTransport::DialLoop(uint64_t sid) {
  const PeerAddress& addr = servers_.at(static_cast<int64_t>(sid));
  const std::string target = absl::StrCat(addr.host, ":", addr.peer_port);
  auto backoff = std::chrono::milliseconds(50);
  while (!stopping_) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(kMaxPeerMessageBytes);
    args.SetMaxSendMessageSize(kMaxPeerMessageBytes);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    auto stub = proto::ZabPeer::NewStub(channel);
    grpc::ClientContext context;
    auto stream = stub->Link(&context);
    proto::PeerFrame hello;
    hello.set_from(my_sid_);
    if (stream->Write(hello)) {
      backoff = std::chrono::milliseconds(50);
      auto link = std::make_shared<DialedLink>(&context);
      LinkUp(sid, link);
      std::thread reader([&] {
        proto::PeerFrame frame;
        while (stream->Read(&frame)) Deliver(sid, link.get(), std::move(frame));
        link->Close();
      });
      link->WriteLoop(my_sid_, stream.get());
      link->Close();
      reader.join();
      LinkDown(sid, link.get());
    } else {
      context.TryCancel();
    }
    stream->Finish().ok();
    std::unique_lock<std::mutex> lock(stop_mu_);
    stop_cv_.wait_for(lock, backoff, [&] { return stopping_.load(); });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace zabkeeper::server
