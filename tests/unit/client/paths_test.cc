#include "client/paths.h"

#include "gtest/gtest.h"

namespace zk {
namespace {

TEST(Paths, ValidatePath_GoodPaths_AreAccepted) {
  EXPECT_TRUE(ValidatePath("/").ok());
  EXPECT_TRUE(ValidatePath("/a/b-c_d.e").ok());
  EXPECT_TRUE(ValidatePath("/a/", /*sequential=*/true).ok());
}

TEST(Paths, ValidatePath_BadPaths_AreRejected) {
  EXPECT_FALSE(ValidatePath("").ok());
  EXPECT_FALSE(ValidatePath("a").ok());
  EXPECT_FALSE(ValidatePath("/a/").ok());
  EXPECT_FALSE(ValidatePath("/a//b").ok());
  EXPECT_FALSE(ValidatePath("/a/./b").ok());
  EXPECT_FALSE(ValidatePath("/a/../b").ok());
  EXPECT_FALSE(ValidatePath("/a/..").ok());
  EXPECT_FALSE(ValidatePath(std::string("/a\0b", 4)).ok());
  EXPECT_FALSE(ValidatePath("/a\x01").ok());
}

TEST(Paths, Chroot_PrependAndStrip_AreInverse) {
  EXPECT_EQ(PrependChroot("/app", "/x"), "/app/x");
  EXPECT_EQ(PrependChroot("/app", "/"), "/app");
  EXPECT_EQ(PrependChroot("", "/x"), "/x");
  EXPECT_EQ(StripChroot("/app", "/app/x"), "/x");
  EXPECT_EQ(StripChroot("/app", "/app"), "/");
  EXPECT_EQ(StripChroot("/app", "/apple"), "/apple");
}

TEST(Paths, ParentNameJoin_Work) {
  EXPECT_EQ(ParentPath("/a/b"), "/a");
  EXPECT_EQ(ParentPath("/a"), "/");
  EXPECT_EQ(NodeName("/a/b"), "b");
  EXPECT_EQ(JoinPath("/", "b"), "/b");
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
}

TEST(Paths, SequenceOf_SequentialName_ReturnsNumber) {
  EXPECT_EQ(SequenceOf("lock-0000000042"), 42);
  EXPECT_EQ(SequenceOf("lock-"), -1);
  EXPECT_EQ(SequenceOf("lock-00000000x2"), -1);
}

}  // namespace
}  // namespace zk
