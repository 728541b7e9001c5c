#include "client/shell/shell.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/paths.h"
#include "client/quota.h"
#include "client/shell/shell_format.h"

namespace zk::shell {
namespace {

struct CommandSpec {
  const char* name;
  const char* usage;
  const char* bool_flags;
  const char* value_flags;
  int min_args, max_args;
};

// zkCli.sh's commands (plus whoami).
const std::vector<CommandSpec>& Specs() {
  static const std::vector<CommandSpec> specs = {
      {"addauth", "addauth scheme auth", "", "", 2, 2},
      {"addWatch", "addWatch [-m PERSISTENT|PERSISTENT_RECURSIVE] path", "", "m", 1, 1},
      {"close", "close", "", "", 0, 0},
      {"connect", "connect host:port[,host:port...][/chroot]", "", "", 1, 1},
      {"create", "create [-e] [-s] [-c] [-t ttl] path [data] [acl]", "esc", "t", 1, 3},
      {"delete", "delete [-v version] path", "", "v", 1, 1},
      {"deleteall", "deleteall path", "", "b", 1, 1},
      {"delquota", "delquota [-n|-b|-N|-B] path", "nbNB", "", 1, 1},
      {"get", "get [-s] [-w] path", "sw", "", 1, 1},
      {"getAcl", "getAcl [-s] path", "s", "", 1, 1},
      {"getAllChildrenNumber", "getAllChildrenNumber path", "", "", 1, 1},
      {"getEphemerals", "getEphemerals [path]", "", "", 0, 1},
      {"help", "help", "", "", 0, 1},
      {"history", "history", "", "", 0, 0},
      {"listquota", "listquota path", "", "", 1, 1},
      {"ls", "ls [-s] [-w] [-R] path", "swR", "", 1, 1},
      {"printwatches", "printwatches on|off", "", "", 1, 1},
      {"quit", "quit", "", "", 0, 0},
      {"redo", "redo cmdno", "", "", 1, 1},
      {"removewatches", "removewatches path [-c|-d|-p|-r|-a] [-l]", "cdpral", "", 1, 1},
      {"set", "set [-s] [-v version] path data", "s", "v", 2, 2},
      {"setAcl", "setAcl [-s] [-v version] [-R] path acl", "sR", "v", 2, 2},
      {"setquota", "setquota -n|-b|-N|-B val path", "", "nbNB", 1, 1},
      {"stat", "stat [-w] path", "w", "", 1, 1},
      {"sync", "sync path", "", "", 1, 1},
      {"whoami", "whoami", "", "", 0, 0},
  };
  return specs;
}

const CommandSpec* FindSpec(const std::string& name) {
  for (const CommandSpec& s : Specs()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::string FriendlyError(const absl::Status& s, const std::string& path) {
  switch (ErrorCodeOf(s)) {
    case proto::NO_NODE:
      return "Node does not exist: " + path;
    case proto::NODE_EXISTS:
      return "Node already exists: " + path;
    case proto::BAD_VERSION:
      return "version No is not valid : " + path;
    case proto::NOT_EMPTY:
      return "Node not empty: " + path;
    case proto::NO_AUTH:
      return "Insufficient permission : " + path;
    case proto::NO_CHILDREN_FOR_EPHEMERALS:
      return "Ephemerals cannot have children: " + path;
    default:
      return std::string(s.message());
  }
}

}  // namespace

Shell::Shell(Options options) : options_(std::move(options)) {}
Shell::~Shell() {
  if (client_) client_->Close(absl::Seconds(2)).IgnoreError();
}

const std::vector<std::string>& Shell::CommandNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const CommandSpec& s : Specs()) v.push_back(s.name);
    return v;
  }();
  return names;
}

