// Log records read back at recovery: a txn (proto::Txn) applied to the
// state machine, as the core replays the log at start. The state lives
// across inputs (replaced every 1000), so a create can meet its parent.
#include <cstdint>
#include <memory>

#include "server/state_machine.h"
#include "tests/fuzz/quiet_logs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zabkeeper::fuzz::QuietLogs();
  static std::unique_ptr<zabkeeper::server::StateMachine> state;
  static uint64_t inputs = 0;
  zabkeeper::proto::Txn txn;
  if (!txn.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!state || ++inputs % 1000 == 0) {
    state = std::make_unique<zabkeeper::server::StateMachine>();
  }
  zabkeeper::server::ChangeSet changes;
  state->Apply(zab::Zxid::FromRaw(state->last_applied().raw() + 1), txn, &changes);
  (void)state->TakeBatch();
  return 0;
}
