// The server's view of ZooKeeper's error vocabulary (errors/zk_errors.h): a
// status built here carries the proto::ErrorCode as a payload, so the code
// survives module boundaries and maps back exactly onto the wire.
#ifndef ZABKEEPER_SERVER_ERRORS_H_
#define ZABKEEPER_SERVER_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "errors/zk_errors.h"
#include "zabkeeper/common.pb.h"

namespace zabkeeper::server {

// A status for `code` whose message is `message` as is.
inline absl::Status ZkError(proto::ErrorCode code, absl::string_view message) {
  return errors::MakeError(code, message);
}

// OK for an OK status; the carried code if there is one; otherwise a code
// derived from the absl code (SYSTEM_ERROR for internal failures), so a
// storage or library failure still answers the client with a ZooKeeper code.
proto::ErrorCode ErrorCodeOf(const absl::Status& status);

// ZooKeeper's name for a code, e.g. "NoNode".
inline absl::string_view ErrorName(proto::ErrorCode code) { return errors::CodeName(code); }

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_ERRORS_H_
