// AuditFile: where a server's audit lines go (audit.enable). Appends each
// line after a timestamp and level in the layout of ZooKeeper's log4j audit
// appender ("2026-11-30 09:10:11,123 INFO audit.Log4jAuditLogger: <line>"),
// which log shippers' ZooKeeper modules parse, and flushes after each
// batch. Used by the core thread only.
#ifndef ZABKEEPER_SERVER_AUDIT_FILE_H_
#define ZABKEEPER_SERVER_AUDIT_FILE_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace zabkeeper::server {

class AuditFile {
 public:
  static absl::StatusOr<std::unique_ptr<AuditFile>> Open(const std::string& path);
  ~AuditFile();
  AuditFile(const AuditFile&) = delete;
  AuditFile& operator=(const AuditFile&) = delete;

  // A failed write is logged (once per failure streak), never fatal: the
  // audit trail must not take the service down.
  void Write(const std::vector<std::string>& lines);
  const std::string& path() const { return path_; }

 private:
  AuditFile(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  const std::string path_;
  std::FILE* file_;
  bool failing_ = false;
};

// The account the server runs as: the "user" of its own audit lines.
std::string ServerUserName();

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_AUDIT_FILE_H_
