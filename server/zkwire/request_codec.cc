// Decoding: ZooKeeper request frames -> the node core's proto::Request.
#include "absl/strings/str_cat.h"
#include "server/zkwire/jute.h"
#include "server/zkwire/zk_codec.h"

namespace zabkeeper::zkwire {
namespace {

bool ReadAcls(JuteReader& in, google::protobuf::RepeatedPtrField<proto::Acl>& acls) {
  int32_t count = 0;
  if (!in.Int(count, "acl count")) return false;
  if (count == -1) return true;
  // An ACL takes at least 12 bytes (perms and two string lengths).
  if (count < 0 || static_cast<size_t>(count) > in.remaining() / 12) {
    return in.Fail(absl::StrCat("acl count ", count, " with ", in.remaining(), " bytes left"));
  }
  for (int32_t i = 0; i < count; ++i) {
    proto::Acl* acl = acls.Add();
    int32_t perms = 0;
    std::string scheme, id;
    if (!in.Int(perms, "acl perms") || !in.String(scheme, "acl scheme") ||
        !in.String(id, "acl id")) {
      return false;
    }
    acl->set_perms(perms);
    acl->mutable_id()->set_scheme(std::move(scheme));
    acl->mutable_id()->set_id(std::move(id));
  }
  return true;
}

bool ReadCreate(JuteReader& in, int32_t op, proto::CreateRequest& c) {
  std::string path, data;
  int32_t flags = 0;
  if (!in.String(path, "path") || !in.Buffer(data, "data") || !ReadAcls(in, *c.mutable_acl()) ||
      !in.Int(flags, "flags")) {
    return false;
  }
  c.set_path(std::move(path));
  c.set_data(std::move(data));
  // createContainer sends flags 4 (CONTAINER) itself; the numbers are
  // ZooKeeper's CreateMode flags.
  if (!proto::CreateMode_IsValid(flags)) return in.Fail(absl::StrCat("create flags ", flags));
  c.set_mode(static_cast<proto::CreateMode>(flags));
  if (op == proto::OP_CREATE_TTL) {
    int64_t ttl = 0;
    if (!in.Long(ttl, "ttl")) return false;
    c.set_ttl_ms(ttl);
  }
  return true;
}

// Requests of the shape (path, version): delete, check.
template <typename Request>
bool ReadPathVersion(JuteReader& in, Request& r) {
  std::string path;
  int32_t version = 0;
  if (!in.String(path, "path") || !in.Int(version, "version")) return false;
  r.set_path(std::move(path));
  r.set_version(version);
  return true;
}

// Requests of the shape (path, watch): exists, getData, getChildren(2).
template <typename Request>
bool ReadPathWatch(JuteReader& in, Request& r) {
  std::string path;
  bool watch = false;
  if (!in.String(path, "path") || !in.Bool(watch, "watch")) return false;
  r.set_path(std::move(path));
  r.set_watch(watch);
  return true;
}

bool ReadSetData(JuteReader& in, proto::SetDataRequest& r) {
  std::string path, data;
  int32_t version = 0;
  if (!in.String(path, "path") || !in.Buffer(data, "data") || !in.Int(version, "version")) {
    return false;
  }
  r.set_path(std::move(path));
  r.set_data(std::move(data));
  r.set_version(version);
  return true;
}

// One op of a multi (create, delete, setData, check).
bool ReadWriteOp(JuteReader& in, int32_t type, proto::Op& op) {
  switch (type) {
    case proto::OP_CREATE:
    case proto::OP_CREATE2:
    case proto::OP_CREATE_CONTAINER:
    case proto::OP_CREATE_TTL:
      return ReadCreate(in, type, *op.mutable_create());
    case proto::OP_DELETE:
      return ReadPathVersion(in, *op.mutable_delete_());
    case proto::OP_SET_DATA:
      return ReadSetData(in, *op.mutable_set_data());
    case proto::OP_CHECK:
      return ReadPathVersion(in, *op.mutable_check());
    default:
      return in.Fail(absl::StrCat("multi op type ", type));
  }
}

// One op of a multiRead (getData, getChildren).
bool ReadReadOp(JuteReader& in, int32_t type, proto::ReadOp& op) {
  if (type == proto::OP_GET_DATA) return ReadPathWatch(in, *op.mutable_get_data());
  if (type == proto::OP_GET_CHILDREN) return ReadPathWatch(in, *op.mutable_get_children());
  return in.Fail(absl::StrCat("multiRead op type ", type));
}

// The MultiHeader-framed op list of multi and multiRead, up to the header
// with done set.
template <typename AddOp>
bool ReadMultiOps(JuteReader& in, AddOp add_op) {
  while (true) {
    int32_t type = 0, err = 0;
    bool done = false;
    if (!in.Int(type, "multi header type") || !in.Bool(done, "multi header done") ||
        !in.Int(err, "multi header err")) {
      return false;
    }
    if (done) return true;
    if (!add_op(type)) return false;
  }
}

bool ReadBody(JuteReader& in, RequestShape& shape, proto::Request& r) {
  const int32_t op = shape.op;
  std::string path;
  int32_t version = 0;
  switch (op) {
    case proto::OP_CREATE:
    case proto::OP_CREATE2:
    case proto::OP_CREATE_CONTAINER:
    case proto::OP_CREATE_TTL:
      return ReadCreate(in, op, *r.mutable_create());
    case proto::OP_DELETE:
      return ReadPathVersion(in, *r.mutable_delete_());
    case proto::OP_EXISTS:
      return ReadPathWatch(in, *r.mutable_exists());
    case proto::OP_GET_DATA:
      return ReadPathWatch(in, *r.mutable_get_data());
    case proto::OP_SET_DATA:
      return ReadSetData(in, *r.mutable_set_data());
    case proto::OP_GET_ACL:
      if (!in.String(path, "path")) return false;
      r.mutable_get_acl()->set_path(std::move(path));
      return true;
    case proto::OP_SET_ACL:
      if (!in.String(path, "path") || !ReadAcls(in, *r.mutable_set_acl()->mutable_acl()) ||
          !in.Int(version, "version")) {
        return false;
      }
      r.mutable_set_acl()->set_path(std::move(path));
      r.mutable_set_acl()->set_version(version);
      return true;
    case proto::OP_GET_CHILDREN:
    case proto::OP_GET_CHILDREN2:
      return ReadPathWatch(in, *r.mutable_get_children());
    case proto::OP_SYNC:
      if (!in.String(path, "path")) return false;
      shape.path = path;
      r.mutable_sync()->set_path(std::move(path));
      return true;
    case proto::OP_PING:
      r.mutable_ping();
      return true;
    case proto::OP_CLOSE_SESSION:
      r.mutable_close();
      return true;
    case proto::OP_MULTI:
      r.mutable_multi();  // an empty multi is a multi too
      return ReadMultiOps(in, [&](int32_t type) {
        shape.multi_types.push_back(type);
        return ReadWriteOp(in, type, *r.mutable_multi()->add_ops());
      });
    case proto::OP_MULTI_READ:
      r.mutable_multi_read();
      return ReadMultiOps(in, [&](int32_t type) {
        return ReadReadOp(in, type, *r.mutable_multi_read()->add_ops());
      });
    case proto::OP_CHECK_WATCHES:
    case proto::OP_REMOVE_WATCHES: {
      int32_t type = 0;
      if (!in.String(path, "path") || !in.Int(type, "watcher type")) return false;
      if (!proto::WatcherType_IsValid(type) || type == 0) {
        return in.Fail(absl::StrCat("watcher type ", type));
      }
      auto fill = [&](auto* w) {
        w->set_path(std::move(path));
        w->set_type(static_cast<proto::WatcherType>(type));
      };
      if (op == proto::OP_CHECK_WATCHES) {
        fill(r.mutable_check_watches());
      } else {
        fill(r.mutable_remove_watches());
      }
      return true;
    }
    case proto::OP_AUTH: {
      int32_t type = 0;
      std::string scheme, auth;
      if (!in.Int(type, "auth type") || !in.String(scheme, "auth scheme") ||
          !in.Buffer(auth, "auth data")) {
        return false;
      }
      r.mutable_auth()->set_scheme(std::move(scheme));
      r.mutable_auth()->set_auth(std::move(auth));
      return true;
    }
    case proto::OP_SET_WATCHES:
    case proto::OP_SET_WATCHES2: {
      int64_t relative = 0;
      proto::SetWatchesRequest* w = r.mutable_set_watches();
      std::vector<std::string> data, exist, child, persistent, recursive;
      if (!in.Long(relative, "relativeZxid") || !in.StringVector(data, "dataWatches") ||
          !in.StringVector(exist, "existWatches") || !in.StringVector(child, "childWatches")) {
        return false;
      }
      if (op == proto::OP_SET_WATCHES2 &&
          (!in.StringVector(persistent, "persistentWatches") ||
           !in.StringVector(recursive, "persistentRecursiveWatches"))) {
        return false;
      }
      w->set_relative_zxid(relative);
      for (auto& s : data) w->add_data_watches(std::move(s));
      for (auto& s : exist) w->add_exist_watches(std::move(s));
      for (auto& s : child) w->add_child_watches(std::move(s));
      for (auto& s : persistent) w->add_persistent_watches(std::move(s));
      for (auto& s : recursive) w->add_persistent_recursive_watches(std::move(s));
      return true;
    }
    case proto::OP_GET_EPHEMERALS:
      if (!in.String(path, "prefixPath")) return false;
      r.mutable_get_ephemerals()->set_prefix_path(std::move(path));
      return true;
    case proto::OP_GET_ALL_CHILDREN_NUMBER:
      if (!in.String(path, "path")) return false;
      r.mutable_get_all_children_number()->set_path(std::move(path));
      return true;
    case proto::OP_ADD_WATCH: {
      int32_t mode = 0;
      if (!in.String(path, "path") || !in.Int(mode, "mode")) return false;
      // ZooKeeper's AddWatchMode: PERSISTENT 0, PERSISTENT_RECURSIVE 1.
      if (mode != 0 && mode != 1) return in.Fail(absl::StrCat("addWatch mode ", mode));
      r.mutable_add_watch()->set_path(std::move(path));
      r.mutable_add_watch()->set_mode(mode == 0 ? proto::PERSISTENT_WATCH
                                                : proto::PERSISTENT_RECURSIVE_WATCH);
      return true;
    }
    case proto::OP_WHO_AM_I:
      r.mutable_who_am_i();
      return true;
    case proto::OP_RECONFIG:
      // Answered by the front end (reconfig is disabled); the body is not read.
      return true;
    case proto::OP_SASL:
      // Answered by the front end; DecodeRequest reads the token.
      return true;
    default:
      return in.Fail(absl::StrCat("unknown opcode ", op));
  }
}

}  // namespace

absl::StatusOr<ConnectRequest> DecodeConnect(absl::string_view payload) {
  JuteReader in(payload);
  ConnectRequest c;
  in.Int(c.protocol_version, "protocolVersion");
  in.Long(c.last_zxid_seen, "lastZxidSeen");
  in.Int(c.timeout_ms, "timeOut");
  in.Long(c.session_id, "sessionId");
  in.Buffer(c.password, "passwd");
  if (in.ok() && in.remaining() > 0) {
    c.has_read_only = true;
    in.Bool(c.read_only, "readOnly");
  }
  if (in.ok() && in.remaining() > 0) {
    in.Fail(absl::StrCat(in.remaining(), " bytes after the connect request"));
  }
  if (!in.ok()) return absl::InvalidArgumentError("bad connect request: " + in.error());
  return c;
}

absl::StatusOr<DecodedRequest> DecodeRequest(absl::string_view payload) {
  JuteReader in(payload);
  DecodedRequest d;
  if (in.Int(d.shape.xid, "xid") && in.Int(d.shape.op, "type")) {
    d.request.set_xid(d.shape.xid);
    ReadBody(in, d.shape, d.request);
    if (d.shape.op == proto::OP_SASL) in.Buffer(d.sasl_token, "token");
    const bool skipped = d.shape.op == proto::OP_RECONFIG;
    if (in.ok() && in.remaining() > 0 && !skipped) {
      in.Fail(absl::StrCat(in.remaining(), " bytes after the op ", d.shape.op, " request"));
    }
  }
  if (!in.ok()) return absl::InvalidArgumentError("bad request: " + in.error());
  return d;
}

}  // namespace zabkeeper::zkwire
