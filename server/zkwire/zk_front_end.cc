#include "server/zkwire/zk_front_end.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/thread_name.h"
#include "server/zkwire/zk_connection.h"
#include "server/zkwire/zk_stream.h"

namespace zabkeeper::zkwire {

ZkFrontEnd::ZkFrontEnd(server::NodeRuntime* runtime, int32_t max_frame,
                       std::set<std::string> four_letter_words)
    : runtime_(runtime), max_frame_(max_frame), four_letter_words_(std::move(four_letter_words)) {}

ZkFrontEnd::~ZkFrontEnd() { Stop(); }

absl::Status ZkFrontEnd::Start(const std::string& address, int port) {
  absl::StatusOr<int> bound = Listen(address, port, nullptr);
  if (!bound.ok()) return bound.status();
  port_ = *bound;
  RunLoops();
  return absl::OkStatus();
}

absl::Status ZkFrontEnd::StartTls(const std::string& address, int port,
                                  std::shared_ptr<server::TlsContextSource> tls) {
  absl::StatusOr<int> bound = Listen(address, port, std::move(tls));
  if (!bound.ok()) return bound.status();
  tls_port_ = *bound;
  RunLoops();
  return absl::OkStatus();
}

absl::StatusOr<int> ZkFrontEnd::Listen(const std::string& address, int port,
                                       std::shared_ptr<server::TlsContextSource> tls) {
  asio::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad address ", address));
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
  const asio::ip::tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ":", port,
                                               " for ZooKeeper clients", tls ? " (TLS)" : "", ": ",
                                               ec.message()));
  }
  const int bound = acceptor->local_endpoint().port();
  Accept(acceptor.get(), std::move(tls));
  acceptors_.push_back(std::move(acceptor));
  return bound;
}

void ZkFrontEnd::RunLoops() {
  if (!loops_.empty()) return;
  work_.emplace(io_.get_executor());
  // One event loop per core: each connection's work stays on its strand.
  const unsigned loops = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < loops; ++i)
    loops_.emplace_back([this] {
      server::NameThisThread("zk-wire");
      io_.run();
    });
}

void ZkFrontEnd::Accept(asio::ip::tcp::acceptor* acceptor,
                        std::shared_ptr<server::TlsContextSource> tls) {
  acceptor->async_accept(
      asio::make_strand(io_),
      [this, acceptor, tls](const asio::error_code& ec, asio::ip::tcp::socket socket) {
        if (ec) {
          if (ec != asio::error::operation_aborted) LOG(WARNING) << "zk accept: " << ec.message();
          if (!acceptor->is_open()) return;
        } else {
          asio::error_code ignored;
          socket.set_option(asio::ip::tcp::no_delay(true), ignored);
          ZkStream::Strand strand = asio::make_strand(socket.get_executor());
          std::unique_ptr<ZkStream> stream =
              tls ? TlsStream(std::move(socket), tls->Current(), strand)
                  : PlainStream(std::move(socket), strand);
          std::make_shared<ZkConnection>(std::move(stream), strand, runtime_, max_frame_,
                                         kMaxOutstanding, &four_letter_words_, &sasl_, &registry_)
              ->Start();
        }
        Accept(acceptor, tls);
      });
}

void ZkFrontEnd::Stop() {
  if (loops_.empty()) return;
  asio::post(io_, [this] {
    asio::error_code ignored;
    for (auto& acceptor : acceptors_) acceptor->close(ignored);
  });
  work_.reset();
  io_.stop();
  for (std::thread& t : loops_) t.join();
  loops_.clear();
}

}  // namespace zabkeeper::zkwire
