// ZooKeeper-protocol frames from a client (server/zkwire): the first byte
// says which decoder gets the rest, the handshake's or a request's. Either
// decodes or returns an error; a decoded request's reply shape encodes.
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "server/zkwire/zk_codec.h"
#include "tests/fuzz/quiet_logs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zabkeeper::fuzz::QuietLogs();
  if (size == 0) return 0;
  const absl::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    (void)zabkeeper::zkwire::DecodeConnect(payload);
  } else {
    absl::StatusOr<zabkeeper::zkwire::DecodedRequest> d = zabkeeper::zkwire::DecodeRequest(payload);
    if (d.ok()) {
      // The reply the core would give, shaped for this request.
      zabkeeper::proto::Response r;
      r.set_xid(d->shape.xid);
      (void)zabkeeper::zkwire::EncodeReply(d->shape, r);
    }
  }
  return 0;
}
