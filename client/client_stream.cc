#include "client/client_stream.h"

#include <pthread.h>

#include <cstdint>

namespace zk {
namespace {

void* TagOf(int op) { return reinterpret_cast<void*>(static_cast<intptr_t>(op) + 1); }

}  // namespace

ClientStream::ClientStream(StreamOwner* owner, uint64_t generation,
                           std::shared_ptr<grpc::Channel> channel)
    : owner_(owner),
      generation_(generation),
      channel_(std::move(channel)),
      stub_(zabkeeper::proto::ZabKeeper::NewStub(channel_)) {}

ClientStream::~ClientStream() {
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();  // cannot happen through Session; never join oneself
  } else {
    thread_.join();
  }
}

void ClientStream::Start(zabkeeper::proto::ClientMessage first) {
  first_ = std::move(first);
  pending_ = 2;  // the first write and the first read
  // Corked: the initial metadata goes out with the first write. Uncorked,
  // StartCall would hold the stream's one write slot until it completed.
  context_.set_initial_metadata_corked(true);
  stream_ = stub_->PrepareAsyncSession(&context_, &cq_);
  stream_->StartCall(nullptr);
  stream_->Write(first_, TagOf(static_cast<int>(Op::kWrite)));
  read_pending_ = true;
  stream_->Read(&incoming_, TagOf(static_cast<int>(Op::kRead)));
  thread_ = std::thread([this] { Run(); });
}

void ClientStream::Write(const zabkeeper::proto::ClientMessage* msg) {
  ++pending_;
  stream_->Write(*msg, TagOf(static_cast<int>(Op::kWrite)));
}

void ClientStream::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  finishing_ = true;
  context_.TryCancel();
  if (!read_pending_) StartFinishLocked();
}

void ClientStream::StartFinishLocked() {
  ++pending_;
  stream_->Finish(&status_, TagOf(static_cast<int>(Op::kFinish)));
}

void ClientStream::Run() {
  pthread_setname_np(pthread_self(), "zkc-io");
  void* tag = nullptr;
  bool ok = false;
  while (cq_.Next(&tag, &ok)) {
    const auto op = static_cast<Op>(reinterpret_cast<intptr_t>(tag) - 1);
    if (!Handle(op, ok)) break;
  }
  // Every operation has completed: nothing more can be queued.
  cq_.Shutdown();
  while (cq_.Next(&tag, &ok)) {
  }
  owner_->OnStreamDone(generation_, status_);
}

bool ClientStream::Handle(Op op, bool ok) {
  switch (op) {
    case Op::kWrite:
      owner_->OnWriteDone(generation_, ok);
      break;
    case Op::kRead: {
      // read_pending_ stays set until the next step is chosen, so that a
      // Finish() meanwhile leaves starting Finish to this thread.
      if (ok) {
        owner_->OnMessage(generation_, incoming_);
        incoming_.Clear();
      } else {
        owner_->OnReadFailed(generation_);
      }
      // A read and Finish are never pending together: both would wait for
      // the initial metadata, which gRPC refuses.
      std::lock_guard<std::mutex> lock(mu_);
      read_pending_ = false;
      if (finishing_) {
        StartFinishLocked();
      } else if (ok) {
        read_pending_ = true;
        stream_->Read(&incoming_, TagOf(static_cast<int>(Op::kRead)));
      }
      break;
    }
    case Op::kFinish:
      finished_ = true;
      break;
  }
  return --pending_ > 0 || !finished_;
}

}  // namespace zk
