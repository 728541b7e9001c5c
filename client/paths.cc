#include "client/paths.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/errors.h"

namespace zk {

absl::Status ValidatePath(absl::string_view path, bool sequential) {
  auto bad = [&](absl::string_view why) {
    return ZkError(proto::BAD_ARGUMENTS, absl::StrCat("path \"", path, "\": ", why));
  };
  if (path.empty()) return bad("path must not be empty");
  if (path[0] != '/') return bad("path must start with / character");
  if (path.size() == 1)
    return sequential ? bad("cannot create sequential node at root") : absl::OkStatus();
  if (path.back() == '/' && !sequential) return bad("path must not end with / character");
  char last = '/';
  for (size_t i = 1; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '\0') return bad("null character not allowed");
    if (c == '/' && last == '/') return bad("empty node name specified");
    if (c == '.' && last == '.' && path[i - 2] == '/' &&
        (i + 1 == path.size() || path[i + 1] == '/')) {
      return bad("relative paths not allowed");
    }
    if (c == '.' && last == '/' && (i + 1 == path.size() || path[i + 1] == '/')) {
      return bad("relative paths not allowed");
    }
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u > 0x00 && u <= 0x1f) || (u >= 0x7f && u <= 0x9f)) {
      return bad("invalid control character");
    }
    last = c;
  }
  return absl::OkStatus();
}

std::string PrependChroot(absl::string_view chroot, absl::string_view path) {
  if (chroot.empty()) return std::string(path);
  if (path == "/") return std::string(chroot);
  return absl::StrCat(chroot, path);
}

std::string StripChroot(absl::string_view chroot, absl::string_view server_path) {
  if (chroot.empty()) return std::string(server_path);
  if (server_path == chroot) return "/";
  if (server_path.size() > chroot.size() && server_path.substr(0, chroot.size()) == chroot &&
      server_path[chroot.size()] == '/') {
    return std::string(server_path.substr(chroot.size()));
  }
  return std::string(server_path);
}

std::string ParentPath(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos || slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

absl::string_view NodeName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return path;
  return path.substr(slash + 1);
}

std::string JoinPath(absl::string_view parent, absl::string_view child) {
  if (parent == "/" || parent.empty()) return absl::StrCat("/", child);
  return absl::StrCat(parent, "/", child);
}

int64_t SequenceOf(absl::string_view name) {
  constexpr size_t kDigits = 10;
  if (name.size() < kDigits) return -1;
  absl::string_view digits = name.substr(name.size() - kDigits);
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return -1;
  }
  int64_t value = -1;
  if (!absl::SimpleAtoi(digits, &value)) return -1;
  return value;
}

}  // namespace zk
