// ZkError / ErrorCodeOf: ZooKeeper codes survive the trip through absl::Status.
#include "server/errors.h"

#include "gtest/gtest.h"

namespace zabkeeper::server {
namespace {

TEST(Errors, ZkError_RoundTripsEveryCode) {
  const google::protobuf::EnumDescriptor* d = proto::ErrorCode_descriptor();
  for (int i = 0; i < d->value_count(); ++i) {
    auto code = static_cast<proto::ErrorCode>(d->value(i)->number());
    absl::Status s = ZkError(code, "why");
    if (code == proto::OK) {
      EXPECT_TRUE(s.ok());
    } else {
      EXPECT_FALSE(s.ok()) << d->value(i)->name();
      EXPECT_EQ(s.message(), "why");
    }
    EXPECT_EQ(ErrorCodeOf(s), code) << d->value(i)->name();
  }
}

TEST(Errors, ErrorCodeOf_PlainStatus_MapsByAbslCode) {
  EXPECT_EQ(ErrorCodeOf(absl::OkStatus()), proto::OK);
  EXPECT_EQ(ErrorCodeOf(absl::InvalidArgumentError("x")), proto::BAD_ARGUMENTS);
  EXPECT_EQ(ErrorCodeOf(absl::UnavailableError("x")), proto::CONNECTION_LOSS);
  EXPECT_EQ(ErrorCodeOf(absl::DeadlineExceededError("x")), proto::OPERATION_TIMEOUT);
  EXPECT_EQ(ErrorCodeOf(absl::UnimplementedError("x")), proto::UNIMPLEMENTED);
  EXPECT_EQ(ErrorCodeOf(absl::InternalError("x")), proto::SYSTEM_ERROR);
  EXPECT_EQ(ErrorCodeOf(absl::DataLossError("x")), proto::SYSTEM_ERROR);
}

TEST(Errors, ZkError_AbslCodeIsMeaningful) {
  EXPECT_EQ(ZkError(proto::NO_NODE, "").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ZkError(proto::NODE_EXISTS, "").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ZkError(proto::BAD_ARGUMENTS, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ZkError(proto::NO_AUTH, "").code(), absl::StatusCode::kPermissionDenied);
}

TEST(Errors, ErrorName_UsesZooKeeperNames) {
  EXPECT_EQ(ErrorName(proto::OK), "OK");
  EXPECT_EQ(ErrorName(proto::NO_NODE), "NoNode");
  EXPECT_EQ(ErrorName(proto::NODE_EXISTS), "NodeExists");
  EXPECT_EQ(ErrorName(proto::BAD_VERSION), "BadVersion");
  EXPECT_EQ(ErrorName(proto::NOT_EMPTY), "NotEmpty");
  EXPECT_EQ(ErrorName(proto::NO_CHILDREN_FOR_EPHEMERALS), "NoChildrenForEphemerals");
  EXPECT_EQ(ErrorName(proto::INVALID_ACL), "InvalidACL");
  EXPECT_EQ(ErrorName(proto::BAD_ARGUMENTS), "BadArguments");
  EXPECT_EQ(ErrorName(proto::RUNTIME_INCONSISTENCY), "RuntimeInconsistency");
}

}  // namespace
}  // namespace zabkeeper::server