bool Shell::Connect(const std::string& server) {
  if (client_) client_->Close(absl::Seconds(2)).IgnoreError();
  client_.reset();
  server_ = server;
  ClientOptions options;
  options.connect_string = server;
  options.session_timeout = options_.session_timeout;
  options.tls_ca_file = options_.tls_ca_file;
  options.tls_cert_file = options_.tls_cert_file;
  options.tls_key_file = options_.tls_key_file;
  Sink async = options_.report_states ? options_.async : nullptr;
  options.state_listener = [async](SessionState state) {
    if (async) {
      async(absl::StrCat("WATCHER::\n\nWatchedEvent state:",
                         state == SessionState::kConnected ? "SyncConnected"
                                                           : std::string(SessionStateName(state)),
                         " type:None path:null\n"));
    }
  };
  absl::StatusOr<std::unique_ptr<ZkClient>> client = ZkClient::Create(options);
  if (!client.ok()) return Fail(std::string(client.status().message()));
  client_ = *std::move(client);
  absl::Status s = client_->WaitConnected(options_.connect_timeout);
  if (!s.ok()) return Fail(absl::StrCat("Unable to connect to ", server, ": ", s.message()));
  return true;
}

std::string Shell::Prompt() const {
  const std::string state =
      client_ ? std::string(SessionStateName(client_->state())) : std::string("CLOSED");
  return absl::StrCat("[zk: ", server_, "(", state, ") ", history_.size(), "] ");
}

bool Shell::Fail(const std::string& message) {
  if (options_.err) options_.err(message + "\n");
  return false;
}

bool Shell::FailStatus(const absl::Status& status, const std::string& path) {
  return Fail(FriendlyError(status, path));
}

bool Shell::Usage(const std::string& cmd) {
  const CommandSpec* spec = FindSpec(cmd);
  return Fail(absl::StrCat("Usage: ", spec ? spec->usage : cmd));
}

bool Shell::RequireClient() {
  if (client_ && client_->state() != SessionState::kClosed) return true;
  return Fail("Not connected (use connect host:port)");
}

Watcher Shell::PrintingWatcher() {
  Sink async = options_.async;
  std::shared_ptr<bool> print = print_watches_;
  return [async, print](const WatchedEvent& e) {
    if (*print && async) async(FormatEvent(e));
  };
}

bool Shell::ExecuteLine(const std::string& line) {
  absl::StatusOr<std::vector<std::string>> words = Tokenize(line);
  if (!words.ok()) return Fail(std::string(words.status().message()));
  if (words->empty()) return true;
  if ((*words)[0] != "redo" && (*words)[0] != "history") history_.push_back(line);
  return Execute(*words);
}

bool Shell::ExecuteWords(const std::vector<std::string>& words) {
  if (words.empty()) return true;
  history_.push_back(absl::StrJoin(words, " "));
  return Execute(words);
}

