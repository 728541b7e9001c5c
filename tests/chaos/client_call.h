// Bounded client calls for zkchaos workers: every request is given up after a
// timeout (recorded as indeterminate by the caller), and a session lost to
// expiry is replaced by a new one, until the worker's deadline.
#ifndef ZABKEEPER_TESTS_CHAOS_CLIENT_CALL_H_
#define ZABKEEPER_TESTS_CHAOS_CLIENT_CALL_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "client/zk_client.h"
#include "tests/chaos/worker.h"

namespace zabkeeper::chaos {

// Starts an async call and waits for its result up to `timeout_ms`; nullopt
// when it did not complete in time (the callback may still run later: the
// promise is shared).
template <typename T, typename Start>
std::optional<absl::StatusOr<T>> CallWithin(int timeout_ms, Start&& start) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
  std::future<absl::StatusOr<T>> future = promise->get_future();
  start([promise](absl::StatusOr<T> v) { promise->set_value(std::move(v)); });
  if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
    return std::nullopt;
  }
  return future.get();
}

// absl::Status callbacks adapted to CallWithin (a bool payload).
template <typename Start>
std::optional<absl::StatusOr<bool>> StatusCallWithin(int timeout_ms, Start&& start) {
  return CallWithin<bool>(timeout_ms, [&](zk::Callback<bool> cb) {
    start([cb](absl::Status s) {
      if (s.ok()) {
        cb(true);
      } else {
        cb(s);
      }
    });
  });
}

// One session at a time; replaced when it is lost. Bounded by `deadline`.
class SessionHolder {
 public:
  // `on_reconnect`, if set, runs on the client's callback thread when a
  // session is reattached after a disconnection (in order with replies and
  // watch events).
  SessionHolder(std::string connect, int session_timeout_ms, Time deadline,
                std::function<void(SessionId)> on_reconnect = nullptr)
      : connect_(std::move(connect)),
        session_timeout_ms_(session_timeout_ms),
        deadline_(deadline),
        on_reconnect_(std::move(on_reconnect)) {}

  // A connected client, or null if none could be had before the deadline.
  zk::ZkClient* Get() {
    if (client_ != nullptr) {
      zk::SessionState s = client_->state();
      if (s != zk::SessionState::kLost && s != zk::SessionState::kClosed) return client_.get();
      Drop();
    }
    while (Now() < deadline_) {
      zk::ClientOptions options;
      options.connect_string = connect_;
      options.session_timeout = absl::Milliseconds(session_timeout_ms_);
      auto listened = std::make_shared<Listened>();
      if (on_reconnect_) {
        options.state_listener = [listened, cb = on_reconnect_](zk::SessionState s) {
          if (s == zk::SessionState::kSuspended) listened->suspended = true;
          if (s == zk::SessionState::kConnected && listened->suspended) {
            listened->suspended = false;
            cb(listened->session.load());
          }
        };
      }
      auto client = zk::ZkClient::Create(options);
      if (client.ok() && (*client)->WaitConnected(absl::Seconds(3)).ok()) {
        listened->session = (*client)->session_id();
        client_ = std::move(*client);
        return client_.get();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
  }

  // Forgets the current session without closing it (it expires later);
  // kept until exit because callbacks may still be pending.
  void Drop() {
    if (client_ != nullptr) retired_.push_back(std::move(client_));
  }

  void CloseAll() {
    if (client_ != nullptr) (void)client_->Close(absl::Seconds(1));
  }

 private:
  // What the state listener needs; shared because it outlives no client.
  struct Listened {
    std::atomic<SessionId> session{0};
    bool suspended = false;  // callback thread only
  };

  std::string connect_;
  int session_timeout_ms_;
  Time deadline_;
  std::function<void(SessionId)> on_reconnect_;
  std::unique_ptr<zk::ZkClient> client_;
  std::vector<std::unique_ptr<zk::ZkClient>> retired_;
};

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_CLIENT_CALL_H_
