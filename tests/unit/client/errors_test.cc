#include "client/errors.h"

#include "gtest/gtest.h"

namespace zk {
namespace {

TEST(Errors, ZkError_NoNode_MapsToNotFoundAndKeepsCode) {
  absl::Status s = ZkError(proto::NO_NODE, "/a");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorCodeOf(s), proto::NO_NODE);
  EXPECT_EQ(s.message(), "KeeperErrorCode = NoNode for /a");
  EXPECT_TRUE(IsNoNode(s));
}

TEST(Errors, ZkError_Ok_IsOkStatus) {
  EXPECT_TRUE(ZkError(proto::OK).ok());
  EXPECT_EQ(ErrorCodeOf(absl::OkStatus()), proto::OK);
}

TEST(Errors, ErrorCodeOf_ForeignStatus_IsSystemError) {
  EXPECT_EQ(ErrorCodeOf(absl::InternalError("x")), proto::SYSTEM_ERROR);
}

TEST(Errors, CanonicalCodes_CommonCodes_MapSensibly) {
  EXPECT_EQ(ZkError(proto::NODE_EXISTS).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ZkError(proto::BAD_VERSION).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ZkError(proto::CONNECTION_LOSS).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ZkError(proto::SESSION_EXPIRED).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ZkError(proto::NO_AUTH).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ZkError(proto::UNIMPLEMENTED).code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(IsRetryable(ZkError(proto::CONNECTION_LOSS)));
  EXPECT_FALSE(IsRetryable(ZkError(proto::NO_NODE)));
}

TEST(Errors, EveryCode_RoundTripsThroughStatus) {
  const google::protobuf::EnumDescriptor* d = proto::ErrorCode_descriptor();
  for (int i = 0; i < d->value_count(); ++i) {
    const auto code = static_cast<proto::ErrorCode>(d->value(i)->number());
    if (code == proto::OK) continue;
    EXPECT_EQ(ErrorCodeOf(ZkError(code)), code) << d->value(i)->name();
    EXPECT_NE(ErrorCodeName(code), "Unknown") << d->value(i)->name();
  }
}

}  // namespace
}  // namespace zk
