// The client's SASL tokens (opcode 102's buffer) through a DIGEST-MD5
// exchange (server/zkwire/sasl_digest.h). The first byte's low bit chooses
// where the rest lands: 0 opens the exchange with it, 1 answers the
// server's first challenge with it (where the digest-response is parsed).
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "server/zkwire/sasl_digest.h"
#include "tests/fuzz/quiet_logs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zabkeeper::fuzz::QuietLogs();
  using zabkeeper::zkwire::SaslAuthenticator;
  static const std::shared_ptr<SaslAuthenticator> auth = [] {
    auto created = SaslAuthenticator::Create({{"bob", "bobsecret"}});
    return created.ok() ? *created : nullptr;
  }();
  if (auth == nullptr || size == 0) return 0;
  auto exchange = auth->Begin();
  if (!exchange.ok()) return 0;
  const absl::string_view token(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    if (!(*exchange)->Respond("").ok()) return 0;
  }
  // A step after a refusal or the end must be refused, not crash.
  if ((*exchange)->Respond(token).ok()) (void)(*exchange)->Respond(token);
  return 0;
}
