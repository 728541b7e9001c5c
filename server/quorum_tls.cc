#include "server/quorum_tls.h"

#include "absl/strings/str_cat.h"

namespace zabkeeper::server {
namespace {

absl::Status Loaded(const asio::error_code& ec, const char* key, const std::string& path) {
  if (!ec) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(key, " ", path, ": ", ec.message()));
}

}  // namespace

absl::StatusOr<std::shared_ptr<asio::ssl::context>> QuorumTlsContext(const ServerConfig& config) {
  // One context for both roles: a server dials (client) and accepts (server).
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  asio::error_code ec;
  context->use_certificate_chain_file(config.ssl_quorum_cert_file, ec);
  if (absl::Status s = Loaded(ec, "ssl.quorum.certFile", config.ssl_quorum_cert_file); !s.ok()) {
    return s;
  }
  context->use_private_key_file(config.ssl_quorum_key_file, asio::ssl::context::pem, ec);
  if (absl::Status s = Loaded(ec, "ssl.quorum.keyFile", config.ssl_quorum_key_file); !s.ok()) {
    return s;
  }
  context->load_verify_file(config.ssl_quorum_ca_file, ec);
  if (absl::Status s = Loaded(ec, "ssl.quorum.caFile", config.ssl_quorum_ca_file); !s.ok()) {
    return s;
  }
  context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  return context;
}

absl::StatusOr<std::unique_ptr<TlsContextSource>> QuorumTlsContextSource(
    const ServerConfig& config) {
  return TlsContextSource::Create(
      {config.ssl_quorum_cert_file, config.ssl_quorum_key_file, config.ssl_quorum_ca_file},
      [config] { return QuorumTlsContext(config); }, "sslQuorum");
}

}  // namespace zabkeeper::server
