// TLS on the ZooKeeper-protocol port (secureZkClientPort): the OpenSSL
// context (through asio::ssl) built from the PEM files zoo.cfg names
// (ssl.certFile, ssl.keyFile, ssl.caFile, ssl.clientAuth), rebuilt when they
// change (server::TlsContextSource), and the x509 identity of a client.
#ifndef ZABKEEPER_SERVER_ZKWIRE_TLS_CONTEXT_H_
#define ZABKEEPER_SERVER_ZKWIRE_TLS_CONTEXT_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "asio/ssl/context.hpp"
#include "asio/ssl/stream.hpp"
#include "server/config.h"
#include "server/tls_context_source.h"
#include "zabkeeper/common.pb.h"

namespace zabkeeper::zkwire {

// The server context of secureZkClientPort from ssl.certFile, ssl.keyFile,
// ssl.caFile and ssl.clientAuth; fails with the key and path of a file that
// does not load. Served through a server::TlsContextSource (reloads).
absl::StatusOr<std::shared_ptr<asio::ssl::context>> ZkTlsServerContext(
    const server::ServerConfig& config);

// ZkTlsServerContext behind a TlsContextSource watching its files.
absl::StatusOr<std::unique_ptr<server::TlsContextSource>> ZkTlsContextSource(
    const server::ServerConfig& config);

// The client certificate's subject as an `x509` ACL identity (RFC 2253,
// as ZooKeeper's X509AuthenticationProvider names it); none without one.
std::vector<proto::Id> X509Identities(SSL* ssl);

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_TLS_CONTEXT_H_
