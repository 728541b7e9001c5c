#include "tests/bench/zkbench/options.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace zkbench {

std::string Usage() {
  return R"(zkbench: load generator for zabkeeper, Apache ZooKeeper and etcd

  zkbench [--connect HOSTS] [--driver zabkeeper|zookeeper|etcd] [--workload W]
          [--sessions N] [--outstanding K] [--value-size B]
          [--duration S | --ops N] [--warmup S] [--read-ratio R] [--keys N]
          [--children N] [--root PATH] [--no-cleanup] [--label TEXT] [--json]
          [--etcd-linearizable]

Workloads:
  create    persistent creates of new znodes (value-size bytes)
  set       setData on --keys pre-created znodes, chosen at random
  get       getData on --keys pre-created znodes
  exists    exists on --keys pre-created znodes
  children  getChildren of a znode with --children children
  mixed     getData with probability --read-ratio, else setData
  churn     ephemeral create then delete (each counts as one op)
  watch     --sessions watchers on one znode; one more session sets it;
            an op is one round: set until every watcher saw the change
etcd (v3 API; HOSTS are client endpoints, one per session, round-robin):
  create = Txn(create_revision == 0 ? Put), setData = Put, getData/exists =
  Range (serializable, i.e. member-local like ZooKeeper's reads, unless
  --etcd-linearizable), getChildren = Range over the prefix "path/",
  delete = DeleteRange, watch = a Watch from the read's revision + 1,
  ephemeral = Put with the session's lease.
Prints a human-readable summary and one JSON line (keys workload, driver,
ops_s, p50_us, p90_us, p99_us, p999_us, max_us, errors, ...).
)";
}

namespace {

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  if constexpr (std::is_same_v<T, double>) {
    return absl::SimpleAtod(text, out);
  } else {
    return absl::SimpleAtoi(text, out);
  }
}

}  // namespace

absl::StatusOr<Options> ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> absl::StatusOr<std::string> {
      if (has_value) return value;
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
      return std::string(argv[++i]);
    };
    auto number = [&](auto* out) -> absl::Status {
      auto v = next();
      if (!v.ok()) return v.status();
      if (!ParseNumber(*v, out)) {
        return absl::InvalidArgumentError(absl::StrCat("bad number for ", flag, ": ", *v));
      }
      return absl::OkStatus();
    };
    absl::Status st;
    if (flag == "--help" || flag == "-h") return absl::CancelledError("help");
    if (flag == "--connect") {
      auto v = next();
      if (!v.ok()) return v.status();
      o.connect = *v;
    } else if (flag == "--driver") {
      auto v = next();
      if (!v.ok()) return v.status();
      o.driver = *v;
    } else if (flag == "--workload") {
      auto v = next();
      if (!v.ok()) return v.status();
      o.workload = *v;
    } else if (flag == "--root") {
      auto v = next();
      if (!v.ok()) return v.status();
      o.root = *v;
    } else if (flag == "--label") {
      auto v = next();
      if (!v.ok()) return v.status();
      o.label = *v;
    } else if (flag == "--sessions") {
      st = number(&o.sessions);
    } else if (flag == "--outstanding") {
      st = number(&o.outstanding);
    } else if (flag == "--value-size") {
      st = number(&o.value_size);
    } else if (flag == "--duration") {
      st = number(&o.duration_s);
    } else if (flag == "--warmup") {
      st = number(&o.warmup_s);
    } else if (flag == "--ops") {
      st = number(&o.ops);
    } else if (flag == "--read-ratio") {
      st = number(&o.read_ratio);
    } else if (flag == "--keys") {
      st = number(&o.keys);
    } else if (flag == "--children") {
      st = number(&o.children);
    } else if (flag == "--no-cleanup") {
      o.cleanup = false;
    } else if (flag == "--json") {
      o.json_only = true;
    } else if (flag == "--etcd-linearizable") {
      o.etcd_linearizable = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag));
    }
    if (!st.ok()) return st;
  }
  static const std::set<std::string> kWorkloads = {"create",   "set",   "get",   "exists",
                                                   "children", "mixed", "churn", "watch"};
  if (!kWorkloads.count(o.workload)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown workload ", o.workload));
  }
  if (o.driver != "zabkeeper" && o.driver != "zookeeper" && o.driver != "etcd") {
    return absl::InvalidArgumentError(absl::StrCat("unknown driver ", o.driver));
  }
  if (o.sessions < 1 || o.outstanding < 1 || o.value_size < 0 || o.keys < 1 || o.children < 0 ||
      o.read_ratio < 0 || o.read_ratio > 1 || o.duration_s <= 0 || o.warmup_s < 0) {
    return absl::InvalidArgumentError("out-of-range option");
  }
  if (o.root.empty() || o.root[0] != '/' || o.root.back() == '/') {
    return absl::InvalidArgumentError("--root must be an absolute path without trailing /");
  }
  return o;
}

}  // namespace zkbench
