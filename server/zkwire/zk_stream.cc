#include "server/zkwire/zk_stream.h"

#include "asio/bind_executor.hpp"
#include "asio/post.hpp"
#include "asio/read.hpp"
#include "asio/ssl/stream.hpp"
#include "asio/write.hpp"
#include "server/zkwire/tls_context.h"

namespace zabkeeper::zkwire {
namespace {

class Plain final : public ZkStream {
 public:
  Plain(asio::ip::tcp::socket socket, Strand strand)
      : socket_(std::move(socket)), strand_(std::move(strand)) {}
  void Handshake(Done done) override {
    asio::post(strand_, [done = std::move(done)] { done({}); });
  }
  void Read(asio::mutable_buffer buffer, Done done) override {
    asio::async_read(
        socket_, buffer,
        asio::bind_executor(
            strand_, [done = std::move(done)](const asio::error_code& ec, size_t) { done(ec); }));
  }
  void Write(asio::const_buffer buffer, Done done) override {
    asio::async_write(
        socket_, buffer,
        asio::bind_executor(
            strand_, [done = std::move(done)](const asio::error_code& ec, size_t) { done(ec); }));
  }
  std::vector<proto::Id> Identities() override { return {}; }
  asio::ip::tcp::socket& socket() override { return socket_; }

 private:
  asio::ip::tcp::socket socket_;
  Strand strand_;
};

class Tls final : public ZkStream {
 public:
  Tls(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> context, Strand strand)
      : context_(std::move(context)),
        stream_(std::move(socket), *context_),
        strand_(std::move(strand)) {}
  void Handshake(Done done) override {
    stream_.async_handshake(
        asio::ssl::stream_base::server,
        asio::bind_executor(strand_,
                            [done = std::move(done)](const asio::error_code& ec) { done(ec); }));
  }
  void Read(asio::mutable_buffer buffer, Done done) override {
    asio::async_read(
        stream_, buffer,
        asio::bind_executor(
            strand_, [done = std::move(done)](const asio::error_code& ec, size_t) { done(ec); }));
  }
  void Write(asio::const_buffer buffer, Done done) override {
    asio::async_write(
        stream_, buffer,
        asio::bind_executor(
            strand_, [done = std::move(done)](const asio::error_code& ec, size_t) { done(ec); }));
  }
  std::vector<proto::Id> Identities() override { return X509Identities(stream_.native_handle()); }
  asio::ip::tcp::socket& socket() override { return stream_.next_layer(); }

 private:
  std::shared_ptr<asio::ssl::context> context_;  // outlives stream_
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  Strand strand_;
};

}  // namespace

std::unique_ptr<ZkStream> PlainStream(asio::ip::tcp::socket socket, ZkStream::Strand strand) {
  return std::make_unique<Plain>(std::move(socket), std::move(strand));
}

std::unique_ptr<ZkStream> TlsStream(asio::ip::tcp::socket socket,
                                    std::shared_ptr<asio::ssl::context> context,
                                    ZkStream::Strand strand) {
  return std::make_unique<Tls>(std::move(socket), std::move(context), std::move(strand));
}

}  // namespace zabkeeper::zkwire
