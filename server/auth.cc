#include "server/auth.h"

#include <arpa/inet.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/errors.h"

namespace zabkeeper::server {
namespace {

bool ParseIpv4(absl::string_view text, uint32_t* out) {
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(text).c_str(), &addr) != 1) return false;
  *out = ntohl(addr.s_addr);
  return true;
}

bool ValidIpAclId(absl::string_view id) {
  std::vector<absl::string_view> parts = absl::StrSplit(id, '/');
  uint32_t addr = 0;
  if (parts.empty() || parts.size() > 2 || !ParseIpv4(parts[0], &addr)) return false;
  int bits = 32;
  return parts.size() == 1 || (absl::SimpleAtoi(parts[1], &bits) && bits >= 0 && bits <= 32);
}

}  // namespace

std::string DigestOf(absl::string_view user_password) {
  unsigned char hash[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(user_password.data()), user_password.size(), hash);
  std::string encoded;
  absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(hash), sizeof(hash)),
                     &encoded);
  absl::string_view user = user_password.substr(0, user_password.find(':'));
  return absl::StrCat(user, ":", encoded);
}

absl::StatusOr<proto::Id> Authenticate(absl::string_view scheme, absl::string_view auth) {
  if (scheme == "digest") {
    if (auth.find(':') == absl::string_view::npos) {
      return ZkError(proto::AUTH_FAILED, "digest credentials must be user:password");
    }
    proto::Id id;
    id.set_scheme("digest");
    id.set_id(DigestOf(auth));
    return id;
  }
  return ZkError(proto::AUTH_FAILED, absl::StrCat("unsupported auth scheme '", scheme, "'"));
}

bool IpMatches(absl::string_view acl_id, absl::string_view client_ip) {
  std::vector<absl::string_view> parts = absl::StrSplit(acl_id, '/');
  uint32_t want = 0, have = 0;
  if (!ParseIpv4(parts[0], &want) || !ParseIpv4(client_ip, &have)) return false;
  int bits = 32;
  if (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &bits)) return false;
  if (bits <= 0) return true;
  if (bits > 32) return false;
  uint32_t mask = bits == 32 ? 0xffffffffu : ~((1u << (32 - bits)) - 1);
  return (want & mask) == (have & mask);
}

bool CheckAcl(const std::vector<proto::Acl>& acl, int32_t perm, const std::vector<proto::Id>& ids,
              absl::string_view super_digest) {
  for (const proto::Id& id : ids) {
    if (!super_digest.empty() && id.scheme() == "digest" && id.id() == super_digest) return true;
    // ZooKeeper's super id: the SASL user named zookeeper.superUser.
    if (id.scheme() == "super") return true;
  }
  for (const proto::Acl& entry : acl) {
    if ((entry.perms() & perm) == 0) continue;
    const proto::Id& want = entry.id();
    if (want.scheme() == "world" && want.id() == "anyone") return true;
    for (const proto::Id& id : ids) {
      if (want.scheme() != id.scheme()) continue;
      if (want.scheme() == "ip" ? IpMatches(want.id(), id.id()) : want.id() == id.id()) {
        return true;
      }
    }
  }
  return false;
}

absl::Status FixupAcl(google::protobuf::RepeatedPtrField<proto::Acl>* acl,
                      const std::vector<proto::Id>& ids) {
  if (acl->empty()) return ZkError(proto::INVALID_ACL, "empty ACL list");
  google::protobuf::RepeatedPtrField<proto::Acl> out;
  for (const proto::Acl& a : *acl) {
    if (a.perms() < 0 || a.perms() > 31) {
      return ZkError(proto::INVALID_ACL, absl::StrCat("invalid perms ", a.perms()));
    }
    const std::string& scheme = a.id().scheme();
    if (scheme == "world") {
      if (a.id().id() != "anyone") {
        return ZkError(proto::INVALID_ACL, "world scheme only has the id 'anyone'");
      }
      *out.Add() = a;
    } else if (scheme == "auth") {
      bool any = false;
      for (const proto::Id& id : ids) {
        // ip is not an authenticated identity; super (zookeeper.superUser)
        // has no provider in ZooKeeper, which leaves it out too.
        if (id.scheme() == "ip" || id.scheme() == "super") continue;
        proto::Acl* added = out.Add();
        added->set_perms(a.perms());
        *added->mutable_id() = id;
        any = true;
      }
      if (!any) {
        return ZkError(proto::INVALID_ACL, "'auth' ACL needs an authenticated session (addauth)");
      }
    } else if (scheme == "digest") {
      std::vector<absl::string_view> parts = absl::StrSplit(a.id().id(), ':');
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
        return ZkError(proto::INVALID_ACL, "digest ACL id must be user:base64(sha1)");
      }
      *out.Add() = a;
    } else if (scheme == "ip") {
      if (!ValidIpAclId(a.id().id())) {
        return ZkError(proto::INVALID_ACL, absl::StrCat("bad ip ACL id '", a.id().id(), "'"));
      }
      *out.Add() = a;
    } else if (scheme == "sasl") {
      // A SASL user name (ZooKeeper's SASLAuthenticationProvider).
      if (a.id().id().empty()) return ZkError(proto::INVALID_ACL, "sasl ACL id must be a user");
      *out.Add() = a;
    } else if (scheme == "x509") {
      // A TLS client certificate's subject, as ZooKeeper's
      // X509AuthenticationProvider names it (RFC 2253).
      if (a.id().id().empty())
        return ZkError(proto::INVALID_ACL, "x509 ACL id must be a subject DN");
      *out.Add() = a;
    } else {
      return ZkError(proto::INVALID_ACL, absl::StrCat("unknown ACL scheme '", scheme, "'"));
    }
  }
  *acl = std::move(out);
  return absl::OkStatus();
}

}  // namespace zabkeeper::server
