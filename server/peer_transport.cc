#include "server/peer_transport.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <deque>
#include <future>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asio/connect.hpp"
#include "asio/post.hpp"
#include "asio/read.hpp"
#include "asio/ssl/stream.hpp"
#include "asio/steady_timer.hpp"
#include "asio/write.hpp"
#include "glog/logging.h"
#include "server/failpoints.h"
#include "server/thread_name.h"
#include "server/write_trace.h"

namespace zabkeeper::server {
namespace {

constexpr auto kFirstBackoff = std::chrono::milliseconds(50);
constexpr auto kMaxBackoff = std::chrono::milliseconds(1000);

// Length prefix and frame, ready for the socket.
std::string Encode(const proto::PeerFrame& frame) {
  const size_t n = frame.ByteSizeLong();
  std::string out(4 + n, '\0');
  for (int i = 0; i < 4; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
  frame.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out.data() + 4));
  return out;
}

uint32_t DecodeLength(const std::array<char, 4>& b) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[3]));
}

// The zab.after_newleader_ack failpoint crashes once such a frame is written.
bool CrashAfterWrite(const proto::PeerFrame& frame) {
  if (!ZK_FAILPOINT_ARMED("zab.after_newleader_ack")) return false;
  for (const auto& m : frame.zab()) {
    if (m.has_ack() && m.ack().new_leader()) return true;
  }
  return false;
}

}  // namespace

// One live connection to a peer. Reads run on the event loop; writes go
// straight to the socket from the sender's thread while nothing is queued
// (non-blocking), else onto a queue the event loop drains. The socket is
// closed only on the event loop and under mu_, so a direct write never hits
// a closed (or reused) descriptor.
class PeerLink : public std::enable_shared_from_this<PeerLink> {
 public:
  // sid 0: accepted, the peer names itself in its first frame.
  PeerLink(PeerTransport* transport, asio::ip::tcp::socket socket, uint64_t sid,
           std::function<void()> on_down)
      : transport_(transport), socket_(std::move(socket)), sid_(sid), on_down_(std::move(on_down)) {
    if (transport_->tls()) {
      tls_context_ = transport_->tls()();
      tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
    }
  }

  // On the event loop: TLS shakes hands (as `type`) before `then`; a
  // failed handshake ends the link. Plain TCP goes on at once.
  void Handshake(asio::ssl::stream_base::handshake_type type, std::function<void()> then) {
    if (!tls_) return then();
    tls_->async_handshake(
        type, [self = shared_from_this(), then = std::move(then)](const asio::error_code& ec) {
          if (ec) {
            LOG(WARNING) << "peer link "
                         << (self->sid_ == 0 ? "(accepted)" : std::to_string(self->sid_))
                         << ": TLS handshake failed: " << ec.message();
            return self->Fail();
          }
          then();
        });
  }

  // On the event loop: cuts the link unless it is up within `limit`.
  void ArmHandshakeDeadline(std::chrono::milliseconds limit) {
    auto timer = std::make_shared<asio::steady_timer>(socket_.get_executor(), limit);
    timer->async_wait([weak = weak_from_this(), timer, limit](const asio::error_code& ec) {
      std::shared_ptr<PeerLink> self = weak.lock();
      if (ec || self == nullptr || self->up_) return;
      LOG(WARNING) << "peer link " << (self->sid_ == 0 ? "(accepted)" : std::to_string(self->sid_))
                   << ": no handshake within " << limit.count() << " ms; closing";
      self->Fail();
    });
  }

  // False when the link is closed or over its bound (then it is cut).
  bool Send(const proto::PeerFrame& frame) {
    std::string bytes = Encode(frame);
    const bool crash = CrashAfterWrite(frame);
    std::unique_lock<std::mutex> lock(mu_);
    if (closed_) return false;
    if (!writing_) {
      size_t off = 0;
      // TLS writes stay on the event loop: an OpenSSL session is not shared.
      while (!tls_ && off < bytes.size()) {
        const ssize_t n = ::send(socket_.native_handle(), bytes.data() + off, bytes.size() - off,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
          off += static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          break;
        } else {
          lock.unlock();
          Close();
          return false;
        }
      }
      if (!tls_ && off == bytes.size()) {
        ZK_TRACE("link.written", frame.zab_size());
        lock.unlock();
        if (crash) ZK_FAILPOINT_CRASH("zab.after_newleader_ack");
        return true;
      }
      bytes.erase(0, off);
      writing_ = true;
      asio::post(socket_.get_executor(), [self = shared_from_this()] { self->WriteQueued(); });
    } else if (queue_.size() >= PeerTransport::kMaxQueuedFrames) {
      lock.unlock();
      LOG(WARNING) << "peer " << sid_ << ": " << queue_.size()
                   << " frames queued, cutting the link";
      Close();
      return false;
    }
    queue_.push_back(std::move(bytes));
    crash_pending_ |= crash;
    return true;
  }

