// TLS between servers (sslQuorum): a 3-node ensemble whose peer links are
// TLS with certificates from deploy/tls/make-certs.sh forms and serves; a
// node whose certificate comes from another CA gets no link (the other two
// serve without it).
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
  const std::string cfg_path = ensemble.node(3).config_path();
  std::string cfg = ReadFile(cfg_path);
  for (size_t at = cfg.find(certs); at != std::string::npos; at = cfg.find(certs, at)) {
    cfg.replace(at, certs.size(), rogue);
  }
  std::ofstream(cfg_path, std::ios::trunc) << cfg;
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader(20s, /*expected_followers=*/1);
  ASSERT_TRUE(leader == 1 || leader == 2) << "leader " << leader;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ReadFile(ensemble.node(3).log_path()).find("TLS handshake failed") !=
               std::string::npos;
      },
      10s))
      << "node 3 never tried a link";
  EXPECT_NE(ensemble.State(3), "follower");
  EXPECT_NE(ensemble.State(3), "leader");
  // The two trusted servers serve on.
  RawSession s(ensemble.node(leader).address());
  ASSERT_EQ(s.Connect(5000).err(), proto::OK);
  EXPECT_EQ(s.Call(CreateReq("/two-of-three", "v")).err(), proto::OK);
}

}  // namespace
}  // namespace zabkeeper::testing
