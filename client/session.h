// The session layer under ZkClient: owns the connection to one server at a
// time, the request queues and the watch table.
//
// Guarantees
// - Requests leave in the order Submit() was called (xids increase) and their
//   completions run in that order; replies are matched FIFO.
// - Queued requests are packed into one ClientMessage (up to max_batch) per
//   stream write; at most one write is in flight.
// - On a broken stream (server gone, or nothing heard for 2/3 of the
//   negotiated timeout) in-flight requests fail with ConnectionLoss, the state
//   becomes kSuspended and the session is reattached on the next server
//   (random order) with its id, password and last zxid seen; watches are
//   re-registered with SetWatches(relative_zxid = last zxid) and auth is
//   replayed before any queued request. Requests submitted while suspended
//   wait for the reattach.
// - If the server reports the session expired, or the negotiated timeout
//   passes without contact, the state becomes kLost: everything pending fails
//   with SessionExpired and every watcher gets a NONE event (state kLost).
// - Callbacks run on one CallbackQueue thread, never under mu_.
#ifndef ZABKEEPER_CLIENT_SESSION_H_
#define ZABKEEPER_CLIENT_SESSION_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/callback_queue.h"
#include "client/client_stream.h"
#include "client/connect_string.h"
#include "client/types.h"
#include "client/watch_manager.h"
#include "grpcpp/security/credentials.h"
#include "zabkeeper/client.pb.h"

namespace zk {

// A watch to register when the reply of its request arrives.
struct WatchRegistration {
  WatchKind kind = WatchKind::kData;
  std::string path;  // server path
  Watcher watcher;
};

class Session : public StreamOwner {
 public:
  using Done = std::function<void(const proto::Response&)>;

  Session(ClientOptions options, ConnectString servers,
          std::shared_ptr<grpc::ChannelCredentials> credentials);
  ~Session() override;  // stops without closing: the session expires later

  void Start();

  // Queues `request` (xid assigned here). `done` runs on the callback thread
  // with the reply, or with a synthesized error reply (err set).
  void Submit(proto::Request request, Done done,
              std::optional<WatchRegistration> watch = std::nullopt);

  // Sends closeSession (if connected) and waits for its reply up to `timeout`,
  // then ends the stream. Idempotent.
  absl::Status Close(absl::Duration timeout);

  // Blocks until connected or terminal or timeout; OK iff connected.
  absl::Status WaitConnected(absl::Duration timeout);

  SessionState state() const;
  int64_t session_id() const;
  std::string password() const;
  absl::Duration negotiated_timeout() const;
  std::string current_server() const;
  int64_t last_zxid() const;
  const std::string& chroot() const { return servers_.chroot; }
  CallbackQueue& callbacks() { return callbacks_; }

  // Credentials replayed on every reattach.
  void RememberAuth(const std::string& scheme, const std::string& auth);

  // Client-side watch table operations (server path).
  size_t RemoveLocalWatches(const std::string& path, proto::WatcherType type);
  bool HasLocalWatch(const std::string& path, proto::WatcherType type) const;
  void AddWatch(WatchKind kind, const std::string& path, Watcher watcher);

  // Listener called on the callback thread for each state change.
  int AddStateListener(std::function<void(SessionState)> listener);
  void RemoveStateListener(int id);

  // StreamOwner (the stream's thread).
  void OnMessage(uint64_t generation, const proto::ServerMessage& msg) override;
  void OnWriteDone(uint64_t generation, bool ok) override;
  void OnReadFailed(uint64_t generation) override;
  void OnStreamDone(uint64_t generation, const grpc::Status& status) override;

 private:
  struct Pending {
    int64_t xid = 0;
    proto::Request::BodyCase body = proto::Request::BODY_NOT_SET;
    bool internal = false;   // made by the session (ping, replayed auth/watches)
    proto::Request request;  // moved into the write buffer when sent
    Done done;
    std::optional<WatchRegistration> watch;
  };

  void ConnectorLoop();
  // One connect attempt plus, if it succeeds, the connected period. Returns
  // when the stream is over.
  void RunConnection(std::unique_lock<std::mutex>& lock, const std::string& server);
  void HandleConnectReply(const proto::Response& resp);
  void HandleReply(const proto::Response& resp);
  void Flush();
  void SetStateLocked(SessionState state);
  // Fails in-flight requests (ConnectionLoss) after a broken stream.
  void FailInFlightLocked(proto::ErrorCode code, absl::string_view why);
  // Terminal: fails everything, fires every watcher with `state`.
  void EndSessionLocked(SessionState state, proto::ErrorCode code, absl::string_view why);
  void PostError(Done done, proto::ErrorCode code, std::string detail);
  bool Terminal() const { return state_ == SessionState::kLost || state_ == SessionState::kClosed; }

  const ClientOptions options_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;  // insecure or TLS
  const ConnectString servers_;
  CallbackQueue callbacks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  SessionState state_ = SessionState::kConnecting;
  bool stopping_ = false;  // connector must end
  int64_t session_id_ = 0;
  std::string password_;
  absl::Duration negotiated_timeout_;
  int64_t last_zxid_ = 0;
  int64_t next_xid_ = 1;
  std::string current_server_;
  std::vector<std::pair<std::string, std::string>> auth_infos_;
  WatchManager watches_;
  std::deque<Pending> outgoing_;   // not yet written
  std::deque<Pending> in_flight_;  // written, awaiting reply (FIFO)

  // Current stream.
  uint64_t generation_ = 0;
  std::shared_ptr<ClientStream> stream_;
  bool handshake_done_ = false;  // connect reply OK on this stream
  bool stream_broken_ = false;
  bool stream_done_ = false;
  bool write_in_flight_ = false;
  bool write_starting_ = false;  // Flush is calling Write() outside mu_
  bool close_replied_ = false;
  proto::ClientMessage write_buffer_;
  absl::Time last_recv_;
  absl::Time last_send_;

  int next_listener_id_ = 1;
  std::vector<std::pair<int, std::function<void(SessionState)>>> listeners_;
  std::mt19937_64 rng_;
  std::thread connector_;
};

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_SESSION_H_
