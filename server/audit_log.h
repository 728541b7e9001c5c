// The audit log (zoo.cfg `audit.enable=true`): who changed what, one line
// per change in ZooKeeper 3.6+'s format, tab-separated key=value pairs in a
// fixed order, empty fields left out:
//
//   session=0x1000..  user=127.0.0.1,alice  ip=127.0.0.1  operation=create
//   znode=/a  znode_type=persistent  result=success
//
// As in ZooKeeper, a client's create, delete, setData and setAcl are logged
// by the server the client is connected to, once the write is applied or
// refused (a multi: one line per create, delete and setData it applied, or
// one multiOperation failure line); the deletion of a closed session's
// ephemerals is logged by every server (user = the server's account); and
// the server logs serverStart and serverStop. Beyond ZooKeeper, a createTTL
// request is logged too.
//
// Formatting only; NodeCore decides what to log and NodeRuntime writes it.
#ifndef ZABKEEPER_SERVER_AUDIT_LOG_H_
#define ZABKEEPER_SERVER_AUDIT_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "zabkeeper/client.pb.h"
#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {

struct AuditEntry {
  int64_t session_id = 0;  // 0: no session field
  std::string user;
  std::string ip;
  std::string operation;
  std::string znode;
  std::string znode_type;
  std::string acl;
  std::string result;  // success | failure | invoked
};

// One line, without the newline. Tabs and line breaks in values are
// dropped, as ZooKeeper's AuditEvent does, so a path cannot forge a line.
std::string FormatAuditLine(const AuditEntry& entry);

// ZooKeeper's "user" field: the connection's identities, comma-separated:
// the address for ip, the user name for digest, the id itself otherwise.
std::string AuditUsers(const std::vector<proto::Id>& ids);

// ZooKeeper's ZKUtil.aclToString: scheme:id:perms, perms as "cdrwa" letters.
std::string AuditAclString(const google::protobuf::RepeatedPtrField<proto::Acl>& acl);

// What the audit log needs of a client write, kept from its submission to
// its reply (the request itself moves on into the txn).
struct AuditedWrite {
  struct Op {
    std::string operation;  // create | delete | setData | setAcl
    std::string znode;      // the requested path (a sequential create's prefix)
    std::string znode_type;
    std::string acl;
  };
  int64_t xid = 0;
  std::string user;
  std::string ip;
  bool multi = false;
  // One, or a multi's ops in order (a check as an empty Op, not logged, so
  // that ops[i] matches the multi txn's i-th sub-txn).
  std::vector<Op> ops;
};

// The audit record of `request` (create, delete, setData, setAcl, multi), or
// false for a request the audit log does not cover.
bool AuditRecordOf(const proto::Request& request, const std::vector<proto::Id>& auth,
                   const std::string& ip, AuditedWrite* out);

// The lines for a write of `session_id` that completed: applied as `txn`
// (which may be an error txn), or failed before it was applied (txn null).
std::vector<AuditEntry> AuditCompletedWrite(const AuditedWrite& write, int64_t session_id,
                                            const proto::Txn* txn);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_AUDIT_LOG_H_
