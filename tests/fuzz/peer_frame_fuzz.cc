// Peer frames as another server sends them (proto::PeerFrame: ZAB messages,
// forwarded requests, forward replies, touched sessions), into the node core
// of a 3-voter node from peer 2. The node lives across inputs (replaced
// every 1000), so later frames meet whatever state earlier ones left.
#include <cstdint>
#include <memory>

#include "tests/fuzz/quiet_logs.h"
#include "tests/unit/server/one_node.h"

namespace {

using zabkeeper::server::coretest::OneNode;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zabkeeper::fuzz::QuietLogs();
  static std::unique_ptr<OneNode> node;
  static uint64_t inputs = 0;
  zabkeeper::proto::PeerFrame frame;
  if (!frame.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!node || ++inputs % 1000 == 0) {
    node = std::make_unique<OneNode>(std::vector<uint64_t>{1, 2, 3});
    node->core().PeerConnected(2);
    node->Drive();
  }
  node->core().PeerFrame(2, std::move(frame));
  node->Drive();
  node->Advance(100);
  return 0;
}
