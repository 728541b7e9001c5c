// Network namespaces for zkchaos (net.h): setup, nft partitions, teardown.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/chaos/faults.h"
#include "tests/chaos/net.h"
#include "tests/chaos/partitions.h"
#include "tests/chaos/process.h"

namespace zabkeeper::chaos {
namespace {

constexpr auto kCommandTimeout = std::chrono::seconds(10);
constexpr const char* kSubnet = "10.251.0.";
constexpr int kClientHost = 100;
constexpr const char* kTable = "zkchaos";

std::string FindTool(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    const std::string path = dir + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

class NetnsNetwork : public NetworkSetup, public NetFaults {
 public:
  NetnsNetwork(int nodes, std::string log) : nodes_(nodes), log_(std::move(log)) {
    prefix_ = absl::StrCat("zkc", getpid());
    ip_ = FindTool("ip");
    nft_ = FindTool("nft");
  }
  ~NetnsNetwork() override { Teardown(); }

  // Creates the namespaces and joins the client one; false (all undone) with
  // the reason if any step fails.
  bool Setup(std::string& why_not) {
    if (geteuid() != 0) {
      why_not = "not root";
      return false;
    }
    if (ip_.empty() || nft_.empty()) {
      why_not = "ip or nft not installed";
      return false;
    }
    const std::string br = Ns("br");
    if (!Ip({"netns", "add", br})) {
      why_not = "ip netns add failed";
      return false;
    }
    created_.push_back(br);
    bool ok = Ip({"-n", br, "link", "add", "br0", "type", "bridge"}) &&
              Ip({"-n", br, "link", "set", "br0", "up"});
    for (int i = 1; ok && i <= nodes_ + 1; ++i) {
      const bool client = i == nodes_ + 1;
      const std::string ns = client ? Ns("c") : Ns(absl::StrCat("n", i));
      const std::string veth = absl::StrCat("v", i);
      const std::string addr = absl::StrCat(kSubnet, client ? kClientHost : i, "/24");
      ok = Ip({"netns", "add", ns});
      if (ok) created_.push_back(ns);
      ok = ok &&
           Ip({"-n", br, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns",
               ns}) &&
           Ip({"-n", br, "link", "set", veth, "master", "br0", "up"}) &&
           Ip({"-n", ns, "addr", "add", addr, "dev", "eth0"}) &&
           Ip({"-n", ns, "link", "set", "eth0", "up"}) && Ip({"-n", ns, "link", "set", "lo", "up"});
    }
    // Probe that nft works in a server namespace (the faults need it).
    ok = ok && Nft(1, {"add table inet", kTable}) && Nft(1, {"delete table inet", kTable});
    if (ok) {
      // Only this thread exists yet (zkchaos starts no thread before), so the
      // whole process, and every process it forks, is in the client namespace.
      const int fd = open(NsPath(Ns("c")).c_str(), O_RDONLY | O_CLOEXEC);
      ok = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
      if (fd >= 0) close(fd);
    }
    if (!ok) {
      why_not = "namespace setup failed (see " + log_ + ")";
      Teardown();
      return false;
    }
    return true;
  }

  std::string Name() const override { return "netns"; }
  std::string Note() const override {
    return absl::StrCat(" (namespaces ", prefix_, "-*, ", kSubnet, "0/24; harness at ", kSubnet,
                        kClientHost, ")");
  }
  Placement placement() override {
    Placement p;
    for (int i = 1; i <= nodes_; ++i) {
      p.nodes.push_back({absl::StrCat(kSubnet, i), NsPath(Ns(absl::StrCat("n", i)))});
    }
    p.fixed_ports = true;
    p.net = this;
    return p;
  }
  std::vector<std::string> TeardownCommand() const override {
    std::vector<std::string> cmd = {"/bin/sh", "-c", ""};
    for (const std::string& ns : created_) absl::StrAppend(&cmd[2], ip_, " netns del ", ns, ";");
    return cmd;
  }

  const std::vector<std::string>& Names() const override {
    static const std::vector<std::string> names = [] {
      std::vector<std::string> all = PartitionNames();
      all.push_back("loss");
      all.push_back("lag-reconnect");
      return all;
    }();
    return names;
  }

  bool Apply(const std::string& name, int leader, std::mt19937_64& rng,
             FaultRecord& record) override {
    // (from, to): packets from `from` dropped on arrival at `to`.
    Cuts drops;
    if (!PlanPartition(name, nodes_, leader, rng, record, drops)) {
      std::vector<int> ids;
      for (int i = 1; i <= nodes_; ++i) ids.push_back(i);
      std::shuffle(ids.begin(), ids.end(), rng);
      if (name == "lag-reconnect") return LagAndReconnect(leader, ids, rng, record);
      if (name != "loss") return false;
      const int percent = 20 + static_cast<int>(rng() % 21);
      record.detail = absl::StrCat(percent, "% loss on node ", ids[0]);
      return LossOn(ids[0], percent);
    }
    bool ok = true;
    for (int to = 1; to <= nodes_; ++to) {
      std::vector<std::string> sources;
      for (const auto& [f, t] : drops) {
        if (t == to) sources.push_back(absl::StrCat(kSubnet, f));
      }
      if (sources.empty()) continue;
      ok = Filter(to, absl::StrCat("ip saddr { ", absl::StrJoin(sources, ", "), " } drop"), "") &&
           ok;
    }
    return ok;
  }

  void Heal() override {
    for (int id : filtered_) Nft(id, {"delete table inet", kTable});
    filtered_.clear();
  }

 private:
  std::string Ns(const std::string& suffix) const { return prefix_ + "-" + suffix; }
  static std::string NsPath(const std::string& ns) { return "/var/run/netns/" + ns; }

  bool Ip(std::vector<std::string> args) {
    args.insert(args.begin(), ip_);
    return RunCommand(args, kCommandTimeout, log_) == 0;
  }
  // One nft script (commands joined by ';') in node `id`'s namespace.
  bool Nft(int id, const std::vector<std::string>& words) {
    return RunCommand(
               {ip_, "netns", "exec", Ns(absl::StrCat("n", id)), nft_, absl::StrJoin(words, " ")},
               kCommandTimeout, log_) == 0;
  }
  // Adds `in_rule` (input hook) and `out_rule` (output hook, may be empty)
  // to node `id`'s zkchaos table, creating it if needed.
  bool Filter(int id, const std::string& in_rule, const std::string& out_rule) {
    std::string script = absl::StrCat(
        "add table inet ", kTable, "; add chain inet ", kTable,
        " in { type filter hook input priority 0; }; add chain inet ", kTable,
        " out { type filter hook output priority 0; }; add rule inet ", kTable, " in ", in_rule);
    if (!out_rule.empty()) absl::StrAppend(&script, "; add rule inet ", kTable, " out ", out_rule);
    filtered_.insert(id);
    return Nft(id, {script});
  }
  bool LagAndReconnect(int leader, const std::vector<int>& shuffled, std::mt19937_64& rng,
                       FaultRecord& record) {
    const auto follower =
        std::find_if(shuffled.begin(), shuffled.end(), [&](int id) { return id != leader; });
    if (leader == 0 || follower == shuffled.end()) {
      record.detail = "no leader";
      return false;
    }
    const int lagging = *follower;
    bool ok = Filter(lagging, absl::StrCat("ip saddr ", kSubnet, leader, " drop"), "");
    // Writes go on without it for a while before the sessions move.
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 101));
    const std::string reset = absl::StrCat("ip saddr ", kSubnet, kClientHost, " tcp dport ",
                                           kFixedClientPort, " reject with tcp reset");
    for (int id = 1; id <= nodes_; ++id) {
      if (id != lagging) ok = Filter(id, reset, "") && ok;
    }
    record.detail = absl::StrCat("node ", lagging, " cut from leader ", leader,
                                 "'s packets; client connections reset on the others");
    return ok;
  }
  bool LossOn(int id, int percent) {
    const std::string rule = absl::StrCat("numgen random mod 100 < ", percent, " drop");
    return Filter(id, rule, rule);
  }

  void Teardown() {
    Heal();
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) Ip({"netns", "del", *it});
    created_.clear();
  }

  int nodes_;
  std::string log_;
  std::string prefix_;
  std::string ip_, nft_;
  std::vector<std::string> created_;  // namespaces, in creation order
  std::set<int> filtered_;            // nodes with a zkchaos nft table
};

}  // namespace

std::unique_ptr<NetworkSetup> MakeNetnsNetwork(int nodes, const std::string& log_path,
                                               std::string& why_not) {
  auto net = std::make_unique<NetnsNetwork>(nodes, log_path);
  if (!net->Setup(why_not)) return nullptr;
  return net;
}

}  // namespace zabkeeper::chaos
