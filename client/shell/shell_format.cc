#include "client/shell/shell_format.h"

#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/errors.h"

namespace zk::shell {

absl::StatusOr<std::vector<std::string>> Tokenize(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (quote == '"' && c == '\\' && i + 1 < line.size() &&
                 (line[i + 1] == '"' || line[i + 1] == '\\')) {
        cur += line[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote != 0) return ZkError(proto::BAD_ARGUMENTS, "unterminated quote");
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::string FormatZxid(int64_t zxid) {
  return absl::StrFormat("0x%x", static_cast<uint64_t>(zxid));
}

namespace {
std::string FormatTime(int64_t ms) {
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S UTC %Y", &tm_utc);
  return buf;
}
}  // namespace

std::string FormatStat(const Stat& s) {
  return absl::StrCat("cZxid = ", FormatZxid(s.czxid()), "\nctime = ", FormatTime(s.ctime()),
                      "\nmZxid = ", FormatZxid(s.mzxid()), "\nmtime = ", FormatTime(s.mtime()),
                      "\npZxid = ", FormatZxid(s.pzxid()), "\ncversion = ", s.cversion(),
                      "\ndataVersion = ", s.version(), "\naclVersion = ", s.aversion(),
                      "\nephemeralOwner = ", FormatZxid(s.ephemeral_owner()),
                      "\ndataLength = ", s.data_length(), "\nnumChildren = ", s.num_children(),
                      "\n");
}

std::string FormatPerms(int perms) {
  std::string out;
  if (perms & kPermCreate) out += 'c';
  if (perms & kPermDelete) out += 'd';
  if (perms & kPermRead) out += 'r';
  if (perms & kPermWrite) out += 'w';
  if (perms & kPermAdmin) out += 'a';
  return out;
}

std::string FormatAcl(const std::vector<Acl>& acl) {
  std::string out;
  for (const Acl& a : acl) {
    absl::StrAppend(&out, "'", a.id().scheme(), ",'", a.id().id(), "\n: ", FormatPerms(a.perms()),
                    "\n");
  }
  return out;
}

absl::StatusOr<std::vector<Acl>> ParseAcl(const std::string& text) {
  std::vector<Acl> out;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    // scheme:id:perms, where id may itself contain ':' (digest user:hash).
    const size_t first = entry.find(':');
    const size_t last = entry.rfind(':');
    if (first == absl::string_view::npos || first == last) {
      return ZkError(proto::INVALID_ACL,
                     absl::StrCat("bad ACL entry \"", entry, "\" (want scheme:id:perms)"));
    }
    Acl acl;
    acl.mutable_id()->set_scheme(std::string(entry.substr(0, first)));
    acl.mutable_id()->set_id(std::string(entry.substr(first + 1, last - first - 1)));
    int perms = 0;
    for (char c : entry.substr(last + 1)) {
      switch (c) {
        case 'c':
          perms |= kPermCreate;
          break;
        case 'd':
          perms |= kPermDelete;
          break;
        case 'r':
          perms |= kPermRead;
          break;
        case 'w':
          perms |= kPermWrite;
          break;
        case 'a':
          perms |= kPermAdmin;
          break;
        default:
          return ZkError(proto::INVALID_ACL, absl::StrCat("bad permission '", std::string(1, c),
                                                          "' in \"", entry, "\""));
      }
    }
    acl.set_perms(perms);
    out.push_back(std::move(acl));
  }
  if (out.empty()) return ZkError(proto::INVALID_ACL, "empty ACL");
  return out;
}

std::string EventTypeName(EventType type) {
  switch (type) {
    case proto::NONE:
      return "None";
    case proto::NODE_CREATED:
      return "NodeCreated";
    case proto::NODE_DELETED:
      return "NodeDeleted";
    case proto::NODE_DATA_CHANGED:
      return "NodeDataChanged";
    case proto::NODE_CHILDREN_CHANGED:
      return "NodeChildrenChanged";
    case proto::DATA_WATCH_REMOVED:
      return "DataWatchRemoved";
    case proto::CHILD_WATCH_REMOVED:
      return "ChildWatchRemoved";
    case proto::PERSISTENT_WATCH_REMOVED:
      return "PersistentWatchRemoved";
    default:
      return "Unknown";
  }
}

std::string FormatEvent(const WatchedEvent& e) {
  const std::string state = e.state == SessionState::kConnected
                                ? "SyncConnected"
                                : std::string(SessionStateName(e.state));
  return absl::StrCat("WATCHER::\n\nWatchedEvent state:", state, " type:", EventTypeName(e.type),
                      " path:", e.path.empty() ? "null" : e.path, "\n");
}

}  // namespace zk::shell
