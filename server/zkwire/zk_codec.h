// ZooKeeper's client protocol (3.8) to and from the node core's requests
// and responses (proto/zabkeeper/client.proto, whose numbering mirrors
// ZooKeeper's one to one: opcodes, error codes, create modes, event types).
//
// A frame is a 4-byte big-endian length and that many bytes. Requests are
// decoded from a frame's payload (the length already taken off); every
// Encode* function returns a whole frame, length included.
//
// Record layouts are zookeeper.jute's (Debian's libzookeeper-mt-dev ships
// the generated C, and tests/unit/zkwire checks against it).
#ifndef ZABKEEPER_SERVER_ZKWIRE_ZK_CODEC_H_
#define ZABKEEPER_SERVER_ZKWIRE_ZK_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zabkeeper/client.pb.h"

namespace zabkeeper::zkwire {

// Reserved xids (ZooKeeper's ClientCnxn).
inline constexpr int32_t kNotificationXid = -1;
inline constexpr int32_t kPingXid = -2;
inline constexpr int32_t kAuthXid = -4;
inline constexpr int32_t kSetWatchesXid = -8;

// ZooKeeper's default jute.maxbuffer: the largest frame either side accepts.
inline constexpr int32_t kDefaultMaxFrame = 1024 * 1024 - 1;

struct ConnectRequest {
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string password;
  bool has_read_only = false;  // 3.4+ clients send the byte; its reply then carries one
  bool read_only = false;
};

absl::StatusOr<ConnectRequest> DecodeConnect(absl::string_view payload);
// A refused handshake is a reply with timeout 0 and session 0, which clients
// read as "session expired".
std::string EncodeConnectResponse(const ConnectRequest& request, int32_t timeout_ms,
                                  int64_t session_id, absl::string_view password, bool read_only);

// What a reply must look like: the request's xid and opcode, and for a
// multi the type of each op (a create answers as create or create2, as asked).
struct RequestShape {
  int32_t xid = 0;
  int32_t op = 0;  // ZooKeeper's opcode (proto::OpCode numbers)
  std::vector<int32_t> multi_types;
  std::string path;  // sync: echoed in the reply
};

struct DecodedRequest {
  RequestShape shape;
  // The node core's request; no body for ops the front end answers itself
  // (reconfig, sasl).
  proto::Request request;
  std::string sasl_token;  // sasl: GetSASLRequest's token
};

// InvalidArgument, naming what was wrong, for a truncated or garbled record,
// trailing bytes, or an unknown opcode.
absl::StatusOr<DecodedRequest> DecodeRequest(absl::string_view payload);

// The reply to a request, shaped as ZooKeeper shapes it for its opcode
// (create and create2 differ; getChildren and getChildren2 too). Errors
// carry the header only, except multi and multiRead, whose header is OK and
// whose results carry the errors, as ZooKeeper's.
std::string EncodeReply(const RequestShape& shape, const proto::Response& response);
// A header-only reply: error `err` (or OK) for request `xid`.
std::string EncodeHeaderOnly(int32_t xid, int64_t zxid, int32_t err);
// The reply to a sasl request: the header (zxid 0, as ZooKeeper's) and
// SetSASLResponse's token, null when `token` is (a refusal).
std::string EncodeSaslReply(int32_t xid, int32_t err, const std::string* token);
// A watch event (xid -1).
std::string EncodeNotification(const proto::Response& event);

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_ZK_CODEC_H_
