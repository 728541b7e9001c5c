// CheckPeerPayload (server/peer_payload.h): a peer's proposal or SNAP the
// node could not apply or install later is refused when it arrives.
#include "server/peer_payload.h"

#include <string>

#include "gtest/gtest.h"
#include "zabkeeper/records.pb.h"
#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {
namespace {

zabkeeper::zab::PeerMessage ProposalOf(const std::string& txn) {
  zabkeeper::zab::PeerMessage m;
  m.mutable_proposal()->set_zxid(0x100000001);
  m.mutable_proposal()->set_txn(txn);
  return m;
}

TEST(PeerPayload, ProposalWithAWellFormedTxnPasses) {
  proto::Txn txn;
  txn.mutable_create()->set_path("/p");
  EXPECT_TRUE(CheckPeerPayload(ProposalOf(txn.SerializeAsString())).ok());
  EXPECT_TRUE(CheckPeerPayload(ProposalOf("")).ok());  // an empty Txn parses
}

// peer_frame_fuzz's finding: a txn that does not parse (here a string field
// holding invalid UTF-8, as in the input it found) stopped the follower at
// apply (CHECK: corrupt committed txn).
TEST(PeerPayload, ProposalWhoseTxnDoesNotParseIsRefused) {
  proto::Txn txn;
  txn.mutable_create()->set_path("/p");
  std::string bytes = txn.SerializeAsString();
  bytes.back() = '\xff';  // "/\xff": not UTF-8
  absl::Status s = CheckPeerPayload(ProposalOf(bytes));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("zxid 0x100000001"), std::string::npos) << s;
  EXPECT_FALSE(CheckPeerPayload(ProposalOf("\x0a\xff\xff\xff")).ok());  // truncated
}

TEST(PeerPayload, SnapThatDoesNotParseIsRefused) {
  zabkeeper::zab::PeerMessage m;
  m.mutable_snap()->set_zxid(7);
  m.mutable_snap()->set_data(proto::StateSnapshot().SerializeAsString());
  EXPECT_TRUE(CheckPeerPayload(m).ok());
  m.mutable_snap()->set_data("\x0a\x80");  // a length that runs past the end
  EXPECT_FALSE(CheckPeerPayload(m).ok());
}

TEST(PeerPayload, OtherMessagesPass) {
  zabkeeper::zab::PeerMessage m;
  m.mutable_commit()->set_zxid(3);
  EXPECT_TRUE(CheckPeerPayload(m).ok());
}

}  // namespace
}  // namespace zabkeeper::server
