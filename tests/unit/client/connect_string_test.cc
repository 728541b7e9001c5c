#include "client/connect_string.h"

#include "gtest/gtest.h"

namespace zk {
namespace {

TEST(ConnectString, Parse_SeveralServersAndChroot_SplitsThem) {
  auto cs = ParseConnectString("h1:1,h2:2, h3:3/app/x/");
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->servers, (std::vector<std::string>{"h1:1", "h2:2", "h3:3"}));
  EXPECT_EQ(cs->chroot, "/app/x");
}

TEST(ConnectString, Parse_NoPort_UsesDefault) {
  auto cs = ParseConnectString("localhost", 2281);
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->servers[0], "localhost:2281");
  EXPECT_EQ(cs->chroot, "");
}

TEST(ConnectString, Parse_RootChroot_IsNoChroot) {
  auto cs = ParseConnectString("h:1/");
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->chroot, "");
}

TEST(ConnectString, Parse_Ipv6_KeepsBrackets) {
  auto cs = ParseConnectString("[::1]:2281");
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->servers[0], "[::1]:2281");
}

TEST(ConnectString, Parse_Bad_IsRejected) {
  EXPECT_FALSE(ParseConnectString("").ok());
  EXPECT_FALSE(ParseConnectString("h:notaport").ok());
  EXPECT_FALSE(ParseConnectString("h:99999").ok());
  EXPECT_FALSE(ParseConnectString(":1").ok());
  EXPECT_FALSE(ParseConnectString("h:1/a//b").ok());
}

}  // namespace
}  // namespace zk