  // Any thread: the link ends on the event loop.
  void Close() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Fail(); });
  }

  // On the event loop: reads until the link fails.
  void StartReading() { ReadHeader(); }

  // On the event loop: closes the socket and reports the link down once.
  void Fail() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closed_) {
        closed_ = true;
        queue_.clear();
        asio::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
      }
    }
    if (down_reported_) return;
    down_reported_ = true;
    if (up_) transport_->LinkDown(sid_, this);
    if (on_down_) on_down_();
  }

 private:
  template <typename Buffers, typename Handler>
  void AsyncRead(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      asio::async_read(*tls_, buffers, std::forward<Handler>(handler));
    } else {
      asio::async_read(socket_, buffers, std::forward<Handler>(handler));
    }
  }
  template <typename Buffers, typename Handler>
  void AsyncWrite(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    } else {
      asio::async_write(socket_, buffers, std::forward<Handler>(handler));
    }
  }

  void WriteQueued() {
    bool crash = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      in_flight_.assign(std::make_move_iterator(queue_.begin()),
                        std::make_move_iterator(queue_.end()));
      queue_.clear();
      crash = crash_pending_;
      crash_pending_ = false;
    }
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(in_flight_.size());
    for (const std::string& b : in_flight_) buffers.emplace_back(asio::buffer(b));
    AsyncWrite(buffers, [self = shared_from_this(), crash](const asio::error_code& ec, size_t) {
      if (ec) return self->Fail();
      ZK_TRACE("link.written", self->in_flight_.size());
      if (crash) ZK_FAILPOINT_CRASH("zab.after_newleader_ack");
      self->in_flight_.clear();
      bool more = false;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        more = !self->queue_.empty();
        if (!more) self->writing_ = false;
      }
      if (more) self->WriteQueued();
    });
  }

  void ReadHeader() {
    AsyncRead(asio::buffer(header_),
              [self = shared_from_this()](const asio::error_code& ec, size_t) {
                if (ec) return self->Fail();
                const uint32_t n = DecodeLength(self->header_);
                // Until it names itself, a peer gets no room for more
                // than a hello.
                if (n > (self->up_ ? PeerTransport::kMaxFrameBytes : 1024u)) {
                  LOG(WARNING) << "peer link " << self->sid_ << ": frame of " << n
                               << " bytes, over the limit; closing";
                  return self->Fail();
                }
                self->body_.resize(n);
                self->ReadBody();
              });
  }

  void ReadBody() {
    AsyncRead(asio::buffer(body_), [self = shared_from_this()](const asio::error_code& ec, size_t) {
      if (ec) return self->Fail();
      proto::PeerFrame frame;
      if (!frame.ParseFromString(self->body_)) {
        LOG(WARNING) << "peer link " << self->sid_ << ": a frame that does not parse; closing";
        return self->Fail();
      }
      self->body_.clear();
      if (!self->OnFrame(std::move(frame))) return self->Fail();
      self->ReadHeader();
    });
  }

  // False ends the link.
  bool OnFrame(proto::PeerFrame frame) {
    if (!up_) {
      // Accepted: the first frame names the dialer.
      const uint64_t from = frame.from();
      if (!transport_->Accepts(from)) {
        LOG(WARNING) << "refusing peer link from unknown or higher server id " << from;
        return false;
      }
      sid_ = from;
      MarkUp();
      return true;
    }
    ZK_TRACE("link.read", sid_);
    transport_->Deliver(sid_, this, std::move(frame));
    return true;
  }

 public:
  // On the event loop: the link carries frames now.
  void MarkUp() {
    up_ = true;
    transport_->LinkUp(sid_, shared_from_this());
  }

 private:
  PeerTransport* const transport_;
  asio::ip::tcp::socket socket_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // sslQuorum: kept while the link lives
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;  // sslQuorum
  uint64_t sid_;
  const std::function<void()> on_down_;  // the dialer's redial
  bool up_ = false;                      // event loop only
  bool down_reported_ = false;           // event loop only
  std::array<char, 4> header_{};
  std::string body_;
  std::vector<std::string> in_flight_;  // the event loop's write

  std::mutex mu_;
  std::deque<std::string> queue_;
  bool writing_ = false;  // the event loop owns the write side
  bool closed_ = false;
  bool crash_pending_ = false;
};

PeerTransport::PeerTransport(uint64_t my_sid, std::map<int64_t, PeerAddress> servers,
                             Callbacks callbacks, TlsProvider tls)
    : my_sid_(my_sid),
      servers_(std::move(servers)),
      callbacks_(std::move(callbacks)),
      tls_(std::move(tls)) {}

PeerTransport::~PeerTransport() { Stop(); }

bool PeerTransport::Accepts(uint64_t from) const {
  return from != 0 && from < my_sid_ && servers_.contains(static_cast<int64_t>(from));
}

