// Client requests after protobuf decode, fed through the node core (a
// one-voter node over the memory stores) on a fresh connection with a
// session: whatever a client sends, the node answers or refuses it and
// goes on. The node lives across inputs, so the tree grows as a real one
// would; it is replaced every 1000 inputs.
#include <cstdint>
#include <memory>

#include "tests/fuzz/quiet_logs.h"
#include "tests/unit/server/one_node.h"

namespace {

using zabkeeper::server::ConnId;
using zabkeeper::server::coretest::Connect;
using zabkeeper::server::coretest::OneNode;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zabkeeper::fuzz::QuietLogs();
  static std::unique_ptr<OneNode> node;
  static uint64_t inputs = 0;
  static ConnId next_conn = 1;
  zabkeeper::proto::Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!node || ++inputs % 1000 == 0) node = std::make_unique<OneNode>();
  const ConnId conn = next_conn++;
  node->core().OpenConnection(conn, "ipv4:127.0.0.1:5000");
  node->Request(conn, Connect(1));
  node->Request(conn, request);
  node->core().CloseConnection(conn);
  node->Drive();
  return 0;
}