bool Shell::Execute(const std::vector<std::string>& words) {
  const std::string& cmd = words[0];
  const CommandSpec* spec = FindSpec(cmd);
  if (spec == nullptr) {
    Help();
    return Fail("Command not found: " + cmd);
  }
  Parsed p;
  const std::string bools = spec->bool_flags, values = spec->value_flags;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.size() == 2 && w[0] == '-' && bools.find(w[1]) != std::string::npos) {
      p.flags[w[1]] = "";
    } else if (w.size() == 2 && w[0] == '-' && values.find(w[1]) != std::string::npos) {
      if (i + 1 >= words.size()) return Usage(cmd);
      p.flags[w[1]] = words[++i];
    } else if (w.size() >= 2 && w[0] == '-' &&
               !absl::ascii_isdigit(static_cast<unsigned char>(w[1])) && p.args.empty()) {
      return Usage(cmd);
    } else {
      p.args.push_back(w);
    }
  }
  if (static_cast<int>(p.args.size()) < spec->min_args ||
      static_cast<int>(p.args.size()) > spec->max_args) {
    return Usage(cmd);
  }
  if (cmd == "help") return Help();
  if (cmd == "quit") {
    quit_ = true;
    return true;
  }
  if (cmd == "history") return History();
  if (cmd == "redo") return Redo(p);
  if (cmd == "connect") return Connect(p.args[0]);
  if (cmd == "printwatches") {
    if (p.args[0] != "on" && p.args[0] != "off") return Usage(cmd);
    *print_watches_ = p.args[0] == "on";
    return true;
  }
  if (cmd == "close") {
    if (client_) client_->Close().IgnoreError();
    return true;
  }
  if (!RequireClient()) return false;
  if (cmd == "ls") return Ls(p);
  if (cmd == "get") return Get(p);
  if (cmd == "set") return Set(p);
  if (cmd == "create") return CreateCmd(p);
  if (cmd == "delete") return DeleteCmd(p);
  if (cmd == "deleteall") return DeleteAll(p);
  if (cmd == "stat") return StatCmd(p);
  if (cmd == "sync") return SyncCmd(p);
  if (cmd == "getAcl") return GetAclCmd(p);
  if (cmd == "setAcl") return SetAclCmd(p);
  if (cmd == "addauth") return AddAuthCmd(p);
  if (cmd == "getEphemerals") return GetEphemeralsCmd(p);
  if (cmd == "getAllChildrenNumber") return GetAllChildrenNumberCmd(p);
  if (cmd == "whoami") return WhoAmICmd(p);
  if (cmd == "addWatch") return AddWatchCmd(p);
  if (cmd == "removewatches") return RemoveWatchesCmd(p);
  if (cmd == "setquota") return SetQuotaCmd(p);
  if (cmd == "listquota") return ListQuotaCmd(p);
  if (cmd == "delquota") return DelQuotaCmd(p);
  return Usage(cmd);
}

bool Shell::Ls(const Parsed& p) {
  const std::string& path = p.args[0];
  if (p.flags.count('R')) return LsRecursive(path);
  absl::StatusOr<ChildrenResult> r =
      client_->GetChildren(path, p.flags.count('w') ? PrintingWatcher() : nullptr);
  if (!r.ok()) return FailStatus(r.status(), path);
  options_.out(absl::StrCat("[", absl::StrJoin(r->children, ", "), "]\n"));
  if (p.flags.count('s')) options_.out(FormatStat(r->stat));
  return true;
}

bool Shell::LsRecursive(const std::string& root) {
  // Breadth-first like zkCli; bounded by the tree itself.
  std::vector<std::string> queue = {root};
  for (size_t i = 0; i < queue.size(); ++i) {
    absl::StatusOr<ChildrenResult> r = client_->GetChildren(queue[i]);
    if (!r.ok()) {
      if (i > 0 && IsNoNode(r.status())) continue;
      return FailStatus(r.status(), queue[i]);
    }
    options_.out(queue[i] + "\n");
    for (const std::string& c : r->children) queue.push_back(JoinPath(queue[i], c));
  }
  return true;
}

bool Shell::Get(const Parsed& p) {
  const std::string& path = p.args[0];
  absl::StatusOr<DataResult> r =
      client_->GetData(path, p.flags.count('w') ? PrintingWatcher() : nullptr);
  if (!r.ok()) return FailStatus(r.status(), path);
  options_.out(r->data + "\n");
  if (p.flags.count('s')) options_.out(FormatStat(r->stat));
  return true;
}

bool Shell::Set(const Parsed& p) {
  int32_t version = -1;
  if (p.flags.count('v') && !absl::SimpleAtoi(p.flags.at('v'), &version)) return Usage("set");
  absl::StatusOr<Stat> r = client_->SetData(p.args[0], p.args[1], version);
  if (!r.ok()) return FailStatus(r.status(), p.args[0]);
  if (p.flags.count('s')) options_.out(FormatStat(*r));
  return true;
}

