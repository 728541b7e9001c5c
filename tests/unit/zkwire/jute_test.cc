// JuteReader / JuteWriter: what goes in comes out, and bad records stop the
// reader with a reason instead of reading past the end.
#include "server/zkwire/jute.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zabkeeper::zkwire {
namespace {

TEST(Jute, RoundTripsEveryFieldKindBigEndian) {
  JuteWriter w;
  w.Int(-2);
  w.Long(0x0102030405060708);
  w.Bool(true);
  w.Buffer(std::string("a\0b", 3));
  w.NullBuffer();
  w.StringVector({"x", "", "yz"});
  EXPECT_EQ(w.data().substr(0, 4), std::string("\xff\xff\xff\xfe", 4));
  EXPECT_EQ(w.data().substr(4, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));

  JuteReader r(w.data());
  int32_t i = 0;
  int64_t l = 0;
  bool b = false, null = false;
  std::string buf, nul;
  std::vector<std::string> v;
  ASSERT_TRUE(r.Int(i, "i") && r.Long(l, "l") && r.Bool(b, "b") && r.Buffer(buf, "buf") &&
              r.Buffer(nul, "nul", &null) && r.StringVector(v, "v"));
  EXPECT_EQ(i, -2);
  EXPECT_EQ(l, 0x0102030405060708);
  EXPECT_TRUE(b);
  EXPECT_EQ(buf, std::string("a\0b", 3));
  EXPECT_TRUE(null);
  EXPECT_EQ(nul, "");
  EXPECT_EQ(v, (std::vector<std::string>{"x", "", "yz"}));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.ok());
}

TEST(Jute, TruncatedFieldFailsWithWhereAndKeepsFailing) {
  JuteWriter w;
  w.Int(5);
  JuteReader r(w.data().substr(0, 3));
  int32_t i = 0;
  EXPECT_FALSE(r.Int(i, "count"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "count: needs 4 bytes at offset 0, only 3 left");
  int64_t l = 0;
  EXPECT_FALSE(r.Long(l, "next"));
  EXPECT_EQ(r.error(), "count: needs 4 bytes at offset 0, only 3 left");  // the first reason stays
}

TEST(Jute, LengthPastTheEndOrNegativeIsRejected) {
  JuteWriter past;
  past.Int(100);
  past.Int(0);
  std::string s;
  JuteReader r1(past.data());
  EXPECT_FALSE(r1.Buffer(s, "data"));
  EXPECT_NE(r1.error().find("needs 100 bytes"), std::string::npos) << r1.error();

  JuteWriter negative;
  negative.Int(-7);
  JuteReader r2(negative.data());
  EXPECT_FALSE(r2.Buffer(s, "data"));
  EXPECT_EQ(r2.error(), "data: length -7 at offset 0");
}

TEST(Jute, VectorCountTheRecordCannotHoldIsRejectedBeforeAllocating) {
  JuteWriter w;
  w.Int(0x7fffffff);  // two billion strings in 4 bytes
  w.Int(0);
  std::vector<std::string> v;
  JuteReader r(w.data());
  EXPECT_FALSE(r.StringVector(v, "children"));
  EXPECT_EQ(r.error(), "children: count 2147483647 with 4 bytes left");
  EXPECT_TRUE(v.empty());
}

}  // namespace
}  // namespace zabkeeper::zkwire
