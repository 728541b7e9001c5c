#include "client/types.h"

namespace zk {

absl::string_view SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kConnecting:
      return "CONNECTING";
    case SessionState::kConnected:
      return "CONNECTED";
    case SessionState::kSuspended:
      return "SUSPENDED";
    case SessionState::kLost:
      return "LOST";
    case SessionState::kClosed:
      return "CLOSED";
    case SessionState::kAuthFailed:
      return "AUTH_FAILED";
  }
  return "UNKNOWN";
}

namespace {
Acl MakeAcl(int perms, std::string scheme, std::string id) {
  Acl acl;
  acl.set_perms(perms);
  acl.mutable_id()->set_scheme(std::move(scheme));
  acl.mutable_id()->set_id(std::move(id));
  return acl;
}
}  // namespace

std::vector<Acl> OpenAclUnsafe() { return {MakeAcl(kPermAll, "world", "anyone")}; }
std::vector<Acl> ReadAclUnsafe() { return {MakeAcl(kPermRead, "world", "anyone")}; }
std::vector<Acl> CreatorAllAcl() { return {MakeAcl(kPermAll, "auth", "")}; }

}  // namespace zk
