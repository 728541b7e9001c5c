#include "server/zkwire/tls_context.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/tls_credentials.h"

namespace zabkeeper::zkwire {
namespace {

constexpr auto kLookInterval = std::chrono::seconds(1);

}  // namespace

TlsContextSource::TlsContextSource(const server::ServerConfig& config)
    : cert_file_(config.ssl_cert_file),
      key_file_(config.ssl_key_file),
      ca_file_(config.ssl_ca_file),
      client_auth_(config.ssl_client_auth) {}

absl::StatusOr<std::unique_ptr<TlsContextSource>> TlsContextSource::Create(
    const server::ServerConfig& config) {
  std::unique_ptr<TlsContextSource> source(new TlsContextSource(config));
  source->stamps_ = source->Stamps();
  absl::StatusOr<std::shared_ptr<asio::ssl::context>> context = source->Build();
  if (!context.ok()) return context.status();
  source->current_ = std::move(*context);
  source->last_look_ = std::chrono::steady_clock::now();
  return source;
}

std::vector<std::filesystem::file_time_type> TlsContextSource::Stamps() const {
  std::vector<std::filesystem::file_time_type> out;
  for (const std::string* path : {&cert_file_, &key_file_, &ca_file_}) {
    std::error_code ec;
    out.push_back(path->empty() ? std::filesystem::file_time_type()
                                : std::filesystem::last_write_time(*path, ec));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<asio::ssl::context>> TlsContextSource::Build() const {
  // The same checks, and messages, as the gRPC port's (tls_credentials.h).
  absl::StatusOr<std::string> cert = server::ReadPemFile("ssl.certFile", cert_file_);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = server::ReadPemFile("ssl.keyFile", key_file_);
  if (!key.ok()) return key.status();
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  asio::error_code ec;
  context->use_certificate_chain(asio::buffer(*cert), ec);
  if (ec)
    return absl::InvalidArgumentError(
        absl::StrCat("ssl.certFile ", cert_file_, ": ", ec.message()));
  context->use_private_key(asio::buffer(*key), asio::ssl::context::pem, ec);
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("ssl.keyFile ", key_file_, ": ", ec.message()));
  if (client_auth_ == "none") {
    context->set_verify_mode(asio::ssl::verify_none);
  } else {
    absl::StatusOr<std::string> ca = server::ReadPemFile("ssl.caFile", ca_file_);
    if (!ca.ok()) return ca.status();
    context->add_certificate_authority(asio::buffer(*ca), ec);
    if (ec)
      return absl::InvalidArgumentError(absl::StrCat("ssl.caFile ", ca_file_, ": ", ec.message()));
    context->set_verify_mode(client_auth_ == "need"
                                 ? asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert
                                 : asio::ssl::verify_peer);
  }
  return context;
}

std::shared_ptr<asio::ssl::context> TlsContextSource::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_look_ < kLookInterval) return current_;
  last_look_ = now;
  std::vector<std::filesystem::file_time_type> stamps = Stamps();
  if (stamps == stamps_) return current_;
  absl::StatusOr<std::shared_ptr<asio::ssl::context>> context = Build();
  if (!context.ok()) {
    // Perhaps half written: look again on the next connection after a second.
    LOG(WARNING) << "TLS files changed but do not load, keeping the last good ones: "
                 << context.status().message();
    return current_;
  }
  stamps_ = std::move(stamps);
  current_ = std::move(*context);
  LOG(INFO) << "TLS certificate files changed: new connections use them";
  return current_;
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