absl::Status PeerTransport::Start() {
  auto me = servers_.find(static_cast<int64_t>(my_sid_));
  if (me == servers_.end()) return absl::InvalidArgumentError("my id is not in the server list");
  const std::string address = absl::StrCat(me->second.host, ":", me->second.peer_port);
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(me->second.host, std::to_string(me->second.peer_port),
                                    asio::ip::tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot resolve the peer address ", address, ": ",
                                               ec ? ec.message() : "no address"));
  }
  const asio::ip::tcp::endpoint endpoint = *endpoints.begin();
  acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for peers on ", address, ": ", ec.message()));
  }
  work_.emplace(io_.get_executor());
  Accept();
  for (const auto& [sid, addr] : servers_) {
    if (static_cast<uint64_t>(sid) > my_sid_) Dial(static_cast<uint64_t>(sid), kFirstBackoff);
  }
  loop_ = std::thread([this] {
    NameThisThread("zk-peers");
    io_.run();
  });
  return absl::OkStatus();
}

void PeerTransport::Stop() {
  if (stopping_.exchange(true)) return;
  if (loop_.joinable()) {
    std::promise<void> closed;
    asio::post(io_, [&] {
      asio::error_code ignored;
      if (acceptor_) acceptor_->close(ignored);
      std::map<uint64_t, std::shared_ptr<PeerLink>> links;
      {
        std::lock_guard<std::mutex> lock(mu_);
        links = links_;
      }
      for (auto& [sid, link] : links) link->Fail();
      closed.set_value();
    });
    closed.get_future().wait();
    work_.reset();
    io_.stop();
    loop_.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  links_.clear();
}

void PeerTransport::Accept() {
  acceptor_->async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (stopping_ || !acceptor_->is_open()) return;
    if (!ec) {
      asio::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      auto link = std::make_shared<PeerLink>(this, std::move(socket), 0, nullptr);
      link->ArmHandshakeDeadline(kHandshakeTimeout);
      link->Handshake(asio::ssl::stream_base::server, [link] { link->StartReading(); });
    } else {
      LOG(WARNING) << "peer accept: " << ec.message();
    }
    Accept();
  });
}

void PeerTransport::Dial(uint64_t sid, std::chrono::milliseconds backoff) {
  if (stopping_) return;
  const PeerAddress& addr = servers_.at(static_cast<int64_t>(sid));
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(io_);
  auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
  auto retry = [this, sid, backoff] {
    auto timer = std::make_shared<asio::steady_timer>(io_, backoff);
    timer->async_wait([this, sid, backoff, timer](const asio::error_code&) {
      Dial(sid, std::min(backoff * 2, kMaxBackoff));
    });
  };
  resolver->async_resolve(
      addr.host, std::to_string(addr.peer_port),
      [this, sid, resolver, socket, retry](const asio::error_code& ec,
                                           asio::ip::tcp::resolver::results_type endpoints) {
        if (stopping_) return;
        if (ec) return retry();
        asio::async_connect(
            *socket, endpoints,
            [this, sid, socket, retry](const asio::error_code& ec, const asio::ip::tcp::endpoint&) {
              if (stopping_) return;
              if (ec) return retry();
              asio::error_code ignored;
              socket->set_option(asio::ip::tcp::no_delay(true), ignored);
              auto link = std::make_shared<PeerLink>(this, std::move(*socket), sid, [this, sid] {
                // Redial after a short pause once this link ends.
                auto timer = std::make_shared<asio::steady_timer>(io_, kFirstBackoff);
                timer->async_wait(
                    [this, sid, timer](const asio::error_code&) { Dial(sid, kFirstBackoff); });
              });
              link->ArmHandshakeDeadline(kHandshakeTimeout);
              link->Handshake(asio::ssl::stream_base::client, [this, link] {
                proto::PeerFrame hello;
                hello.set_from(my_sid_);
                if (!link->Send(hello)) return;  // its Fail redials
                link->MarkUp();
                link->StartReading();
              });
            });
      });
}

void PeerTransport::Send(uint64_t sid, const proto::PeerFrame& frame) {
  std::shared_ptr<PeerLink> link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(sid);
    if (it == links_.end()) return;
    link = it->second;
  }
  link->Send(frame);  // a failed send cuts the link itself
}

bool PeerTransport::IsUp(uint64_t sid) const {
  std::lock_guard<std::mutex> lock(mu_);
  return links_.contains(sid);
}

void PeerTransport::LinkUp(uint64_t sid, const std::shared_ptr<PeerLink>& link) {
  std::shared_ptr<PeerLink> old;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(sid);
  if (it != links_.end()) {
    old = it->second;
    callbacks_.down(sid);
  }
  links_[sid] = link;
  if (old) old->Close();
  callbacks_.up(sid);
}

void PeerTransport::LinkDown(uint64_t sid, const PeerLink* link) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(sid);
  if (it == links_.end() || it->second.get() != link) return;
  links_.erase(it);
  callbacks_.down(sid);
}

void PeerTransport::Deliver(uint64_t sid, const PeerLink* link, proto::PeerFrame frame) {
  // Under the lock so that a frame of a replaced link never follows the
  // replacement's Up.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(sid);
  if (it == links_.end() || it->second.get() != link) return;
  callbacks_.frame(sid, std::move(frame));
}

}  // namespace zabkeeper::server
