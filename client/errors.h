// ZooKeeper's error vocabulary on top of absl::Status.
//
// Every error the client library returns is an absl::Status whose canonical
// code is a sensible mapping of ZooKeeper's KeeperException.Code (NoNode ->
// NOT_FOUND, NodeExists -> ALREADY_EXISTS, ...) and which carries the exact
// ZooKeeper code as a payload, so callers that care can switch on it:
//
//   if (zk::ErrorCodeOf(status) == zk::proto::BAD_VERSION) { ...retry... }
//
// Messages read like ZooKeeper's: "KeeperErrorCode = NoNode for /a/b".
#ifndef ZABKEEPER_CLIENT_ERRORS_H_
#define ZABKEEPER_CLIENT_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "errors/zk_errors.h"
#include "zabkeeper/common.pb.h"

namespace zk {

namespace proto = ::zabkeeper::proto;

// Builds the status for a ZooKeeper error code; OK gives absl::OkStatus().
absl::Status ZkError(proto::ErrorCode code, absl::string_view detail = {});

// The ZooKeeper code of a status made by ZkError; OK for an ok status;
// SYSTEM_ERROR for a status that did not come from ZkError.
proto::ErrorCode ErrorCodeOf(const absl::Status& status);

// The text ZooKeeper's clients print for a code: "NoNode", "BadVersion",
// "Directory not empty", ... (KeeperException's messages).
inline absl::string_view ErrorCodeName(proto::ErrorCode code) {
  return ::zabkeeper::errors::CodeMessage(code);
}

// The canonical absl code a ZooKeeper code maps to.
using ::zabkeeper::errors::CanonicalCodeOf;

inline bool IsNoNode(const absl::Status& s) { return ErrorCodeOf(s) == proto::NO_NODE; }
inline bool IsNodeExists(const absl::Status& s) { return ErrorCodeOf(s) == proto::NODE_EXISTS; }
inline bool IsBadVersion(const absl::Status& s) { return ErrorCodeOf(s) == proto::BAD_VERSION; }
inline bool IsNotEmpty(const absl::Status& s) { return ErrorCodeOf(s) == proto::NOT_EMPTY; }
inline bool IsConnectionLoss(const absl::Status& s) {
  return ErrorCodeOf(s) == proto::CONNECTION_LOSS;
}
inline bool IsSessionExpired(const absl::Status& s) {
  return ErrorCodeOf(s) == proto::SESSION_EXPIRED;
}
// True for errors after which retrying the same call on the same session can
// succeed (the outcome of a write that failed this way is unknown).
inline bool IsRetryable(const absl::Status& s) {
  const proto::ErrorCode c = ErrorCodeOf(s);
  return c == proto::CONNECTION_LOSS || c == proto::OPERATION_TIMEOUT ||
         c == proto::REQUEST_TIMEOUT || c == proto::THROTTLED_OP;
}

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_ERRORS_H_
