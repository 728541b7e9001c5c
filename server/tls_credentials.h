// TLS for the gRPC client port (secureClientPort): gRPC's own TLS (OpenSSL
// underneath) with the PEM files zoo.cfg names. Nothing hand-rolled.
#ifndef ZABKEEPER_SERVER_TLS_CREDENTIALS_H_
#define ZABKEEPER_SERVER_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/config.h"

namespace zabkeeper::server {

// The whole file, or NotFound/PermissionDenied naming `key` and the path.
absl::StatusOr<std::string> ReadPemFile(const std::string& key, const std::string& path);

// ssl.certFile + ssl.keyFile, and with ssl.clientAuth want/need the client
// certificates are checked against ssl.caFile (need: required). gRPC watches
// the files (every second): replaced ones serve new connections, no restart.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const ServerConfig& config);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_TLS_CREDENTIALS_H_
