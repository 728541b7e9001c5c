#include "server/write_trace.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace zabkeeper::server::trace {
namespace {

std::atomic<bool> g_enabled{false};

}  // namespace

void Init() {
  const char* on = std::getenv("ZABKEEPER_TRACE");
  g_enabled = on != nullptr && std::strcmp(on, "1") == 0;
}

bool Enabled() { return g_enabled.load(std::memory_order_relaxed); }

void Mark(const char* stage, uint64_t detail) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t us =
      static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  // One fprintf per line: stderr is unbuffered, lines of threads do not mix.
  std::fprintf(stderr, "trace %llu %d %s %llx\n", static_cast<unsigned long long>(us), getpid(),
               stage, static_cast<unsigned long long>(detail));
}

}  // namespace zabkeeper::server::trace
