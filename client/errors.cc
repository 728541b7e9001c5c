#include "client/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace zk {
namespace {

constexpr absl::string_view kPayloadUrl = "type.zabkeeper/zk.ErrorCode";

}  // namespace

absl::string_view ErrorCodeName(proto::ErrorCode code) {
  switch (code) {
    case proto::OK:
      return "OK";
    case proto::SYSTEM_ERROR:
      return "SystemError";
    case proto::RUNTIME_INCONSISTENCY:
      return "RuntimeInconsistency";
    case proto::DATA_INCONSISTENCY:
      return "DataInconsistency";
    case proto::CONNECTION_LOSS:
      return "ConnectionLoss";
    case proto::MARSHALLING_ERROR:
      return "MarshallingError";
    case proto::UNIMPLEMENTED:
      return "Unimplemented";
    case proto::OPERATION_TIMEOUT:
      return "OperationTimeout";
    case proto::BAD_ARGUMENTS:
      return "BadArguments";
    case proto::UNKNOWN_SESSION:
      return "UnknownSession";
    case proto::NEW_CONFIG_NO_QUORUM:
      return "NewConfigNoQuorum";
    case proto::RECONFIG_IN_PROGRESS:
      return "ReconfigInProgress";
    case proto::API_ERROR:
      return "APIError";
    case proto::NO_NODE:
      return "NoNode";
    case proto::NO_AUTH:
      return "NoAuth";
    case proto::BAD_VERSION:
      return "BadVersion";
    case proto::NO_CHILDREN_FOR_EPHEMERALS:
      return "NoChildrenForEphemerals";
    case proto::NODE_EXISTS:
      return "NodeExists";
    case proto::NOT_EMPTY:
      return "Directory not empty";
    case proto::SESSION_EXPIRED:
      return "Session expired";
    case proto::INVALID_CALLBACK:
      return "Invalid callback";
    case proto::INVALID_ACL:
      return "InvalidACL";
    case proto::AUTH_FAILED:
      return "AuthFailed";
    case proto::SESSION_MOVED:
      return "Session moved";
    case proto::NOT_READ_ONLY:
      return "Not a read-only call";
    case proto::EPHEMERAL_ON_LOCAL_SESSION:
      return "Ephemeral node on local session";
    case proto::NO_WATCHER:
      return "No such watcher";
    case proto::REQUEST_TIMEOUT:
      return "Request timeout";
    case proto::RECONFIG_DISABLED:
      return "Reconfig is disabled";
    case proto::SESSION_CLOSED_REQUIRE_SASL_AUTH:
      return "Session closed because client failed to authenticate";
    case proto::QUOTA_EXCEEDED:
      return "Quota has exceeded";
    case proto::THROTTLED_OP:
      return "Op throttled due to high load";
    default:
      return "Unknown";
  }
}

absl::StatusCode CanonicalCodeOf(proto::ErrorCode code) {
  switch (code) {
    case proto::OK:
      return absl::StatusCode::kOk;
    case proto::NO_NODE:
    case proto::NO_WATCHER:
      return absl::StatusCode::kNotFound;
    case proto::NODE_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case proto::BAD_VERSION:
    case proto::NOT_EMPTY:
    case proto::NO_CHILDREN_FOR_EPHEMERALS:
    case proto::NOT_READ_ONLY:
    case proto::EPHEMERAL_ON_LOCAL_SESSION:
    case proto::RECONFIG_DISABLED:
      return absl::StatusCode::kFailedPrecondition;
    case proto::NO_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case proto::AUTH_FAILED:
    case proto::SESSION_CLOSED_REQUIRE_SASL_AUTH:
      return absl::StatusCode::kUnauthenticated;
    case proto::INVALID_ACL:
    case proto::BAD_ARGUMENTS:
    case proto::INVALID_CALLBACK:
    case proto::API_ERROR:
      return absl::StatusCode::kInvalidArgument;
    case proto::CONNECTION_LOSS:
      return absl::StatusCode::kUnavailable;
    case proto::SESSION_EXPIRED:
    case proto::SESSION_MOVED:
    case proto::UNKNOWN_SESSION:
    case proto::RUNTIME_INCONSISTENCY:
    case proto::RECONFIG_IN_PROGRESS:
      return absl::StatusCode::kAborted;
    case proto::OPERATION_TIMEOUT:
    case proto::REQUEST_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case proto::UNIMPLEMENTED:
      return absl::StatusCode::kUnimplemented;
    case proto::QUOTA_EXCEEDED:
    case proto::THROTTLED_OP:
      return absl::StatusCode::kResourceExhausted;
    case proto::DATA_INCONSISTENCY:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status ZkError(proto::ErrorCode code, absl::string_view detail) {
  if (code == proto::OK) return absl::OkStatus();
  std::string message = absl::StrCat("KeeperErrorCode = ", ErrorCodeName(code));
  if (!detail.empty()) absl::StrAppend(&message, " for ", detail);
  absl::Status status(CanonicalCodeOf(code), message);
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(static_cast<int>(code))));
  return status;
}

proto::ErrorCode ErrorCodeOf(const absl::Status& status) {
  if (status.ok()) return proto::OK;
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  int value = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &value) ||
      !proto::ErrorCode_IsValid(value)) {
    return proto::SYSTEM_ERROR;
  }
  return static_cast<proto::ErrorCode>(value);
}

}  // namespace zk
