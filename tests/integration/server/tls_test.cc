// TLS on the gRPC client port (secureClientPort): certificates from
// deploy/tls/make-certs.sh, a real server process, and the C++ client with
// its TLS options. The TLS port serves the same tree as the plain one; a
// client that does not trust the server's CA, or (ssl.clientAuth=need) has
// no certificate of its own, gets no session.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "client/zk_client.h"
#include "gtest/gtest.h"
#include "tests/free_port.h"
#include "tests/integration/server_process.h"
#include "tests/wait_until.h"

namespace zabkeeper::testing {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = dir_.path() + "/certs";
    const std::string cmd = std::string("bash ") + MAKE_CERTS_SH + " " + certs_ + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  void StartServer(const std::string& client_auth) {
    secure_port_ = FreePort();
    server_ = std::make_unique<ServerProcess>(
        dir_.path() + "/server",
        std::map<std::string, std::string>{{"secureClientPort", std::to_string(secure_port_)},
                                           {"ssl.certFile", certs_ + "/server.pem"},
                                           {"ssl.keyFile", certs_ + "/server.key"},
                                           {"ssl.caFile", certs_ + "/ca.pem"},
                                           {"ssl.clientAuth", client_auth}});
    server_->Start();
  }

  // A client of the TLS port; empty `cert` means no client certificate.
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> TlsClient(const std::string& ca,
                                                          const std::string& cert) {
    zk::ClientOptions options;
    options.connect_string = "127.0.0.1:" + std::to_string(secure_port_);
    options.session_timeout = absl::Seconds(10);
    options.tls_ca_file = ca;
    if (!cert.empty()) {
      options.tls_cert_file = certs_ + "/" + cert + ".pem";
      options.tls_key_file = certs_ + "/" + cert + ".key";
    }
    absl::StatusOr<std::unique_ptr<zk::ZkClient>> client = zk::ZkClient::Create(options);
    if (!client.ok()) return client;
    if (absl::Status s = (*client)->WaitConnected(absl::Seconds(3)); !s.ok()) return s;
    return client;
  }

  TempDir dir_;
  std::string certs_;
  int secure_port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(TlsTest, SecurePortServesTheSameTreeAsThePlainOne) {
  StartServer("need");
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> tls = TlsClient(certs_ + "/ca.pem", "client");
  ASSERT_TRUE(tls.ok()) << tls.status();
  ASSERT_TRUE((*tls)->Create("/over-tls", "secret").ok());
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> plain =
      zk::ZkClient::Connect(server_->address(), absl::Seconds(10), absl::Seconds(5));
  ASSERT_TRUE(plain.ok()) << plain.status();
  absl::StatusOr<zk::DataResult> data = (*plain)->GetData("/over-tls");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->data, "secret");
}

TEST_F(TlsTest, NeedClientAuth_RefusesAClientWithoutACertificate) {
  StartServer("need");
  EXPECT_FALSE(TlsClient(certs_ + "/ca.pem", "").ok());
  EXPECT_TRUE(TlsClient(certs_ + "/ca.pem", "client").ok());
}

TEST_F(TlsTest, NoClientAuth_TakesAClientWithoutACertificate) {
  StartServer("none");
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> tls = TlsClient(certs_ + "/ca.pem", "");
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE((*tls)->Create("/anon").ok());
}

