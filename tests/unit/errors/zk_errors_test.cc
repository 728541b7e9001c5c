// The shared error vocabulary: every wire code has a name, a message and an
// absl code, and survives the trip through absl::Status.
#include "errors/zk_errors.h"

#include "gtest/gtest.h"

namespace zabkeeper::errors {
namespace {

template <typename Fn>
void ForEachCode(Fn fn) {
  const google::protobuf::EnumDescriptor* d = proto::ErrorCode_descriptor();
  for (int i = 0; i < d->value_count(); ++i) {
    fn(static_cast<proto::ErrorCode>(d->value(i)->number()), d->value(i)->name());
  }
}

TEST(ZkErrors, EveryCode_HasNameMessageAndCanonicalCode) {
  ForEachCode([](proto::ErrorCode code, const std::string& enum_name) {
    EXPECT_NE(CodeName(code), "Error") << enum_name;
    EXPECT_NE(CodeMessage(code), "Unknown") << enum_name;
    EXPECT_EQ(CanonicalCodeOf(code) == absl::StatusCode::kOk, code == proto::OK) << enum_name;
  });
}

TEST(ZkErrors, EveryCode_RoundTripsThroughStatus) {
  ForEachCode([](proto::ErrorCode code, const std::string& enum_name) {
    absl::Status s = MakeError(code, "why");
    EXPECT_EQ(s.ok(), code == proto::OK) << enum_name;
    if (!s.ok()) {
      EXPECT_EQ(s.message(), "why");
      EXPECT_EQ(s.code(), CanonicalCodeOf(code));
    }
    EXPECT_EQ(CarriedCode(s), code) << enum_name;
  });
}

TEST(ZkErrors, ForeignStatus_CarriesNoCode) {
  EXPECT_EQ(CarriedCode(absl::InternalError("x")), std::nullopt);
  absl::Status garbled = absl::NotFoundError("x");
  garbled.SetPayload("type.zabkeeper/zk.ErrorCode", absl::Cord("-9999"));
  EXPECT_EQ(CarriedCode(garbled), std::nullopt) << "not a valid code";
}

// The texts ZooKeeper 3.8's KeeperException prints (zkCli.sh shows them).
TEST(ZkErrors, Messages_AreZooKeepers) {
  EXPECT_EQ(CodeMessage(proto::NO_NODE), "NoNode");
  EXPECT_EQ(CodeMessage(proto::NODE_EXISTS), "NodeExists");
  EXPECT_EQ(CodeMessage(proto::BAD_VERSION), "BadVersion");
  EXPECT_EQ(CodeMessage(proto::NOT_EMPTY), "Directory not empty");
  EXPECT_EQ(CodeMessage(proto::SESSION_EXPIRED), "Session expired");
  EXPECT_EQ(CodeName(proto::NOT_EMPTY), "NotEmpty");
  EXPECT_EQ(CodeName(proto::SESSION_EXPIRED), "SessionExpired");
}

TEST(ZkErrors, UnknownValue_GetsFallbacks) {
  const auto bogus = static_cast<proto::ErrorCode>(-9999);
  EXPECT_EQ(CodeName(bogus), "Error");
  EXPECT_EQ(CodeMessage(bogus), "Unknown");
  EXPECT_EQ(CanonicalCodeOf(bogus), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace zabkeeper::errors
