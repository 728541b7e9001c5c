#include "server/failpoints.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "glog/logging.h"

namespace zabkeeper::server::failpoints {

namespace {
// Set once at start, before any thread that reads it exists.
std::string* g_dir = nullptr;
}  // namespace

void Init(const std::string& data_dir) {
  const char* on = std::getenv("ZABKEEPER_FAILPOINTS");
  if (on == nullptr || std::string(on) != "1") return;
#ifdef ZK_FAILPOINTS
  g_dir = new std::string(data_dir + "/failpoints/");
  LOG(WARNING) << "failpoints enabled under " << *g_dir;
#else
  (void)data_dir;
  LOG(WARNING) << "ZABKEEPER_FAILPOINTS is set but this build has no failpoints";
#endif
}

bool Armed(const char* name) {
  if (g_dir == nullptr) return false;
  return access((*g_dir + name).c_str(), F_OK) == 0;
}

void StallWhileArmed(const char* name) {
  bool logged = false;
  while (Armed(name)) {
    if (!logged) LOG(WARNING) << "failpoint " << name << ": stalling";
    logged = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (logged) LOG(WARNING) << "failpoint " << name << ": released";
}

void CrashIfArmed(const char* name) {
  if (!Armed(name)) return;
  LOG(ERROR) << "failpoint " << name << ": crashing";
  google::FlushLogFiles(google::GLOG_INFO);
  _exit(86);
}

}  // namespace zabkeeper::server::failpoints
