// ReadExecutor: executes the requests that change no replicated state
// (getData, exists, getChildren, multiRead, ACLs, ephemerals, watches and
// their re-registration, auth) against a server's applied state. Shared by
// every front end; the caller holds whatever guards the state (the tree lock
// for reading).
#include "server/read_executor.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/auth.h"
#include "server/errors.h"
#include "server/path_util.h"
#include "server/request_util.h"

namespace zabkeeper::server {

void RecentDeletes::Add(Zxid zxid, const std::string& path) {
  entries_.emplace_back(zxid, path);
  if (entries_.size() > kMax) entries_.pop_front();
}

void ReadExecutor::Execute(int64_t session_id, Connection& conn, const proto::Request& request,
                           std::vector<proto::Response>* out) {
  if (request.body_case() == proto::Request::kSetWatches) {
    SetWatches(session_id, request.set_watches(), out);
  }
  proto::Response& response = out->emplace_back();
  response.set_xid(request.xid());
  response.set_op(OpOf(request));
  response.set_zxid(StatZxid(state_.last_applied()));
  FillRead(session_id, conn, request, &response);
}

void ReadExecutor::FillRead(int64_t session_id, Connection& conn, const proto::Request& request,
                            proto::Response* response) {
  const DataTree& tree = state_.tree();
  auto fail = [&](const absl::Status& status) {
    response->set_err(ErrorCodeOf(status));
    response->set_error_message(std::string(status.message()));
  };
  auto lookup = [&](const std::string& path) -> const Znode* {
    if (absl::Status s = ValidatePath(path); !s.ok()) {
      fail(s);
      return nullptr;
    }
    const Znode* node = tree.Find(path);
    if (node == nullptr) fail(ZkError(proto::NO_NODE, path));
    return node;
  };
  // ZooKeeper checks READ (getACL: READ or ADMIN) where it reads a node.
  std::vector<proto::Id> ids = conn.auth();
  auto allowed = [&](const Znode* node, int32_t perm, const std::string& path) {
    if (CheckAcl(tree.acls().Get(node->acl_id), perm, ids, super_digest_)) return true;
    fail(ZkError(proto::NO_AUTH, absl::StrCat("not authorized to read ", path)));
    return false;
  };
  // Sets a watch the request asked for; a request whose watch is over the
  // session's limit fails whole, with nothing done.
  auto watch = [&](const std::string& path, WatchKind kind) {
    if (MayWatch(path, session_id, kind)) {
      watches_.Add(path, session_id, kind);
      return true;
    }
    fail(ZkError(proto::THROTTLED_OP,
                 absl::StrCat("session 0x", absl::Hex(session_id), " holds ",
                              watches_.SessionWatchCount(session_id),
                              " watches, the most maxWatchesPerSession allows")));
    return false;
  };
  switch (request.body_case()) {
    case proto::Request::kExists: {
      const std::string& path = request.exists().path();
      if (absl::Status s = ValidatePath(path); !s.ok()) return fail(s);
      // exists on a missing node watches for its creation.
      if (request.exists().watch() && !watch(path, WatchKind::kData)) return;
      const Znode* node = tree.Find(path);
      if (node == nullptr) return fail(ZkError(proto::NO_NODE, path));
      node->FillStat(response->mutable_stat()->mutable_stat());
      return;
    }
    case proto::Request::kGetData: {
      const Znode* node = lookup(request.get_data().path());
      if (node == nullptr || !allowed(node, kPermRead, request.get_data().path())) return;
      if (request.get_data().watch() && !watch(request.get_data().path(), WatchKind::kData)) {
        return;
      }
      response->mutable_get_data()->set_data(node->data);
      node->FillStat(response->mutable_get_data()->mutable_stat());
      return;
    }
    case proto::Request::kGetChildren: {
      const Znode* node = lookup(request.get_children().path());
      if (node == nullptr || !allowed(node, kPermRead, request.get_children().path())) return;
      if (limits_.max_children_per_reply > 0 &&
          node->children.size() > limits_.max_children_per_reply) {
        return fail(
            ZkError(proto::THROTTLED_OP,
                    absl::StrCat(request.get_children().path(), " has ", node->children.size(),
                                 " children, more than maxChildrenPerReply (",
                                 limits_.max_children_per_reply, ") lets one reply list")));
      }
      if (request.get_children().watch() &&
          !watch(request.get_children().path(), WatchKind::kChild)) {
        return;
      }
      proto::GetChildrenResponse* out = response->mutable_get_children();
      for (absl::string_view child : node->children) out->add_children(std::string(child));
      node->FillStat(out->mutable_stat());
      return;
    }
    case proto::Request::kMultiRead: {
      proto::MultiReadResponse* out = response->mutable_multi_read();
      for (const proto::ReadOp& op : request.multi_read().ops()) {
        proto::Request sub;
        if (op.has_get_data()) {
          *sub.mutable_get_data() = op.get_data();
        } else if (op.has_get_children()) {
          *sub.mutable_get_children() = op.get_children();
        }
        proto::Response sub_response;
        if (sub.body_case() == proto::Request::BODY_NOT_SET) {
          sub_response.set_err(proto::UNIMPLEMENTED);
        } else {
          FillRead(session_id, conn, sub, &sub_response);
        }
        proto::ReadOpResult* result = out->add_results();
        result->set_err(sub_response.err());
        if (sub_response.has_get_data()) *result->mutable_get_data() = sub_response.get_data();
        if (sub_response.has_get_children()) {
          *result->mutable_get_children() = sub_response.get_children();
        }
      }
      return;
    }
    case proto::Request::kSync:
      // Standalone: this server is the leader, so it is always up to date.
      response->mutable_sync()->set_path(request.sync().path());
      return;
    case proto::Request::kPing:
    case proto::Request::kSetWatches:
      return;
    case proto::Request::kGetAcl: {
      const Znode* node = lookup(request.get_acl().path());
      if (node == nullptr || !allowed(node, kPermRead | kPermAdmin, request.get_acl().path())) {
        return;
      }
      tree.acls().CopyTo(node->acl_id, response->mutable_get_acl()->mutable_acl());
      node->FillStat(response->mutable_get_acl()->mutable_stat());
      if (!CheckAcl(tree.acls().Get(node->acl_id), kPermAdmin, ids, super_digest_)) {
        // As ZooKeeper: without ADMIN a digest id shows "user:x", not the
        // password hash (unsalted SHA-1, open to offline guessing).
        for (proto::Acl& acl : *response->mutable_get_acl()->mutable_acl()) {
          if (acl.id().scheme() != "digest") continue;
          const std::string& id = acl.id().id();
          acl.mutable_id()->set_id(id.substr(0, id.find(':')) + ":x");
        }
      }
      return;
    }
    case proto::Request::kGetEphemerals: {
      const std::string& prefix = request.get_ephemerals().prefix_path();
      for (const std::string& path : tree.EphemeralsOf(session_id)) {
        if (path.rfind(prefix, 0) == 0) response->mutable_get_ephemerals()->add_paths(path);
      }
      response->mutable_get_ephemerals();
      return;
    }
    case proto::Request::kGetAllChildrenNumber: {
      const std::string& path = request.get_all_children_number().path();
      const Znode* node = lookup(path);
      if (node == nullptr || !allowed(node, kPermRead, path)) return;
      // Depth-first count of all descendants (bounded by the tree's size).
      int32_t total = 0;
      std::vector<std::string> stack = {path};
      while (!stack.empty()) {
        std::string current = std::move(stack.back());
        stack.pop_back();
        const Znode* n = tree.Find(current);
        if (n == nullptr) continue;
        for (absl::string_view child : n->children) {
          ++total;
          stack.push_back(JoinPath(current, child));
        }
      }
      response->mutable_get_all_children_number()->set_total_number(total);
      return;
    }
    case proto::Request::kAddWatch: {
      // Session-local, like ZooKeeper: the node need not exist, and no ACL is
      // checked here.
      const std::string& path = request.add_watch().path();
      if (absl::Status s = ValidatePath(path); !s.ok()) return fail(s);
      switch (request.add_watch().mode()) {
        case proto::PERSISTENT_WATCH:
          watch(path, WatchKind::kPersistent);
          return;
        case proto::PERSISTENT_RECURSIVE_WATCH:
          watch(path, WatchKind::kPersistentRecursive);
          return;
        default:
          return fail(ZkError(proto::BAD_ARGUMENTS,
                              absl::StrCat("unknown addWatch mode ",
                                           static_cast<int>(request.add_watch().mode()))));
      }
    }
    case proto::Request::kRemoveWatches:
    case proto::Request::kCheckWatches: {
      const bool remove = request.has_remove_watches();
      const std::string& path =
          remove ? request.remove_watches().path() : request.check_watches().path();
      const proto::WatcherType type =
          remove ? request.remove_watches().type() : request.check_watches().type();
      if (absl::Status s = ValidatePath(path); !s.ok()) return fail(s);
      if (WatchKindsOf(type).empty()) {
        return fail(ZkError(proto::BAD_ARGUMENTS,
                            absl::StrCat("unknown watcher type ", static_cast<int>(type))));
      }
      // ZooKeeper's client, not its server, reports *WatchRemoved to the
      // removed watchers; the reply says whether there was one.
      const bool found = remove ? watches_.Remove(path, session_id, type)
                                : watches_.Contains(path, session_id, type);
      if (!found) {
        return fail(ZkError(proto::NO_WATCHER,
                            absl::StrCat(path, " (type: ", proto::WatcherType_Name(type), ")")));
      }
      return;
    }
    case proto::Request::kWhoAmI:
      for (const proto::Id& id : ids) {
        proto::Id* info = response->mutable_who_am_i()->add_client_info();
        *info = id;
        // ZooKeeper reports the user, not the credential: a digest id is
        // "user:base64(sha1)", and whoAmI answers "user" (as its
        // DigestAuthenticationProvider.getUserName).
        if (id.scheme() == "digest") info->set_id(id.id().substr(0, id.id().find(':')));
      }
      return;
    case proto::Request::kAuth: {
      absl::StatusOr<proto::Id> id = Authenticate(request.auth().scheme(), request.auth().auth());
      if (!id.ok()) return fail(id.status());
      conn.AddAuth(*id);
      return;
    }
    default:
      return fail(ZkError(proto::UNIMPLEMENTED,
                          absl::StrCat("operation ", proto::OpCode_Name(OpOf(request)),
                                       " is not implemented yet")));
  }
}

void ReadExecutor::CatchUpSubtree(const std::string& root, Zxid rel,
                                  std::vector<proto::Response>* events) {
  // Beyond ZooKeeper (which loses these): what changed below a recursive
  // watch while the client was detached. Creates and data changes are read
  // off the descendants' stats; deletes come from the recent-deletes log,
  // which covers the last kMaxTombstones deletes on this server.
  const DataTree& tree = state_.tree();
  auto under = [&](const std::string& p) {
    return root == "/" ? p != "/"
                       : p.size() > root.size() && p.compare(0, root.size(), root) == 0 &&
                             p[root.size()] == '/';
  };
  std::vector<std::string> stack;
  if (const Znode* node = tree.Find(root)) {
    for (absl::string_view child : node->children) stack.push_back(JoinPath(root, child));
  }
  while (!stack.empty()) {  // bounded by the size of the subtree
    std::string path = std::move(stack.back());
    stack.pop_back();
    const Znode* node = tree.Find(path);
    if (node == nullptr) continue;
    if (node->stat.created() > rel) {
      events->push_back(WatchEventResponse(proto::NODE_CREATED, path, node->stat.created()));
    } else if (node->stat.modified() > rel) {
      events->push_back(WatchEventResponse(proto::NODE_DATA_CHANGED, path, node->stat.modified()));
    }
    for (absl::string_view child : node->children) stack.push_back(JoinPath(path, child));
  }
  for (const auto& [zxid, path] : deletes_.entries()) {
    if (zxid > rel && under(path)) {
      events->push_back(WatchEventResponse(proto::NODE_DELETED, path, zxid));
    }
  }
}

bool ReadExecutor::MayWatch(const std::string& path, int64_t session_id, WatchKind kind) const {
  return limits_.max_watches_per_session == 0 ||
         watches_.SessionWatchCount(session_id) < limits_.max_watches_per_session ||
         watches_.Has(path, session_id, kind);
}

void ReadExecutor::SetWatches(int64_t session_id, const proto::SetWatchesRequest& req,
                              std::vector<proto::Response>* events) {
  // ZooKeeper's DataTree.setWatches: anything that changed after the zxid the
  // client last saw fires at once; the rest is registered.
  const DataTree& tree = state_.tree();
  // A negative relativeZxid (no client sends one) counts as zero: all changed.
  const Zxid rel = ZxidOfStat(std::max<int64_t>(0, req.relative_zxid()));
  const Zxid now = state_.last_applied();
  const size_t first_event = events->size();
  // A reconnecting client re-registers what it held, so it is over
  // maxWatchesPerSession only if the limit shrank; the excess is dropped
  // and logged (setWatches has no per-watch error to give).
  size_t dropped = 0;
  auto rewatch = [&](const std::string& path, WatchKind kind) {
    if (MayWatch(path, session_id, kind)) {
      watches_.Add(path, session_id, kind);
    } else {
      ++dropped;
    }
  };
  for (const std::string& path : req.data_watches()) {
    const Znode* node = tree.Find(path);
    if (node == nullptr) {
      events->push_back(WatchEventResponse(proto::NODE_DELETED, path, now));
    } else if (node->stat.modified() > rel) {
      events->push_back(WatchEventResponse(proto::NODE_DATA_CHANGED, path, node->stat.modified()));
    } else {
      rewatch(path, WatchKind::kData);
    }
  }
  for (const std::string& path : req.exist_watches()) {
    const Znode* node = tree.Find(path);
    if (node != nullptr) {
      events->push_back(WatchEventResponse(proto::NODE_CREATED, path, node->stat.created()));
    } else {
      rewatch(path, WatchKind::kData);
    }
  }
  for (const std::string& path : req.child_watches()) {
    const Znode* node = tree.Find(path);
    if (node == nullptr) {
      events->push_back(WatchEventResponse(proto::NODE_DELETED, path, now));
    } else if (node->stat.children_changed() > rel) {
      events->push_back(
          WatchEventResponse(proto::NODE_CHILDREN_CHANGED, path, node->stat.children_changed()));
    } else {
      rewatch(path, WatchKind::kChild);
    }
  }
  // Persistent and recursive watches are re-registered whatever happened (as
  // in ZooKeeper). ZooKeeper fires nothing for them here; we also report
  // what changed on the watched node itself since relative_zxid, so that a
  // change made while the client was detached is not lost: NodeCreated
  // (czxid > rel), else NodeDataChanged (mzxid > rel); a missing node whose
  // nearest existing ancestor had its children changed since then:
  // NodeDeleted (it may have existed). A PERSISTENT watch also gets
  // NodeChildrenChanged (pzxid > rel). Below a recursive watch's node,
  // CatchUpSubtree reports creates, data changes and (recent) deletes. No such
  // guess for a path with an exists watch: that one-shot watch, still
  // waiting for the creation, must not be consumed by a NodeDeleted.
  const std::set<std::string> exist_paths(req.exist_watches().begin(), req.exist_watches().end());
  auto catch_up = [&](const std::string& path, bool children) {
    if (ValidatePath(path).ok()) {
      const Znode* node = tree.Find(path);
      if (node == nullptr) {
        if (exist_paths.contains(path)) return;
        std::string up = path;
        const Znode* ancestor = nullptr;
        while (ancestor == nullptr && up != "/") {
          const size_t slash = up.rfind('/');
          up = slash == 0 ? "/" : up.substr(0, slash);
          ancestor = tree.Find(up);
        }
        if (ancestor != nullptr && ancestor->stat.children_changed() > rel) {
          events->push_back(WatchEventResponse(proto::NODE_DELETED, path, now));
        }
      } else {
        if (node->stat.created() > rel) {
          events->push_back(WatchEventResponse(proto::NODE_CREATED, path, node->stat.created()));
        } else if (node->stat.modified() > rel) {
          events->push_back(
              WatchEventResponse(proto::NODE_DATA_CHANGED, path, node->stat.modified()));
        }
        if (children && node->stat.children_changed() > rel &&
            node->stat.children_changed() != node->stat.created()) {
          events->push_back(WatchEventResponse(proto::NODE_CHILDREN_CHANGED, path,
                                               node->stat.children_changed()));
        }
      }
    }
  };
  for (const std::string& path : req.persistent_watches()) {
    rewatch(path, WatchKind::kPersistent);
    catch_up(path, true);
  }
  for (const std::string& path : req.persistent_recursive_watches()) {
    rewatch(path, WatchKind::kPersistentRecursive);
    catch_up(path, false);
    if (ValidatePath(path).ok()) CatchUpSubtree(path, rel, events);
  }
  // One event per (type, path) however many watches it stands for (the
  // client hands it to all of them), in zxid order.
  std::vector<proto::Response> fired(std::make_move_iterator(events->begin() + first_event),
                                     std::make_move_iterator(events->end()));
  events->resize(first_event);
  std::stable_sort(fired.begin(), fired.end(), [](const auto& a, const auto& b) {
    return a.watch_event().zxid() < b.watch_event().zxid();
  });
  std::set<std::pair<int, std::string>> seen;
  for (proto::Response& r : fired) {
    if (seen.insert({r.watch_event().type(), r.watch_event().path()}).second) {
      events->push_back(std::move(r));
    }
  }
  if (dropped > 0) {
    LOG(WARNING) << "setWatches of session 0x" << std::hex << session_id << std::dec << ": dropped "
                 << dropped << " watches over maxWatchesPerSession ("
                 << limits_.max_watches_per_session << ")";
  }
}

}  // namespace zabkeeper::server
