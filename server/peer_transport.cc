#include "server/peer_transport.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/failpoints.h"
#include "server/write_trace.h"

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

// One link over a synchronous gRPC stream, used by both sides: a writer
// thread drains the outbox into the stream while another thread reads. Both
// sides are synchronous because the callback API cost more on the hot path:
// every completion went through an extra executor thread, and StartWrite ran
// the write inline on the caller (then the driver thread, now the core's).
template <typename Context>
class SyncLink final : public PeerLink {
 public:
  explicit SyncLink(Context* context) : context_(context) {}
  bool Send(proto::PeerFrame frame) override { return outbox_.Push(std::move(frame)); }
  void Close() override {
    outbox_.Close();
    std::lock_guard<std::mutex> lock(mu_);
    if (context_ != nullptr) context_->TryCancel();
  }
  // Before the context goes away: a late Close must not touch it.
  void Detach() {
    outbox_.Close();
    std::lock_guard<std::mutex> lock(mu_);
    context_ = nullptr;
  }
  // Returns when the link is closed or a write fails.
  template <typename Stream>
  void WriteLoop(uint64_t from, Stream* stream) {
    proto::PeerFrame frame;
    while (outbox_.PopAll(from, &frame, /*wait=*/true)) {
      if (!stream->Write(frame)) return;
      ZK_TRACE("link.written", frame.zab_size());
      if (ZK_FAILPOINT_ARMED("zab.after_newleader_ack")) {
        for (const auto& m : frame.zab()) {
          if (m.has_ack() && m.ack().new_leader()) ZK_FAILPOINT_CRASH("zab.after_newleader_ack");
        }
      }
    }
  }

 private:
  std::mutex mu_;
  Context* context_;  // null once detached
  Outbox outbox_;
};

// Carries a link whose first frame has been read: reads and delivers until
// the stream ends while a second thread writes; then reports the link down.
template <typename Context, typename Stream>
void RunLink(PeerTransport* transport, uint64_t sid, const std::shared_ptr<SyncLink<Context>>& link,
             Stream* stream) {
  transport->LinkUp(sid, link);
  std::thread writer([&] {
    link->WriteLoop(transport->my_sid(), stream);
    link->Close();
  });
  proto::PeerFrame frame;
  while (stream->Read(&frame)) {
    ZK_TRACE("link.read", sid);
    transport->Deliver(sid, link.get(), std::move(frame));
  }
  link->Close();
  writer.join();
  transport->LinkDown(sid, link.get());
  link->Detach();
}

}  // namespace

class PeerTransport::Service final : public proto::ZabPeer::Service {
 public:
  explicit Service(PeerTransport* transport) : transport_(transport) {}
  grpc::Status Link(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<proto::PeerFrame, proto::PeerFrame>* stream) override {
    proto::PeerFrame hello;
    if (!stream->Read(&hello)) return grpc::Status::OK;
    const uint64_t from = hello.from();
    if (from == 0 || !transport_->servers().contains(static_cast<int64_t>(from)) ||
        from >= transport_->my_sid()) {
      LOG(WARNING) << "refusing peer link from unknown or higher server id " << from;
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "unknown or higher server id");
    }
    auto link = std::make_shared<SyncLink<grpc::ServerContext>>(context);
    RunLink(transport_, from, link, stream);
    return grpc::Status::OK;
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
      RunLink(this, sid, std::make_shared<SyncLink<grpc::ClientContext>>(&context), stream.get());
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
