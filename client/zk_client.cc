// ZkClient: options, chroot handling and the asynchronous operations, each
// turning a call into a proto::Request and its Response into a result.
#include "client/zk_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/connect_string.h"
#include "client/paths.h"
#include "client/session.h"
#include "client/tls.h"

namespace zk {
namespace {

absl::Status StatusOf(const proto::Response& r, const std::string& path) {
  if (r.err() == proto::OK) return absl::OkStatus();
  std::string detail = path;
  if (!r.error_message().empty()) {
    detail = path.empty() ? r.error_message() : absl::StrCat(path, " (", r.error_message(), ")");
  }
  return ZkError(r.err(), detail);
}

std::vector<std::string> Names(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return std::vector<std::string>(f.begin(), f.end());
}

}  // namespace

absl::StatusOr<std::unique_ptr<ZkClient>> ZkClient::Create(ClientOptions options) {
  absl::StatusOr<ConnectString> servers = ParseConnectString(options.connect_string);
  if (!servers.ok()) return servers.status();
  if (options.session_timeout <= absl::ZeroDuration()) {
    return ZkError(proto::BAD_ARGUMENTS, "session timeout must be positive");
  }
  if (options.max_batch < 1) options.max_batch = 1;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentialsFor(options);
  if (!credentials.ok()) return credentials.status();
  auto session =
      std::make_unique<Session>(std::move(options), *std::move(servers), *std::move(credentials));
  session->Start();
  return std::unique_ptr<ZkClient>(new ZkClient(std::move(session)));
}

absl::StatusOr<std::unique_ptr<ZkClient>> ZkClient::Connect(std::string connect_string,
                                                            absl::Duration session_timeout,
                                                            absl::Duration connect_timeout) {
  ClientOptions options;
  options.connect_string = std::move(connect_string);
  options.session_timeout = session_timeout;
  absl::StatusOr<std::unique_ptr<ZkClient>> client = Create(std::move(options));
  if (!client.ok()) return client;
  if (absl::Status s = (*client)->WaitConnected(connect_timeout); !s.ok()) return s;
  return client;
}

ZkClient::ZkClient(std::unique_ptr<Session> session) : session_(std::move(session)) {}
ZkClient::~ZkClient() = default;

absl::Status ZkClient::Close(absl::Duration timeout) { return session_->Close(timeout); }
absl::Status ZkClient::WaitConnected(absl::Duration timeout) {
  return session_->WaitConnected(timeout);
}
SessionState ZkClient::state() const { return session_->state(); }
int64_t ZkClient::session_id() const { return session_->session_id(); }
std::string ZkClient::session_password() const { return session_->password(); }
absl::Duration ZkClient::negotiated_timeout() const { return session_->negotiated_timeout(); }
std::string ZkClient::current_server() const { return session_->current_server(); }
const std::string& ZkClient::chroot() const { return session_->chroot(); }
int64_t ZkClient::last_zxid() const { return session_->last_zxid(); }
int ZkClient::AddStateListener(std::function<void(SessionState)> listener) {
  return session_->AddStateListener(std::move(listener));
}
void ZkClient::RemoveStateListener(int id) { session_->RemoveStateListener(id); }

std::string ZkClient::ServerPath(const std::string& path) const {
  return PrependChroot(session_->chroot(), path);
}
std::string ZkClient::UserPath(const std::string& server_path) const {
  return StripChroot(session_->chroot(), server_path);
}

bool ZkClient::CheckPath(const std::string& path, bool sequential,
                         const std::function<void(absl::Status)>& fail) {
  absl::Status s = ValidatePath(path, sequential);
  if (s.ok()) return true;
  session_->callbacks().Post([fail, s] { fail(s); });
  return false;
}

void ZkClient::CreateAsync(const std::string& path, std::string data, const CreateOptions& options,
                           Callback<CreateResult> done) {
  const bool sequential = options.mode == proto::PERSISTENT_SEQUENTIAL ||
                          options.mode == proto::EPHEMERAL_SEQUENTIAL ||
                          options.mode == proto::PERSISTENT_SEQUENTIAL_WITH_TTL;
  if (!CheckPath(path, sequential, done)) return;
  proto::Request req;
  proto::CreateRequest* c = req.mutable_create();
  c->set_path(ServerPath(path));
  c->set_data(std::move(data));
  c->set_mode(options.mode);
  c->set_ttl_ms(options.ttl_ms);
  for (const Acl& acl : options.acl) *c->add_acl() = acl;
  // The contract says empty means open, but send it explicitly: servers that
  // insist on a non-empty list (ZooKeeper does) then accept it too.
  if (c->acl().empty()) *c->add_acl() = OpenAclUnsafe()[0];
  session_->Submit(std::move(req), [chroot = chroot(), path, done](const proto::Response& r) {
    if (absl::Status s = StatusOf(r, path); !s.ok()) return done(s);
    done(CreateResult{StripChroot(chroot, r.create().path()), r.create().stat()});
  });
}

void ZkClient::DeleteAsync(const std::string& path, int32_t version, StatusCallback done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_delete_()->set_path(ServerPath(path));
  req.mutable_delete_()->set_version(version);
  session_->Submit(std::move(req),
                   [path, done](const proto::Response& r) { done(StatusOf(r, path)); });
}

void ZkClient::ExistsAsync(const std::string& path, Watcher watcher,
                           Callback<std::optional<Stat>> done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_exists()->set_path(ServerPath(path));
  req.mutable_exists()->set_watch(watcher != nullptr);
  std::optional<WatchRegistration> watch;
  if (watcher) watch = WatchRegistration{WatchKind::kExist, ServerPath(path), std::move(watcher)};
  session_->Submit(
      std::move(req),
      [path, done](const proto::Response& r) {
        if (r.err() == proto::NO_NODE) return done(std::optional<Stat>());
        if (absl::Status s = StatusOf(r, path); !s.ok()) return done(s);
        done(std::optional<Stat>(r.stat().stat()));
      },
      std::move(watch));
}

void ZkClient::GetDataAsync(const std::string& path, Watcher watcher, Callback<DataResult> done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_get_data()->set_path(ServerPath(path));
  req.mutable_get_data()->set_watch(watcher != nullptr);
  std::optional<WatchRegistration> watch;
  if (watcher) watch = WatchRegistration{WatchKind::kData, ServerPath(path), std::move(watcher)};
  session_->Submit(
      std::move(req),
      [path, done](const proto::Response& r) {
        if (absl::Status s = StatusOf(r, path); !s.ok()) return done(s);
        done(DataResult{r.get_data().data(), r.get_data().stat()});
      },
      std::move(watch));
}

void ZkClient::SetDataAsync(const std::string& path, std::string data, int32_t version,
                            Callback<Stat> done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_set_data()->set_path(ServerPath(path));
  req.mutable_set_data()->set_data(std::move(data));
  req.mutable_set_data()->set_version(version);
  session_->Submit(std::move(req), [path, done](const proto::Response& r) {
    if (absl::Status s = StatusOf(r, path); !s.ok()) return done(s);
    done(r.stat().stat());
  });
}

void ZkClient::GetChildrenAsync(const std::string& path, Watcher watcher,
                                Callback<ChildrenResult> done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_get_children()->set_path(ServerPath(path));
  req.mutable_get_children()->set_watch(watcher != nullptr);
  std::optional<WatchRegistration> watch;
  if (watcher) watch = WatchRegistration{WatchKind::kChild, ServerPath(path), std::move(watcher)};
  session_->Submit(
      std::move(req),
      [path, done](const proto::Response& r) {
        if (absl::Status s = StatusOf(r, path); !s.ok()) return done(s);
        ChildrenResult result{Names(r.get_children().children()), r.get_children().stat()};
        std::sort(result.children.begin(), result.children.end());
        done(std::move(result));
      },
      std::move(watch));
}

void ZkClient::SyncAsync(const std::string& path, StatusCallback done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_sync()->set_path(ServerPath(path));
  session_->Submit(std::move(req),
                   [path, done](const proto::Response& r) { done(StatusOf(r, path)); });
}

void ZkClient::MultiAsync(const zk::Multi& multi, Callback<std::vector<OpResult>> done) {
  proto::Request req;
  proto::MultiRequest* m = req.mutable_multi();
  for (const proto::Op& op : multi.ops()) {
    proto::Op* out = m->add_ops();
    *out = op;
    std::string* path = nullptr;
    bool sequential = false;
    switch (out->op_case()) {
      case proto::Op::kCreate:
        path = out->mutable_create()->mutable_path();
        sequential = out->create().mode() == proto::PERSISTENT_SEQUENTIAL ||
                     out->create().mode() == proto::EPHEMERAL_SEQUENTIAL ||
                     out->create().mode() == proto::PERSISTENT_SEQUENTIAL_WITH_TTL;
        break;
      case proto::Op::kDelete:
        path = out->mutable_delete_()->mutable_path();
        break;
      case proto::Op::kSetData:
        path = out->mutable_set_data()->mutable_path();
        break;
      case proto::Op::kCheck:
        path = out->mutable_check()->mutable_path();
        break;
      default:
        break;
    }
    if (out->op_case() == proto::Op::kCreate && out->create().acl().empty()) {
      *out->mutable_create()->add_acl() = OpenAclUnsafe()[0];
    }
    if (path == nullptr) {
      session_->callbacks().Post([done] { done(ZkError(proto::BAD_ARGUMENTS, "empty multi op")); });
      return;
    }
    if (!CheckPath(*path, sequential, done)) return;
    *path = ServerPath(*path);
  }
  session_->Submit(std::move(req), [chroot = chroot(), done](const proto::Response& r) {
    std::vector<OpResult> results;
    int failed = -1;
    for (const proto::OpResult& res : r.multi().results()) {
      OpResult out;
      out.err = res.err();
      if (res.has_create()) {
        out.path = StripChroot(chroot, res.create().path());
        out.stat = res.create().stat();
      }
      if (res.has_set_data()) out.stat = res.set_data().stat();
      if (failed < 0 && res.err() != proto::OK && res.err() != proto::RUNTIME_INCONSISTENCY) {
        failed = static_cast<int>(results.size());
      }
      results.push_back(std::move(out));
    }
    if (failed >= 0) {
      return done(ZkError(results[failed].err, absl::StrCat("multi op #", failed)));
    }
    if (r.err() != proto::OK) return done(StatusOf(r, "multi"));
    done(std::move(results));
  });
}

void ZkClient::MultiReadAsync(const zk::MultiRead& reads, Callback<std::vector<ReadResult>> done) {
  proto::Request req;
  for (const proto::ReadOp& op : reads.ops()) {
    proto::ReadOp* out = req.mutable_multi_read()->add_ops();
    *out = op;
    std::string* path = out->has_get_data() ? out->mutable_get_data()->mutable_path()
                                            : out->mutable_get_children()->mutable_path();
    if (!CheckPath(*path, false, done)) return;
    *path = ServerPath(*path);
  }
  req.mutable_multi_read();
  session_->Submit(std::move(req), [done](const proto::Response& r) {
    if (absl::Status s = StatusOf(r, "multiRead"); !s.ok()) return done(s);
    std::vector<ReadResult> results;
    for (const proto::ReadOpResult& res : r.multi_read().results()) {
      ReadResult out;
      out.err = res.err();
      if (res.has_get_data()) out.data = DataResult{res.get_data().data(), res.get_data().stat()};
      if (res.has_get_children()) {
        out.children =
            ChildrenResult{Names(res.get_children().children()), res.get_children().stat()};
      }
      results.push_back(std::move(out));
    }
    done(std::move(results));
  });
}

void ZkClient::GetAclAsync(const std::string& path, Callback<AclResult> done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_get_acl()->set_path(ServerPath(path));
  session_->Submit(std::move(req), [path, done](const proto::Response& r) {
    if (absl::Status s = StatusOf(r, path); !s.ok()) return done(s);
    done(AclResult{{r.get_acl().acl().begin(), r.get_acl().acl().end()}, r.get_acl().stat()});
  });
}

void ZkClient::SetAclAsync(const std::string& path, const std::vector<Acl>& acl, int32_t aversion,
                           Callback<Stat> done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_set_acl()->set_path(ServerPath(path));
  req.mutable_set_acl()->set_version(aversion);
  for (const Acl& a : acl) *req.mutable_set_acl()->add_acl() = a;
  session_->Submit(std::move(req), [path, done](const proto::Response& r) {
    if (absl::Status s = StatusOf(r, path); !s.ok()) return done(s);
    done(r.stat().stat());
  });
}

void ZkClient::AddAuthAsync(const std::string& scheme, const std::string& auth,
                            StatusCallback done) {
  proto::Request req;
  req.mutable_auth()->set_scheme(scheme);
  req.mutable_auth()->set_auth(auth);
  // Remembered at once so that a reattach racing this call replays it.
  session_->RememberAuth(scheme, auth);
  session_->Submit(std::move(req), [scheme, done](const proto::Response& r) {
    done(StatusOf(r, absl::StrCat("scheme ", scheme)));
  });
}

void ZkClient::AddWatchAsync(const std::string& path, proto::AddWatchMode mode, Watcher watcher,
                             StatusCallback done) {
  if (!CheckPath(path, false, done)) return;
  if (!watcher) {
    session_->callbacks().Post([done] { done(ZkError(proto::BAD_ARGUMENTS, "null watcher")); });
    return;
  }
  proto::Request req;
  req.mutable_add_watch()->set_path(ServerPath(path));
  req.mutable_add_watch()->set_mode(mode);
  const WatchKind kind = mode == proto::PERSISTENT_RECURSIVE_WATCH ? WatchKind::kPersistentRecursive
                                                                   : WatchKind::kPersistent;
  session_->Submit(
      std::move(req), [path, done](const proto::Response& r) { done(StatusOf(r, path)); },
      WatchRegistration{kind, ServerPath(path), std::move(watcher)});
}

void ZkClient::RemoveWatchesAsync(const std::string& path, proto::WatcherType type, bool local_only,
                                  StatusCallback done) {
  if (!CheckPath(path, false, done)) return;
  const std::string server_path = ServerPath(path);
  if (local_only) {
    const size_t removed = session_->RemoveLocalWatches(server_path, type);
    session_->callbacks().Post([done, removed, path] {
      done(removed > 0 ? absl::OkStatus() : ZkError(proto::NO_WATCHER, path));
    });
    return;
  }
  if (!session_->HasLocalWatch(server_path, type)) {
    session_->callbacks().Post([done, path] { done(ZkError(proto::NO_WATCHER, path)); });
    return;
  }
  proto::Request req;
  req.mutable_remove_watches()->set_path(server_path);
  req.mutable_remove_watches()->set_type(type);
  session_->Submit(std::move(req), [this, server_path, type, path, done](const proto::Response& r) {
    if (r.err() == proto::OK || r.err() == proto::NO_WATCHER) {
      session_->RemoveLocalWatches(server_path, type);
    }
    done(StatusOf(r, path));
  });
}

void ZkClient::CheckWatchesAsync(const std::string& path, proto::WatcherType type,
                                 StatusCallback done) {
  if (!CheckPath(path, false, done)) return;
  if (!session_->HasLocalWatch(ServerPath(path), type)) {
    session_->callbacks().Post([done, path] { done(ZkError(proto::NO_WATCHER, path)); });
    return;
  }
  proto::Request req;
  req.mutable_check_watches()->set_path(ServerPath(path));
  req.mutable_check_watches()->set_type(type);
  session_->Submit(std::move(req),
                   [path, done](const proto::Response& r) { done(StatusOf(r, path)); });
}

void ZkClient::GetEphemeralsAsync(const std::string& prefix_path,
                                  Callback<std::vector<std::string>> done) {
  proto::Request req;
  req.mutable_get_ephemerals()->set_prefix_path(ServerPath(prefix_path));
  session_->Submit(std::move(req),
                   [chroot = chroot(), prefix_path, done](const proto::Response& r) {
                     if (absl::Status s = StatusOf(r, prefix_path); !s.ok()) return done(s);
                     std::vector<std::string> paths;
                     for (const std::string& p : r.get_ephemerals().paths())
                       paths.push_back(StripChroot(chroot, p));
                     done(std::move(paths));
                   });
}

void ZkClient::GetAllChildrenNumberAsync(const std::string& path, Callback<int32_t> done) {
  if (!CheckPath(path, false, done)) return;
  proto::Request req;
  req.mutable_get_all_children_number()->set_path(ServerPath(path));
  session_->Submit(std::move(req), [path, done](const proto::Response& r) {
    if (absl::Status s = StatusOf(r, path); !s.ok()) return done(s);
    done(r.get_all_children_number().total_number());
  });
}

void ZkClient::WhoAmIAsync(Callback<std::vector<proto::Id>> done) {
  proto::Request req;
  req.mutable_who_am_i();
  session_->Submit(std::move(req), [done](const proto::Response& r) {
    if (absl::Status s = StatusOf(r, ""); !s.ok()) return done(s);
    done(std::vector<proto::Id>(r.who_am_i().client_info().begin(),
                                r.who_am_i().client_info().end()));
  });
}

}  // namespace zk
