#include "consensus/zxid.h"

#include "absl/strings/str_cat.h"

namespace zab {

std::string Zxid::ToString() const { return absl::StrCat("0x", absl::Hex(raw_)); }

}  // namespace zab
