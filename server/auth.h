// ZooKeeper's authentication schemes and ACL checks.
//
// A session's identities are ids like ip:127.0.0.1 (from its address),
// digest:user:base64(sha1(user:password)) (from addAuth), x509:<subject> (a
// TLS client certificate) and sasl:<user> (SASL on the ZooKeeper port). An
// ACL entry grants its perms to world:anyone, to an id the session holds, or
// to an ip (address or CIDR) the session comes from. A session holding the
// configured super digest, or super: (the SASL user named
// zookeeper.superUser, as in ZooKeeper), passes every check. "auth" entries
// in a create or setACL are replaced by the creator's authenticated ids
// (ZooKeeper's fixupACL).
#ifndef ZABKEEPER_SERVER_AUTH_H_
#define ZABKEEPER_SERVER_AUTH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "zabkeeper/common.pb.h"

namespace zabkeeper::server {

// ZooKeeper's ZooDefs.Perms.
enum Perm : int32_t {
  kPermRead = 1,
  kPermWrite = 2,
  kPermCreate = 4,
  kPermDelete = 8,
  kPermAdmin = 16,
};

// "user:password" -> "user:" + base64(sha1("user:password")), exactly as
// ZooKeeper's DigestAuthenticationProvider.generateDigest.
std::string DigestOf(absl::string_view user_password);

// The id an addAuth(scheme, auth) yields; AUTH_FAILED for unknown schemes or
// malformed credentials.
absl::StatusOr<proto::Id> Authenticate(absl::string_view scheme, absl::string_view auth);

// True when client_ip matches an ip ACL id ("10.0.0.1" or "10.0.0.0/8").
bool IpMatches(absl::string_view acl_id, absl::string_view client_ip);

// Whether ids may perform perm on a node with this ACL.
bool CheckAcl(const std::vector<proto::Acl>& acl, int32_t perm, const std::vector<proto::Id>& ids,
              absl::string_view super_digest);

// Validates a requested ACL and replaces "auth" entries with the caller's
// authenticated (non-ip) ids. INVALID_ACL when empty, malformed, or "auth"
// is used by a caller without such ids.
absl::Status FixupAcl(google::protobuf::RepeatedPtrField<proto::Acl>* acl,
                      const std::vector<proto::Id>& ids);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_AUTH_H_
