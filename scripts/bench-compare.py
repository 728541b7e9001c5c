#!/usr/bin/env python3
"""Side-by-side benchmark: zabkeeper vs Apache ZooKeeper 3.8 vs etcd 3.4, each
a 3-node cluster on 127.0.0.1 with fsync on, driven by the same zkbench
workloads (zkbench --driver zabkeeper | zookeeper | etcd). zabkeeper is measured
through both its front ends: gRPC, and its ZooKeeper-protocol port driven by
ZooKeeper's own C client (zkbench --driver zookeeper; --no-zkwire leaves it out). Runs are
interleaved (each repeat runs every workload on every system, rotating which
goes first) and the table reports medians with min..max spread.

  scripts/bench-compare.py [--runs 3] [--duration 8] [--warmup 2]
                           [--workloads set,create,...] [--build build-bench]
                           [--install] [--keep] [--no-doc] [--no-etcd]

etcd (Debian's etcd-server, /usr/bin/etcd) runs with its default durability
(its WAL is fsynced per batch); without the binary, or with --no-etcd, the
comparison is zabkeeper vs ZooKeeper only. zkbench's etcd driver maps the
ZooKeeper operations to etcd requests (see tests/bench/zkbench/driver_etcd.cc);
its reads are serializable, i.e. member-local as ZooKeeper's are.

Writes docs/bench-results/compare-<timestamp>.json (every zkbench JSON line)
and the results section of docs/BENCHMARKS.md (between the results markers).
Only processes this script starts are stopped, by PID. CI does not run it.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import ZK_JAR, built_binaries, four_letter, loadavg, rss_kb, zookeeper_command, zookeeper_node  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZAB_OFFSET = 100  # ensemble.sh --port-offset: client 2381-2383, ZooKeeper protocol 2281-2283,
#                   peer 2981-2983, admin 8181-8183
ZAB_HOSTS = ",".join(f"127.0.0.1:{2380 + i}" for i in (1, 2, 3))
ZAB_ZK_HOSTS = ",".join(f"127.0.0.1:{2280 + i}" for i in (1, 2, 3))  # its ZooKeeper protocol
ZK_CLIENT = 2190  # ZooKeeper client 2191-2193, quorum 2991-2993, election 3991-3993
ZK_HOSTS = ",".join(f"127.0.0.1:{ZK_CLIENT + i}" for i in (1, 2, 3))
ETCD_BIN = "/usr/bin/etcd"
ETCD_CLIENT = 2370  # etcd client 2371-2373, peer 2471-2473
ETCD_PEER = 2470
ETCD_HOSTS = ",".join(f"127.0.0.1:{ETCD_CLIENT + i}" for i in (1, 2, 3))
LOAD = ["--sessions", "8", "--outstanding", "32", "--value-size", "100"]

# name -> zkbench arguments (besides --driver/--connect/--duration/--warmup)
WORKLOADS = {
    "set": ["--workload", "set"] + LOAD,
    "create": ["--workload", "create", "--no-cleanup"] + LOAD,
    "get": ["--workload", "get"] + LOAD,
    "mixed90": ["--workload", "mixed", "--read-ratio", "0.9"] + LOAD,
    "exists": ["--workload", "exists"] + LOAD,
    "children": ["--workload", "children"] + LOAD,
    "churn": ["--workload", "churn"] + LOAD,
    "seq_set": ["--workload", "set", "--sessions", "1", "--outstanding", "1", "--keys", "10",
                "--value-size", "100"],
    "seq_get": ["--workload", "get", "--sessions", "1", "--outstanding", "1", "--keys", "10",
                "--value-size", "100"],
    "watch16": ["--workload", "watch", "--sessions", "16", "--value-size", "100"],
    # 1 MB values (under ZooKeeper's default jute.maxbuffer of 1 MiB).
    "set_1mb": ["--workload", "set", "--sessions", "1", "--outstanding", "4", "--keys", "4",
                "--value-size", "1000000"],
}
DEFAULT_WORKLOADS = "set,create,get,mixed90,churn,seq_set,watch16"


def log(msg):
    print(f"[bench-compare {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class ChildCluster:
    """Nodes this script started as child processes (self.procs: id -> Popen)."""

    stop_timeout = 10

    def __init__(self, base):
        self.base = base
        self.procs = {}

    def start(self):
        for i in (1, 2, 3):
            self.start_node(i)

    def spawn(self, i, d, cmd, what):
        """Starts node i (cmd, output to d/server.log) in its own session."""
        with open(os.path.join(d, "server.log"), "ab") as out:
            p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs[i] = p
        log(f"{what} {i} pid {p.pid}")

    def pids(self):
        return {i: p.pid for i, p in self.procs.items()}

    def rss_kb(self):
        return {i: rss_kb(p.pid) for i, p in self.procs.items()}

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = {}


class ZooKeeperEnsemble(ChildCluster):
    """Apache ZooKeeper 3.8 (Debian's package), 3 nodes, default durability."""

    def __init__(self, base, heap="1g"):
        super().__init__(base)
        self.heap = heap

    def start_node(self, i):
        d = os.path.join(self.base, f"zk{i}")
        cfg = zookeeper_node(d, i, ZK_CLIENT + i, {j: (2990 + j, 3990 + j) for j in (1, 2, 3)})
        self.spawn(i, d, zookeeper_command(d, cfg, self.heap), "zookeeper node")

    def states(self):
        out = {}
        for i in (1, 2, 3):
            text = four_letter(ZK_CLIENT + i)
            mode = [l.split(":", 1)[1].strip() for l in text.splitlines() if l.startswith("Mode:")]
            out[i] = mode[0] if mode else "down"
        return out


class EtcdCluster(ChildCluster):
    """etcd 3.4 (Debian's etcd-server), 3 members, default durability (WAL fsync)."""

    def start_node(self, i):
        d = os.path.join(self.base, f"etcd{i}")
        os.makedirs(d, exist_ok=True)
        cluster = ",".join(f"e{j}=http://127.0.0.1:{ETCD_PEER + j}" for j in (1, 2, 3))
        cmd = [ETCD_BIN, "--name", f"e{i}", "--data-dir", os.path.join(d, "data"),
               "--listen-client-urls", f"http://127.0.0.1:{ETCD_CLIENT + i}",
               "--advertise-client-urls", f"http://127.0.0.1:{ETCD_CLIENT + i}",
               "--listen-peer-urls", f"http://127.0.0.1:{ETCD_PEER + i}",
               "--initial-advertise-peer-urls", f"http://127.0.0.1:{ETCD_PEER + i}",
               "--initial-cluster", cluster, "--initial-cluster-state", "new",
               "--initial-cluster-token", f"zkbench-{os.getpid()}",
               "--logger", "zap", "--log-level", "warn"]
        self.spawn(i, d, cmd, "etcd member")

    def states(self):
        """leader/follower per member, from the v3 JSON gateway's Status."""
        out = {}
        for i in (1, 2, 3):
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{ETCD_CLIENT + i}/v3/maintenance/status", data=b"{}",
                    headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=1) as r:
                    st = json.loads(r.read())
                leader, me = st.get("leader"), st.get("header", {}).get("member_id")
                out[i] = "down" if not leader or leader == "0" else \
                    ("leader" if leader == me else "follower")
            except (OSError, ValueError):
                out[i] = "down"
        return out

    # A leader tries to hand leadership over first (up to ~5 s).
    stop_timeout = 15


