// Small helpers shared by the request pipeline's files: building responses
// and naming the operation of a request.
#ifndef ZABKEEPER_SERVER_REQUEST_UTIL_H_
#define ZABKEEPER_SERVER_REQUEST_UTIL_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "server/state_machine.h"
#include "zabkeeper/client.pb.h"
#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {

// Wall-clock milliseconds: ctime/mtime of znodes.
int64_t WallMillis();
// Milliseconds of the steady clock since `start`, for log lines.
int64_t MillisSince(std::chrono::steady_clock::time_point start);

proto::Response ErrorResponse(int64_t xid, proto::OpCode op, proto::ErrorCode code,
                              absl::string_view message);

// ZooKeeper's opcode for a request (OP_ERROR when it has no body).
// "0x1a2b": session ids and zxids as ZooKeeper prints them.
std::string HexId(int64_t v);

proto::OpCode OpOf(const proto::Request& request);

// A request that changes the tree or the session table: create, delete,
// setData, setACL, multi, closeSession (connect and sync go the write path
// too, but change nothing a client names).
bool IsTreeWrite(const proto::Request& request);

// A create of an ephemeral node, alone or inside a multi: what a local
// session cannot do without becoming global (ZooKeeper's checkUpgradeSession).
bool CreatesEphemeral(const proto::Request& request);

// A watch event as it travels on the session stream (xid -1).
proto::Response WatchEventResponse(proto::EventType type, const std::string& path, Zxid zxid);

// The reply to the session that sent a write, once its txn applied at zxid
// (server_id: the server answering a connect).
proto::Response WriteResponseOf(const proto::Txn& txn, ApplyResult result, Zxid zxid,
                                int64_t server_id);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_REQUEST_UTIL_H_