bool Shell::CreateCmd(const Parsed& p) {
  const bool ephemeral = p.flags.count('e'), sequential = p.flags.count('s'),
             container = p.flags.count('c'), ttl = p.flags.count('t');
  CreateOptions options;
  if (ttl) {
    if (ephemeral || container) return Fail("TTL is only for persistent nodes");
    if (!absl::SimpleAtoi(p.flags.at('t'), &options.ttl_ms) || options.ttl_ms <= 0) {
      return Usage("create");
    }
  }
  if (container && (ephemeral || sequential)) return Fail("-c cannot be combined with -e or -s");
  options.mode =
      container ? proto::CONTAINER
      : ttl     ? (sequential ? proto::PERSISTENT_SEQUENTIAL_WITH_TTL : proto::PERSISTENT_WITH_TTL)
      : ephemeral  ? (sequential ? proto::EPHEMERAL_SEQUENTIAL : proto::EPHEMERAL)
      : sequential ? proto::PERSISTENT_SEQUENTIAL
                   : proto::PERSISTENT;
  if (p.args.size() > 2) {
    absl::StatusOr<std::vector<Acl>> acl = ParseAcl(p.args[2]);
    if (!acl.ok()) return Fail(std::string(acl.status().message()));
    options.acl = *acl;
  }
  absl::StatusOr<std::string> r =
      client_->Create(p.args[0], p.args.size() > 1 ? p.args[1] : "", options);
  if (!r.ok()) return FailStatus(r.status(), p.args[0]);
  options_.out("Created " + *r + "\n");
  return true;
}

bool Shell::DeleteCmd(const Parsed& p) {
  int32_t version = -1;
  if (p.flags.count('v') && !absl::SimpleAtoi(p.flags.at('v'), &version)) return Usage("delete");
  absl::Status s = client_->Delete(p.args[0], version);
  return s.ok() ? true : FailStatus(s, p.args[0]);
}

bool Shell::DeleteAll(const Parsed& p) {
  absl::StatusOr<std::optional<Stat>> st = client_->Exists(p.args[0]);
  if (!st.ok()) return FailStatus(st.status(), p.args[0]);
  if (!st->has_value()) return FailStatus(ZkError(proto::NO_NODE), p.args[0]);
  absl::Status s = client_->DeleteRecursive(p.args[0]);
  return s.ok() ? true : FailStatus(s, p.args[0]);
}

bool Shell::StatCmd(const Parsed& p) {
  absl::StatusOr<std::optional<Stat>> r =
      client_->Exists(p.args[0], p.flags.count('w') ? PrintingWatcher() : nullptr);
  if (!r.ok()) return FailStatus(r.status(), p.args[0]);
  if (!r->has_value()) return FailStatus(ZkError(proto::NO_NODE), p.args[0]);
  options_.out(FormatStat(**r));
  return true;
}

bool Shell::AddWatchCmd(const Parsed& p) {
  // zkCli's default mode is PERSISTENT_RECURSIVE.
  proto::AddWatchMode mode = proto::PERSISTENT_RECURSIVE_WATCH;
  if (p.flags.count('m')) {
    const std::string& m = p.flags.at('m');
    if (m == "PERSISTENT") {
      mode = proto::PERSISTENT_WATCH;
    } else if (m != "PERSISTENT_RECURSIVE") {
      return Usage("addWatch");
    }
  }
  absl::Status s = client_->AddWatch(p.args[0], mode, PrintingWatcher());
  return s.ok() ? true : FailStatus(s, p.args[0]);
}

bool Shell::RemoveWatchesCmd(const Parsed& p) {
  // zkCli: -c child, -d data, -p persistent, -r persistent recursive, -a (the
  // default) any; -l removes them locally even without a server.
  proto::WatcherType type = proto::WATCHER_ANY;
  if (p.flags.count('c')) type = proto::WATCHER_CHILDREN;
  if (p.flags.count('d')) type = proto::WATCHER_DATA;
  if (p.flags.count('p')) type = proto::WATCHER_PERSISTENT;
  if (p.flags.count('r')) type = proto::WATCHER_PERSISTENT_RECURSIVE;
  if (p.flags.count('c') + p.flags.count('d') + p.flags.count('p') + p.flags.count('r') +
          p.flags.count('a') >
      1) {
    return Usage("removewatches");
  }
  absl::Status s = client_->RemoveWatches(p.args[0], type, p.flags.count('l') > 0);
  return s.ok() ? true : FailStatus(s, p.args[0]);
}

