// Proposal: a prepared transaction travelling through the write pipeline
// (prepare -> log -> apply -> reply), with the connection to answer.
#ifndef ZABKEEPER_SERVER_PROPOSAL_H_
#define ZABKEEPER_SERVER_PROPOSAL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "server/connection.h"
#include "zabkeeper/client.pb.h"
#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {

enum class ProposalKind {
  kWrite,          // a client write: reply with the op's result
  kCreateSession,  // a connect without session: reply ConnectResponse
  kCloseSession,   // a client's close: reply, then end the stream
  kExpireSession,  // the session timed out: tell the client, end the stream
};

struct Proposal {
  int64_t zxid = 0;
  proto::Txn txn;
  std::string payload;  // txn serialized, as logged
  ProposalKind kind = ProposalKind::kWrite;
  std::shared_ptr<Connection> conn;  // null when nobody waits for the reply
  int64_t xid = 0;
  proto::OpCode op = proto::OP_ERROR;
  std::string error_detail;  // why prepare turned the request into an ErrorTxn
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_PROPOSAL_H_
