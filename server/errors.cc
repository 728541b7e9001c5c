#include "server/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

namespace zabkeeper::server {
namespace {

constexpr char kPayloadUrl[] = "zabkeeper/error_code";

absl::StatusCode AbslCodeFor(proto::ErrorCode code) {
  switch (code) {
    case proto::OK:
      return absl::StatusCode::kOk;
    case proto::NO_NODE:
      return absl::StatusCode::kNotFound;
    case proto::NODE_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case proto::BAD_VERSION:
    case proto::NOT_EMPTY:
    case proto::NO_CHILDREN_FOR_EPHEMERALS:
      return absl::StatusCode::kFailedPrecondition;
    case proto::BAD_ARGUMENTS:
    case proto::INVALID_ACL:
      return absl::StatusCode::kInvalidArgument;
    case proto::NO_AUTH:
    case proto::AUTH_FAILED:
      return absl::StatusCode::kPermissionDenied;
    case proto::CONNECTION_LOSS:
    case proto::SESSION_MOVED:
      return absl::StatusCode::kUnavailable;
    case proto::SESSION_EXPIRED:
      return absl::StatusCode::kAborted;
    case proto::OPERATION_TIMEOUT:
    case proto::REQUEST_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case proto::UNIMPLEMENTED:
      return absl::StatusCode::kUnimplemented;
    case proto::QUOTA_EXCEEDED:
    case proto::THROTTLED_OP:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status ZkError(proto::ErrorCode code, absl::string_view message) {
  if (code == proto::OK) return absl::OkStatus();
  absl::Status status(AbslCodeFor(code), message);
  status.SetPayload(kPayloadUrl, absl::Cord(std::to_string(static_cast<int>(code))));
  return status;
}

proto::ErrorCode ErrorCodeOf(const absl::Status& status) {
  if (status.ok()) return proto::OK;
  if (auto payload = status.GetPayload(kPayloadUrl)) {
    int value = 0;
    if (absl::SimpleAtoi(std::string(*payload), &value) && proto::ErrorCode_IsValid(value)) {
      return static_cast<proto::ErrorCode>(value);
    }
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return proto::BAD_ARGUMENTS;
    case absl::StatusCode::kUnavailable:
      return proto::CONNECTION_LOSS;
    case absl::StatusCode::kDeadlineExceeded:
      return proto::OPERATION_TIMEOUT;
    case absl::StatusCode::kUnimplemented:
      return proto::UNIMPLEMENTED;
    default:
      return proto::SYSTEM_ERROR;
  }
}

absl::string_view ErrorName(proto::ErrorCode code) {
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
      return "NotEmpty";
    case proto::SESSION_EXPIRED:
      return "SessionExpired";
    case proto::INVALID_CALLBACK:
      return "InvalidCallback";
    case proto::INVALID_ACL:
      return "InvalidACL";
    case proto::AUTH_FAILED:
      return "AuthFailed";
    case proto::SESSION_MOVED:
      return "SessionMoved";
    case proto::NOT_READ_ONLY:
      return "NotReadOnly";
    case proto::NO_WATCHER:
      return "NoWatcher";
    case proto::REQUEST_TIMEOUT:
      return "RequestTimeout";
    case proto::QUOTA_EXCEEDED:
      return "QuotaExceeded";
    case proto::THROTTLED_OP:
      return "Throttled";
    default:
      return "Error";
  }
}

}  // namespace zabkeeper::server