bool Shell::SetQuotaCmd(const Parsed& p) {
  // zkCli 3.7+: -n soft count, -b soft bytes, -N hard count, -B hard bytes;
  // each must be > 0.
  const std::string& path = p.args[0];
  StatsTrack quota;
  bool any = false;
  for (const auto& [flag, what] : {std::pair<char, const char*>{'n', "num"},
                                   {'b', "bytes"},
                                   {'N', "num hard"},
                                   {'B', "bytes hard"}}) {
    auto it = p.flags.find(flag);
    if (it == p.flags.end()) continue;
    int64_t value = 0;
    if (!absl::SimpleAtoi(it->second, &value)) {
      return Fail("NumberFormatException happens when parsing the option value");
    }
    if (value <= 0) return Fail(absl::StrCat("the ", what, " quota must be greater than zero"));
    if (flag == 'n') quota.set_count(value);
    if (flag == 'b') quota.set_bytes(value);
    if (flag == 'N') quota.set_count_hard_limit(value);
    if (flag == 'B') quota.set_byte_hard_limit(value);
    any = true;
  }
  if (!any) return Usage("setquota");
  absl::Status s = SetQuota(*client_, path, quota);
  if (IsNoNode(s)) return Fail(path + " does not exist.");
  return s.ok() ? true : FailStatus(s, path);
}

bool Shell::ListQuotaCmd(const Parsed& p) {
  const std::string& path = p.args[0];
  if (options_.err) options_.err(absl::StrCat("absolute path is ", QuotaLimitPath(path), "\n"));
  absl::StatusOr<QuotaInfo> info = ListQuota(*client_, path);
  if (IsNoNode(info.status())) return Fail("quota for " + path + " does not exist.");
  if (!info.ok()) return FailStatus(info.status(), path);
  options_.out(absl::StrCat("Output quota for ", path, " ", info->limits.ToString(), "\n",
                            "Output stat for ", path, " ", info->stats.ToString(), "\n"));
  return true;
}

bool Shell::DelQuotaCmd(const Parsed& p) {
  // No flag removes the whole quota; -n/-b/-N/-B clear one limit.
  const std::string& path = p.args[0];
  StatsTrack which;
  if (p.flags.count('n')) which.set_count(1);
  if (p.flags.count('b')) which.set_bytes(1);
  if (p.flags.count('N')) which.set_count_hard_limit(1);
  if (p.flags.count('B')) which.set_byte_hard_limit(1);
  absl::Status s = DelQuota(*client_, path, p.flags.empty(), which);
  if (IsNoNode(s)) {
    options_.out("Quota does not exist for " + path + "\n");
    return true;
  }
  return s.ok() ? true : FailStatus(s, path);
}

bool Shell::SyncCmd(const Parsed& p) {
  absl::Status s = client_->Sync(p.args[0]);
  if (!s.ok()) return FailStatus(s, p.args[0]);
  options_.out("Sync is OK\n");
  return true;
}

bool Shell::GetAclCmd(const Parsed& p) {
  absl::StatusOr<AclResult> r = client_->GetAcl(p.args[0]);
  if (!r.ok()) return FailStatus(r.status(), p.args[0]);
  options_.out(FormatAcl(r->acl));
  if (p.flags.count('s')) options_.out(FormatStat(r->stat));
  return true;
}

