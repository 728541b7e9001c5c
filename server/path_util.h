// Znode path validation and manipulation with ZooKeeper's rules
// (PathUtils.validatePath): absolute, no empty, "." or ".." components, no
// trailing slash (except "/"), no NUL, and none of the characters ZooKeeper
// rejects (U+0001..U+001F, U+007F..U+009F, U+D800..U+F8FF, U+FFF0..U+FFFF).
#ifndef ZABKEEPER_SERVER_PATH_UTIL_H_
#define ZABKEEPER_SERVER_PATH_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zabkeeper::server {

// BAD_ARGUMENTS with the reason when path is not a valid znode path.
absl::Status ValidatePath(absl::string_view path);

// Like ValidatePath, for the path given to a sequential create: the server
// appends a 10-digit suffix, so the path with a digit appended must be valid.
absl::Status ValidateSequentialPrefix(absl::string_view path);

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "".
absl::string_view ParentPath(absl::string_view path);

// "/a/b" -> "b"; "/" -> "".
absl::string_view BaseName(absl::string_view path);

// "/" + "b" -> "/b"; "/a" + "b" -> "/a/b".
std::string JoinPath(absl::string_view parent, absl::string_view child);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_PATH_UTIL_H_
