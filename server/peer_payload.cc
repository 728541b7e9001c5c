#include "server/peer_payload.h"

#include "absl/strings/str_cat.h"
#include "zabkeeper/records.pb.h"
#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {

absl::Status CheckPeerPayload(const zabkeeper::zab::PeerMessage& m) {
  if (m.has_proposal()) {
    proto::Txn txn;
    if (!txn.ParseFromString(m.proposal().txn())) {
      return absl::InvalidArgumentError(absl::StrCat("a proposal whose txn does not parse (zxid 0x",
                                                     absl::Hex(m.proposal().zxid()), ", ",
                                                     m.proposal().txn().size(), " bytes)"));
    }
  } else if (m.has_snap()) {
    proto::StateSnapshot snapshot;
    if (!snapshot.ParseFromString(m.snap().data())) {
      return absl::InvalidArgumentError(
          absl::StrCat("a snapshot that does not parse (", m.snap().data().size(), " bytes)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace zabkeeper::server
