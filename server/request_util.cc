#include "server/request_util.h"

#include <chrono>

#include "absl/strings/str_format.h"

namespace zabkeeper::server {

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

proto::Response ErrorResponse(int64_t xid, proto::OpCode op, proto::ErrorCode code,
                              absl::string_view message) {
  proto::Response r;
  r.set_xid(xid);
  r.set_op(op);
  r.set_err(code);
  r.set_error_message(std::string(message));
  return r;
}

bool IsTreeWrite(const proto::Request& request) {
  switch (request.body_case()) {
    case proto::Request::kCreate:
    case proto::Request::kDelete:
    case proto::Request::kSetData:
    case proto::Request::kSetAcl:
    case proto::Request::kMulti:
    case proto::Request::kClose:
      return true;
    default:
      return false;
  }
}

std::string HexId(int64_t v) { return absl::StrFormat("0x%x", static_cast<uint64_t>(v)); }

bool CreatesEphemeral(const proto::Request& request) {
  auto ephemeral = [](const proto::CreateRequest& c) {
    return c.mode() == proto::EPHEMERAL || c.mode() == proto::EPHEMERAL_SEQUENTIAL;
  };
  if (request.has_create()) return ephemeral(request.create());
  if (!request.has_multi()) return false;
  for (const proto::Op& op : request.multi().ops()) {
    if (op.has_create() && ephemeral(op.create())) return true;
  }
  return false;
}

proto::OpCode OpOf(const proto::Request& request) {
  switch (request.body_case()) {
    case proto::Request::kConnect:
      return proto::OP_CREATE_SESSION;
    case proto::Request::kCreate:
      return proto::OP_CREATE;
    case proto::Request::kDelete:
      return proto::OP_DELETE;
    case proto::Request::kExists:
      return proto::OP_EXISTS;
    case proto::Request::kGetData:
      return proto::OP_GET_DATA;
    case proto::Request::kSetData:
      return proto::OP_SET_DATA;
    case proto::Request::kGetChildren:
      return proto::OP_GET_CHILDREN2;
    case proto::Request::kSync:
      return proto::OP_SYNC;
    case proto::Request::kMulti:
      return proto::OP_MULTI;
    case proto::Request::kPing:
      return proto::OP_PING;
    case proto::Request::kClose:
      return proto::OP_CLOSE_SESSION;
    case proto::Request::kSetWatches:
      return proto::OP_SET_WATCHES;
    case proto::Request::kGetAcl:
      return proto::OP_GET_ACL;
    case proto::Request::kSetAcl:
      return proto::OP_SET_ACL;
    case proto::Request::kAuth:
      return proto::OP_AUTH;
    case proto::Request::kAddWatch:
      return proto::OP_ADD_WATCH;
    case proto::Request::kRemoveWatches:
      return proto::OP_REMOVE_WATCHES;
    case proto::Request::kCheckWatches:
      return proto::OP_CHECK_WATCHES;
    case proto::Request::kGetEphemerals:
      return proto::OP_GET_EPHEMERALS;
    case proto::Request::kGetAllChildrenNumber:
      return proto::OP_GET_ALL_CHILDREN_NUMBER;
    case proto::Request::kWhoAmI:
      return proto::OP_WHO_AM_I;
    case proto::Request::kMultiRead:
      return proto::OP_MULTI_READ;
    case proto::Request::BODY_NOT_SET:
      return proto::OP_ERROR;
  }
  return proto::OP_ERROR;
}

proto::Response WatchEventResponse(proto::EventType type, const std::string& path, Zxid zxid) {
  proto::Response r;
  r.set_xid(-1);
  r.set_zxid(StatZxid(zxid));
  r.set_op(proto::OP_NOTIFICATION);
  proto::WatchEvent* ev = r.mutable_watch_event();
  ev->set_type(type);
  ev->set_state(proto::SYNC_CONNECTED);
  ev->set_path(path);
  ev->set_zxid(StatZxid(zxid));
  return r;
}

proto::Response WriteResponseOf(const proto::Txn& txn, ApplyResult result, Zxid zxid,
                                int64_t server_id) {
  const int64_t sid = txn.session_id();
  proto::Response response;
  response.set_xid(txn.cxid());
  response.set_zxid(StatZxid(zxid));
  response.set_err(result.err);
  if (result.err != proto::OK) {
    std::string detail = result.error_detail;
    if (txn.has_error() && !txn.error().detail().empty()) detail = txn.error().detail();
    for (const proto::Txn& sub : txn.multi().txns()) {
      if (sub.has_error() && !sub.error().detail().empty()) detail = sub.error().detail();
    }
    response.set_error_message(detail);
  }
  switch (txn.body_case()) {
    case proto::Txn::kCreate:
      response.set_op(proto::OP_CREATE);
      response.mutable_create()->set_path(result.path);
      *response.mutable_create()->mutable_stat() = result.stat;
      break;
    case proto::Txn::kDelete:
      response.set_op(proto::OP_DELETE);
      break;
    case proto::Txn::kSetData:
      response.set_op(proto::OP_SET_DATA);
      *response.mutable_stat()->mutable_stat() = result.stat;
      break;
    case proto::Txn::kSetAcl:
      response.set_op(proto::OP_SET_ACL);
      *response.mutable_stat()->mutable_stat() = result.stat;
      break;
    case proto::Txn::kMulti: {
      response.set_op(proto::OP_MULTI);
      proto::MultiResponse* multi = response.mutable_multi();
      for (proto::OpResult& op : result.multi) *multi->add_results() = std::move(op);
      break;
    }
    case proto::Txn::kCreateSession: {
      response.set_op(proto::OP_CREATE_SESSION);
      proto::ConnectResponse* c = response.mutable_connect();
      c->set_session_id(sid);
      c->set_password(txn.create_session().password());
      c->set_timeout_ms(txn.create_session().timeout_ms());
      c->set_server_id(server_id);
      break;
    }
    case proto::Txn::kCloseSession:
      response.set_op(proto::OP_CLOSE_SESSION);
      break;
    default:
      response.set_op(proto::OP_ERROR);
      break;
  }
  return response;
}

}  // namespace zabkeeper::server
