// RawSession: a deliberately thin test client for the session stream. It
// speaks proto::ClientMessage / ServerMessage directly (no client library),
// so server tests can send anything, including malformed requests, and see
// every reply and event in the exact order the server sent them.
#ifndef ZABKEEPER_TESTS_INTEGRATION_SERVER_RAW_SESSION_H_
#define ZABKEEPER_TESTS_INTEGRATION_SERVER_RAW_SESSION_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "zabkeeper/client.grpc.pb.h"

namespace zabkeeper::testing {

class RawSession {
 public:
  explicit RawSession(const std::string& address) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    // A private connection per session: a shared one may still point at a
    // server process that was just killed.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    stub_ = proto::ZabKeeper::NewStub(channel_);
    context_ = std::make_unique<grpc::ClientContext>();
    // A server that just (re)started may not be connectable for a moment:
    // wait for it, but boundedly. Waiting inside the stream call instead
    // (wait_for_ready with no deadline) hung forever on a server killed
    // just after it was picked.
    const bool connected =
        channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context_->set_wait_for_ready(connected);
    stream_ = stub_->Session(context_.get());
    reader_ = std::thread([this] { ReadLoop(); });
  }
  ~RawSession() { Abandon(); }

  // Cancels the stream without a close request: the session stays alive on
  // the server until its timeout (like a client that lost its connection).
  void Abandon() {
    if (abandoned_) return;
    abandoned_ = true;
    context_->TryCancel();
    if (reader_.joinable()) reader_.join();
  }

  proto::Response Connect(int32_t timeout_ms = 5000, int64_t session_id = 0,
                          const std::string& password = "", int64_t last_zxid_seen = 0) {
    proto::Request req;
    proto::ConnectRequest* c = req.mutable_connect();
    c->set_timeout_ms(timeout_ms);
    c->set_session_id(session_id);
    c->set_password(password);
    c->set_last_zxid_seen(last_zxid_seen);
    proto::Response r = Call(std::move(req));
    if (r.has_connect()) {
      session_id_ = r.connect().session_id();
      password_ = r.connect().password();
    }
    return r;
  }

  // Sends one request (xid assigned here unless set) and waits for its reply.
  proto::Response Call(proto::Request req,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    int64_t xid = Send(std::move(req));
    std::optional<proto::Response> r = WaitReply(xid, timeout);
    if (!r) {
      proto::Response lost;
      lost.set_xid(xid);
      lost.set_err(proto::CONNECTION_LOSS);
      std::lock_guard<std::mutex> lock(mu_);
      lost.set_error_message("no reply (timeout or stream ended: " + final_status_ + ")");
      return lost;
    }
    return *r;
  }

  int64_t Send(proto::Request req) {
    if (req.xid() == 0) req.set_xid(++next_xid_);
    proto::ClientMessage msg;
    *msg.add_requests() = req;
    std::lock_guard<std::mutex> lock(write_mu_);
    stream_->Write(msg);
    return req.xid();
  }

  // Sends several requests in one stream message (as a busy client does).
  void SendBatch(const std::vector<proto::Request>& reqs) {
    proto::ClientMessage msg;
    for (const auto& r : reqs) *msg.add_requests() = r;
    std::lock_guard<std::mutex> lock(write_mu_);
    stream_->Write(msg);
  }

  std::optional<proto::Response> WaitReply(int64_t xid, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      for (auto it = replies_.begin(); it != replies_.end(); ++it) {
        if (it->xid() == xid) {
          proto::Response r = std::move(*it);
          replies_.erase(it);
          return r;
        }
      }
      if (ended_) return std::nullopt;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
    }
  }

  std::optional<proto::WatchEvent> WaitEvent(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty() || ended_; })) {
      return std::nullopt;
    }
    if (events_.empty()) return std::nullopt;
    proto::WatchEvent ev = events_.front();
    events_.pop_front();
    return ev;
  }

  size_t pending_events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }

  // Everything received, replies and events, in arrival order.
  std::vector<proto::Response> Received() {
    std::lock_guard<std::mutex> lock(mu_);
    return all_;
  }

  bool WaitEnded(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return ended_; });
  }

  int64_t session_id() const { return session_id_; }
  const std::string& password() const { return password_; }

 private:
  void ReadLoop() {
    proto::ServerMessage msg;
    while (stream_->Read(&msg)) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const proto::Response& r : msg.responses()) {
        all_.push_back(r);
        if (r.has_watch_event()) {
          events_.push_back(r.watch_event());
        } else {
          replies_.push_back(r);
        }
      }
      cv_.notify_all();
    }
    grpc::Status status = stream_->Finish();
    std::lock_guard<std::mutex> lock(mu_);
    final_status_ = status.error_message();
    ended_ = true;
    cv_.notify_all();
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::ZabKeeper::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<proto::ClientMessage, proto::ServerMessage>> stream_;
  std::thread reader_;
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<proto::Response> replies_;
  std::deque<proto::WatchEvent> events_;
  std::vector<proto::Response> all_;
  bool ended_ = false;
  std::string final_status_;  // the stream's end status, for diagnostics
  bool abandoned_ = false;
  int64_t next_xid_ = 0;
  int64_t session_id_ = 0;
  std::string password_;
};

// Request builders, to keep tests short.
inline proto::Request CreateReq(const std::string& path, const std::string& data,
                                proto::CreateMode mode = proto::PERSISTENT) {
  proto::Request r;
  r.mutable_create()->set_path(path);
  r.mutable_create()->set_data(data);
  r.mutable_create()->set_mode(mode);
  proto::Acl* acl = r.mutable_create()->add_acl();
  acl->set_perms(31);
  acl->mutable_id()->set_scheme("world");
  acl->mutable_id()->set_id("anyone");
  return r;
}

inline proto::Request GetReq(const std::string& path, bool watch = false) {
  proto::Request r;
  r.mutable_get_data()->set_path(path);
  r.mutable_get_data()->set_watch(watch);
  return r;
}

inline proto::Request SetReq(const std::string& path, const std::string& data,
                             int32_t version = -1) {
  proto::Request r;
  r.mutable_set_data()->set_path(path);
  r.mutable_set_data()->set_data(data);
  r.mutable_set_data()->set_version(version);
  return r;
}

inline proto::Request DeleteReq(const std::string& path, int32_t version = -1) {
  proto::Request r;
  r.mutable_delete_()->set_path(path);
  r.mutable_delete_()->set_version(version);
  return r;
}

inline proto::Request ExistsReq(const std::string& path, bool watch = false) {
  proto::Request r;
  r.mutable_exists()->set_path(path);
  r.mutable_exists()->set_watch(watch);
  return r;
}

inline proto::Request ChildrenReq(const std::string& path, bool watch = false) {
  proto::Request r;
  r.mutable_get_children()->set_path(path);
  r.mutable_get_children()->set_watch(watch);
  return r;
}

}  // namespace zabkeeper::testing

#endif  // ZABKEEPER_TESTS_INTEGRATION_SERVER_RAW_SESSION_H_
