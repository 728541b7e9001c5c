#include "server/tls_credentials.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace zabkeeper::server {
namespace {

constexpr unsigned int kReloadSeconds = 1;

}  // namespace

absl::StatusOr<std::string> ReadPemFile(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(key, ": cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string pem = buffer.str();
  if (pem.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": ", path, " is not a PEM file"));
  }
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const ServerConfig& config) {
  // Read once here for clear errors at start; gRPC then watches the files.
  absl::StatusOr<std::string> cert = ReadPemFile("ssl.certFile", config.ssl_cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPemFile("ssl.keyFile", config.ssl_key_file);
  if (!key.ok()) return key.status();
  const bool verify_clients = config.ssl_client_auth != "none";
  if (verify_clients) {
    absl::StatusOr<std::string> ca = ReadPemFile("ssl.caFile", config.ssl_ca_file);
    if (!ca.ok()) return ca.status();
  }
  // The files are re-read every kReloadSeconds: a rotated certificate (or
  // CA) serves new connections without a restart; open ones keep theirs.
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      config.ssl_key_file, config.ssl_cert_file, verify_clients ? config.ssl_ca_file : "",
      kReloadSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (verify_clients) {
    options.watch_root_certs();
    options.set_cert_request_type(config.ssl_client_auth == "need"
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace zabkeeper::server
