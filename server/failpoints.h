// Failpoints: named places on the persistence path where a fault test can
// make a running server stall or crash, to hit the narrow windows that
// ordinary kills and pauses almost never do (a crash right after an epoch
// write; a log sync that does not complete while the core goes on).
//
// Compiled in only with -DFAILPOINTS=ON, the default for every build type
// but Release (what users and the Docker image run carry none). Even then
// they are inert unless the server starts with ZABKEEPER_FAILPOINTS=1 in its
// environment; failpoint NAME is then armed while the file
// <dataDir>/failpoints/NAME exists, so a test arms and disarms one on a live
// server with a file, without a control port.
//
// Names (docs/OPERATIONS.md lists them too):
//   log.stall                  log syncs are put off while armed (see
//                              storage_writer.h)
//   epoch.before_accepted_write crash just before acceptedEpoch is written
//   epoch.after_accepted_write crash right after acceptedEpoch is durable
//   epoch.before_current_write crash just before currentEpoch is written
//   epoch.after_current_write  crash right after currentEpoch is durable
//   log.after_sync             crash right after a synced log write
//   snap.before_install        crash before a received snapshot is installed
//   snap.during_install        crash with the log emptied for a snapshot and
//                              the state not yet replaced
//   zab.after_newleader_ack    crash right after the ACK of NEWLEADER is
//                              written to the leader's link
//   peer.drop_proposals        PROPOSALs this server sends are dropped (its
//                              followers keep pinging, so a leader stays
//                              established with txns no one else logs)
#ifndef ZABKEEPER_SERVER_FAILPOINTS_H_
#define ZABKEEPER_SERVER_FAILPOINTS_H_

#include <string>

namespace zabkeeper::server::failpoints {

// Reads ZABKEEPER_FAILPOINTS; failpoints live under data_dir/failpoints.
void Init(const std::string& data_dir);
bool Armed(const char* name);
// Waits (polling every 10 ms) while `name` is armed.
void StallWhileArmed(const char* name);
// Ends the process at once, as a crash would (no flushing, no destructors),
// if `name` is armed.
void CrashIfArmed(const char* name);

}  // namespace zabkeeper::server::failpoints

#ifdef ZK_FAILPOINTS
#define ZK_FAILPOINT_ARMED(name) ::zabkeeper::server::failpoints::Armed(name)
#define ZK_FAILPOINT_STALL(name) ::zabkeeper::server::failpoints::StallWhileArmed(name)
#define ZK_FAILPOINT_CRASH(name) ::zabkeeper::server::failpoints::CrashIfArmed(name)
#else
#define ZK_FAILPOINT_ARMED(name) false
#define ZK_FAILPOINT_STALL(name) \
  do {                           \
  } while (false)
#define ZK_FAILPOINT_CRASH(name) \
  do {                           \
  } while (false)
#endif

#endif  // ZABKEEPER_SERVER_FAILPOINTS_H_
