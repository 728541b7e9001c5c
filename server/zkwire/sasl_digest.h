// SASL DIGEST-MD5 on the ZooKeeper-protocol port (opcode 102), as ZooKeeper
// serves it with its DigestLoginModule: the users and passwords come from a
// JAAS file's `Server` section (user_<name>="<password>"), the exchange
// names service "zookeeper" and server "zk-sasl-md5" (what ZooKeeper's
// clients and Kazoo send), and a client that completes it holds the ACL
// identity sasl:<name>.
//
// Cyrus SASL (Debian's libsasl2 and its DIGEST-MD5 plugin) runs the
// mechanism. It reads the passwords through an auxprop plugin registered
// here, so they never go to a file (no sasldb). The password table is one
// per process: the last SaslAuthenticator created serves.
#ifndef ZABKEEPER_SERVER_ZKWIRE_SASL_DIGEST_H_
#define ZABKEEPER_SERVER_ZKWIRE_SASL_DIGEST_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zabkeeper::zkwire {

using SaslUsers = std::map<std::string, std::string>;  // name -> password

// The user_<name>="<password>" options of the JAAS login section `section`.
// InvalidArgument, with the line, for text that is not a JAAS file or has
// no such section.
absl::StatusOr<SaslUsers> ParseJaasUsers(absl::string_view text,
                                         absl::string_view section = "Server");
absl::StatusOr<SaslUsers> LoadJaasUsers(const std::string& path,
                                        absl::string_view section = "Server");

// One connection's exchange. Not thread-safe (a connection's strand).
class SaslExchange {
 public:
  struct Step {
    std::string challenge;  // what goes back to the client (may be empty)
    bool done = false;      // authenticated: `user` is set
    std::string user;
  };
  virtual ~SaslExchange() = default;
  // The client's next token. PermissionDenied (wrong password, unknown
  // user) or InvalidArgument (garbled token): the exchange is over.
  virtual absl::StatusOr<Step> Respond(absl::string_view token) = 0;
};

class SaslAuthenticator {
 public:
  // Initialises Cyrus SASL once per process; FailedPrecondition when its
  // DIGEST-MD5 plugin (libsasl2-modules) is missing.
  static absl::StatusOr<std::shared_ptr<SaslAuthenticator>> Create(SaslUsers users);
  // A new exchange for one connection.
  absl::StatusOr<std::unique_ptr<SaslExchange>> Begin() const;
  size_t user_count() const { return user_count_; }

 private:
  explicit SaslAuthenticator(size_t user_count) : user_count_(user_count) {}
  size_t user_count_;
};

// What a front end serves SASL with (no authenticator: SASL is refused).
struct SaslSettings {
  std::shared_ptr<const SaslAuthenticator> authenticator;
  std::string super_user;  // zookeeper.superUser: this user also holds super:
  // enforce.auth.schemes names sasl: a failed exchange is answered
  // SESSION_CLOSED_REQUIRE_SASL_AUTH instead of AUTH_FAILED, as ZooKeeper.
  bool required = false;
};

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_SASL_DIGEST_H_
