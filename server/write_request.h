// WriteRequest: a client write entering the pipeline on whichever server the
// session is attached to, before it is prepared (on the leader) into a txn.
#ifndef ZABKEEPER_SERVER_WRITE_REQUEST_H_
#define ZABKEEPER_SERVER_WRITE_REQUEST_H_

#include <cstdint>
#include <vector>

#include "zabkeeper/client.pb.h"

namespace zabkeeper::server {

struct WriteRequest {
  int64_t session_id = 0;
  // create / delete / setData / setACL / multi / close / sync, or connect for
  // a new session (session id, password and negotiated timeout filled in by
  // the server that accepted the connection).
  proto::Request request;
  bool expire = false;  // the leader's own closeSession for a timed-out session
  // The session's identities (ip, digest ids) for ACL checks on the leader.
  std::vector<proto::Id> auth;
  // A server-internal write (container/TTL reaping): no ACL checks.
  bool internal = false;
  // From a local session (server/local_sessions.h), which the leader does not
  // know; never one that creates an ephemeral node.
  bool local_session = false;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_WRITE_REQUEST_H_
