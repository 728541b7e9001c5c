// Parses ZooKeeper connect strings: "host:port,host:port[/chroot]".
#ifndef ZABKEEPER_CLIENT_CONNECT_STRING_H_
#define ZABKEEPER_CLIENT_CONNECT_STRING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zk {

struct ConnectString {
  std::vector<std::string> servers;  // "host:port", in the order given
  std::string chroot;                // "" or "/a/b" (never a trailing '/')
};

// A server without a port gets `default_port`. A chroot of "/" means none.
absl::StatusOr<ConnectString> ParseConnectString(absl::string_view text, int default_port = 2281);

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_CONNECT_STRING_H_
