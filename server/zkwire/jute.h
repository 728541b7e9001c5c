// Jute, the binary record format of ZooKeeper's own client protocol
// (zookeeper.jute): big-endian int (4 bytes) and long (8), boolean as one
// byte, buffers and strings as an int length then the bytes (-1 = null),
// vectors as an int count then the elements (-1 = null).
//
// JuteReader never reads past its input: the first short or impossible field
// (a length past the end, a negative length other than -1) stops it, and
// error() says which field and where. Reading on after an error is harmless:
// every read then fails, so a decoder may check ok() once at the end.
#ifndef ZABKEEPER_SERVER_ZKWIRE_JUTE_H_
#define ZABKEEPER_SERVER_ZKWIRE_JUTE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zabkeeper::zkwire {

class JuteReader {
 public:
  explicit JuteReader(absl::string_view data) : data_(data) {}

  bool Int(int32_t& v, const char* field);
  bool Long(int64_t& v, const char* field);
  bool Bool(bool& v, const char* field);
  // Null (length -1) reads as empty; `null`, if given, says which it was.
  bool Buffer(std::string& v, const char* field, bool* null = nullptr);
  bool String(std::string& v, const char* field) { return Buffer(v, field); }
  bool StringVector(std::vector<std::string>& v, const char* field);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  // Marks the record bad (a decoder's own check, e.g. an unknown opcode).
  bool Fail(absl::string_view why);

 private:
  bool Take(size_t n, const char* field, absl::string_view& out);

  absl::string_view data_;
  size_t pos_ = 0;
  std::string error_;
};

class JuteWriter {
 public:
  void Int(int32_t v);
  void Long(int64_t v);
  void Bool(bool v) { out_.push_back(v ? 1 : 0); }
  void Buffer(absl::string_view v);
  void String(absl::string_view v) { Buffer(v); }
  void NullBuffer() { Int(-1); }
  void StringVector(const std::vector<std::string>& v);
  template <typename Range>
  void Strings(const Range& strings) {
    Int(static_cast<int32_t>(strings.size()));
    for (const auto& s : strings) String(s);
  }

  size_t size() const { return out_.size(); }
  // Overwrites 4 bytes at `pos` (a length written before what it counts).
  void PatchInt(size_t pos, int32_t v);
  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_JUTE_H_
