// Ephemeral workload for zkchaos (the inputs of ephemeral_check.h).
//
// One owner worker (`--worker ephemeral`) creates /eph/e<slot> for slot
// 0, 1, ... in a fresh session each (session timeout 1.5 s requested), keeps
// that session busy for 1-3 s with exists() calls (the invoke of the last ok
// one is `last_alive`: the session was provably alive then), and then either
// closes the session (the close's acknowledgement is `closed`) or abandons it
// (destroys the client without closing: the session must expire). It writes
// one "erec" line per ephemeral it created.
//
// Traffic workers observe: sync, then exists(/eph/e<slot>), with the invoke
// taken before the sync, written as "eobs" lines into their history file.
//
//   erec <session> <slot> <created> <last_alive> <closed|-> <timeout_ns>
//   eobs <slot> <invoke> <complete> <0|1>
#ifndef ZABKEEPER_TESTS_CHAOS_EPHEMERAL_OPS_H_
#define ZABKEEPER_TESTS_CHAOS_EPHEMERAL_OPS_H_

#include <optional>
#include <string>
#include <vector>

#include "client/zk_client.h"
#include "tests/chaos/ephemeral_check.h"
#include "tests/chaos/worker.h"

namespace zabkeeper::chaos {

std::string EphemeralPath(int slot);  // "/eph/e3"

// One observation line, or nullopt if the sync or the exists did not
// complete ok.
std::optional<std::string> ObserveEphemeral(zk::ZkClient& client, int slot, int timeout_ms);

// The owner worker; bounded by config.deadline and config.ops slots.
int RunEphemeralOwner(const WorkerConfig& config);

// Joins the owner's records with every observation of the same slot.
std::vector<EphemeralRecord> ReadEphemerals(const std::string& owner_file,
                                            const std::vector<std::string>& observer_files);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_EPHEMERAL_OPS_H_
