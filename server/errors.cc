#include "server/errors.h"

namespace zabkeeper::server {

proto::ErrorCode ErrorCodeOf(const absl::Status& status) {
  if (std::optional<proto::ErrorCode> carried = errors::CarriedCode(status)) return *carried;
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

}  // namespace zabkeeper::server
