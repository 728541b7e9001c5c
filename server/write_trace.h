// WriteTrace: opt-in timestamps at every thread hand-off of the write path,
// for finding where one write's latency goes (docs/BENCHMARKS.md, "Where the
// time goes"). Off unless the server starts with ZABKEEPER_TRACE=1; then each
// mark is one stderr line "trace <monotonic us> <pid> <stage> <detail>". The
// clock is CLOCK_MONOTONIC, shared by every process on the machine, so the
// lines of an ensemble's servers merge into one timeline (sort -n -k2).
// Costs one load and a branch per mark when off.
#ifndef ZABKEEPER_SERVER_WRITE_TRACE_H_
#define ZABKEEPER_SERVER_WRITE_TRACE_H_

#include <atomic>
#include <cstdint>

namespace zabkeeper::server::trace {

// Reads ZABKEEPER_TRACE once, at start.
void Init();
bool Enabled();
void Mark(const char* stage, uint64_t detail = 0);

}  // namespace zabkeeper::server::trace

#define ZK_TRACE(stage, detail)                                               \
  do {                                                                        \
    if (::zabkeeper::server::trace::Enabled()) {                              \
      ::zabkeeper::server::trace::Mark(stage, static_cast<uint64_t>(detail)); \
    }                                                                         \
  } while (false)

#endif  // ZABKEEPER_SERVER_WRITE_TRACE_H_
