// TlsContextSource: the OpenSSL context (through asio::ssl) that TLS on the
// ZooKeeper-protocol port (secureZkClientPort) hands each new connection,
// built from the PEM files zoo.cfg names (ssl.certFile, ssl.keyFile,
// ssl.caFile, ssl.clientAuth). When one of the files changes on disk, the
// next connection gets a context built from the new files: certificates
// rotate without a restart, and connections already open keep the context
// they started with (their sessions live on). A rotation whose files do not
// load (a half-written key, say) is logged and the last good context stays.
#ifndef ZABKEEPER_SERVER_ZKWIRE_TLS_CONTEXT_H_
#define ZABKEEPER_SERVER_ZKWIRE_TLS_CONTEXT_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "asio/ssl/context.hpp"
#include "asio/ssl/stream.hpp"
#include "server/config.h"
#include "zabkeeper/common.pb.h"

namespace zabkeeper::zkwire {

class TlsContextSource {
 public:
  // Fails with the key and path of a file that does not load.
  static absl::StatusOr<std::unique_ptr<TlsContextSource>> Create(
      const server::ServerConfig& config);

  // The context for a new connection (any thread); reloaded first when a
  // file changed since the last look, which happens at most once a second.
  std::shared_ptr<asio::ssl::context> Current();

 private:
  explicit TlsContextSource(const server::ServerConfig& config);
  absl::StatusOr<std::shared_ptr<asio::ssl::context>> Build() const;
  std::vector<std::filesystem::file_time_type> Stamps() const;

  const std::string cert_file_, key_file_, ca_file_, client_auth_;
  std::mutex mu_;
  std::shared_ptr<asio::ssl::context> current_;
  std::vector<std::filesystem::file_time_type> stamps_;
  std::chrono::steady_clock::time_point last_look_;
};

// The client certificate's subject as an `x509` ACL identity (RFC 2253,
// as ZooKeeper's X509AuthenticationProvider names it); none without one.
std::vector<proto::Id> X509Identities(SSL* ssl);

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_TLS_CONTEXT_H_
