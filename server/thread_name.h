// NameThisThread: names the calling thread as `top -H`, `ps -L`, perf and
// gdb show it (Linux keeps at most 15 characters), so an operator can tell
// the core thread from the storage thread. Each long-lived server thread
// calls it first (docs/SERVER.md lists them).
#ifndef ZABKEEPER_SERVER_THREAD_NAME_H_
#define ZABKEEPER_SERVER_THREAD_NAME_H_

#include <pthread.h>

namespace zabkeeper::server {

inline void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_THREAD_NAME_H_
