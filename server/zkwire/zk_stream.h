// ZkStream: the bytes of one ZooKeeper-protocol connection, over plain TCP
// (zkClientPort) or TLS (secureZkClientPort, asio::ssl over OpenSSL). The
// connection logic (zk_connection.h) is the same for both. Every completion
// runs on the strand the stream was made with.
#ifndef ZABKEEPER_SERVER_ZKWIRE_ZK_STREAM_H_
#define ZABKEEPER_SERVER_ZKWIRE_ZK_STREAM_H_

#include <functional>
#include <memory>
#include <vector>

#include "asio/ip/tcp.hpp"
#include "asio/ssl/context.hpp"
#include "asio/strand.hpp"
#include "zabkeeper/common.pb.h"

namespace zabkeeper::zkwire {

class ZkStream {
 public:
  using Done = std::function<void(const asio::error_code&)>;
  using Strand = asio::strand<asio::any_io_executor>;
  virtual ~ZkStream() = default;

  // TLS: the server side of the handshake (plain: done at once).
  virtual void Handshake(Done done) = 0;
  // Reads exactly buffer.size() bytes; writes all of buffer.
  virtual void Read(asio::mutable_buffer buffer, Done done) = 0;
  virtual void Write(asio::const_buffer buffer, Done done) = 0;
  // Identities the transport proves: TLS, the verified client certificate's
  // x509 id; plain, none.
  virtual std::vector<proto::Id> Identities() = 0;
  virtual asio::ip::tcp::socket& socket() = 0;
  void Close() {
    asio::error_code ignored;
    socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }
};

std::unique_ptr<ZkStream> PlainStream(asio::ip::tcp::socket socket, ZkStream::Strand strand);
// Keeps `context` alive as long as the stream: a certificate rotation does
// not touch connections already open.
std::unique_ptr<ZkStream> TlsStream(asio::ip::tcp::socket socket,
                                    std::shared_ptr<asio::ssl::context> context,
                                    ZkStream::Strand strand);

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_ZK_STREAM_H_
