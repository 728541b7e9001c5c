// ZkClient's blocking API: each call runs its async form and waits for the
// callback. Also the EnsurePath / DeleteRecursive conveniences.
#include <future>

#include "client/paths.h"
#include "client/session.h"
#include "client/zk_client.h"

namespace zk {
namespace {

absl::Status DeadlockError() {
  return ZkError(proto::API_ERROR,
                 "a blocking call from a client callback would deadlock; use the async form");
}

// Runs `start(callback)` and waits for the callback's value.
template <typename T, typename Start>
absl::StatusOr<T> Await(Session& session, Start&& start) {
  if (session.callbacks().InCallbackThread()) return DeadlockError();
  auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
  std::future<absl::StatusOr<T>> future = promise->get_future();
  start([promise](absl::StatusOr<T> v) { promise->set_value(std::move(v)); });
  return future.get();
}

template <typename Start>
absl::Status AwaitStatus(Session& session, Start&& start) {
  if (session.callbacks().InCallbackThread()) return DeadlockError();
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> future = promise->get_future();
  start([promise](absl::Status s) { promise->set_value(std::move(s)); });
  return future.get();
}

}  // namespace

absl::StatusOr<std::string> ZkClient::Create(const std::string& path, std::string data,
                                             const CreateOptions& options) {
  absl::StatusOr<CreateResult> r = CreateWithStat(path, std::move(data), options);
  if (!r.ok()) return r.status();
  return std::move(r->path);
}

absl::StatusOr<CreateResult> ZkClient::CreateWithStat(const std::string& path, std::string data,
                                                      const CreateOptions& options) {
  return Await<CreateResult>(*session_, [&](Callback<CreateResult> cb) {
    CreateAsync(path, std::move(data), options, std::move(cb));
  });
}

absl::Status ZkClient::Delete(const std::string& path, int32_t version) {
  return AwaitStatus(*session_,
                     [&](StatusCallback cb) { DeleteAsync(path, version, std::move(cb)); });
}

absl::StatusOr<std::optional<Stat>> ZkClient::Exists(const std::string& path, Watcher watcher) {
  return Await<std::optional<Stat>>(*session_, [&](Callback<std::optional<Stat>> cb) {
    ExistsAsync(path, std::move(watcher), std::move(cb));
  });
}

absl::StatusOr<DataResult> ZkClient::GetData(const std::string& path, Watcher watcher) {
  return Await<DataResult>(*session_, [&](Callback<DataResult> cb) {
    GetDataAsync(path, std::move(watcher), std::move(cb));
  });
}

absl::StatusOr<Stat> ZkClient::SetData(const std::string& path, std::string data, int32_t version) {
  return Await<Stat>(*session_, [&](Callback<Stat> cb) {
    SetDataAsync(path, std::move(data), version, std::move(cb));
  });
}

absl::StatusOr<ChildrenResult> ZkClient::GetChildren(const std::string& path, Watcher watcher) {
  return Await<ChildrenResult>(*session_, [&](Callback<ChildrenResult> cb) {
    GetChildrenAsync(path, std::move(watcher), std::move(cb));
  });
}

absl::Status ZkClient::Sync(const std::string& path) {
  return AwaitStatus(*session_, [&](StatusCallback cb) { SyncAsync(path, std::move(cb)); });
}

absl::StatusOr<std::vector<OpResult>> ZkClient::Multi(const zk::Multi& multi) {
  return Await<std::vector<OpResult>>(
      *session_, [&](Callback<std::vector<OpResult>> cb) { MultiAsync(multi, std::move(cb)); });
}

absl::StatusOr<std::vector<ReadResult>> ZkClient::MultiRead(const zk::MultiRead& reads) {
  return Await<std::vector<ReadResult>>(*session_, [&](Callback<std::vector<ReadResult>> cb) {
    MultiReadAsync(reads, std::move(cb));
  });
}

absl::StatusOr<AclResult> ZkClient::GetAcl(const std::string& path) {
  return Await<AclResult>(*session_,
                          [&](Callback<AclResult> cb) { GetAclAsync(path, std::move(cb)); });
}

absl::StatusOr<Stat> ZkClient::SetAcl(const std::string& path, const std::vector<Acl>& acl,
                                      int32_t aversion) {
  return Await<Stat>(*session_,
                     [&](Callback<Stat> cb) { SetAclAsync(path, acl, aversion, std::move(cb)); });
}

absl::Status ZkClient::AddAuth(const std::string& scheme, const std::string& auth) {
  return AwaitStatus(*session_,
                     [&](StatusCallback cb) { AddAuthAsync(scheme, auth, std::move(cb)); });
}

absl::Status ZkClient::AddWatch(const std::string& path, proto::AddWatchMode mode,
                                Watcher watcher) {
  return AwaitStatus(*session_, [&](StatusCallback cb) {
    AddWatchAsync(path, mode, std::move(watcher), std::move(cb));
  });
}

absl::Status ZkClient::RemoveWatches(const std::string& path, proto::WatcherType type,
                                     bool local_only) {
  return AwaitStatus(*session_, [&](StatusCallback cb) {
    RemoveWatchesAsync(path, type, local_only, std::move(cb));
  });
}

absl::Status ZkClient::CheckWatches(const std::string& path, proto::WatcherType type) {
  return AwaitStatus(*session_,
                     [&](StatusCallback cb) { CheckWatchesAsync(path, type, std::move(cb)); });
}

absl::StatusOr<std::vector<std::string>> ZkClient::GetEphemerals(const std::string& prefix_path) {
  return Await<std::vector<std::string>>(*session_, [&](Callback<std::vector<std::string>> cb) {
    GetEphemeralsAsync(prefix_path, std::move(cb));
  });
}

absl::StatusOr<int32_t> ZkClient::GetAllChildrenNumber(const std::string& path) {
  return Await<int32_t>(
      *session_, [&](Callback<int32_t> cb) { GetAllChildrenNumberAsync(path, std::move(cb)); });
}

absl::StatusOr<std::vector<proto::Id>> ZkClient::WhoAmI() {
  return Await<std::vector<proto::Id>>(
      *session_, [&](Callback<std::vector<proto::Id>> cb) { WhoAmIAsync(std::move(cb)); });
}

absl::Status ZkClient::EnsurePath(const std::string& path) {
  if (absl::Status s = ValidatePath(path); !s.ok()) return s;
  if (path == "/") return absl::OkStatus();
  absl::StatusOr<std::optional<Stat>> exists = Exists(path);
  if (!exists.ok()) return exists.status();
  if (exists->has_value()) return absl::OkStatus();
  if (absl::Status s = EnsurePath(ParentPath(path)); !s.ok()) return s;
  absl::StatusOr<std::string> created = Create(path);
  if (!created.ok() && !IsNodeExists(created.status())) return created.status();
  return absl::OkStatus();
}

absl::Status ZkClient::DeleteRecursive(const std::string& path) {
  // Bounded: a subtree that keeps regrowing is given up after a few rounds.
  constexpr int kMaxRounds = 5;
  for (int round = 0; round < kMaxRounds; ++round) {
    absl::StatusOr<ChildrenResult> children = GetChildren(path);
    if (IsNoNode(children.status())) return absl::OkStatus();
    if (!children.ok()) return children.status();
    for (const std::string& child : children->children) {
      if (absl::Status s = DeleteRecursive(JoinPath(path, child)); !s.ok()) return s;
    }
    if (path == "/") return absl::OkStatus();
    absl::Status s = Delete(path);
    if (s.ok() || IsNoNode(s)) return absl::OkStatus();
    if (!IsNotEmpty(s)) return s;
  }
  return ZkError(proto::NOT_EMPTY, path);
}

}  // namespace zk
