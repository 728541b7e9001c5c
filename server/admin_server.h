// AdminServer: the HTTP admin endpoint (ZooKeeper's AdminServer in spirit):
// GET /commands/<name> returns JSON; GET /metrics returns Prometheus text.
// Built on cpp-httplib (Debian's libcpp-httplib-dev), on its own threads.
#ifndef ZABKEEPER_SERVER_ADMIN_SERVER_H_
#define ZABKEEPER_SERVER_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "server/node_runtime.h"

namespace httplib {
class Server;
}

namespace zabkeeper::server {

class AdminServer {
 public:
  explicit AdminServer(NodeRuntime* server);
  ~AdminServer();

  // Binds address:port and serves in the background.
  absl::Status Start(const std::string& address, int port);
  void Stop();

  // The JSON body of /commands/<name>, or nullopt for an unknown command.
  std::optional<std::string> Command(const std::string& name) const;
  std::string Metrics() const;

 private:
  NodeRuntime* server_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_ADMIN_SERVER_H_
