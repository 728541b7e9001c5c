// ZooKeeper's error vocabulary, shared by the server and the client.
//
// A ZooKeeper error travels as an absl::Status whose canonical code is a
// sensible mapping of the ZooKeeper code (NoNode -> NOT_FOUND, NodeExists ->
// ALREADY_EXISTS, ...) and which carries the exact proto::ErrorCode as a
// payload, so the code survives module boundaries and maps back exactly onto
// the wire. Names and messages are ZooKeeper's own:
//
//   CodeName(NOT_EMPTY)    == "NotEmpty"             (KeeperException.Code)
//   CodeMessage(NOT_EMPTY) == "Directory not empty"  (KeeperException text)
#ifndef ZABKEEPER_ERRORS_ZK_ERRORS_H_
#define ZABKEEPER_ERRORS_ZK_ERRORS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "zabkeeper/common.pb.h"

namespace zabkeeper::errors {

// ZooKeeper's CamelCase name of a code: "NoNode", "BadVersion"; "Error" for a
// value that is not a code.
absl::string_view CodeName(proto::ErrorCode code);

// The message Java's KeeperException prints for a code ("NoNode",
// "Directory not empty", "Session expired"); "Unknown" for a value that is
// not a code.
absl::string_view CodeMessage(proto::ErrorCode code);

// The canonical absl code a ZooKeeper code maps to.
absl::StatusCode CanonicalCodeOf(proto::ErrorCode code);

// A status for `code` with `message` as is, carrying the code; OK gives
// absl::OkStatus().
absl::Status MakeError(proto::ErrorCode code, absl::string_view message);

// The code a status made by MakeError carries; OK for an ok status; none for
// any other status.
std::optional<proto::ErrorCode> CarriedCode(const absl::Status& status);

}  // namespace zabkeeper::errors

#endif  // ZABKEEPER_ERRORS_ZK_ERRORS_H_
