// Tree and session records read back at recovery or installed from a
// leader's SNAP (proto::StateSnapshot): the load either fails with an error
// or gives a state that snapshots again.
#include <cstdint>

#include "server/state_machine.h"
#include "tests/fuzz/quiet_logs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zabkeeper::fuzz::QuietLogs();
  zabkeeper::proto::StateSnapshot snapshot;
  if (!snapshot.ParseFromArray(data, static_cast<int>(size))) return 0;
  zabkeeper::server::StateMachine state;
  if (!state.LoadSnapshot(snapshot).ok()) return 0;
  zabkeeper::proto::StateSnapshot again;
  state.FillSnapshot(&again);
  zabkeeper::server::StateMachine reloaded;
  (void)reloaded.LoadSnapshot(again);
  return 0;
}
