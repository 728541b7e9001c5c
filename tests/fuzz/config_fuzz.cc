// zoo.cfg text: parsed into a config or refused with a clear error.
#include <cstdint>
#include <string>

#include "server/config.h"
#include "tests/fuzz/quiet_logs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zabkeeper::fuzz::QuietLogs();
  (void)zabkeeper::server::ParseConfig(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
