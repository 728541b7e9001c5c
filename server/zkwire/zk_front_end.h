// ZkFrontEnd: ZooKeeper's own client protocol on `zkClientPort`, a second
// thin front end on the node core beside the gRPC one. Both hand requests to
// the same NodeRuntime, so both see one tree, one session table and one
// watch manager: a session opened here is an ordinary session there.
//
// Sockets run on Asio event loops, one per core. Per connection: frames are
// read one after another (4-byte length, at most `max_frame` bytes), the
// first as a ConnectRequest, the rest decoded (zk_codec.h) and passed on in
// order; the core's replies come back in request order and are re-shaped
// for the opcode each request had. A frame that is too long, truncated,
// garbled or of an unknown opcode closes that connection, with the reason in
// the log; nothing else is touched. At most kMaxOutstanding requests per
// connection wait for replies; past that the connection is not read until
// replies drain (back-pressure on that client alone). A first frame that
// spells a four-letter word is answered as one (four_letter.h).
//
// The same connections can also run over TLS (secureZkClientPort, as
// ZooKeeper's secureClientPort): StartTls listens on a second port whose
// connections shake hands first, with the certificates of a
// TlsContextSource (reloaded when their files change). A verified client
// certificate gives the session an `x509` identity for ACL checks.
//
// With EnableSasl, a client may authenticate with SASL DIGEST-MD5 on either
// port (sasl_digest.h); the session then holds a `sasl` identity. A failed
// exchange is answered AUTH_FAILED and the connection closed, as ZooKeeper
// does.
#ifndef ZABKEEPER_SERVER_ZKWIRE_ZK_FRONT_END_H_
#define ZABKEEPER_SERVER_ZKWIRE_ZK_FRONT_END_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "asio/executor_work_guard.hpp"
#include "asio/io_context.hpp"
#include "asio/ip/tcp.hpp"
#include "server/node_runtime.h"
#include "server/zkwire/connection_stats.h"
#include "server/zkwire/sasl_digest.h"
#include "server/zkwire/tls_context.h"

namespace zabkeeper::zkwire {

class ZkFrontEnd {
 public:
  static constexpr size_t kMaxOutstanding = 1000;

  ZkFrontEnd(server::NodeRuntime* runtime, int32_t max_frame,
             std::set<std::string> four_letter_words);
  ~ZkFrontEnd();
  ZkFrontEnd(const ZkFrontEnd&) = delete;
  ZkFrontEnd& operator=(const ZkFrontEnd&) = delete;

  // SASL DIGEST-MD5 for clients that ask (opcode 102); before Start.
  void EnableSasl(SaslSettings sasl) { sasl_ = std::move(sasl); }

  // Listens on address:port (port 0: any free port) and starts the loops.
  absl::Status Start(const std::string& address, int port);
  // The same over TLS; may be the only port or come beside Start's.
  absl::Status StartTls(const std::string& address, int port,
                        std::shared_ptr<server::TlsContextSource> tls);
  void Stop();
  int port() const { return port_; }
  int tls_port() const { return tls_port_; }

 private:
  // Adds a listener (tls null: plain) and returns its port.
  absl::StatusOr<int> Listen(const std::string& address, int port,
                             std::shared_ptr<server::TlsContextSource> tls);
  void Accept(asio::ip::tcp::acceptor* acceptor, std::shared_ptr<server::TlsContextSource> tls);
  void RunLoops();

  server::NodeRuntime* const runtime_;
  const int32_t max_frame_;
  const std::set<std::string> four_letter_words_;
  SaslSettings sasl_;
  ConnectionRegistry registry_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::thread> loops_;
  int port_ = 0;
  int tls_port_ = 0;
};

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_ZK_FRONT_END_H_
