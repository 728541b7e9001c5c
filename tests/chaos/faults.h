// Fault schedule of one chaos run: a seeded sequence of faults, each applied,
// held for a while, then healed, against a ChaosCluster (and, in netns mode, a
// NetFaults for network faults).
//
// Each Step() is one complete fault: it ends with the fault healed and every
// node the fault stopped restarted (or resumed), so a run can stop between
// steps at any time. Everything a step did is returned as a FaultRecord (the
// schedule saved with a failing run), with the liveness figures it measured.
//
// Process faults (loopback and netns):
//   kill-leader    SIGKILL the leader, restart it after the hold
//   kill-minority  SIGKILL a random minority, restart after the hold
//   kill-all       SIGKILL every node, restart all after the hold
//   pause          SIGSTOP a node (the leader half the time) for longer than
//                  syncLimit * tickTime, then SIGCONT
//   failpoint      arm a crash failpoint (server/failpoints.h) on a node:
//                  log.after_sync directly; epoch.{before,after}_{accepted,
//                  current}_write and zab.after_newleader_ack on a follower,
//                  then kill the leader so an election writes the epochs and
//                  acks NEWLEADER; snap.before_install and snap.during_install
//                  on a follower that is killed, has its database wiped and
//                  is restarted, so the leader sends it a SNAP
//   stall-kill-all arm log.stall on every node (log writes queue up, none
//                  completes), then SIGKILL every node, restart all: the
//                  queued writes are lost as in a power failure
//   clock-skew     restart a node with its wall clock set off by a minute to
//                  a day (libfaketime; skipped if it is not installed): the
//                  server reads the wall clock only for znode dates and
//                  session-id seeds, so nothing checked may change
// Network faults (netns only, see net.h): partition-*, netem.
#ifndef ZABKEEPER_TESTS_CHAOS_FAULTS_H_
#define ZABKEEPER_TESTS_CHAOS_FAULTS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/chaos/cluster.h"
#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

struct FaultRecord {
  std::string name;
  std::string detail;       // which nodes, which failpoint, what happened
  bool leader_cut = false;  // the leader was isolated (liveness: time to next write)
  Time start = 0;
  Time end = 0;
};

// Network faults, implemented where the network can be cut (net.h).
class NetFaults {
 public:
  virtual ~NetFaults() = default;
  virtual const std::vector<std::string>& Names() const = 0;
  // Applies fault `name` (one of Names()); `leader` is the current leader or 0.
  // Records what it cut in `record.detail`. Returns false if it could not.
  virtual bool Apply(const std::string& name, int leader, std::mt19937_64& rng,
                     FaultRecord& record) = 0;
  // Removes every cut and delay.
  virtual void Heal() = 0;
  // The address node `from`'s zoo.cfg gives for node `to`, whose peer port
  // listens at `address` (host:port): `address` itself unless this network
  // routes peer traffic through something it can cut.
  virtual std::string PeerRoute(int from, int to, const std::string& address) {
    (void)from;
    (void)to;
    return address;
  }
  // The run's cluster is gone: drops what PeerRoute set up for it.
  virtual void ResetRoutes() {}
};

// What the schedule measured (ms), for the run's liveness line.
struct LivenessFigures {
  std::vector<int64_t> heal_to_serving_ms;     // each fault's heal -> every node serving
  std::vector<int64_t> restart_to_serving_ms;  // -1 = did not serve in time
  std::vector<Time> leader_kills;              // when a leader was killed or isolated
};

// Fault names the --faults flag accepts.
const std::vector<std::string>& ProcessFaultNames();

class FaultSchedule {
 public:
  // `net` may be null (loopback): network faults are then skipped.
  FaultSchedule(ChaosCluster& cluster, NetFaults* net, std::vector<std::string> enabled,
                uint64_t seed);

  // Applies, holds and heals one randomly chosen enabled fault, then waits
  // (up to 30 s) until every node serves again, so that each fault starts
  // from a whole ensemble; that wait is the fault's heal figure.
  FaultRecord Step();
  // Ends every lingering fault: resumes paused nodes, disarms failpoints,
  // heals the network, restarts stopped nodes.
  void HealAll();

  const LivenessFigures& liveness() const { return liveness_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  int RandomNode();
  std::vector<int> RandomMinority();
  void Hold(int min_ms, int max_ms);
  // Restarts `ids` (disarming their failpoints first; `env` adds to their
  // environment) and records how long each took to serve.
  void Restart(const std::vector<int>& ids, const std::vector<std::string>& env = {});
  void KillLeader(FaultRecord& record);
  void Failpoint(FaultRecord& record);
  void StallKillAll(FaultRecord& record);
  void ClockSkew(FaultRecord& record);
  // Waits until every node serves; records the time since `healed`.
  void MeasureHeal(Time healed);

  ChaosCluster& cluster_;
  NetFaults* net_;
  std::vector<std::string> enabled_;
  std::mt19937_64 rng_;
  std::string fake_time_;  // libfaketime's path, "" if not installed
  LivenessFigures liveness_;
};

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_FAULTS_H_