class ZabkeeperEnsemble:
    def __init__(self, base, binary):
        self.dir = os.path.join(base, "zab")
        self.env = dict(os.environ, ZABKEEPER_BIN=binary)

    def sh(self, *args):
        return subprocess.run([os.path.join(ROOT, "deploy/local/ensemble.sh"), *args,
                               "--dir", self.dir], env=self.env, check=True,
                              capture_output=True, text=True).stdout

    def start(self):
        out = self.sh("start", "--nodes", "3", "--port-offset", str(ZAB_OFFSET))
        log("zabkeeper: " + " | ".join(l for l in out.splitlines() if "started" in l))

    def states(self):
        out = {}
        for i in (1, 2, 3):
            try:
                text = subprocess.run(["curl", "-s", "--max-time", "1",
                                       f"http://127.0.0.1:{8080 + ZAB_OFFSET + i}/commands/srvr"],
                                      capture_output=True, text=True).stdout
                out[i] = json.loads(text).get("server_state", "down")
            except (ValueError, OSError):
                out[i] = "down"
        return out

    def pids(self):
        out = {}
        for i in (1, 2, 3):
            try:
                out[i] = int(open(os.path.join(self.dir, f"node{i}", "pid")).read())
            except (OSError, ValueError):
                pass
        return out

    def rss_kb(self):
        return {i: rss_kb(p) for i, p in self.pids().items()}

    def stop(self):
        self.sh("stop")


