// Text formats of the zkcli shell, as zkCli.sh prints and parses them:
// Stat blocks, ACL strings ("world:anyone:cdrwa,digest:u:hash:r"), watch
// events, and command-line tokenising with quotes.
#ifndef ZABKEEPER_CLIENT_SHELL_SHELL_FORMAT_H_
#define ZABKEEPER_CLIENT_SHELL_SHELL_FORMAT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/types.h"

namespace zk::shell {

// Splits on whitespace; '...' and "..." group words (quotes removed, \" and
// \\ escapes inside double quotes).
absl::StatusOr<std::vector<std::string>> Tokenize(const std::string& line);

std::string FormatStat(const Stat& stat);
std::string FormatZxid(int64_t zxid);  // 0x...
std::string FormatPerms(int perms);    // "cdrwa" subset
std::string FormatAcl(const std::vector<Acl>& acl);
absl::StatusOr<std::vector<Acl>> ParseAcl(const std::string& text);
std::string FormatEvent(const WatchedEvent& event);
std::string EventTypeName(EventType type);

}  // namespace zk::shell

#endif  // ZABKEEPER_CLIENT_SHELL_SHELL_FORMAT_H_
