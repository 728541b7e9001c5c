// SASL DIGEST-MD5 (server/zkwire/sasl_digest.h) against Cyrus SASL's own
// DIGEST-MD5 client, and the JAAS file the users come from.
#include "server/zkwire/sasl_digest.h"

#include <sasl/sasl.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace zabkeeper::zkwire {
namespace {

template <typename F>
int (*AsCallback(F* f))() {
  return reinterpret_cast<int (*)()>(reinterpret_cast<void (*)()>(f));
}

// A Cyrus DIGEST-MD5 client for one user, as ZooKeeper's clients speak it:
// service "zookeeper", server "zk-sasl-md5".
class DigestClient {
 public:
  DigestClient(std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {
    static const int init = sasl_client_init(nullptr);
    EXPECT_EQ(init, SASL_OK);
    secret_ = static_cast<sasl_secret_t*>(malloc(sizeof(sasl_secret_t) + password_.size()));
    secret_->len = password_.size();
    std::memcpy(secret_->data, password_.data(), password_.size());
    callbacks_[0] = {SASL_CB_AUTHNAME, AsCallback(&Name), this};
    callbacks_[1] = {SASL_CB_USER, AsCallback(&Name), this};
    callbacks_[2] = {SASL_CB_PASS, AsCallback(&Pass), this};
    callbacks_[3] = {SASL_CB_LIST_END, nullptr, nullptr};
    EXPECT_EQ(sasl_client_new("zookeeper", "zk-sasl-md5", nullptr, nullptr, callbacks_, 0, &conn_),
              SASL_OK);
  }
  ~DigestClient() {
    sasl_dispose(&conn_);
    free(secret_);
  }

  // The client's answer to a server challenge ("" for the opening token,
  // which DIGEST-MD5 leaves empty). False when the client refuses.
  bool Answer(const std::string& challenge, std::string* response) {
    const char* out = nullptr;
    unsigned out_len = 0;
    int rc;
    if (!started_) {
      const char* mech = nullptr;
      rc = sasl_client_start(conn_, "DIGEST-MD5", nullptr, &out, &out_len, &mech);
      started_ = true;
    } else {
      rc = sasl_client_step(conn_, challenge.data(), challenge.size(), nullptr, &out, &out_len);
    }
    response->assign(out == nullptr ? "" : std::string(out, out_len));
    return rc == SASL_OK || rc == SASL_CONTINUE;
  }

 private:
  static int Name(void* self, int, const char** result, unsigned* len) {
    auto* c = static_cast<DigestClient*>(self);
    *result = c->user_.c_str();
    if (len != nullptr) *len = c->user_.size();
    return SASL_OK;
  }
  static int Pass(sasl_conn_t*, void* self, int, sasl_secret_t** secret) {
    *secret = static_cast<DigestClient*>(self)->secret_;
    return SASL_OK;
  }

  std::string user_, password_;
  sasl_secret_t* secret_ = nullptr;
  sasl_callback_t callbacks_[4];
  sasl_conn_t* conn_ = nullptr;
  bool started_ = false;
};

// Runs the exchange as Kazoo does: the client's tokens until the server is
// done; the server's last step carries rspauth, which the client checks.
absl::StatusOr<std::string> Exchange(SaslExchange& server, DigestClient& client) {
  std::string token;
  EXPECT_TRUE(client.Answer("", &token));
  for (int round = 0; round < 4; ++round) {
    absl::StatusOr<SaslExchange::Step> step = server.Respond(token);
    if (!step.ok()) return step.status();
    if (step->done) {
      std::string last;
      EXPECT_TRUE(client.Answer(step->challenge, &last)) << "the client refused rspauth";
      return step->user;
    }
    if (!client.Answer(step->challenge, &token)) return absl::AbortedError("client refused");
  }
  return absl::DeadlineExceededError("no end after 4 rounds");
}

std::shared_ptr<SaslAuthenticator> Authenticator() {
  absl::StatusOr<std::shared_ptr<SaslAuthenticator>> auth =
      SaslAuthenticator::Create({{"bob", "bobsecret"}, {"super", "adminsecret"}});
  EXPECT_TRUE(auth.ok()) << auth.status();
  return auth.ok() ? *auth : nullptr;
}

// A whole exchange of `user` with `password` against a fresh server side.
absl::StatusOr<std::string> ExchangeAs(const std::string& user, const std::string& password) {
  std::shared_ptr<SaslAuthenticator> auth = Authenticator();
  if (auth == nullptr) return absl::InternalError("no authenticator");
  absl::StatusOr<std::unique_ptr<SaslExchange>> server = auth->Begin();
  if (!server.ok()) return server.status();
  DigestClient client(user, password);
  return Exchange(**server, client);
}

TEST(SaslDigestTest, RightPasswordAuthenticatesAsTheBareUser) {
  absl::StatusOr<std::string> user = ExchangeAs("bob", "bobsecret");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(*user, "bob");
}

TEST(SaslDigestTest, WrongPasswordIsRefused) {
  absl::StatusOr<std::string> user = ExchangeAs("bob", "guess");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), absl::StatusCode::kPermissionDenied) << user.status();
}