def wait_leader(ens, name, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = ens.states()
        if list(st.values()).count("leader") == 1 and "down" not in st.values() and \
                "looking" not in st.values():
            log(f"{name} ready: {st}")
            return
        time.sleep(0.5)
    raise RuntimeError(f"{name}: no leader after {timeout}s: {ens.states()}")


def run_zkbench(zkbench, driver, hosts, args, duration, warmup):
    cmd = [zkbench, "--driver", driver, "--connect", hosts, "--duration", str(duration),
           "--warmup", str(warmup), "--json", *args]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + warmup + 240)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"driver": driver, "failed": True, "rc": p.returncode, "stderr": p.stderr[-500:],
                "wall_s": time.time() - t0}
    r = json.loads(lines[-1])
    r["rc"] = p.returncode
    r["wall_s"] = round(time.time() - t0, 1)
    return r


def med(values):
    return statistics.median(values) if values else float("nan")


def summarize(results, workloads, systems):
    rows = []
    for w in workloads:
        row = {"workload": w}
        for system in systems:
            rs = [r for r in results if r["name"] == w and r["system"] == system
                  and not r.get("failed")]
            row[system] = {
                "n": len(rs),
                "ops_s": [r["ops_s"] for r in rs],
                "p50_us": [r["p50_us"] for r in rs],
                "p99_us": [r["p99_us"] for r in rs],
                "p999_us": [r["p999_us"] for r in rs],
                "errors": sum(r["errors"] for r in rs),
            }
        rows.append(row)
    return rows


def fmt_spread(values, fmt="{:.0f}"):
    if not values:
        return "n/a"
    m = med(values)
    return f"{fmt.format(m)} ({fmt.format(min(values))}..{fmt.format(max(values))})"


LABELS = {"zabkeeper": "zabkeeper", "zabkeeper-zkwire": "zabkeeper (ZK protocol)",
          "zookeeper": "ZooKeeper", "etcd": "etcd"}


