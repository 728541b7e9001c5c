// Path validation with ZooKeeper's rules (PathUtils.validatePath), observed
// against 3.8 (docs/ZOOKEEPER_OBSERVED.md §1b/§1c), and the path helpers.
#include "server/path_util.h"

#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/errors.h"

namespace zabkeeper::server {
namespace {

struct PathCase {
  std::string name;
  std::string path;
  bool valid;
};

// Readable test parameter in gtest output.
void PrintTo(const PathCase& c, std::ostream* os) { *os << c.name; }

std::vector<PathCase> PathCases() {
  return {
      {"Root", "/", true},
      {"Simple", "/a", true},
      {"Nested", "/a/b/c", true},
      {"DotInside", "/a.b", true},
      {"LeadingDot", "/.a", true},
      {"ThreeDots", "/...", true},
      {"TrailingDots", "/a..", true},
      {"Space", "/a b", true},
      {"Zookeeper", "/zookeeper/x", true},
      {"U00A0", "/x\xC2\xA0", true},
      {"U0100", "/x\xC4\x80", true},
      {"Euro", "/x\xE2\x82\xAC", true},
      {"UF900", "/x\xEF\xA4\x80", true},
      {"UFFEF", "/x\xEF\xBF\xAF", true},
      {"Empty", "", false},
      {"Relative", "a", false},
      {"TrailingSlash", "/a/", false},
      {"DoubleSlash", "//a", false},
      {"InnerDoubleSlash", "/a//b", false},
      {"Dot", "/.", false},
      {"DotDot", "/..", false},
      {"TrailingDot", "/a/.", false},
      {"TrailingDotDot", "/a/..", false},
      {"InnerDot", "/a/./b", false},
      {"LeadingDotComponent", "/./a", false},
      {"Nul", std::string("/a\0b", 4), false},
      {"TrailingNul", std::string("/a\0", 3), false},
      {"U0001", "/x\x01", false},
      {"U001E", "/x\x1E", false},
      {"U001F", "/x\x1F", false},
      {"Tab", "/x\ty", false},
      {"Newline", "/x\ny", false},
      {"U007F", "/x\x7F", false},
      {"U0080", "/x\xC2\x80", false},
      {"U009F", "/x\xC2\x9F", false},
      {"UD800", "/x\xED\xA0\x80", false},
      {"UE000", "/x\xEE\x80\x80", false},
      {"UF8FF", "/x\xEF\xA3\xBF", false},
      {"UFFF0", "/x\xEF\xBF\xB0", false},
      {"UFFFF", "/x\xEF\xBF\xBF", false},
      {"Supplementary", "/x\xF0\x9F\x98\x80", false},  // UTF-16 surrogates in Java
      {"InvalidByteFF", "/x\xFF", false},
      {"LoneContinuation", "/x\x80", false},
      {"TruncatedTwoByte", "/x\xC2", false},
      {"TruncatedThreeByte", "/x\xE2\x82", false},
      // Java decodes malformed UTF-8 (overlong forms included) to U+FFFD,
      // which ZooKeeper rejects.
      {"OverlongNul", "/x\xC0\x80", false},
      {"OverlongSlash", "/x\xC0\xAF", false},
      {"OverlongA", "/x\xC1\x81", false},
      {"OverlongThreeByte", "/x\xE0\x81\x81", false},
  };
}

class ValidatePathTable : public ::testing::TestWithParam<PathCase> {};

TEST_P(ValidatePathTable, ValidatePath_AcceptsOrRejectsWithBadArguments) {
  const PathCase& c = GetParam();
  absl::Status s = ValidatePath(c.path);
  if (c.valid) {
    EXPECT_TRUE(s.ok()) << s;
  } else {
    EXPECT_EQ(ErrorCodeOf(s), proto::BAD_ARGUMENTS) << s;
    EXPECT_FALSE(s.message().empty());
  }
}

INSTANTIATE_TEST_SUITE_P(PathUtil, ValidatePathTable, ::testing::ValuesIn(PathCases()),
                         [](const ::testing::TestParamInfo<PathCase>& info) {
                           return info.param.name;
                         });

struct SeqCase {
  std::string path;
  bool valid;
};

// Readable test parameter in gtest output.
void PrintTo(const SeqCase& c, std::ostream* os) { *os << c.path; }

class SequentialPrefixTable : public ::testing::TestWithParam<SeqCase> {};

TEST_P(SequentialPrefixTable, ValidateSequentialPrefix_MatchesZooKeeper) {
  const SeqCase& c = GetParam();
  absl::Status s = ValidateSequentialPrefix(c.path);
  EXPECT_EQ(s.ok(), c.valid) << c.path << ": " << s;
  if (!c.valid) {
    EXPECT_EQ(ErrorCodeOf(s), proto::BAD_ARGUMENTS);
  }
}

// Observed: sequential create may end in "/", "." or ".." (the suffix makes
// the final component valid); anything else invalid stays invalid.
INSTANTIATE_TEST_SUITE_P(PathUtil, SequentialPrefixTable,
                         ::testing::Values(SeqCase{"/", true}, SeqCase{"/s/", true},
                                           SeqCase{"/s/x-", true}, SeqCase{"/.", true},
                                           SeqCase{"/..", true}, SeqCase{"/s/.", true},
                                           SeqCase{"/s/..", true}, SeqCase{"", false},
                                           SeqCase{"s", false}, SeqCase{"//", false},
                                           SeqCase{"/s//", false}, SeqCase{"/a/./b", false},
                                           SeqCase{"/./a", false}, SeqCase{"/x\x01", false},
                                           SeqCase{std::string("/a\0", 3), false}));

TEST(PathUtil, ValidatePath_ReasonNamesThePath) {
  absl::Status s = ValidatePath("/a//b");
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("/a//b"));
}

TEST(PathUtil, ParentPath_ReturnsParent) {
  EXPECT_EQ(ParentPath("/a/b"), "/a");
  EXPECT_EQ(ParentPath("/a/b/c"), "/a/b");
  EXPECT_EQ(ParentPath("/a"), "/");
  EXPECT_EQ(ParentPath("/"), "");
  EXPECT_EQ(ParentPath("/s/"), "/s");
}

TEST(PathUtil, BaseName_ReturnsLastComponent) {
  EXPECT_EQ(BaseName("/a/b"), "b");
  EXPECT_EQ(BaseName("/a"), "a");
  EXPECT_EQ(BaseName("/"), "");
  EXPECT_EQ(BaseName("/a/b0000000001"), "b0000000001");
}

TEST(PathUtil, JoinPath_HandlesRoot) {
  EXPECT_EQ(JoinPath("/", "b"), "/b");
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/a/b", "c"), "/a/b/c");
}

TEST(PathUtil, JoinParentBase_RoundTrip) {
  for (const char* p : {"/a", "/a/b", "/a/b/c", "/zookeeper/quota"}) {
    EXPECT_EQ(JoinPath(ParentPath(p), BaseName(p)), p);
  }
}

}  // namespace
}  // namespace zabkeeper::server
