// One gRPC bidirectional Session stream on gRPC's asynchronous API, with one
// thread of its own (zkc-io) that polls the stream's completion queue.
//
// Why not the callback API: in Debian's gRPC 1.51 every callback-API
// completion is handed from the polling thread to one of gRPC's "nexting"
// executor threads, and those threads wake each other several times per
// message. Here the thread that is woken by the socket is the thread that
// reads the reply and hands it to the session: one wake-up per reply.
//
// The stream only moves messages; it forwards reads, write completions and
// the end of the stream to its StreamOwner, tagged with the connection
// generation so that callbacks of an old stream are recognised and ignored.
// Every StreamOwner callback runs on the stream's thread, one at a time.
#ifndef ZABKEEPER_CLIENT_CLIENT_STREAM_H_
#define ZABKEEPER_CLIENT_CLIENT_STREAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "zabkeeper/client.grpc.pb.h"

namespace zk {

class StreamOwner {
 public:
  virtual ~StreamOwner() = default;
  virtual void OnMessage(uint64_t generation, const zabkeeper::proto::ServerMessage& msg) = 0;
  virtual void OnWriteDone(uint64_t generation, bool ok) = 0;
  virtual void OnReadFailed(uint64_t generation) = 0;
  // Last callback; after it the stream may be destroyed.
  virtual void OnStreamDone(uint64_t generation, const grpc::Status& status) = 0;
};

class ClientStream {
 public:
  ClientStream(StreamOwner* owner, uint64_t generation, std::shared_ptr<grpc::Channel> channel);
  // Joins the stream's thread; OnStreamDone must have run (or Start never
  // been called). Not from a StreamOwner callback.
  ~ClientStream();
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // Starts the call and its first read, writing `first` (the connect request).
  void Start(zabkeeper::proto::ClientMessage first);
  // At most one write at a time; the owner serialises (OnWriteDone ends one).
  // `msg` must stay untouched until OnWriteDone. Any thread.
  void Write(const zabkeeper::proto::ClientMessage* msg);
  // Cancels the call. Call once, after the last Write() has been started;
  // OnStreamDone follows once every operation has completed.
  void Finish();

 private:
  // What a completion-queue tag stands for (the tag is the value plus one).
  enum class Op { kRead, kWrite, kFinish };

  void Run();
  // Handles one completion; false once the stream is over.
  bool Handle(Op op, bool ok);
  void StartFinishLocked();

  StreamOwner* const owner_;
  const uint64_t generation_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<zabkeeper::proto::ZabKeeper::Stub> stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<zabkeeper::proto::ClientMessage,
                                                zabkeeper::proto::ServerMessage>>
      stream_;
  zabkeeper::proto::ServerMessage incoming_;
  zabkeeper::proto::ClientMessage first_;
  grpc::Status status_;

  // Operations started and not yet completed. The thread ends the stream
  // when this is zero and Finish has completed.
  std::atomic<int> pending_{0};
  std::mutex mu_;              // orders Finish() against the thread's reads
  bool finishing_ = false;     // guarded by mu_
  bool read_pending_ = false;  // guarded by mu_
  bool finished_ = false;      // the thread's own
  std::thread thread_;
};

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_CLIENT_STREAM_H_
