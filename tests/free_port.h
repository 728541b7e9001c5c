// FreePort: a TCP port on 127.0.0.1 for a test server. Shared by the
// integration tests (tests/integration/server_process.h) and the chaos
// harness (tests/chaos/cluster.cc).
#ifndef ZABKEEPER_TESTS_FREE_PORT_H_
#define ZABKEEPER_TESTS_FREE_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <stdexcept>

namespace zabkeeper::testing {

// A port that was free a moment ago (bind to 0 on 127.0.0.1, read, close),
// and never handed out before by this process: the kernel may return the same
// ephemeral port twice in a row once it is closed, and two servers of one
// test sharing a port hang each other's clients.
inline int FreePort() {
  static std::mutex mu;
  static std::set<int> handed_out;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      throw std::runtime_error("bind failed");
    }
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    close(fd);
    if (handed_out.insert(port).second) return port;
  }
  throw std::runtime_error("no fresh free port");
}

}  // namespace zabkeeper::testing

#endif  // ZABKEEPER_TESTS_FREE_PORT_H_
