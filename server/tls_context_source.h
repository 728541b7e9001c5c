// TlsContextSource: the OpenSSL context (through asio::ssl) a TLS listener or
// dialer hands each new connection, rebuilt when one of its PEM files
// changes on disk: certificates rotate without a restart, and connections
// already open keep the context they started with. A rotation whose files
// do not load (a half-written key, say) is logged and the last good context
// stays. Used for secureZkClientPort (zkwire/tls_context.h) and for the
// links between servers (sslQuorum, quorum_tls.h).
#ifndef ZABKEEPER_SERVER_TLS_CONTEXT_SOURCE_H_
#define ZABKEEPER_SERVER_TLS_CONTEXT_SOURCE_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "asio/ssl/context.hpp"

namespace zabkeeper::server {

class TlsContextSource {
 public:
  using Builder = std::function<absl::StatusOr<std::shared_ptr<asio::ssl::context>>()>;

  // `files`: what `build` reads (empty names are skipped); `what` names the
  // context in the log ("secureZkClientPort", "sslQuorum"). Fails as the
  // first build fails.
  static absl::StatusOr<std::unique_ptr<TlsContextSource>> Create(std::vector<std::string> files,
                                                                  Builder build, std::string what);

  // The context for a new connection (any thread); rebuilt first when a
  // file changed since the last look, which happens at most once a second.
  std::shared_ptr<asio::ssl::context> Current();

 private:
  TlsContextSource(std::vector<std::string> files, Builder build, std::string what)
      : files_(std::move(files)), build_(std::move(build)), what_(std::move(what)) {}
  std::vector<std::filesystem::file_time_type> Stamps() const;

  const std::vector<std::string> files_;
  const Builder build_;
  const std::string what_;
  std::mutex mu_;
  std::shared_ptr<asio::ssl::context> current_;
  std::vector<std::filesystem::file_time_type> stamps_;
  std::chrono::steady_clock::time_point last_look_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_TLS_CONTEXT_SOURCE_H_
