#include "client/errors.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace zk {

absl::Status ZkError(proto::ErrorCode code, absl::string_view detail) {
  if (code == proto::OK) return absl::OkStatus();
  // Java's KeeperException message: "KeeperErrorCode = NoNode for /a/b".
  std::string message = absl::StrCat("KeeperErrorCode = ", ErrorCodeName(code));
  if (!detail.empty()) absl::StrAppend(&message, " for ", detail);
  return ::zabkeeper::errors::MakeError(code, message);
}

proto::ErrorCode ErrorCodeOf(const absl::Status& status) {
  return ::zabkeeper::errors::CarriedCode(status).value_or(proto::SYSTEM_ERROR);
}

}  // namespace zk
