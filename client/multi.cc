#include "client/multi.h"

#include "client/errors.h"
#include "client/zk_client.h"

namespace zk {

Multi& Multi::Create(std::string path, std::string data, CreateOptions options) {
  proto::CreateRequest* c = ops_.emplace_back().mutable_create();
  c->set_path(std::move(path));
  c->set_data(std::move(data));
  c->set_mode(options.mode);
  c->set_ttl_ms(options.ttl_ms);
  for (Acl& acl : options.acl) *c->add_acl() = std::move(acl);
  return *this;
}

Multi& Multi::Delete(std::string path, int32_t version) {
  proto::DeleteRequest* d = ops_.emplace_back().mutable_delete_();
  d->set_path(std::move(path));
  d->set_version(version);
  return *this;
}

Multi& Multi::SetData(std::string path, std::string data, int32_t version) {
  proto::SetDataRequest* s = ops_.emplace_back().mutable_set_data();
  s->set_path(std::move(path));
  s->set_data(std::move(data));
  s->set_version(version);
  return *this;
}

Multi& Multi::Check(std::string path, int32_t version) {
  proto::CheckVersionRequest* c = ops_.emplace_back().mutable_check();
  c->set_path(std::move(path));
  c->set_version(version);
  return *this;
}

absl::StatusOr<std::vector<OpResult>> Multi::Commit() const {
  if (client_ == nullptr) return ZkError(proto::API_ERROR, "Multi not bound to a client");
  return client_->Multi(*this);
}

void Multi::CommitAsync(Callback<std::vector<OpResult>> done) const {
  if (client_ == nullptr) {
    done(ZkError(proto::API_ERROR, "Multi not bound to a client"));
    return;
  }
  client_->MultiAsync(*this, std::move(done));
}

MultiRead& MultiRead::GetData(std::string path) {
  ops_.emplace_back().mutable_get_data()->set_path(std::move(path));
  return *this;
}

MultiRead& MultiRead::GetChildren(std::string path) {
  ops_.emplace_back().mutable_get_children()->set_path(std::move(path));
  return *this;
}

}  // namespace zk
