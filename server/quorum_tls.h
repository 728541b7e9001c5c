// The TLS context of the links between servers (sslQuorum): OpenSSL through
// asio::ssl, with ssl.quorum.certFile/keyFile/caFile from zoo.cfg. Both ends
// of a link show their certificate and verify the other's against the
// quorum CA; a peer without one gets no link. Peers are checked by CA only:
// no host name check (ZooKeeper also checks host names by default).
#ifndef ZABKEEPER_SERVER_QUORUM_TLS_H_
#define ZABKEEPER_SERVER_QUORUM_TLS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "asio/ssl/context.hpp"
#include "server/config.h"
#include "server/tls_context_source.h"

namespace zabkeeper::server {

// Fails naming the key and file that does not load.
absl::StatusOr<std::shared_ptr<asio::ssl::context>> QuorumTlsContext(const ServerConfig& config);

// QuorumTlsContext rebuilt when ssl.quorum.* files change: a new link (a
// peer reconnecting, a restarted server) uses the rotated certificate;
// links already up keep theirs.
absl::StatusOr<std::unique_ptr<TlsContextSource>> QuorumTlsContextSource(
    const ServerConfig& config);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_QUORUM_TLS_H_
