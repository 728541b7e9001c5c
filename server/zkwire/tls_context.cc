#include "server/zkwire/tls_context.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "server/tls_credentials.h"

namespace zabkeeper::zkwire {

absl::StatusOr<std::shared_ptr<asio::ssl::context>> ZkTlsServerContext(
    const server::ServerConfig& config) {
  const std::string& cert_file = config.ssl_cert_file;
  const std::string& key_file = config.ssl_key_file;
  const std::string& ca_file = config.ssl_ca_file;
  const std::string& client_auth = config.ssl_client_auth;
  // The same checks, and messages, as the gRPC port's (tls_credentials.h).
  absl::StatusOr<std::string> cert = server::ReadPemFile("ssl.certFile", cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = server::ReadPemFile("ssl.keyFile", key_file);
  if (!key.ok()) return key.status();
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  asio::error_code ec;
  context->use_certificate_chain(asio::buffer(*cert), ec);
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("ssl.certFile ", cert_file, ": ", ec.message()));
  context->use_private_key(asio::buffer(*key), asio::ssl::context::pem, ec);
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("ssl.keyFile ", key_file, ": ", ec.message()));
  if (client_auth == "none") {
    context->set_verify_mode(asio::ssl::verify_none);
  } else {
    absl::StatusOr<std::string> ca = server::ReadPemFile("ssl.caFile", ca_file);
    if (!ca.ok()) return ca.status();
    context->add_certificate_authority(asio::buffer(*ca), ec);
    if (ec)
      return absl::InvalidArgumentError(absl::StrCat("ssl.caFile ", ca_file, ": ", ec.message()));
    context->set_verify_mode(client_auth == "need"
                                 ? asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert
                                 : asio::ssl::verify_peer);
  }
  return context;
}

absl::StatusOr<std::unique_ptr<server::TlsContextSource>> ZkTlsContextSource(
    const server::ServerConfig& config) {
  return server::TlsContextSource::Create(
      {config.ssl_cert_file, config.ssl_key_file, config.ssl_ca_file},
      [config] { return ZkTlsServerContext(config); }, "secureZkClientPort");
}

std::vector<proto::Id> X509Identities(SSL* ssl) {
  std::vector<proto::Id> out;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return out;
  // Only a certificate the handshake verified names anyone.
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio != nullptr &&
        X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      proto::Id id;
      id.set_scheme("x509");
      id.set_id(std::string(data, static_cast<size_t>(n)));
      out.push_back(std::move(id));
    }
    BIO_free(bio);
  }
  X509_free(cert);
  return out;
}

}  // namespace zabkeeper::zkwire
