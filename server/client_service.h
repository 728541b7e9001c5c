// ClientService: the gRPC front end of the client API. One bidirectional
// stream per session, on gRPC's asynchronous API: a few threads of ours
// (zk-grpc, one per two cores, up to 4) each poll one completion queue, read the
// streams that landed on it and queue their requests for the node runtime in
// stream order. Replies and events the core thread sends are batched into one
// ServerMessage whenever several are ready while the previous write is in
// flight; the core thread starts each write itself.
//
// Why not the callback API: in Debian's gRPC 1.51 each callback-API
// completion is handed from the polling thread to one of gRPC's "nexting"
// executor threads, which wake each other several times per message. Here
// the thread the socket wakes is the thread that reads the request.
//
// Order of use: Register (before ServerBuilder::BuildAndStart), Start (once
// the server is built), and at the end, after grpc::Server::Shutdown and
// after the runtime stopped (so nothing starts a write any more), Stop.
#ifndef ZABKEEPER_SERVER_CLIENT_SERVICE_H_
#define ZABKEEPER_SERVER_CLIENT_SERVICE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "server/node_runtime.h"
#include "zabkeeper/client.grpc.pb.h"

namespace zabkeeper::server {

class ClientService {
 public:
  explicit ClientService(NodeRuntime* server);
  ~ClientService();  // Stop()
  ClientService(const ClientService&) = delete;
  ClientService& operator=(const ClientService&) = delete;

  void Register(grpc::ServerBuilder* builder);
  // Starts the threads and accepts streams.
  void Start();
  // Waits (at most a few seconds) for the streams to end, then drains the
  // completion queues and joins the threads.
  void Stop();

  // For the streams (client_service.cc).
  struct Shared {
    NodeRuntime* server = nullptr;
    proto::ZabKeeper::AsyncService service;
    std::mutex mu;             // orders accepting a stream against Stop()
    bool stopping = false;     // guarded by mu: accept no more streams
    std::atomic<int> live{0};  // stream objects (accepting or accepted)
  };

 private:
  Shared shared_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_CLIENT_SERVICE_H_
