// Znode paths as clients send them: valid or refused, for plain and
// sequential creates.
#include <cstdint>

#include "absl/strings/string_view.h"
#include "server/path_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view path(reinterpret_cast<const char*>(data), size);
  (void)zabkeeper::server::ValidatePath(path);
  (void)zabkeeper::server::ValidateSequentialPrefix(path);
  if (zabkeeper::server::ValidatePath(path).ok()) (void)zabkeeper::server::ParentPath(path);
  return 0;
}
