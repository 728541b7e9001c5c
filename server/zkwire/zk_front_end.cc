#include "server/zkwire/zk_front_end.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/zkwire/zk_connection.h"

namespace zabkeeper::zkwire {

ZkFrontEnd::ZkFrontEnd(server::NodeRuntime* runtime, int32_t max_frame,
                       std::set<std::string> four_letter_words)
    : runtime_(runtime), max_frame_(max_frame), four_letter_words_(std::move(four_letter_words)) {}

ZkFrontEnd::~ZkFrontEnd() { Stop(); }

absl::Status ZkFrontEnd::Start(const std::string& address, int port) {
  asio::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad address ", address));
  acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(io_);
  const asio::ip::tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ":", port,
                                               " for ZooKeeper clients: ", ec.message()));
  }
  port_ = acceptor_->local_endpoint().port();
  work_.emplace(io_.get_executor());
  Accept();
  // One event loop per core: each connection's work stays on its strand.
  const unsigned loops = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < loops; ++i) loops_.emplace_back([this] { io_.run(); });
  return absl::OkStatus();
}

void ZkFrontEnd::Accept() {
  acceptor_->async_accept(
      asio::make_strand(io_), [this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
        if (ec) {
          if (ec != asio::error::operation_aborted) LOG(WARNING) << "zk accept: " << ec.message();
          if (!acceptor_->is_open()) return;
        } else {
          socket.set_option(asio::ip::tcp::no_delay(true));
          std::make_shared<ZkConnection>(std::move(socket), runtime_, max_frame_, kMaxOutstanding,
                                         &four_letter_words_, &registry_)
              ->Start();
        }
        Accept();
      });
}

void ZkFrontEnd::Stop() {
  if (loops_.empty()) return;
  asio::post(io_, [this] {
    asio::error_code ignored;
    acceptor_->close(ignored);
  });
  work_.reset();
  io_.stop();
  for (std::thread& t : loops_) t.join();
  loops_.clear();
}

}  // namespace zabkeeper::zkwire
