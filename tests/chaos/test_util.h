// Builders for hand-made histories in the checkers' unit tests.
#ifndef ZABKEEPER_TESTS_CHAOS_TEST_UTIL_H_
#define ZABKEEPER_TESTS_CHAOS_TEST_UTIL_H_

#include <optional>
#include <string>
#include <utility>

#include "tests/chaos/history.h"

namespace zabkeeper::chaos::testing {

// No completion: the op is indeterminate (result kUnknown).
inline constexpr std::optional<Time> kLost = std::nullopt;

inline Operation MakeOp(OpKind kind, SessionId session, std::string key, int64_t value, Time invoke,
                        std::optional<Time> complete) {
  Operation op;
  op.session = session;
  op.process = static_cast<int>(session);
  op.kind = kind;
  op.key = std::move(key);
  op.value = value;
  op.invoke = invoke;
  op.complete = complete;
  op.result = complete ? OpResult::kOk : OpResult::kUnknown;
  return op;
}

inline Operation Write(SessionId s, std::string key, int64_t v, Time inv,
                       std::optional<Time> comp) {
  return MakeOp(OpKind::kWrite, s, std::move(key), v, inv, comp);
}

inline Operation Read(SessionId s, std::string key, int64_t v, Time inv, Time comp) {
  return MakeOp(OpKind::kRead, s, std::move(key), v, inv, comp);
}

// A CAS that succeeded (ok), got BadVersion (fail) or was lost (no completion).
inline Operation Cas(SessionId s, std::string key, int32_t expected, int64_t v, Time inv,
                     std::optional<Time> comp, OpResult result = OpResult::kOk) {
  Operation op = MakeOp(OpKind::kCas, s, std::move(key), v, inv, comp);
  op.expected_version = expected;
  op.result = comp ? result : OpResult::kUnknown;
  return op;
}

inline Operation Sync(SessionId s, Time inv, Time comp) {
  return MakeOp(OpKind::kSync, s, "", 0, inv, comp);
}

// Stat of the reply: mzxid (counter in epoch 1) and version.
inline Operation At(Operation op, uint32_t zxid_counter, int32_t version = -1) {
  op.zxid = Zxid(1, zxid_counter);
  op.version = version;
  return op;
}

// Only the Stat.version of the reply.
inline Operation Ver(Operation op, int32_t version) {
  op.version = version;
  return op;
}

}  // namespace zabkeeper::chaos::testing

#endif  // ZABKEEPER_TESTS_CHAOS_TEST_UTIL_H_
