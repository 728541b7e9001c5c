#include "server/request_util.h"

#include <chrono>

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

proto::Response WatchEventResponse(proto::EventType type, const std::string& path, int64_t zxid) {
  proto::Response r;
  r.set_xid(-1);
  r.set_zxid(zxid);
  r.set_op(proto::OP_NOTIFICATION);
  proto::WatchEvent* ev = r.mutable_watch_event();
  ev->set_type(type);
  ev->set_state(proto::SYNC_CONNECTED);
  ev->set_path(path);
  ev->set_zxid(zxid);
  return r;
}

}  // namespace zabkeeper::server
