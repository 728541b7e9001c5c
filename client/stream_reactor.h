// One gRPC bidirectional Session stream, driven with gRPC's callback API (no
// thread of ours per stream or per request). The reactor only moves messages;
// it forwards reads, write completions and the end of the stream to its
// StreamOwner, tagged with the connection generation so that stale callbacks
// from an old stream are recognised and ignored.
#ifndef ZABKEEPER_CLIENT_STREAM_REACTOR_H_
#define ZABKEEPER_CLIENT_STREAM_REACTOR_H_

#include <cstdint>
#include <memory>

#include "grpcpp/grpcpp.h"
#include "zabkeeper/client.grpc.pb.h"

namespace zk {

class StreamOwner {
 public:
  virtual ~StreamOwner() = default;
  virtual void OnMessage(uint64_t generation, const zabkeeper::proto::ServerMessage& msg) = 0;
  virtual void OnWriteDone(uint64_t generation, bool ok) = 0;
  virtual void OnReadFailed(uint64_t generation) = 0;
  // Last callback; after it the reactor may be destroyed.
  virtual void OnStreamDone(uint64_t generation, const grpc::Status& status) = 0;
};

class StreamReactor : public grpc::ClientBidiReactor<zabkeeper::proto::ClientMessage,
                                                     zabkeeper::proto::ServerMessage> {
 public:
  StreamReactor(StreamOwner* owner, uint64_t generation, std::shared_ptr<grpc::Channel> channel);

  // Starts the call and its first read, writing `first` (the connect request).
  void Start(zabkeeper::proto::ClientMessage first);
  // At most one write at a time; the owner serialises (OnWriteDone ends one).
  // `msg` must stay untouched until OnWriteDone.
  void Write(const zabkeeper::proto::ClientMessage* msg);
  // Ends the stream. Call once, after the last Write() has been started:
  // it also drops the hold that Start() placed because writes are started
  // from outside reactions (gRPC then may call OnDone).
  void Finish() {
    context_.TryCancel();
    RemoveHold();
  }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  StreamOwner* const owner_;
  const uint64_t generation_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<zabkeeper::proto::ZabKeeper::Stub> stub_;
  grpc::ClientContext context_;
  zabkeeper::proto::ServerMessage incoming_;
  zabkeeper::proto::ClientMessage first_;
};

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_STREAM_REACTOR_H_