bool Shell::SetAclCmd(const Parsed& p) {
  int32_t version = -1;
  if (p.flags.count('v') && !absl::SimpleAtoi(p.flags.at('v'), &version)) return Usage("setAcl");
  absl::StatusOr<std::vector<Acl>> acl = ParseAcl(p.args[1]);
  if (!acl.ok()) return Fail(std::string(acl.status().message()));
  std::vector<std::string> paths = {p.args[0]};
  if (p.flags.count('R')) {
    for (size_t i = 0; i < paths.size() && i < 100000; ++i) {  // bounded walk
      absl::StatusOr<ChildrenResult> kids = client_->GetChildren(paths[i]);
      if (!kids.ok()) continue;
      for (const std::string& c : kids->children) paths.push_back(JoinPath(paths[i], c));
    }
  }
  for (const std::string& path : paths) {
    absl::StatusOr<Stat> r = client_->SetAcl(path, *acl, path == p.args[0] ? version : -1);
    if (!r.ok()) return FailStatus(r.status(), path);
    if (p.flags.count('s') && path == p.args[0]) options_.out(FormatStat(*r));
  }
  return true;
}

bool Shell::AddAuthCmd(const Parsed& p) {
  absl::Status s = client_->AddAuth(p.args[0], p.args[1]);
  return s.ok() ? true : FailStatus(s, p.args[0]);
}

bool Shell::GetEphemeralsCmd(const Parsed& p) {
  const std::string prefix = p.args.empty() ? "/" : p.args[0];
  absl::StatusOr<std::vector<std::string>> r = client_->GetEphemerals(prefix);
  if (!r.ok()) return FailStatus(r.status(), prefix);
  options_.out(absl::StrCat("[", absl::StrJoin(*r, ", "), "]\n"));
  return true;
}

bool Shell::GetAllChildrenNumberCmd(const Parsed& p) {
  absl::StatusOr<int32_t> r = client_->GetAllChildrenNumber(p.args[0]);
  if (!r.ok()) return FailStatus(r.status(), p.args[0]);
  options_.out(absl::StrCat(*r, "\n"));
  return true;
}

bool Shell::WhoAmICmd(const Parsed&) {
  absl::StatusOr<std::vector<proto::Id>> r = client_->WhoAmI();
  if (!r.ok()) return FailStatus(r.status(), "");
  for (const proto::Id& id : *r) options_.out(absl::StrCat(id.scheme(), ":", id.id(), "\n"));
  return true;
}

bool Shell::Help() {
  std::string text = "ZooKeeper -server host:port cmd args\n";
  for (const CommandSpec& s : Specs()) absl::StrAppend(&text, "\t", s.usage, "\n");
  options_.out(text);
  return true;
}

bool Shell::History() {
  const size_t first = history_.size() > 10 ? history_.size() - 10 : 0;
  for (size_t i = first; i < history_.size(); ++i) {
    options_.out(absl::StrCat(i, " - ", history_[i], "\n"));
  }
  return true;
}

bool Shell::Redo(const Parsed& p) {
  size_t n = 0;
  if (!absl::SimpleAtoi(p.args[0], &n) || n >= history_.size()) {
    return Fail("Command index out of range");
  }
  if (redo_depth_ > 0) return Fail("redo cannot redo a redo");
  ++redo_depth_;
  const std::string line = history_[n];
  const bool ok = ExecuteLine(line);
  --redo_depth_;
  return ok;
}

std::vector<std::string> Shell::CompletePath(const std::string& partial) {
  std::vector<std::string> out;
  if (!client_ || partial.empty() || partial[0] != '/') return out;
  const size_t slash = partial.rfind('/');
  const std::string parent = slash == 0 ? "/" : partial.substr(0, slash);
  const std::string prefix = partial.substr(slash + 1);
  if (client_->state() != SessionState::kConnected) return out;
  absl::StatusOr<ChildrenResult> kids = client_->GetChildren(parent);
  if (!kids.ok()) return out;
  for (const std::string& c : kids->children) {
    if (c.rfind(prefix, 0) == 0) out.push_back(JoinPath(parent, c));
  }
  return out;
}

}  // namespace zk::shell
