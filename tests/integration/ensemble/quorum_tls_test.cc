// TLS between servers (sslQuorum): a 3-node ensemble whose peer links are
// TLS with certificates from deploy/tls/make-certs.sh forms and serves; a
// node whose certificate comes from another CA gets no link (the other two
// serve without it) until the others' CA file, rewritten on disk, trusts
// that CA too: no restart needed.
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/integration/ensemble.h"
#include "tests/integration/server/raw_session.h"
#include "tests/wait_until.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;

std::string MakeCerts(const std::string& dir) {
  const std::string cmd = std::string("bash ") + MAKE_CERTS_SH + " " + dir + " > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return dir;
}

std::map<std::string, std::string> QuorumTls(const std::string& certs) {
  return {{"sslQuorum", "true"},
          {"ssl.quorum.certFile", certs + "/server.pem"},
          {"ssl.quorum.keyFile", certs + "/server.key"},
          {"ssl.quorum.caFile", certs + "/ca.pem"}};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces `path` at once (write aside, rename), as a certificate rotation
// tool does.
void ReplaceFile(const std::string& path, const std::string& content) {
  std::ofstream(path + ".new", std::ios::trunc) << content;
  ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0) << path;
}

// Points node `id`'s config at the certificates in `to` instead of `from`.
void RepointCerts(Ensemble& ensemble, int id, const std::string& from, const std::string& to) {
  const std::string cfg_path = ensemble.node(id).config_path();
  std::string cfg = ReadFile(cfg_path);
  for (size_t at = cfg.find(from); at != std::string::npos; at = cfg.find(from, at)) {
    cfg.replace(at, from.size(), to);
  }
  std::ofstream(cfg_path, std::ios::trunc) << cfg;
}

// Starts an ensemble in which nodes 1 and 2 do not trust node 3's
// certificate: one of them leads with the other following, and node 3's
// links fail their handshakes. Returns the leader.
int StartWithNode3Untrusted(Ensemble& ensemble) {
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader(20s, /*expected_followers=*/1);
  EXPECT_TRUE(leader == 1 || leader == 2) << "leader " << leader;
  EXPECT_TRUE(WaitUntil(
      [&] {
        return ReadFile(ensemble.node(3).log_path()).find("TLS handshake failed") !=
               std::string::npos;
      },
      10s))
      << "node 3's links were never refused";
  return leader;
}

TEST(QuorumTlsTest, EnsembleFormsAndServesOverTls) {
  TempDir dir;
  const std::string certs = MakeCerts(dir.path() + "/certs");
  Ensemble ensemble(dir.path(), 3, 100, false, QuorumTls(certs));
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0) << "no leader over TLS links";
  // A write through a follower reaches every server.
  const int follower = leader % 3 + 1;
  RawSession s(ensemble.node(follower).address());
  ASSERT_EQ(s.Connect(5000).err(), proto::OK);
  ASSERT_EQ(s.Call(CreateReq("/over-tls-quorum", "v")).err(), proto::OK);
  ASSERT_TRUE(ensemble.WaitConverged()) << "replicas differ";
  for (int id = 1; id <= 3; ++id) {
    RawSession r(ensemble.node(id).address());
    ASSERT_EQ(r.Connect().err(), proto::OK);
    EXPECT_EQ(r.Call(GetReq("/over-tls-quorum")).get_data().data(), "v") << "node " << id;
  }
}

TEST(QuorumTlsTest, APeerWithAnotherCasCertificateGetsNoLink) {
  TempDir dir;
  const std::string certs = MakeCerts(dir.path() + "/certs");
  const std::string rogue = MakeCerts(dir.path() + "/rogue");  // its own CA
  Ensemble ensemble(dir.path(), 3, 100, false, QuorumTls(certs));
  // Node 3 presents (and trusts) the other CA's certificate.
  RepointCerts(ensemble, 3, certs, rogue);
  const int leader = StartWithNode3Untrusted(ensemble);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_NE(ensemble.State(3), "follower");
  EXPECT_NE(ensemble.State(3), "leader");
  // The two trusted servers serve on.
  RawSession s(ensemble.node(leader).address());
  ASSERT_EQ(s.Connect(5000).err(), proto::OK);
  EXPECT_EQ(s.Call(CreateReq("/two-of-three", "v")).err(), proto::OK);
}

TEST(QuorumTlsTest, RotatedCaFileTakesEffectWithoutARestart) {
  TempDir dir;
  const std::string a = MakeCerts(dir.path() + "/a");
  const std::string b = MakeCerts(dir.path() + "/b");  // another CA
  // Nodes 1 and 2 use a's certificate and trust a; node 3 has b's
  // certificate and trusts both.
  const std::string live = dir.path() + "/live";
  const std::string n3 = dir.path() + "/n3";
  for (const std::string& d : {live, n3}) ASSERT_EQ(std::system(("mkdir -p " + d).c_str()), 0);
  for (const char* f : {"/server.pem", "/server.key", "/ca.pem"}) {
    ReplaceFile(live + f, ReadFile(a + f));
  }
  ReplaceFile(n3 + "/server.pem", ReadFile(b + "/server.pem"));
  ReplaceFile(n3 + "/server.key", ReadFile(b + "/server.key"));
  const std::string both = ReadFile(a + "/ca.pem") + ReadFile(b + "/ca.pem");
  ReplaceFile(n3 + "/ca.pem", both);
  Ensemble ensemble(dir.path(), 3, 100, false, QuorumTls(live));
  RepointCerts(ensemble, 3, live, n3);
  StartWithNode3Untrusted(ensemble);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_NE(ensemble.State(3), "follower");

  // Nodes 1 and 2 come to trust b too, on disk only.
  ReplaceFile(live + "/ca.pem", both);
  EXPECT_TRUE(WaitUntil([&] { return ensemble.State(3) == "follower"; }, 30s))
      << "node 3 never joined after the CA rotation; its state: " << ensemble.State(3);
  for (int id : {1, 2}) {
    EXPECT_NE(
        ReadFile(ensemble.node(id).log_path()).find("sslQuorum: TLS certificate files changed"),
        std::string::npos)
        << "node " << id << " did not log the reload";
  }
  RawSession s(ensemble.node(3).address());
  ASSERT_EQ(s.Connect(5000).err(), proto::OK);
  EXPECT_EQ(s.Call(CreateReq("/after-rotation", "v")).err(), proto::OK);
}

}  // namespace
}  // namespace zabkeeper::testing
