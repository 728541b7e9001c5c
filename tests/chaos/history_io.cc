#include "tests/chaos/history_io.h"

#include <cstdint>
#include <fstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace zabkeeper::chaos {
namespace {

constexpr const char* kKindNames[] = {"read", "write", "cas", "multi", "sync", "ephemeral"};
constexpr const char* kResultNames[] = {"ok", "fail", "unknown"};

template <typename Enum, size_t N>
std::optional<Enum> ParseEnum(const std::string& s, const char* const (&names)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

std::string EncodeMicro(const std::vector<MicroOp>& micro) {
  if (micro.empty()) return "-";
  std::vector<std::string> parts;
  for (const MicroOp& m : micro) {
    if (m.kind == MicroOp::Kind::kAppend) {
      parts.push_back(absl::StrCat("a:", m.key, ":", m.element));
    } else {
      parts.push_back(absl::StrCat("r:", m.key, ":", absl::StrJoin(m.list, "|")));
    }
  }
  return absl::StrJoin(parts, ",");
}

bool DecodeMicro(const std::string& s, std::vector<MicroOp>& out) {
  if (s == "-") return true;
  for (absl::string_view part : absl::StrSplit(s, ',')) {
    std::vector<std::string> f = absl::StrSplit(part, ':');
    if (f.size() != 3) return false;
    MicroOp m;
    m.key = f[1];
    if (f[0] == "a") {
      m.kind = MicroOp::Kind::kAppend;
      if (!absl::SimpleAtoi(f[2], &m.element)) return false;
    } else if (f[0] == "r") {
      m.kind = MicroOp::Kind::kRead;
      for (absl::string_view e : absl::StrSplit(f[2], '|', absl::SkipEmpty())) {
        int64_t v = 0;
        if (!absl::SimpleAtoi(e, &v)) return false;
        m.list.push_back(v);
      }
    } else {
      return false;
    }
    out.push_back(std::move(m));
  }
  return true;
}

}  // namespace

std::string EncodeOp(const Operation& op) {
  return absl::StrCat("op\t", op.process, "\t", op.session, "\t",
                      kKindNames[static_cast<int>(op.kind)], "\t", op.key.empty() ? "-" : op.key,
                      "\t", op.value, "\t", op.expected_version, "\t", op.version, "\t",
                      op.zxid.raw(), "\t", op.invoke, "\t",
                      op.complete ? absl::StrCat(*op.complete) : std::string("-"), "\t",
                      kResultNames[static_cast<int>(op.result)], "\t", EncodeMicro(op.micro));
}

std::optional<Operation> DecodeOp(const std::string& line) {
  std::vector<std::string> f = absl::StrSplit(line, '\t');
  if (f.size() != 13 || f[0] != "op") return std::nullopt;
  Operation op;
  uint64_t zxid = 0;
  auto kind = ParseEnum<OpKind>(f[3], kKindNames);
  auto result = ParseEnum<OpResult>(f[11], kResultNames);
  if (!kind || !result || !absl::SimpleAtoi(f[1], &op.process) ||
      !absl::SimpleAtoi(f[2], &op.session) || !absl::SimpleAtoi(f[5], &op.value) ||
      !absl::SimpleAtoi(f[6], &op.expected_version) || !absl::SimpleAtoi(f[7], &op.version) ||
      !absl::SimpleAtoi(f[8], &zxid) || !absl::SimpleAtoi(f[9], &op.invoke)) {
    return std::nullopt;
  }
  op.kind = *kind;
  op.result = *result;
  op.key = f[4] == "-" ? "" : f[4];
  op.zxid = Zxid::FromRaw(zxid);
  if (f[10] != "-") {
    Time complete = 0;
    if (!absl::SimpleAtoi(f[10], &complete)) return std::nullopt;
    op.complete = complete;
  }
  if (!DecodeMicro(f[12], op.micro)) return std::nullopt;
  return op;
}

int ReadHistoryFile(const std::string& path, History& history) {
  std::ifstream in(path);
  if (!in) return -1;
  int n = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::optional<Operation> op = DecodeOp(line);
    if (!op) continue;
    history.push_back(std::move(*op));
    ++n;
  }
  return n;
}

}  // namespace zabkeeper::chaos
