#include "errors/zk_errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace zabkeeper::errors {
namespace {

using absl::StatusCode;

// The payload a status carries its ZooKeeper code under (the decimal code).
constexpr absl::string_view kPayloadUrl = "type.zabkeeper/zk.ErrorCode";

struct CodeInfo {
  proto::ErrorCode code;
  absl::string_view name;     // KeeperException.Code, CamelCase
  absl::string_view message;  // KeeperException's message text
  StatusCode canonical;
};

// One row per code: every property of a code is read off the same row.
constexpr CodeInfo kCodes[] = {
    {proto::OK, "OK", "OK", StatusCode::kOk},
    {proto::SYSTEM_ERROR, "SystemError", "SystemError", StatusCode::kInternal},
    {proto::RUNTIME_INCONSISTENCY, "RuntimeInconsistency", "RuntimeInconsistency",
     StatusCode::kAborted},
    {proto::DATA_INCONSISTENCY, "DataInconsistency", "DataInconsistency", StatusCode::kDataLoss},
    {proto::CONNECTION_LOSS, "ConnectionLoss", "ConnectionLoss", StatusCode::kUnavailable},
    {proto::MARSHALLING_ERROR, "MarshallingError", "MarshallingError", StatusCode::kInternal},
    {proto::UNIMPLEMENTED, "Unimplemented", "Unimplemented", StatusCode::kUnimplemented},
    {proto::OPERATION_TIMEOUT, "OperationTimeout", "OperationTimeout",
     StatusCode::kDeadlineExceeded},
    {proto::BAD_ARGUMENTS, "BadArguments", "BadArguments", StatusCode::kInvalidArgument},
    {proto::UNKNOWN_SESSION, "UnknownSession", "UnknownSession", StatusCode::kAborted},
    {proto::NEW_CONFIG_NO_QUORUM, "NewConfigNoQuorum", "NewConfigNoQuorum", StatusCode::kInternal},
    {proto::RECONFIG_IN_PROGRESS, "ReconfigInProgress", "ReconfigInProgress", StatusCode::kAborted},
    {proto::API_ERROR, "APIError", "APIError", StatusCode::kInvalidArgument},
    {proto::NO_NODE, "NoNode", "NoNode", StatusCode::kNotFound},
    {proto::NO_AUTH, "NoAuth", "NoAuth", StatusCode::kPermissionDenied},
    {proto::BAD_VERSION, "BadVersion", "BadVersion", StatusCode::kFailedPrecondition},
    {proto::NO_CHILDREN_FOR_EPHEMERALS, "NoChildrenForEphemerals", "NoChildrenForEphemerals",
     StatusCode::kFailedPrecondition},
    {proto::NODE_EXISTS, "NodeExists", "NodeExists", StatusCode::kAlreadyExists},
    {proto::NOT_EMPTY, "NotEmpty", "Directory not empty", StatusCode::kFailedPrecondition},
    {proto::SESSION_EXPIRED, "SessionExpired", "Session expired", StatusCode::kAborted},
    {proto::INVALID_CALLBACK, "InvalidCallback", "Invalid callback", StatusCode::kInvalidArgument},
    {proto::INVALID_ACL, "InvalidACL", "InvalidACL", StatusCode::kInvalidArgument},
    {proto::AUTH_FAILED, "AuthFailed", "AuthFailed", StatusCode::kUnauthenticated},
    {proto::SESSION_MOVED, "SessionMoved", "Session moved", StatusCode::kAborted},
    {proto::NOT_READ_ONLY, "NotReadOnly", "Not a read-only call", StatusCode::kFailedPrecondition},
    {proto::EPHEMERAL_ON_LOCAL_SESSION, "EphemeralOnLocalSession",
     "Ephemeral node on local session", StatusCode::kFailedPrecondition},
    {proto::NO_WATCHER, "NoWatcher", "No such watcher", StatusCode::kNotFound},
    {proto::REQUEST_TIMEOUT, "RequestTimeout", "Request timeout", StatusCode::kDeadlineExceeded},
    {proto::RECONFIG_DISABLED, "ReconfigDisabled", "Reconfig is disabled",
     StatusCode::kFailedPrecondition},
    {proto::SESSION_CLOSED_REQUIRE_SASL_AUTH, "SessionClosedRequireAuth",
     "Session closed because client failed to authenticate", StatusCode::kUnauthenticated},
    {proto::QUOTA_EXCEEDED, "QuotaExceeded", "Quota has exceeded", StatusCode::kResourceExhausted},
    {proto::THROTTLED_OP, "Throttled", "Op throttled due to high load",
     StatusCode::kResourceExhausted},
};

const CodeInfo* Find(proto::ErrorCode code) {
  for (const CodeInfo& info : kCodes) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

}  // namespace

absl::string_view CodeName(proto::ErrorCode code) {
  const CodeInfo* info = Find(code);
  return info != nullptr ? info->name : "Error";
}

absl::string_view CodeMessage(proto::ErrorCode code) {
  const CodeInfo* info = Find(code);
  return info != nullptr ? info->message : "Unknown";
}

StatusCode CanonicalCodeOf(proto::ErrorCode code) {
  const CodeInfo* info = Find(code);
  return info != nullptr ? info->canonical : StatusCode::kInternal;
}

absl::Status MakeError(proto::ErrorCode code, absl::string_view message) {
  if (code == proto::OK) return absl::OkStatus();
  absl::Status status(CanonicalCodeOf(code), message);
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(static_cast<int>(code))));
  return status;
}

std::optional<proto::ErrorCode> CarriedCode(const absl::Status& status) {
  if (status.ok()) return proto::OK;
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  int value = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &value) ||
      !proto::ErrorCode_IsValid(value)) {
    return std::nullopt;
  }
  return static_cast<proto::ErrorCode>(value);
}

}  // namespace zabkeeper::errors
