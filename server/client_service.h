// ClientService: the gRPC front end of the client API. One bidirectional
// stream per session (callback API: no thread per stream). Requests go to the
// node runtime in stream order; replies and events the core thread sends are
// batched into one ServerMessage whenever several are ready while the
// previous write is in flight.
#ifndef ZABKEEPER_SERVER_CLIENT_SERVICE_H_
#define ZABKEEPER_SERVER_CLIENT_SERVICE_H_

#include "server/node_runtime.h"
#include "zabkeeper/client.grpc.pb.h"

namespace zabkeeper::server {

class ClientService final : public proto::ZabKeeper::CallbackService {
 public:
  explicit ClientService(NodeRuntime* server) : server_(server) {}

  grpc::ServerBidiReactor<proto::ClientMessage, proto::ServerMessage>* Session(
      grpc::CallbackServerContext* context) override;

 private:
  NodeRuntime* server_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_CLIENT_SERVICE_H_
