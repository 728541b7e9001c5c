// zk::ZkClient — the application's handle on one zabkeeper session.
//
//   auto client = zk::ZkClient::Connect("127.0.0.1:2281,127.0.0.1:2282/app");
//   if (!client.ok()) ...;
//   auto path = (*client)->Create("/jobs/job-", "payload",
//                                 zk::CreateOptions::Mode(zk::proto::PERSISTENT_SEQUENTIAL));
//
// Every server operation exists in two forms: FooAsync(args..., callback)
// returns at once and runs the callback on the client's callback thread;
// Foo(args...) blocks and returns absl::Status/absl::StatusOr. Errors carry
// ZooKeeper's codes (client/errors.h). Watchers are one-shot callbacks passed
// to the read that sets them.
//
// Thread safety: every method may be called from any thread. Callbacks never
// run under a library lock, one at a time, in server order. A blocking call
// made from inside a callback fails with APIError instead of deadlocking.
//
// Lifetime: Close() ends the session at once (its ephemerals are deleted);
// destroying the client without Close() only drops the connection, so the
// session and its ephemerals live until the session timeout passes.
// Do not destroy a client from one of its own callbacks.
#ifndef ZABKEEPER_CLIENT_ZK_CLIENT_H_
#define ZABKEEPER_CLIENT_ZK_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/errors.h"
#include "client/multi.h"
#include "client/types.h"

namespace zk {

class Session;

class ZkClient {
 public:
  // Validates the options and starts connecting in the background.
  static absl::StatusOr<std::unique_ptr<ZkClient>> Create(ClientOptions options);
  // Create + WaitConnected(connect_timeout).
  static absl::StatusOr<std::unique_ptr<ZkClient>> Connect(
      std::string connect_string, absl::Duration session_timeout = absl::Seconds(10),
      absl::Duration connect_timeout = absl::Seconds(15));

  ~ZkClient();
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // Ends the session on the server (ephemerals deleted) and the connection.
  absl::Status Close(absl::Duration timeout = absl::Seconds(5));
  // OK once connected; ConnectionLoss on timeout; SessionExpired if over.
  absl::Status WaitConnected(absl::Duration timeout);

  SessionState state() const;
  int64_t session_id() const;
  std::string session_password() const;
  absl::Duration negotiated_timeout() const;
  std::string current_server() const;  // "host:port" in use or last tried
  const std::string& chroot() const;
  int64_t last_zxid() const;  // highest zxid seen from the servers

  // Listeners run on the callback thread; returns an id for removal.
  int AddStateListener(std::function<void(SessionState)> listener);
  void RemoveStateListener(int id);

  // ---- Asynchronous API ----
  void CreateAsync(const std::string& path, std::string data, const CreateOptions& options,
                   Callback<CreateResult> done);
  void DeleteAsync(const std::string& path, int32_t version, StatusCallback done);
  // The result is nullopt if the node does not exist (a watch is then set
  // on its creation).
  void ExistsAsync(const std::string& path, Watcher watcher, Callback<std::optional<Stat>> done);
  void GetDataAsync(const std::string& path, Watcher watcher, Callback<DataResult> done);
  void SetDataAsync(const std::string& path, std::string data, int32_t version,
                    Callback<Stat> done);
  void GetChildrenAsync(const std::string& path, Watcher watcher, Callback<ChildrenResult> done);
  void SyncAsync(const std::string& path, StatusCallback done);
  void MultiAsync(const zk::Multi& multi, Callback<std::vector<OpResult>> done);
  void MultiReadAsync(const zk::MultiRead& reads, Callback<std::vector<ReadResult>> done);
  void GetAclAsync(const std::string& path, Callback<AclResult> done);
  void SetAclAsync(const std::string& path, const std::vector<Acl>& acl, int32_t aversion,
                   Callback<Stat> done);
  void AddAuthAsync(const std::string& scheme, const std::string& auth, StatusCallback done);
  // Persistent (optionally recursive) watch: fires on every change until removed.
  void AddWatchAsync(const std::string& path, proto::AddWatchMode mode, Watcher watcher,
                     StatusCallback done);
  // Removes watches of `type` on `path` on the server and locally; with
  // `local_only` only the client's table (as ZooKeeper's `local` flag).
  void RemoveWatchesAsync(const std::string& path, proto::WatcherType type, bool local_only,
                          StatusCallback done);
  void CheckWatchesAsync(const std::string& path, proto::WatcherType type, StatusCallback done);
  void GetEphemeralsAsync(const std::string& prefix_path, Callback<std::vector<std::string>> done);
  void GetAllChildrenNumberAsync(const std::string& path, Callback<int32_t> done);
  void WhoAmIAsync(Callback<std::vector<proto::Id>> done);

  // ---- Synchronous API ----
  absl::StatusOr<std::string> Create(const std::string& path, std::string data = {},
                                     const CreateOptions& options = {});
  absl::StatusOr<CreateResult> CreateWithStat(const std::string& path, std::string data,
                                              const CreateOptions& options = {});
  absl::Status Delete(const std::string& path, int32_t version = -1);
  absl::StatusOr<std::optional<Stat>> Exists(const std::string& path, Watcher watcher = nullptr);
  absl::StatusOr<DataResult> GetData(const std::string& path, Watcher watcher = nullptr);
  absl::StatusOr<Stat> SetData(const std::string& path, std::string data, int32_t version = -1);
  absl::StatusOr<ChildrenResult> GetChildren(const std::string& path, Watcher watcher = nullptr);
  absl::Status Sync(const std::string& path);
  absl::StatusOr<std::vector<OpResult>> Multi(const zk::Multi& multi);
  absl::StatusOr<std::vector<ReadResult>> MultiRead(const zk::MultiRead& reads);
  absl::StatusOr<AclResult> GetAcl(const std::string& path);
  absl::StatusOr<Stat> SetAcl(const std::string& path, const std::vector<Acl>& acl,
                              int32_t aversion = -1);
  absl::Status AddAuth(const std::string& scheme, const std::string& auth);
  absl::Status AddWatch(const std::string& path, proto::AddWatchMode mode, Watcher watcher);
  absl::Status RemoveWatches(const std::string& path, proto::WatcherType type,
                             bool local_only = false);
  absl::Status CheckWatches(const std::string& path, proto::WatcherType type);
  absl::StatusOr<std::vector<std::string>> GetEphemerals(const std::string& prefix_path = "/");
  absl::StatusOr<int32_t> GetAllChildrenNumber(const std::string& path);
  absl::StatusOr<std::vector<proto::Id>> WhoAmI();

  // A multi builder bound to this client (see client/multi.h).
  zk::Multi NewMulti() { return zk::Multi(this); }

  // ---- Conveniences built on the API ----
  // Creates `path` and missing parents (persistent, empty); OK if it exists.
  absl::Status EnsurePath(const std::string& path);
  // Deletes `path` and its whole subtree (children first; races tolerated).
  absl::Status DeleteRecursive(const std::string& path);

 private:
  explicit ZkClient(std::unique_ptr<Session> session);
  std::string ServerPath(const std::string& path) const;
  std::string UserPath(const std::string& server_path) const;
  // Validates `path`; on error posts `fail` with it and returns false.
  bool CheckPath(const std::string& path, bool sequential,
                 const std::function<void(absl::Status)>& fail);

  std::unique_ptr<Session> session_;
};

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_ZK_CLIENT_H_
