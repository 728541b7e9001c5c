#include "server/zkwire/jute.h"

#include "absl/strings/str_cat.h"

namespace zabkeeper::zkwire {
namespace {

uint64_t LoadBigEndian(absl::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

void StoreBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

bool JuteReader::Fail(absl::string_view why) {
  if (error_.empty()) error_ = std::string(why);
  return false;
}

bool JuteReader::Take(size_t n, const char* field, absl::string_view& out) {
  if (!ok()) return false;
  if (n > remaining()) {
    return Fail(absl::StrCat(field, ": needs ", n, " bytes at offset ", pos_, ", only ",
                             remaining(), " left"));
  }
  out = data_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool JuteReader::Int(int32_t& v, const char* field) {
  absl::string_view b;
  if (!Take(4, field, b)) return false;
  v = static_cast<int32_t>(static_cast<uint32_t>(LoadBigEndian(b)));
  return true;
}

bool JuteReader::Long(int64_t& v, const char* field) {
  absl::string_view b;
  if (!Take(8, field, b)) return false;
  v = static_cast<int64_t>(LoadBigEndian(b));
  return true;
}

bool JuteReader::Bool(bool& v, const char* field) {
  absl::string_view b;
  if (!Take(1, field, b)) return false;
  v = b[0] != 0;
  return true;
}

bool JuteReader::Buffer(std::string& v, const char* field, bool* null) {
  int32_t len = 0;
  if (!Int(len, field)) return false;
  if (null != nullptr) *null = len == -1;
  if (len == -1) {
    v.clear();
    return true;
  }
  if (len < 0) return Fail(absl::StrCat(field, ": length ", len, " at offset ", pos_ - 4));
  absl::string_view b;
  if (!Take(static_cast<size_t>(len), field, b)) return false;
  v.assign(b.data(), b.size());
  return true;
}

bool JuteReader::StringVector(std::vector<std::string>& v, const char* field) {
  int32_t count = 0;
  if (!Int(count, field)) return false;
  v.clear();
  if (count == -1) return true;
  // Each element takes at least its 4-byte length: a count the rest of the
  // record cannot hold is garbage, not a reason to reserve memory.
  if (count < 0 || static_cast<size_t>(count) > remaining() / 4) {
    return Fail(absl::StrCat(field, ": count ", count, " with ", remaining(), " bytes left"));
  }
  v.resize(static_cast<size_t>(count));
  for (std::string& s : v) {
    if (!String(s, field)) return false;
  }
  return true;
}

void JuteWriter::Int(int32_t v) { StoreBigEndian(out_, static_cast<uint32_t>(v), 4); }

void JuteWriter::Long(int64_t v) { StoreBigEndian(out_, static_cast<uint64_t>(v), 8); }

void JuteWriter::Buffer(absl::string_view v) {
  Int(static_cast<int32_t>(v.size()));
  out_.append(v.data(), v.size());
}

void JuteWriter::StringVector(const std::vector<std::string>& v) { Strings(v); }

void JuteWriter::PatchInt(size_t pos, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) out_[pos + i] = static_cast<char>((u >> (8 * (3 - i))) & 0xff);
}

}  // namespace zabkeeper::zkwire
