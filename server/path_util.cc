#include "server/path_util.h"

#include "absl/strings/str_cat.h"
#include "server/errors.h"

namespace zabkeeper::server {
namespace {

absl::Status Bad(absl::string_view path, absl::string_view why) {
  return ZkError(proto::BAD_ARGUMENTS, absl::StrCat("Invalid path \"", path, "\": ", why));
}

// Decodes one UTF-8 code point at s[i], advancing i. Returns -1 when malformed.
int32_t NextCodePoint(absl::string_view s, size_t& i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  int32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return -1;
  }
  if (i + len > s.size()) return -1;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms are malformed (Java decodes them to U+FFFD, which is rejected).
  static constexpr int32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLen[len]) return -1;
  i += len;
  return cp;
}

// ZooKeeper checks UTF-16 code units; code points above U+FFFF are encoded as
// surrogates (U+D800..U+DFFF), which it rejects, so any 4-byte sequence is
// rejected too.
bool IsForbidden(int32_t cp) {
  return (cp > 0x0000 && cp <= 0x001F) || (cp >= 0x007F && cp <= 0x009F) ||
         (cp >= 0xD800 && cp <= 0xF8FF) || (cp >= 0xFFF0);
}

absl::Status Validate(absl::string_view path, bool allow_trailing_slash) {
  if (path.empty()) return Bad(path, "path length must be > 0");
  if (path[0] != '/') return Bad(path, "path must start with / character");
  if (path.size() == 1) return absl::OkStatus();
  if (path.back() == '/' && !allow_trailing_slash) {
    return Bad(path, "path must not end with / character");
  }
  size_t i = 1;
  size_t component_start = 1;
  while (i <= path.size()) {
    if (i == path.size() || path[i] == '/') {
      absl::string_view comp = path.substr(component_start, i - component_start);
      bool last = i == path.size();
      if (comp.empty() && !(last && allow_trailing_slash)) {
        return Bad(path, "empty node name specified");
      }
      if (comp == "." || comp == "..") {
        return Bad(path, "relative paths not allowed");
      }
      if (last) break;
      ++i;
      component_start = i;
      continue;
    }
    if (path[i] == '\0') return Bad(path, "null character not allowed");
    int32_t cp = NextCodePoint(path, i);
    if (cp < 0) return Bad(path, "invalid UTF-8");
    if (IsForbidden(cp)) return Bad(path, absl::StrCat("invalid character U+", absl::Hex(cp)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePath(absl::string_view path) { return Validate(path, false); }

// As ZooKeeper does: a sequential path is valid when it is valid with a digit
// appended, so "/s/" and "/." are fine ("/s/0000000003", "/.0000000001").
absl::Status ValidateSequentialPrefix(absl::string_view path) {
  return Validate(absl::StrCat(path, "1"), false);
}

absl::string_view ParentPath(absl::string_view path) {
  if (path.size() <= 1) return "";
  size_t slash = path.rfind('/');
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::string_view BaseName(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return path;
  return path.substr(slash + 1);
}

std::string JoinPath(absl::string_view parent, absl::string_view child) {
  if (parent == "/") return absl::StrCat("/", child);
  return absl::StrCat(parent, "/", child);
}

}  // namespace zabkeeper::server
