// Proposal: a prepared transaction on its way to the log stage.
#ifndef ZABKEEPER_SERVER_PROPOSAL_H_
#define ZABKEEPER_SERVER_PROPOSAL_H_

#include <cstdint>
#include <memory>
#include <string>

namespace zabkeeper::server {

// A txn on its way to the log: its zxid and the serialized proto::Txn.
struct Proposal {
  int64_t zxid = 0;
  std::string payload;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_PROPOSAL_H_
