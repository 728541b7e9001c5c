// The channel credentials a client uses for every server: insecure, or TLS
// with ClientOptions' PEM files (gRPC's own TLS).
#ifndef ZABKEEPER_CLIENT_TLS_H_
#define ZABKEEPER_CLIENT_TLS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "client/types.h"
#include "grpcpp/security/credentials.h"

namespace zk {

// BAD_ARGUMENTS naming the file when one cannot be read, or when only one
// of the certificate and its key is given.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientOptions& options);

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_TLS_H_
