#include "server/tls_context_source.h"

#include <utility>

#include "glog/logging.h"

namespace zabkeeper::server {
namespace {

constexpr auto kLookInterval = std::chrono::seconds(1);

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContextSource>> TlsContextSource::Create(
    std::vector<std::string> files, Builder build, std::string what) {
  std::unique_ptr<TlsContextSource> source(
      new TlsContextSource(std::move(files), std::move(build), std::move(what)));
  source->stamps_ = source->Stamps();
  absl::StatusOr<std::shared_ptr<asio::ssl::context>> context = source->build_();
  if (!context.ok()) return context.status();
  source->current_ = std::move(*context);
  source->last_look_ = std::chrono::steady_clock::now();
  return source;
}

std::vector<std::filesystem::file_time_type> TlsContextSource::Stamps() const {
  std::vector<std::filesystem::file_time_type> out;
  for (const std::string& path : files_) {
    std::error_code ec;
    out.push_back(path.empty() ? std::filesystem::file_time_type()
                               : std::filesystem::last_write_time(path, ec));
  }
  return out;
}

std::shared_ptr<asio::ssl::context> TlsContextSource::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_look_ < kLookInterval) return current_;
  last_look_ = now;
  std::vector<std::filesystem::file_time_type> stamps = Stamps();
  if (stamps == stamps_) return current_;
  absl::StatusOr<std::shared_ptr<asio::ssl::context>> context = build_();
  if (!context.ok()) {
    // Perhaps half written: look again on the next connection after a second.
    LOG(WARNING) << what_ << ": TLS files changed but do not load, keeping the last good ones: "
                 << context.status().message();
    return current_;
  }
  stamps_ = std::move(stamps);
  current_ = std::move(*context);
  LOG(INFO) << what_ << ": TLS certificate files changed: new connections use them";
  return current_;
}

}  // namespace zabkeeper::server