// A verified client certificate is the session's x509 identity (its subject,
// RFC 2253), as ZooKeeper's X509AuthenticationProvider makes it: whoAmI
// shows it and an x509 ACL admits it alone.
TEST_F(TlsTest, WantClientAuth_ACertificateIsAnX509Identity) {
  StartServer("want");
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> owner = TlsClient(certs_ + "/ca.pem", "client");
  ASSERT_TRUE(owner.ok()) << owner.status();
  absl::StatusOr<std::vector<proto::Id>> ids = (*owner)->WhoAmI();
  ASSERT_TRUE(ids.ok()) << ids.status();
  bool x509 = false;
  for (const proto::Id& id : *ids) x509 |= id.scheme() == "x509" && id.id() == "CN=zkclient";
  EXPECT_TRUE(x509) << "whoAmI has no x509:CN=zkclient";
  zk::CreateOptions only_owner;
  proto::Acl& acl = only_owner.acl.emplace_back();
  acl.set_perms(0x1f);
  acl.mutable_id()->set_scheme("x509");
  acl.mutable_id()->set_id("CN=zkclient");
  ASSERT_TRUE((*owner)->Create("/x509-only", "secret", only_owner).ok());
  absl::StatusOr<zk::DataResult> data = (*owner)->GetData("/x509-only");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->data, "secret");
  // No certificate (want allows that): no identity, no access.
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> anonymous = TlsClient(certs_ + "/ca.pem", "");
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  EXPECT_EQ((*anonymous)->GetData("/x509-only").status().code(),
            absl::StatusCode::kPermissionDenied);
}

// Certificate rotation without a restart: the server's key and certificate
// are replaced on disk by ones of another CA. New connections get the new
// certificate (a client trusting only the new CA connects), and a session
// opened before goes on working.
TEST_F(TlsTest, RotatedCertificateServesNewConnections_OpenSessionsLive) {
  StartServer("none");
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> before = TlsClient(certs_ + "/ca.pem", "");
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE((*before)->Create("/before-rotation", "v").ok());
  const std::string next = dir_.path() + "/next";
  ASSERT_EQ(
      std::system(("bash " + std::string(MAKE_CERTS_SH) + " " + next + " > /dev/null").c_str()), 0);
  ASSERT_FALSE(TlsClient(next + "/ca.pem", "").ok()) << "the new CA is not served yet";
  // Renamed into place, key first: each file changes atomically.
  std::filesystem::copy_file(next + "/server.key", certs_ + "/server.key.new");
  std::filesystem::copy_file(next + "/server.pem", certs_ + "/server.pem.new");
  std::filesystem::rename(certs_ + "/server.key.new", certs_ + "/server.key");
  std::filesystem::rename(certs_ + "/server.pem.new", certs_ + "/server.pem");
  ASSERT_TRUE(
      WaitUntil([&] { return TlsClient(next + "/ca.pem", "").ok(); }, std::chrono::seconds(15)))
      << "the rotated certificate is never served";
  absl::StatusOr<zk::DataResult> data = (*before)->GetData("/before-rotation");
  ASSERT_TRUE(data.ok()) << "the open session broke: " << data.status();
  EXPECT_EQ(data->data, "v");
}

TEST_F(TlsTest, AClientThatDoesNotTrustTheServersCaGetsNoSession) {
  StartServer("none");
  // Another CA: the server's certificate does not verify.
  const std::string other = dir_.path() + "/other";
  ASSERT_EQ(
      std::system(("bash " + std::string(MAKE_CERTS_SH) + " " + other + " > /dev/null").c_str()),
      0);
  EXPECT_FALSE(TlsClient(other + "/ca.pem", "").ok());
  // And a plain client on the TLS port gets nothing either.
  zk::ClientOptions options;
  options.connect_string = "127.0.0.1:" + std::to_string(secure_port_);
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> plain = zk::ZkClient::Create(options);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->WaitConnected(absl::Seconds(2)).ok());
}

TEST_F(TlsTest, BadTlsSettingsAreRefusedClearly) {
  zk::ClientOptions options;
  options.connect_string = "127.0.0.1:1";
  options.tls_ca_file = dir_.path() + "/missing.pem";
  absl::StatusOr<std::unique_ptr<zk::ZkClient>> client = zk::ZkClient::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("missing.pem"), std::string::npos);

  // The server refuses to start with a key file it cannot read.
  secure_port_ = FreePort();
  ServerProcess bad(dir_.path() + "/bad", {{"secureClientPort", std::to_string(secure_port_)},
                                           {"ssl.certFile", certs_ + "/server.pem"},
                                           {"ssl.keyFile", dir_.path() + "/nope.key"},
                                           {"ssl.clientAuth", "none"}});
  EXPECT_ANY_THROW(bad.Start(std::chrono::seconds(3)));
}

}  // namespace
}  // namespace zabkeeper::testing
