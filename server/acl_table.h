// AclTable: interns ACL lists so that a million znodes sharing one ACL hold a
// 4-byte id each instead of a copy (ZooKeeper's ReferenceCountedACLCache).
// Lists are never freed: the number of distinct ACL lists in practice is tiny.
#ifndef ZABKEEPER_SERVER_ACL_TABLE_H_
#define ZABKEEPER_SERVER_ACL_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/repeated_field.h"
#include "zabkeeper/common.pb.h"

namespace zabkeeper::server {

using AclList = std::vector<proto::Acl>;

class AclTable {
 public:
  AclTable();

  // Id 0 is world:anyone with all permissions (ZooKeeper's OPEN_ACL_UNSAFE).
  static constexpr uint32_t kOpenAclId = 0;

  uint32_t Intern(const google::protobuf::RepeatedPtrField<proto::Acl>& acl);
  const AclList& Get(uint32_t id) const { return lists_.at(id); }
  void CopyTo(uint32_t id, google::protobuf::RepeatedPtrField<proto::Acl>* out) const;

 private:
  static std::string Key(const google::protobuf::RepeatedPtrField<proto::Acl>& acl);
  std::vector<AclList> lists_;
  absl::flat_hash_map<std::string, uint32_t> index_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_ACL_TABLE_H_
