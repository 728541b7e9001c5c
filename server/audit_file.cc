#include "server/audit_file.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"

namespace zabkeeper::server {

absl::StatusOr<std::unique_ptr<AuditFile>> AuditFile::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open audit.logFile ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AuditFile>(new AuditFile(path, file));
}

AuditFile::~AuditFile() { std::fclose(file_); }

void AuditFile::Write(const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  const std::string stamp =
      absl::FormatTime("%Y-%m-%d %H:%M:%E3S", absl::Now(), absl::LocalTimeZone());
  // log4j's ISO8601 layout separates the milliseconds with a comma.
  std::string prefix = stamp;
  if (const size_t dot = prefix.rfind('.'); dot != std::string::npos) prefix[dot] = ',';
  absl::StrAppend(&prefix, " INFO audit.Log4jAuditLogger: ");
  bool ok = true;
  for (const std::string& line : lines) {
    ok = ok && std::fputs(prefix.c_str(), file_) >= 0 && std::fputs(line.c_str(), file_) >= 0 &&
         std::fputc('\n', file_) != EOF;
  }
  ok = ok && std::fflush(file_) == 0;
  if (!ok && !failing_) {
    LOG(ERROR) << "cannot write the audit log " << path_ << ": " << std::strerror(errno);
  }
  failing_ = !ok;
}

std::string ServerUserName() {
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return absl::StrCat("uid", geteuid());
}

}  // namespace zabkeeper::server
