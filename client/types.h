// Value types of the client API: session states, watch events, results and
// options. Wire messages (Stat, Acl, CreateMode, ...) are the proto types
// themselves so that nothing is copied field by field.
#ifndef ZABKEEPER_CLIENT_TYPES_H_
#define ZABKEEPER_CLIENT_TYPES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "zabkeeper/client.pb.h"
#include "zabkeeper/common.pb.h"

namespace zk {

namespace proto = ::zabkeeper::proto;

using Stat = proto::Stat;
using Acl = proto::Acl;
using CreateMode = proto::CreateMode;
using EventType = proto::EventType;

// What a session listener observes. Terminal states: kLost, kClosed.
enum class SessionState {
  kConnecting,  // first connection not yet established
  kConnected,   // a server serves this session
  kSuspended,   // disconnected; the session may still be alive, reattaching
  kLost,        // the session expired (server said so, or the session timeout
                // passed while disconnected); ephemerals are or will be gone
  kClosed,      // Close() was called
  kAuthFailed,  // an addauth credential was rejected (connection stays up)
};

absl::string_view SessionStateName(SessionState state);

// A watch notification. For a session event type is NONE and path is empty.
struct WatchedEvent {
  EventType type = proto::NONE;
  SessionState state = SessionState::kConnected;
  std::string path;  // relative to the chroot
  int64_t zxid = 0;
};

// Watchers are one-shot (except persistent ones) and run on the client's
// callback thread, in the order the server sent the events.
using Watcher = std::function<void(const WatchedEvent&)>;

template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;
using StatusCallback = std::function<void(absl::Status)>;

struct CreateOptions {
  CreateMode mode = proto::PERSISTENT;
  std::vector<Acl> acl;  // empty: world:anyone with all permissions
  int64_t ttl_ms = 0;    // only for *_WITH_TTL modes

  // CreateOptions::Mode(proto::EPHEMERAL_SEQUENTIAL) etc. (designated
  // initializers trip -Wmissing-field-initializers).
  static CreateOptions Mode(CreateMode mode, int64_t ttl_ms = 0) {
    CreateOptions o;
    o.mode = mode;
    o.ttl_ms = ttl_ms;
    return o;
  }
};

struct CreateResult {
  std::string path;  // actual path (with sequence suffix), relative to the chroot
  Stat stat;
};

struct DataResult {
  std::string data;
  Stat stat;
};

struct ChildrenResult {
  std::vector<std::string> children;  // names, sorted
  Stat stat;                          // the parent's stat
};

struct AclResult {
  std::vector<Acl> acl;
  Stat stat;
};

// One result of a multi: err is OK on success; on failure of the multi every
// op carries a code (the failing op its own, others OK/RuntimeInconsistency).
struct OpResult {
  proto::ErrorCode err = proto::OK;
  std::string path;  // create: the created path
  Stat stat;         // create, setData
};

struct ReadResult {
  proto::ErrorCode err = proto::OK;
  std::optional<DataResult> data;
  std::optional<ChildrenResult> children;
};

// ZooKeeper's standard ACLs.
std::vector<Acl> OpenAclUnsafe();  // world:anyone, all permissions
std::vector<Acl> ReadAclUnsafe();  // world:anyone, read
std::vector<Acl> CreatorAllAcl();  // auth:, all permissions
constexpr int kPermRead = 1, kPermWrite = 2, kPermCreate = 4, kPermDelete = 8, kPermAdmin = 16,
              kPermAll = 31;

struct ClientOptions {
  // "host:port,host:port[/chroot]"; servers are tried in random order.
  std::string connect_string;
  // Requested; the server negotiates within its min/max.
  absl::Duration session_timeout = absl::Seconds(10);
  // Reattach an existing session (e.g. after a process restart); 0 = new.
  int64_t session_id = 0;
  std::string session_password;
  bool read_only = false;
  // TLS (the servers' secureClientPort): with tls_ca_file set, every server
  // is reached over TLS and must present a certificate signed by that CA
  // for the host in the connect string. tls_cert_file + tls_key_file: this
  // client's own certificate (servers with ssl.clientAuth=want|need).
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Called on the callback thread for every session state change.
  std::function<void(SessionState)> state_listener;
  // Upper bound on requests packed into one stream message.
  int max_batch = 256;
};

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_TYPES_H_
