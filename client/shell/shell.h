// zkcli's command interpreter, independent of the terminal: it parses one
// command line, runs it against the current ZkClient and writes results to
// `out`, errors to `err`. Asynchronous output (watch events, state changes)
// goes to the async sink, which the interactive front end prints between
// prompts. The command set follows zkCli.sh (see `help`).
#ifndef ZABKEEPER_CLIENT_SHELL_SHELL_H_
#define ZABKEEPER_CLIENT_SHELL_SHELL_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/zk_client.h"

namespace zk::shell {

class Shell {
 public:
  using Sink = std::function<void(const std::string&)>;
  struct Options {
    std::string server = "localhost:2281";
    absl::Duration session_timeout = absl::Seconds(30);
    absl::Duration connect_timeout = absl::Seconds(10);
    Sink out, err;  // synchronous results / errors
    Sink async;     // watch events and (if report_states) state changes
    bool report_states = true;
    // TLS to the servers' secureClientPort (-tls-ca, -tls-cert, -tls-key).
    std::string tls_ca_file, tls_cert_file, tls_key_file;
  };
  explicit Shell(Options options);
  ~Shell();

  // Connects (closing any previous session). Waits up to connect_timeout.
  bool Connect(const std::string& server);
  // Runs one command line; false if it failed. Empty lines succeed.
  bool ExecuteLine(const std::string& line);
  // Runs an already split command (argv of `zkcli -server S CMD ARGS...`).
  bool ExecuteWords(const std::vector<std::string>& words);
  bool quit_requested() const { return quit_; }
  std::string Prompt() const;
  static const std::vector<std::string>& CommandNames();
  // Completions of a partial znode path ("/a/b" -> "/a/bar", "/a/baz").
  std::vector<std::string> CompletePath(const std::string& partial);

 private:
  struct Parsed {
    std::map<char, std::string> flags;  // flag -> value ("" for booleans)
    std::vector<std::string> args;      // positional, command name excluded
  };
  bool Execute(const std::vector<std::string>& words);
  bool Fail(const std::string& message);
  bool FailStatus(const absl::Status& status, const std::string& path);
  bool Usage(const std::string& cmd);
  Watcher PrintingWatcher();
  bool RequireClient();

  bool Ls(const Parsed& p);
  bool LsRecursive(const std::string& path);
  bool Get(const Parsed& p);
  bool Set(const Parsed& p);
  bool CreateCmd(const Parsed& p);
  bool DeleteCmd(const Parsed& p);
  bool DeleteAll(const Parsed& p);
  bool StatCmd(const Parsed& p);
  bool SyncCmd(const Parsed& p);
  bool GetAclCmd(const Parsed& p);
  bool SetAclCmd(const Parsed& p);
  bool AddAuthCmd(const Parsed& p);
  bool GetEphemeralsCmd(const Parsed& p);
  bool GetAllChildrenNumberCmd(const Parsed& p);
  bool WhoAmICmd(const Parsed& p);
  bool AddWatchCmd(const Parsed& p);
  bool RemoveWatchesCmd(const Parsed& p);
  bool SetQuotaCmd(const Parsed& p);
  bool ListQuotaCmd(const Parsed& p);
  bool DelQuotaCmd(const Parsed& p);
  bool Help();
  bool History();
  bool Redo(const Parsed& p);

  Options options_;
  std::string server_;
  std::unique_ptr<ZkClient> client_;
  std::shared_ptr<bool> print_watches_ = std::make_shared<bool>(true);
  std::vector<std::string> history_;
  bool quit_ = false;
  int redo_depth_ = 0;
};

}  // namespace zk::shell

#endif  // ZABKEEPER_CLIENT_SHELL_SHELL_H_
