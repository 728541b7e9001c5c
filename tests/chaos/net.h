// Where a chaos run's processes live on the network, and the network faults.
//
//   loopback  servers on 127.0.0.1 with fresh ports (as tests/integration);
//             partitions hold the bytes of peer links at relays
//             (relay.h), and `delay` slows one node's outgoing peer traffic
//             there (50-400 ms, one way); no packet loss, no lag-reconnect.
//   netns     (root, iproute2 + nft) one network namespace per server,
//             zkc<pid>-n<i> at 10.251.0.<i>/24, and one for the harness and
//             its workers, zkc<pid>-c at 10.251.0.100, each joined by a veth
//             pair to a bridge in zkc<pid>-br. Nothing is added to the root
//             namespace and nothing is routed out: the addresses exist only in
//             these namespaces. zkchaos's own main thread joins zkc<pid>-c
//             before it starts any thread, so its admin queries and workers
//             reach the servers. Faults are nft drop rules in the servers'
//             namespaces (NetFaultNames()), removed on heal; the namespaces
//             are deleted at exit, also on SIGINT/SIGTERM (process.h).
//   auto      netns if a namespace can be created here, else loopback.
#ifndef ZABKEEPER_TESTS_CHAOS_NET_H_
#define ZABKEEPER_TESTS_CHAOS_NET_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/chaos/run.h"

namespace zabkeeper::chaos {

// partition-majority  a random minority cut off from the majority (both ways)
// partition-leader    the leader cut off from every other node
// partition-bridge    5 nodes: two halves that each reach one middle node
//                     (Jepsen's "bridge"); 3 nodes: as partition-majority
// partition-ring      each node reaches only its ring neighbours
// partition-oneway    packets from one node to the others dropped, the other
//                     direction intact (asymmetric)
// loss                20-40% random packet loss on one node's traffic
//                     (nft numgen; tc netem is not needed)
// lag-reconnect       a follower stops receiving its leader's packets (it
//                     falls behind but keeps serving, briefly: the hold is
//                     shorter than syncLimit x tickTime) while every other
//                     node resets client connections, so sessions move to
//                     the lagging follower, which must refuse those that
//                     have seen more than it has applied (netns only)
// delay               one node's outgoing peer traffic 50-400 ms late, one
//                     way (loopback only: no sch_netem for namespaces here)
const std::vector<std::string>& NetFaultNames();

class NetworkSetup {
 public:
  virtual ~NetworkSetup() = default;
  virtual std::string Name() const = 0;
  virtual std::string Note() const = 0;  // e.g. why partitions are unavailable
  virtual Placement placement() = 0;
  // A command that deletes whatever this setup created, for the signal
  // handler (process.h); empty if there is nothing to delete.
  virtual std::vector<std::string> TeardownCommand() const { return {}; }
};

// `mode`: auto | netns | loopback. Null (after printing why) if netns was
// asked for and cannot be set up.
std::unique_ptr<NetworkSetup> MakeNetwork(const std::string& mode, int nodes,
                                          const std::string& out_dir);

// loopback_net.cc: servers on 127.0.0.1, partitions at relays; `why`, if not
// empty, says why netns was not used.
std::unique_ptr<NetworkSetup> MakeLoopbackNetwork(int nodes, const std::string& why);

// netns.cc: the namespaces, or null if they cannot be created.
std::unique_ptr<NetworkSetup> MakeNetnsNetwork(int nodes, const std::string& log_path,
                                               std::string& why_not);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_NET_H_
