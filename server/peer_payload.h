// What a peer's ZAB message carries that the node would otherwise meet only
// later, and could not survive then: a proposal (or DIFF entry) whose txn
// does not parse stops the node when it applies it, a SNAP that does not
// parse stops it when it installs it (both are taken as corrupt storage
// there, where applying around them would fork the state). Checked when the
// message arrives instead. Found by peer_frame_fuzz.
#ifndef ZABKEEPER_SERVER_PEER_PAYLOAD_H_
#define ZABKEEPER_SERVER_PEER_PAYLOAD_H_

#include "absl/status/status.h"
#include "zabkeeper/zab.pb.h"

namespace zabkeeper::server {

// InvalidArgument, saying what, for such a message; OK for any other.
absl::Status CheckPeerPayload(const zabkeeper::zab::PeerMessage& m);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_PEER_PAYLOAD_H_
