// Fluent builders for multi (atomic transaction) and multiRead:
//
//   auto results = client->NewMulti()
//                      .Check("/cfg", 3)
//                      .SetData("/cfg", "v4", 3)
//                      .Create("/cfg/log-", "x",
//                      zk::CreateOptions::Mode(zk::proto::PERSISTENT_SEQUENTIAL)) .Commit();
//
// Paths are relative to the client's chroot. A builder made by NewMulti() is
// bound to its client and must not outlive it; a default-constructed one is
// passed to ZkClient::Multi explicitly.
#ifndef ZABKEEPER_CLIENT_MULTI_H_
#define ZABKEEPER_CLIENT_MULTI_H_

#include <string>
#include <vector>

#include "client/types.h"

namespace zk {

class ZkClient;

class Multi {
 public:
  Multi() = default;

  Multi& Create(std::string path, std::string data, CreateOptions options = {});
  Multi& Delete(std::string path, int32_t version = -1);
  Multi& SetData(std::string path, std::string data, int32_t version = -1);
  Multi& Check(std::string path, int32_t version);

  size_t size() const { return ops_.size(); }
  const std::vector<proto::Op>& ops() const { return ops_; }

  // Only for builders from ZkClient::NewMulti().
  absl::StatusOr<std::vector<OpResult>> Commit() const;
  void CommitAsync(Callback<std::vector<OpResult>> done) const;

 private:
  friend class ZkClient;
  explicit Multi(ZkClient* client) : client_(client) {}

  ZkClient* client_ = nullptr;
  std::vector<proto::Op> ops_;
};

class MultiRead {
 public:
  MultiRead& GetData(std::string path);
  MultiRead& GetChildren(std::string path);
  const std::vector<proto::ReadOp>& ops() const { return ops_; }

 private:
  std::vector<proto::ReadOp> ops_;
};

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_MULTI_H_