def markdown(rows, meta, systems):
    """zabkeeper against each other system: ops/s, ratios, latencies, errors."""
    others = [s for s in systems if s != "zabkeeper"]
    L = LABELS
    out = []
    out.append(f"Run {meta['started']} ({meta['runs']} interleaved repeats, {meta['duration']} s "
               f"measured after {meta['warmup']} s warm-up per run; load average before/after "
               f"{' '.join(meta['load_before'])} / {' '.join(meta['load_after'])}). "
               f"Raw JSON: `{meta['raw']}`.\n")
    ratio_head = (["ratio"] if len(others) == 1 else [f"ratio zab/{L[o]}" for o in others])
    p99_head = (["p99 ratio"] if len(others) == 1 else [f"p99 ratio zab/{L[o]}" for o in others])
    head = (["workload"] + [f"{L[s]} ops/s" for s in systems] + ratio_head
            + [f"{L[s]} p50 / p99 / p99.9 us" for s in systems] + p99_head
            + [f"errors ({'/'.join({'zabkeeper': 'zab', 'zookeeper': 'zk'}.get(s, s) for s in systems)})"])
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))

    def ratio(a, b):
        return med(a) / med(b) if a and b and med(b) else float("nan")

    def lat(s):
        return (f"{med(s['p50_us']):.0f} / {med(s['p99_us']):.0f} / {med(s['p999_us']):.0f}"
                if s["p50_us"] else "n/a")

    for row in rows:
        z = row["zabkeeper"]
        cells = ([row["workload"]] + [fmt_spread(row[s]["ops_s"]) for s in systems]
                 + [f"{ratio(z['ops_s'], row[o]['ops_s']):.2f}x" for o in others]
                 + [lat(row[s]) for s in systems]
                 + [f"{ratio(z['p99_us'], row[o]['p99_us']):.2f}" for o in others]
                 + ["/".join(str(row[s]["errors"]) for s in systems)])
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def update_doc(path, section):
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    text = open(path).read() if os.path.exists(path) else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    pre, rest = text.split(begin, 1)
    post = rest.split(end, 1)[1]
    open(path, "w").write(f"{pre}{begin}\n{section}{end}{post}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--workloads", default=DEFAULT_WORKLOADS)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--install", action="store_true",
                    help="apt-get install zookeeper (and etcd-server unless --no-etcd) first")
    ap.add_argument("--keep", action="store_true", help="leave the data directory")
    ap.add_argument("--no-doc", action="store_true", help="do not touch docs/BENCHMARKS.md")
    ap.add_argument("--no-etcd", action="store_true", help="leave etcd out")
    ap.add_argument("--no-zkwire", action="store_true",
                    help="leave out zabkeeper through its ZooKeeper-protocol port")
    args = ap.parse_args()

    workloads = args.workloads.split(",")
    for w in workloads:
        if w not in WORKLOADS:
            sys.exit(f"unknown workload {w}; known: {','.join(WORKLOADS)}")
    zkbench, server = built_binaries(args.build)
    if args.install:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "zookeeper", "libzookeeper-mt-dev"]
                       + ([] if args.no_etcd else ["etcd-server"]),
                       check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if not os.path.exists(ZK_JAR):
        sys.exit("Apache ZooKeeper not installed (apt-get install zookeeper, or --install)")
    use_etcd = not args.no_etcd
    if use_etcd and not os.access(ETCD_BIN, os.X_OK):
        log(f"{ETCD_BIN} not found (apt-get install etcd-server, or --install): skipping etcd")
        use_etcd = False

    base = tempfile.mkdtemp(prefix="zk-bench-compare.")
    zab = ZabkeeperEnsemble(base, server)
    zk = ZooKeeperEnsemble(base)
    etcd = EtcdCluster(base) if use_etcd else None
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    raw_rel = f"docs/bench-results/compare-{stamp}.json"
    meta = {"started": stamp, "runs": args.runs, "duration": args.duration, "warmup": args.warmup,
            "workloads": workloads, "load_before": loadavg(), "raw": raw_rel,
            "zab_hosts": ZAB_HOSTS, "zk_hosts": ZK_HOSTS,
            "etcd_hosts": ETCD_HOSTS if use_etcd else None,
            "machine": subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip(),
            "nproc": os.cpu_count()}
    results = []
    # name -> (cluster, zkbench driver, hosts)
    # The same zabkeeper ensemble is measured through both its front ends:
    # gRPC (zkbench's zabkeeper driver) and ZooKeeper's protocol (zkbench's
    # zookeeper driver, i.e. ZooKeeper's own C client, on zkClientPort).
    clusters = {"zabkeeper": (zab, "zabkeeper", ZAB_HOSTS)}
    if not args.no_zkwire:
        clusters["zabkeeper-zkwire"] = (zab, "zookeeper", ZAB_ZK_HOSTS)
    clusters["zookeeper"] = (zk, "zookeeper", ZK_HOSTS)
    if etcd is not None:
        clusters["etcd"] = (etcd, "etcd", ETCD_HOSTS)
    names = list(clusters)
    try:
        unique = {id(ens): (name, ens) for name, (ens, _, _) in clusters.items()}.values()
        for _, ens in unique:
            ens.start()
        for name, ens in unique:
            wait_leader(ens, name)
        meta["pids"] = {name: ens.pids() for name, (ens, _, _) in clusters.items()}
        systems = [(name, driver, hosts) for name, (_, driver, hosts) in clusters.items()]
        for rep in range(args.runs):
            for wi, w in enumerate(workloads):
                k = (rep + wi) % len(systems)  # rotate which system goes first
                order = systems[k:] + systems[:k]
                for system, driver, hosts in order:
                    r = run_zkbench(zkbench, driver, hosts, WORKLOADS[w], args.duration, args.warmup)
                    r.update({"name": w, "system": system, "rep": rep, "loadavg": loadavg()})
                    results.append(r)
                    if r.get("failed"):
                        log(f"rep {rep} {w:9s} {system:9s} FAILED rc={r['rc']} {r['stderr']}")
                    else:
                        log(f"rep {rep} {w:9s} {system:9s} {r['ops_s']:9.0f} ops/s  p50 {r['p50_us']} "
                            f"p99 {r['p99_us']} p99.9 {r['p999_us']} us  errors {r['errors']}")
        meta["rss_kb_end"] = {name: ens.rss_kb() for name, (ens, _, _) in clusters.items()}
    finally:
        for ens in reversed(list({id(e): e for e, _, _ in clusters.values()}.values())):
            try:
                ens.stop()
            except Exception as e:  # noqa: BLE001 - stopping must go on
                log(f"stop failed: {e}")
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    meta["load_after"] = loadavg()
    rows = summarize(results, workloads, names)
    os.makedirs(os.path.join(ROOT, "docs/bench-results"), exist_ok=True)
    with open(os.path.join(ROOT, raw_rel), "w") as f:
        json.dump({"meta": meta, "results": results, "summary": rows}, f, indent=1)
    md = markdown(rows, meta, names)
    print(md)
    if not args.no_doc:
        update_doc(os.path.join(ROOT, "docs/BENCHMARKS.md"), md)


if __name__ == "__main__":
    main()
