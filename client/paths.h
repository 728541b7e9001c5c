// Znode path helpers: validation (ZooKeeper's PathUtils rules), chroot
// prefixing/stripping, and parent/child arithmetic. Pure functions.
#ifndef ZABKEEPER_CLIENT_PATHS_H_
#define ZABKEEPER_CLIENT_PATHS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zk {

// OK if `path` is a valid absolute znode path. `sequential` allows a trailing
// '/' (the server appends the sequence number), as ZooKeeper does.
absl::Status ValidatePath(absl::string_view path, bool sequential = false);

// "/chroot" + "/a" -> "/chroot/a"; "/chroot" + "/" -> "/chroot".
std::string PrependChroot(absl::string_view chroot, absl::string_view path);

// Inverse of PrependChroot for paths the server reports; paths outside the
// chroot are returned unchanged.
std::string StripChroot(absl::string_view chroot, absl::string_view server_path);

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "/".
std::string ParentPath(absl::string_view path);

// "/a/b" -> "b"; "/" -> "".
absl::string_view NodeName(absl::string_view path);

// JoinPath("/a", "b") -> "/a/b"; JoinPath("/", "b") -> "/b".
std::string JoinPath(absl::string_view parent, absl::string_view child);

// The sequence number a sequential create appended (the last 10 digits of the
// name), or -1 if the name has none.
int64_t SequenceOf(absl::string_view name);

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_PATHS_H_
