#include "client/connect_string.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/errors.h"
#include "client/paths.h"

namespace zk {

absl::StatusOr<ConnectString> ParseConnectString(absl::string_view text, int default_port) {
  ConnectString result;
  absl::string_view hosts = absl::StripAsciiWhitespace(text);
  const size_t slash = hosts.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view chroot = hosts.substr(slash);
    hosts = hosts.substr(0, slash);
    while (chroot.size() > 1 && chroot.back() == '/') chroot.remove_suffix(1);
    if (chroot != "/") {
      if (absl::Status s = ValidatePath(chroot); !s.ok()) return s;
      result.chroot = std::string(chroot);
    }
  }
  for (absl::string_view part : absl::StrSplit(hosts, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    absl::string_view host = part;
    int port = default_port;
    // [v6addr]:port, host:port or host.
    const size_t colon = part.rfind(':');
    const bool bracketed = !part.empty() && part[0] == '[';
    if (colon != absl::string_view::npos && (!bracketed || part.find(']') < colon)) {
      host = part.substr(0, colon);
      if (!absl::SimpleAtoi(part.substr(colon + 1), &port) || port <= 0 || port > 65535) {
        return ZkError(proto::BAD_ARGUMENTS,
                       absl::StrCat("connect string: bad port in \"", part, "\""));
      }
    }
    if (host.empty()) {
      return ZkError(proto::BAD_ARGUMENTS,
                     absl::StrCat("connect string: empty host in \"", text, "\""));
    }
    result.servers.push_back(absl::StrCat(host, ":", port));
  }
  if (result.servers.empty()) {
    return ZkError(proto::BAD_ARGUMENTS,
                   absl::StrCat("connect string: no servers in \"", text, "\""));
  }
  return result;
}

}  // namespace zk
