#include "server/acl_table.h"

#include "absl/strings/str_cat.h"

namespace zabkeeper::server {

AclTable::AclTable() {
  google::protobuf::RepeatedPtrField<proto::Acl> open;
  proto::Acl* acl = open.Add();
  acl->set_perms(31);
  acl->mutable_id()->set_scheme("world");
  acl->mutable_id()->set_id("anyone");
  Intern(open);
}

std::string AclTable::Key(const google::protobuf::RepeatedPtrField<proto::Acl>& acl) {
  std::string key;
  for (const proto::Acl& a : acl) {
    absl::StrAppend(&key, a.perms(), ":", a.id().scheme(), ":", a.id().id(), "\n");
  }
  return key;
}

uint32_t AclTable::Intern(const google::protobuf::RepeatedPtrField<proto::Acl>& acl) {
  if (acl.empty()) return kOpenAclId;
  std::string key = Key(acl);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(lists_.size());
  lists_.emplace_back(acl.begin(), acl.end());
  index_.emplace(std::move(key), id);
  return id;
}

void AclTable::CopyTo(uint32_t id, google::protobuf::RepeatedPtrField<proto::Acl>* out) const {
  out->Clear();
  for (const proto::Acl& a : Get(id)) *out->Add() = a;
}

}  // namespace zabkeeper::server
