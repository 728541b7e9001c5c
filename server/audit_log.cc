#include "server/audit_log.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/auth.h"
#include "server/request_util.h"

namespace zabkeeper::server {
namespace {

void AddField(std::string* line, const char* key, const std::string& value) {
  if (value.empty()) return;
  if (!line->empty()) line->push_back('\t');
  absl::StrAppend(line, key, "=");
  for (char c : value) {
    if (c != '\t' && c != '\n' && c != '\r') line->push_back(c);
  }
}

std::string CreateModeName(proto::CreateMode mode) {
  return absl::AsciiStrToLower(proto::CreateMode_Name(mode));
}

AuditedWrite::Op OpOf(const proto::Request::BodyCase kind, const proto::Request& request) {
  AuditedWrite::Op op;
  switch (kind) {
    case proto::Request::kCreate:
      op.operation = "create";
      op.znode = request.create().path();
      op.znode_type = CreateModeName(request.create().mode());
      break;
    case proto::Request::kDelete:
      op.operation = "delete";
      op.znode = request.delete_().path();
      break;
    case proto::Request::kSetData:
      op.operation = "setData";
      op.znode = request.set_data().path();
      break;
    case proto::Request::kSetAcl:
      op.operation = "setAcl";
      op.znode = request.set_acl().path();
      op.acl = AuditAclString(request.set_acl().acl());
      break;
    default:
      break;
  }
  return op;
}

AuditedWrite::Op OpOf(const proto::Op& op) {
  switch (op.op_case()) {
    case proto::Op::kCreate: {
      AuditedWrite::Op out;
      out.operation = "create";
      out.znode = op.create().path();
      out.znode_type = CreateModeName(op.create().mode());
      return out;
    }
    case proto::Op::kDelete:
      return AuditedWrite::Op{"delete", op.delete_().path(), "", ""};
    case proto::Op::kSetData:
      return AuditedWrite::Op{"setData", op.set_data().path(), "", ""};
    default:
      return AuditedWrite::Op{};  // a check: not logged
  }
}

// The path a sub-txn applied to (a create's final, sequence-resolved path).
std::string AppliedPath(const proto::Txn& txn) {
  switch (txn.body_case()) {
    case proto::Txn::kCreate:
      return txn.create().path();
    case proto::Txn::kDelete:
      return txn.delete_().path();
    case proto::Txn::kSetData:
      return txn.set_data().path();
    case proto::Txn::kSetAcl:
      return txn.set_acl().path();
    default:
      return "";
  }
}

}  // namespace

std::string FormatAuditLine(const AuditEntry& e) {
  std::string line;
  if (e.session_id != 0) AddField(&line, "session", HexId(e.session_id));
  AddField(&line, "user", e.user);
  AddField(&line, "ip", e.ip);
  AddField(&line, "operation", e.operation);
  AddField(&line, "znode", e.znode);
  AddField(&line, "znode_type", e.znode_type);
  AddField(&line, "acl", e.acl);
  AddField(&line, "result", e.result);
  return line;
}

std::string AuditUsers(const std::vector<proto::Id>& ids) {
  std::vector<std::string> users;
  for (const proto::Id& id : ids) {
    if (id.scheme() == "digest") {
      users.push_back(id.id().substr(0, id.id().find(':')));
    } else {
      users.push_back(id.id());
    }
  }
  return absl::StrJoin(users, ",");
}

std::string AuditAclString(const google::protobuf::RepeatedPtrField<proto::Acl>& acl) {
  std::vector<std::string> parts;
  for (const proto::Acl& a : acl) {
    std::string perms;
    // ZooKeeper's order: CREATE, DELETE, READ, WRITE, ADMIN.
    if (a.perms() & kPermCreate) perms += 'c';
    if (a.perms() & kPermDelete) perms += 'd';
    if (a.perms() & kPermRead) perms += 'r';
    if (a.perms() & kPermWrite) perms += 'w';
    if (a.perms() & kPermAdmin) perms += 'a';
    parts.push_back(absl::StrCat(a.id().scheme(), ":", a.id().id(), ":", perms));
  }
  return absl::StrJoin(parts, ",");
}

bool AuditRecordOf(const proto::Request& request, const std::vector<proto::Id>& auth,
                   const std::string& ip, AuditedWrite* out) {
  out->xid = request.xid();
  out->user = AuditUsers(auth);
  out->ip = ip;
  out->ops.clear();
  out->multi = request.has_multi();
  switch (request.body_case()) {
    case proto::Request::kCreate:
    case proto::Request::kDelete:
    case proto::Request::kSetData:
    case proto::Request::kSetAcl:
      out->ops.push_back(OpOf(request.body_case(), request));
      return true;
    case proto::Request::kMulti:
      for (const proto::Op& op : request.multi().ops()) out->ops.push_back(OpOf(op));
      return true;
    default:
      return false;
  }
}

std::vector<AuditEntry> AuditCompletedWrite(const AuditedWrite& write, int64_t session_id,
                                            const proto::Txn* txn) {
  std::vector<AuditEntry> lines;
  auto add = [&](const AuditedWrite::Op& op, const std::string& znode, bool ok) {
    lines.push_back(AuditEntry{session_id, write.user, write.ip, op.operation, znode,
                               op.operation == "create" ? op.znode_type : "", op.acl,
                               ok ? "success" : "failure"});
  };
  if (!write.multi) {
    if (write.ops.empty()) return lines;
    const AuditedWrite::Op& op = write.ops.front();
    const bool ok = txn != nullptr && !txn->has_error();
    // ZooKeeper logs the applied path (a sequential create's full name) on
    // success, the requested one on failure.
    const std::string applied = ok ? AppliedPath(*txn) : "";
    add(op, applied.empty() ? op.znode : applied, ok);
    return lines;
  }
  bool failed = txn == nullptr || !txn->has_multi();
  if (!failed) {
    for (const proto::Txn& sub : txn->multi().txns()) failed = failed || sub.has_error();
  }
  if (failed) {
    lines.push_back(
        AuditEntry{session_id, write.user, write.ip, "multiOperation", "", "", "", "failure"});
    return lines;
  }
  const auto& subs = txn->multi().txns();
  for (int i = 0; i < subs.size() && i < static_cast<int>(write.ops.size()); ++i) {
    const AuditedWrite::Op& op = write.ops[static_cast<size_t>(i)];
    if (op.operation.empty()) continue;  // a check
    add(op, AppliedPath(subs[i]), true);
  }
  return lines;
}

}  // namespace zabkeeper::server
