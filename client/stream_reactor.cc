#include "client/stream_reactor.h"

namespace zk {

StreamReactor::StreamReactor(StreamOwner* owner, uint64_t generation,
                             std::shared_ptr<grpc::Channel> channel)
    : owner_(owner),
      generation_(generation),
      channel_(std::move(channel)),
      stub_(zabkeeper::proto::ZabKeeper::NewStub(channel_)) {}

void StreamReactor::Start(zabkeeper::proto::ClientMessage first) {
  first_ = std::move(first);
  stub_->async()->Session(&context_, this);
  AddHold();  // writes come from the session's threads, not only reactions
  StartWrite(&first_);
  StartRead(&incoming_);
  StartCall();
}

void StreamReactor::Write(const zabkeeper::proto::ClientMessage* msg) { StartWrite(msg); }

void StreamReactor::OnReadDone(bool ok) {
  if (!ok) {
    owner_->OnReadFailed(generation_);
    return;
  }
  owner_->OnMessage(generation_, incoming_);
  incoming_.Clear();
  StartRead(&incoming_);
}

void StreamReactor::OnWriteDone(bool ok) { owner_->OnWriteDone(generation_, ok); }

void StreamReactor::OnDone(const grpc::Status& status) {
  owner_->OnStreamDone(generation_, status);
}

}  // namespace zk
