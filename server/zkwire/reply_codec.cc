// Encoding: the node core's proto::Response -> ZooKeeper reply frames.
#include "server/zkwire/jute.h"
#include "server/zkwire/zk_codec.h"

namespace zabkeeper::zkwire {
namespace {

// Starts a frame: room for the length, patched by Finish.
JuteWriter StartFrame() {
  JuteWriter out;
  out.Int(0);
  return out;
}

std::string Finish(JuteWriter& out) {
  out.PatchInt(0, static_cast<int32_t>(out.size() - 4));
  return out.Take();
}

void WriteStat(JuteWriter& out, const proto::Stat& s) {
  out.Long(s.czxid());
  out.Long(s.mzxid());
  out.Long(s.ctime());
  out.Long(s.mtime());
  out.Int(s.version());
  out.Int(s.cversion());
  out.Int(s.aversion());
  out.Long(s.ephemeral_owner());
  out.Int(s.data_length());
  out.Int(s.num_children());
  out.Long(s.pzxid());
}

void WriteAcls(JuteWriter& out, const google::protobuf::RepeatedPtrField<proto::Acl>& acls) {
  out.Int(acls.size());
  for (const proto::Acl& a : acls) {
    out.Int(a.perms());
    out.String(a.id().scheme());
    out.String(a.id().id());
  }
}

void WriteMultiHeader(JuteWriter& out, int32_t type, bool done, int32_t err) {
  out.Int(type);
  out.Bool(done);
  out.Int(err);
}

// ZooKeeper answers a failed multi with an ErrorResult per op: OK for the
// ops before the one that failed, its error, and RUNTIME_INCONSISTENCY
// after it (the core fills in those codes).
void WriteMulti(JuteWriter& out, const std::vector<int32_t>& types, const proto::MultiResponse& m) {
  bool failed = false;
  for (const proto::OpResult& r : m.results()) failed |= r.err() != proto::OK;
  for (int i = 0; i < m.results_size(); ++i) {
    const proto::OpResult& r = m.results(i);
    if (failed) {
      WriteMultiHeader(out, proto::OP_ERROR, false, r.err());
      out.Int(r.err());
      continue;
    }
    switch (r.result_case()) {
      case proto::OpResult::kCreate: {
        // As ZooKeeper 3.8 answers (seen with the differential test): a
        // create or create2 op gets a create result (the path), a
        // createContainer or createTTL op a create2 result (path and stat).
        const int32_t type = static_cast<size_t>(i) < types.size() ? types[static_cast<size_t>(i)]
                                                                   : proto::OP_CREATE;
        const bool with_stat = type == proto::OP_CREATE_CONTAINER || type == proto::OP_CREATE_TTL;
        WriteMultiHeader(out, with_stat ? proto::OP_CREATE2 : proto::OP_CREATE, false, 0);
        out.String(r.create().path());
        if (with_stat) WriteStat(out, r.create().stat());
        break;
      }
      case proto::OpResult::kSetData:
        WriteMultiHeader(out, proto::OP_SET_DATA, false, 0);
        WriteStat(out, r.set_data().stat());
        break;
      case proto::OpResult::kDelete:
        WriteMultiHeader(out, proto::OP_DELETE, false, 0);
        break;
      case proto::OpResult::kCheck:
        WriteMultiHeader(out, proto::OP_CHECK, false, 0);
        break;
      case proto::OpResult::RESULT_NOT_SET:
        WriteMultiHeader(out, proto::OP_ERROR, false, r.err());
        out.Int(r.err());
        break;
    }
  }
  WriteMultiHeader(out, -1, true, -1);
}

void WriteMultiRead(JuteWriter& out, const proto::MultiReadResponse& m) {
  for (const proto::ReadOpResult& r : m.results()) {
    if (r.err() != proto::OK) {
      WriteMultiHeader(out, proto::OP_ERROR, false, r.err());
      out.Int(r.err());
    } else if (r.has_get_data()) {
      WriteMultiHeader(out, proto::OP_GET_DATA, false, 0);
      out.Buffer(r.get_data().data());
      WriteStat(out, r.get_data().stat());
    } else {
      WriteMultiHeader(out, proto::OP_GET_CHILDREN, false, 0);
      out.Strings(r.get_children().children());
    }
  }
  WriteMultiHeader(out, -1, true, -1);
}

// The body ZooKeeper sends for op `op` when it succeeded.
void WriteBody(JuteWriter& out, const RequestShape& shape, const proto::Response& r) {
  switch (shape.op) {
    case proto::OP_CREATE:
      out.String(r.create().path());
      break;
    case proto::OP_CREATE2:
    case proto::OP_CREATE_CONTAINER:
    case proto::OP_CREATE_TTL:
      out.String(r.create().path());
      WriteStat(out, r.create().stat());
      break;
    case proto::OP_EXISTS:
    case proto::OP_SET_DATA:
    case proto::OP_SET_ACL:
      WriteStat(out, r.stat().stat());
      break;
    case proto::OP_GET_DATA:
      out.Buffer(r.get_data().data());
      WriteStat(out, r.get_data().stat());
      break;
    case proto::OP_GET_ACL:
      WriteAcls(out, r.get_acl().acl());
      WriteStat(out, r.get_acl().stat());
      break;
    case proto::OP_GET_CHILDREN:
      out.Strings(r.get_children().children());
      break;
    case proto::OP_GET_CHILDREN2:
      out.Strings(r.get_children().children());
      WriteStat(out, r.get_children().stat());
      break;
    case proto::OP_SYNC:
      out.String(shape.path);  // ZooKeeper echoes the path synced
      break;
    case proto::OP_ADD_WATCH:
      out.Int(0);  // ZooKeeper answers addWatch with an ErrorResponse(0)
      break;
    case proto::OP_MULTI:
      WriteMulti(out, shape.multi_types, r.multi());
      break;
    case proto::OP_MULTI_READ:
      WriteMultiRead(out, r.multi_read());
      break;
    case proto::OP_GET_EPHEMERALS:
      out.Strings(r.get_ephemerals().paths());
      break;
    case proto::OP_GET_ALL_CHILDREN_NUMBER:
      out.Int(r.get_all_children_number().total_number());
      break;
    case proto::OP_WHO_AM_I:
      out.Int(r.who_am_i().client_info_size());
      for (const proto::Id& id : r.who_am_i().client_info()) {
        out.String(id.scheme());
        out.String(id.id());
      }
      break;
    default:  // delete, ping, checkWatches, removeWatches, auth, setWatches,
      break;  // closeSession: the header says it all
  }
}

}  // namespace

std::string EncodeConnectResponse(const ConnectRequest& request, int32_t timeout_ms,
                                  int64_t session_id, absl::string_view password, bool read_only) {
  JuteWriter out = StartFrame();
  out.Int(0);  // protocolVersion
  out.Int(timeout_ms);
  out.Long(session_id);
  out.Buffer(password);
  if (request.has_read_only) out.Bool(read_only);
  return Finish(out);
}

std::string EncodeHeaderOnly(int32_t xid, int64_t zxid, int32_t err) {
  JuteWriter out = StartFrame();
  out.Int(xid);
  out.Long(zxid);
  out.Int(err);
  return Finish(out);
}

std::string EncodeSaslReply(int32_t xid, int32_t err, const std::string* token) {
  JuteWriter out = StartFrame();
  out.Int(xid);
  out.Long(0);
  out.Int(err);
  if (token == nullptr) {
    out.NullBuffer();
  } else {
    out.Buffer(*token);
  }
  return Finish(out);
}

std::string EncodeReply(const RequestShape& shape, const proto::Response& r) {
  const int32_t op = shape.op;
  const int32_t xid = shape.xid;
  const bool multi = op == proto::OP_MULTI || op == proto::OP_MULTI_READ;
  const bool has_results = (op == proto::OP_MULTI && r.has_multi()) ||
                           (op == proto::OP_MULTI_READ && r.has_multi_read());
  if (r.err() != proto::OK && !(multi && has_results))
    return EncodeHeaderOnly(xid, r.zxid(), r.err());
  JuteWriter out = StartFrame();
  out.Int(xid);
  out.Long(r.zxid());
  out.Int(0);
  WriteBody(out, shape, r);
  return Finish(out);
}

std::string EncodeNotification(const proto::Response& event) {
  JuteWriter out = StartFrame();
  out.Int(kNotificationXid);
  out.Long(event.zxid());
  out.Int(0);
  out.Int(event.watch_event().type());
  out.Int(event.watch_event().state());
  out.String(event.watch_event().path());
  return Finish(out);
}

}  // namespace zabkeeper::zkwire