TEST(SaslDigestTest, UnknownUserIsRefused) {
  absl::StatusOr<std::string> user = ExchangeAs("mallory", "bobsecret");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), absl::StatusCode::kPermissionDenied) << user.status();
}

TEST(SaslDigestTest, GarbledResponseEndsTheExchangeWithoutACrash) {
  auto auth = Authenticator();
  ASSERT_NE(auth, nullptr);
  absl::StatusOr<std::unique_ptr<SaslExchange>> server = auth->Begin();
  ASSERT_TRUE(server.ok());
  absl::StatusOr<SaslExchange::Step> first = (*server)->Respond("");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->done);
  EXPECT_NE(first->challenge.find("nonce="), std::string::npos) << first->challenge;
  absl::StatusOr<SaslExchange::Step> second =
      (*server)->Respond(std::string("username=\"bob\",\0garbage\xff", 24));
  EXPECT_FALSE(second.ok());
}

TEST(SaslDigestTest, TokenAfterTheEndIsRefused) {
  auto auth = Authenticator();
  ASSERT_NE(auth, nullptr);
  absl::StatusOr<std::unique_ptr<SaslExchange>> server = auth->Begin();
  ASSERT_TRUE(server.ok());
  DigestClient client("super", "adminsecret");
  absl::StatusOr<std::string> user = Exchange(**server, client);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(*user, "super");
  EXPECT_FALSE((*server)->Respond("again").ok());
}

TEST(JaasUsersTest, ReadsTheServerSectionLikeZooKeeper) {
  absl::StatusOr<SaslUsers> users = ParseJaasUsers(R"(
// ZooKeeper's example (zookeeper-docs, SASL DIGEST-MD5)
Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bob\"secret";
};
/* the client side, ignored */
Client {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="bob"
       password="bobsecret";
};)");
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_EQ(*users, (SaslUsers{{"super", "adminsecret"}, {"bob", "bob\"secret"}}));
}

TEST(JaasUsersTest, RefusesWhatIsNotAJaasFileWithTheReason) {
  EXPECT_NE(ParseJaasUsers("Client { m required username=\"a\"; };")
                .status()
                .message()
                .find("no 'Server' section"),
            std::string::npos);
  EXPECT_NE(ParseJaasUsers("Server { m required };").status().message().find("missing ';'"),
            std::string::npos);
  EXPECT_NE(
      ParseJaasUsers("Server { m required user_a=; };").status().message().find("key=\"value\""),
      std::string::npos);
  EXPECT_NE(ParseJaasUsers("Server { m required user_a=\"x")
                .status()
                .message()
                .find("unterminated string"),
            std::string::npos);
  EXPECT_NE(ParseJaasUsers("Server { m required debug=\"true\"; };")
                .status()
                .message()
                .find("names no user_"),
            std::string::npos);
  EXPECT_FALSE(LoadJaasUsers("/nonexistent/jaas.conf").ok());
}

}  // namespace
}  // namespace zabkeeper::zkwire
