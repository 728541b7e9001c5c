#!/usr/bin/env python3
"""Scale figures (issue 7): zabkeeper vs Apache ZooKeeper 3.8, side by side,
each a 3-node cluster on 127.0.0.1 (tickTime 2000, fsync on). For each system,
one after the other:

  1. fill: N znodes of 100 bytes with zkbench (create, 8 sessions x 64
     outstanding, --no-cleanup); fill ops/s, p99 and the node count reached
     (zkbench's 2 s warm-up creates come on top of N; --fill-warmup 0 to
     avoid that);
  2. VmRSS of every server right after the fill and --settle (10) s later,
     and each server's on-disk data size;
  3. follower restart to serving: SIGKILL a follower, start it again, time
     until it reports follower with the leader's node count and zxid; its RSS;
  4. wiped follower resync: SIGKILL a follower, delete its data, start it,
     same end condition; the leader's mntr sync_snap before/after (zabkeeper
     only); RSS of that follower and of the leader right after and 10 s later;
  5. leader failover: SIGKILL the leader, time until another node reports
     leader; then start the old leader again, time until it is a follower with
     the leader's node count and the leader's or the other follower's zxid
     (a ZooKeeper leader with no txn in its new epoch yet reports the epoch's
     first zxid), i.e. the cluster is whole again.

  scripts/bench-scale.py [--znodes 1000000] [--samples 1|2]
                         [--systems zabkeeper,zookeeper] [--build build-bench]
                         [--dir DIR] [--keep] [--no-save] [--timeout 180]
                         [--fill-warmup S] [--zk-heap 1g]

Ports (distinct from bench-compare.py's): zabkeeper (deploy/local/ensemble.sh
--port-offset 300) client 2581-2583, peer 3181-3183, admin 8381-8383;
ZooKeeper client 2491-2493, quorum 3491-3493, election 4491-4493.
Polls every 50 ms (zabkeeper: admin /commands/srvr and /commands/mntr;
ZooKeeper: the srvr four-letter word); every wait is bounded by --timeout.
With --samples 2, steps 3 and 4 run twice, each time on the other follower.

Prints a markdown table (figures x systems, ratio zabkeeper / ZooKeeper) and
writes every raw number to docs/bench-results/scale-<timestamp>.json (nothing
with --no-save). Data lives under a temp dir (default mkdtemp under /tmp),
removed at the end unless --keep. Only processes this script starts are
signalled, by PID; SIGTERM or Ctrl-C stops them too. Exit status 1 when a
step failed (its system's table column is then partial). Does not build:
needs BUILD/bin/{zkbench,zabkeeper-server}, i.e.
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release &&
  cmake --build build-bench -j2 --target zkbench zabkeeper-server
"""
import argparse
import datetime
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import ZK_JAR, built_binaries, four_letter, loadavg, rss_kb, zookeeper_command, zookeeper_node  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENSEMBLE_SH = os.path.join(ROOT, "deploy/local/ensemble.sh")
IDS = (1, 2, 3)
ZAB_OFFSET = 300  # ensemble.sh --port-offset
ZAB_CLIENT, ZAB_PEER, ZAB_ADMIN = 2280 + ZAB_OFFSET, 2880 + ZAB_OFFSET, 8080 + ZAB_OFFSET
ZK_CLIENT, ZK_QUORUM, ZK_ELECTION = 2490, 3490, 4490
FILL = ["--workload", "create", "--sessions", "8", "--outstanding", "64", "--value-size", "100"]
LABELS = {"zabkeeper": "zabkeeper", "zookeeper": "ZooKeeper"}


class StepFailed(RuntimeError):
    pass


def log(msg):
    print(f"[bench-scale {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def dir_bytes(path):
    total = 0
    for d, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(d, name)).st_size
            except OSError:
                pass
    return total


def port_free(port):
    """Nothing accepts connections on 127.0.0.1:port. (A bind test would also trip over
    TIME_WAIT leftovers of a previous run's polling.)"""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


def check_ports(name, ports):
    busy = [p for p in ports if not port_free(p)]
    if busy:
        raise StepFailed(f"{name}: ports {busy} already in use on 127.0.0.1")


def http_json(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


class Zabkeeper:
    """zabkeeper through deploy/local/ensemble.sh (ZABKEEPER_BIN on every call)."""

    name, driver = "zabkeeper", "zabkeeper"
    hosts = ",".join(f"127.0.0.1:{ZAB_CLIENT + i}" for i in IDS)

    def __init__(self, base, binary):
        self.dir = os.path.join(base, "zab")
        self.env = dict(os.environ, ZABKEEPER_BIN=binary)
        self.seen_pids = set()

    def sh(self, *args):
        p = subprocess.run([ENSEMBLE_SH, *args, "--dir", self.dir], env=self.env,
                           capture_output=True, text=True, timeout=60, start_new_session=True)
        self.note_pids()
        if p.returncode != 0:
            raise StepFailed(f"ensemble.sh {' '.join(args)}: rc {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def note_pids(self):
        self.seen_pids.update(self.pids().values())

    def ports(self):
        return [b + i for b in (ZAB_CLIENT, ZAB_PEER, ZAB_ADMIN) for i in IDS]

    def start(self):
        check_ports(self.name, self.ports())
        out = self.sh("start", "--nodes", "3", "--port-offset", str(ZAB_OFFSET), "--tick", "2000")
        log("zabkeeper: " + " | ".join(l for l in out.splitlines() if "started" in l))

    def status(self, i):
        st = http_json(f"http://127.0.0.1:{ZAB_ADMIN + i}/commands/srvr")
        if not st:
            return {"state": "down"}
        return {"state": st.get("server_state", "down"), "node_count": st.get("node_count"),
                "zxid": st.get("zxid"), "version": st.get("version")}

    def sync_snap(self, i):
        st = http_json(f"http://127.0.0.1:{ZAB_ADMIN + i}/commands/mntr")
        return st.get("sync_snap") if st else None

    def pids(self):
        out = {}
        for i in IDS:
            try:
                with open(os.path.join(self.dir, f"node{i}", "pid")) as f:
                    out[i] = int(f.read())
            except (OSError, ValueError):
                pass
        return out

    def data_dir(self, i):
        return os.path.join(self.dir, f"node{i}", "data")

    def kill(self, i):
        self.sh("kill", str(i))

    def kill_now(self, i):
        """SIGKILL without ensemble.sh's bash start-up and 0.1 s polls in the timing;
        kill() afterwards does the bookkeeping."""
        pid = self.pids().get(i)
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)

    def wipe(self, i):
        self.sh("wipe", str(i))  # SIGKILL, then rm -rf nodeI/data/db (keeps myid)

    def restart(self, i):
        self.sh("restart", str(i))

    def stop(self):
        try:
            self.sh("stop")
        finally:
            # ensemble.sh gives up after 5 s; anything of ours still up gets SIGKILL.
            for pid in self.seen_pids:
                if alive(pid) and b"zabkeeper-server" in cmdline(pid):
                    log(f"zabkeeper pid {pid} still up after stop: SIGKILL")
                    os.kill(pid, signal.SIGKILL)
            wait_gone(self.seen_pids)


class ZooKeeper:
    """Apache ZooKeeper 3.8 (Debian's package), bench-compare.py's settings, other ports."""

    name, driver = "zookeeper", "zookeeper"
    hosts = ",".join(f"127.0.0.1:{ZK_CLIENT + i}" for i in IDS)

    def __init__(self, base, heap="1g"):
        self.base = base
        self.heap = heap
        self.procs = {}
        self.seen = []

    def node_dir(self, i):
        return os.path.join(self.base, f"zk{i}")

    def ports(self):
        return [b + i for b in (ZK_CLIENT, ZK_QUORUM, ZK_ELECTION) for i in IDS]

    def start_node(self, i):
        d = self.node_dir(i)
        cfg = zookeeper_node(d, i, ZK_CLIENT + i,
                             {j: (ZK_QUORUM + j, ZK_ELECTION + j) for j in IDS})
        cmd = zookeeper_command(d, cfg, self.heap)
        with open(os.path.join(d, "server.log"), "ab") as out:
            p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs[i] = p
        self.seen.append(p)
        log(f"zookeeper node {i} pid {p.pid}")

    def start(self):
        check_ports(self.name, self.ports())
        for i in IDS:
            self.start_node(i)

    def status(self, i):
        text = four_letter(ZK_CLIENT + i)
        if not text:
            return {"state": "down"}
        fields = {}
        for line in text.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                fields[k.strip()] = v.strip()
        out = {"state": fields.get("Mode", "looking"), "version": fields.get("Zookeeper version")}
        try:
            out["node_count"] = int(fields["Node count"])
            out["zxid"] = int(fields["Zxid"], 16)
        except (KeyError, ValueError):
            pass
        return out

    def sync_snap(self, i):
        return None  # ZooKeeper has no such counter

    def pids(self):
        return {i: p.pid for i, p in self.procs.items() if p.poll() is None}

    def data_dir(self, i):
        return os.path.join(self.node_dir(i), "data")

    def kill(self, i):
        p = self.procs.pop(i, None)
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=30)

    def kill_now(self, i):
        p = self.procs.get(i)
        if p is not None and p.poll() is None:
            p.kill()

    def wipe(self, i):
        self.kill(i)
        shutil.rmtree(os.path.join(self.data_dir(i), "version-2"), ignore_errors=True)

    def restart(self, i):
        self.kill(i)
        self.start_node(i)

    def stop(self):
        for p in self.seen:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.seen:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"zookeeper pid {p.pid} ignored SIGTERM: SIGKILL")
                p.kill()
                p.wait(timeout=30)
        self.procs = {}


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def wait_gone(pids, timeout=15):
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)


def wait_for(what, cond, timeout, poll, ens=None):
    """Polls cond() every `poll` s until it returns something true; (seconds, value).
    On timeout the error names the servers' last states (when ens is given)."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while True:
        v = cond()
        if v:
            return time.monotonic() - t0, v
        if time.monotonic() > deadline:
            last = f"; last states {short_states(ens)}" if ens is not None else ""
            raise StepFailed(f"{what}: not reached within {timeout} s{last}")
        time.sleep(poll)


def short_states(ens):
    return {i: (s["state"], s.get("node_count"), hex(s["zxid"]) if s.get("zxid") is not None
                else None) for i, s in states(ens).items()}


def states(ens):
    return {i: ens.status(i) for i in IDS}


def leader_of(sts):
    leaders = [i for i, s in sts.items() if s["state"] == "leader"]
    return leaders[0] if len(leaders) == 1 else None


def wait_whole(ens, args):
    """One leader, two followers; returns the leader's id."""
    def ready():
        sts = states(ens)
        roles = sorted(s["state"] for s in sts.values())
        return leader_of(sts) if roles == ["follower", "follower", "leader"] else None
    secs, leader = wait_for(f"{ens.name}: leader + 2 followers", ready, args.timeout, args.poll,
                            ens)
    log(f"{ens.name}: node {leader} leads ({secs:.2f} s)")
    return leader


def caught_up(ens, node, leader, or_zxid_of=None):
    """node is a follower with the leader's node count and zxid (or, when or_zxid_of is given,
    that node's zxid: after a failover a ZooKeeper leader without txns in its new epoch reports
    the epoch's first zxid 0xE00000000, and a follower that rejoins reports either that or the
    last txn it applied, depending on how it synced)."""
    s, l = ens.status(node), ens.status(leader)
    refs = {l.get("zxid")}
    if or_zxid_of is not None:
        refs.add(ens.status(or_zxid_of).get("zxid"))
    return (s["state"] == "follower" and l["state"] == "leader"
            and s.get("node_count") is not None and s.get("node_count") == l.get("node_count")
            and s.get("zxid") is not None and s.get("zxid") in refs)


def rss_all(ens, leader):
    pids = ens.pids()
    return {str(i): {"pid": pids.get(i), "rss_kb": rss_kb(pids.get(i)), "leader": i == leader}
            for i in IDS}


def sleep_until(t):
    time.sleep(max(0.0, t - time.monotonic()))


def fill(ens, zkbench, args, base):
    cmd = [zkbench, "--driver", ens.driver, "--connect", ens.hosts, *FILL,
           "--ops", str(args.znodes), "--no-cleanup", "--json"]
    if args.fill_warmup is not None:
        cmd[-2:-2] = ["--warmup", str(args.fill_warmup)]
    log(f"{ens.name}: fill: {' '.join(shlex.quote(c) for c in cmd)}")
    out_path = os.path.join(base, f"zkbench-{ens.name}.out")
    err_path = os.path.join(base, f"zkbench-{ens.name}.err")
    t0 = time.monotonic()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            while True:
                try:
                    p.wait(timeout=10)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() - t0 > args.fill_timeout:
                        raise StepFailed(f"{ens.name}: fill not done within {args.fill_timeout} s")
                    counts = [ens.status(i).get("node_count") for i in IDS]
                    log(f"{ens.name}: filling, {time.monotonic() - t0:.0f} s, node counts {counts}")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    wall = time.monotonic() - t0
    lines = [l for l in open(out_path).read().splitlines() if l.startswith("{")]
    if not lines:
        raise StepFailed(f"{ens.name}: zkbench rc {p.returncode}, no JSON: "
                         f"{open(err_path).read()[-500:]}")
    r = json.loads(lines[-1])
    r.update({"rc": p.returncode, "wall_s": round(wall, 2), "command": cmd})
    log(f"{ens.name}: fill {r['ops']} ops in {r['seconds']:.1f} s = {r['ops_s']:.0f} ops/s, "
        f"p99 {r['p99_us']} us, errors {r['errors']}, rc {p.returncode}")
    return r


def measure_fill(ens, zkbench, args, base, leader, res):
    r = fill(ens, zkbench, args, base)
    res["fill"] = r
    t_rss = time.monotonic()
    res["rss_after_fill"] = rss_all(ens, leader)
    log(f"{ens.name}: RSS after fill {fmt_rss(res['rss_after_fill'])}")

    def converged():
        sts = states(ens)
        counts = {s.get("node_count") for s in sts.values()}
        zxids = {s.get("zxid") for s in sts.values()}
        return sts if len(counts) == 1 and len(zxids) == 1 and None not in counts else None
    secs, sts = wait_for(f"{ens.name}: servers agree after fill", converged, args.timeout,
                         args.poll, ens)
    res["leader_after_fill"] = leader_of(sts)
    res["node_count"] = sts[leader]["node_count"]
    res["zxid_after_fill"] = hex(sts[leader]["zxid"])
    res["disk_bytes_after_fill"] = {str(i): dir_bytes(ens.data_dir(i)) for i in IDS}
    log(f"{ens.name}: {res['node_count']} znodes at zxid {res['zxid_after_fill']}, "
        f"leader {res['leader_after_fill']}, disk MB "
        f"{[mb(b // 1024) for b in res['disk_bytes_after_fill'].values()]}")
    sleep_until(t_rss + args.settle)
    res["rss_settled"] = rss_all(ens, leader)
    log(f"{ens.name}: RSS {args.settle:.0f} s after fill {fmt_rss(res['rss_settled'])}")


def restart_to_serving(ens, args, leader, follower, what):
    """Starts the (killed) follower again; seconds until it has caught up with the leader."""
    t0 = time.monotonic()
    ens.restart(follower)
    wait_for(f"{ens.name}: {what} node {follower} caught up",
             lambda: caught_up(ens, follower, leader), args.timeout, args.poll, ens)
    return time.monotonic() - t0


def measure_restart(ens, args, leader, follower):
    log(f"{ens.name}: restart: SIGKILL follower {follower}")
    ens.kill(follower)
    secs = restart_to_serving(ens, args, leader, follower, "restarted")
    r = {"node": follower, "seconds": round(secs, 3),
         "rss_kb": rss_kb(ens.pids().get(follower))}
    log(f"{ens.name}: follower {follower} serving after {secs:.2f} s, RSS {mb(r['rss_kb'])} MB")
    return r


def measure_wipe(ens, args, leader, follower):
    before = ens.sync_snap(leader)
    log(f"{ens.name}: wipe: SIGKILL follower {follower}, delete its data")
    ens.wipe(follower)
    secs = restart_to_serving(ens, args, leader, follower, "wiped")
    t_rss = time.monotonic()
    pids = ens.pids()
    r = {"node": follower, "seconds": round(secs, 3), "sync_snap_before": before,
         "sync_snap_after": ens.sync_snap(leader),
         "rss_kb": rss_kb(pids.get(follower)), "leader_rss_kb": rss_kb(pids.get(leader))}
    log(f"{ens.name}: wiped follower {follower} serving after {secs:.2f} s, sync_snap "
        f"{before} -> {r['sync_snap_after']}, RSS {mb(r['rss_kb'])} MB, leader "
        f"{mb(r['leader_rss_kb'])} MB")
    sleep_until(t_rss + args.settle)
    pids = ens.pids()
    r["rss_kb_settled"] = rss_kb(pids.get(follower))
    r["leader_rss_kb_settled"] = rss_kb(pids.get(leader))
    log(f"{ens.name}: {args.settle:.0f} s later: follower {mb(r['rss_kb_settled'])} MB, "
        f"leader {mb(r['leader_rss_kb_settled'])} MB")
    return r


def measure_failover(ens, args, leader, res):
    """Fills res["failover"] as it goes, so a failed rejoin keeps the failover time."""
    log(f"{ens.name}: failover: SIGKILL leader {leader}")
    r = res["failover"] = {"old_leader": leader}
    t0 = time.monotonic()
    ens.kill_now(leader)

    def new_leader():
        for i in IDS:
            if i != leader and ens.status(i)["state"] == "leader":
                return i
        return None
    _, nl = wait_for(f"{ens.name}: new leader", new_leader, args.timeout, args.poll, ens)
    secs = time.monotonic() - t0
    r.update({"new_leader": nl, "seconds": round(secs, 3)})
    log(f"{ens.name}: node {nl} leads {secs:.2f} s after the SIGKILL; restarting node {leader}")
    ens.kill(leader)  # bookkeeping (PID files); the process is gone already
    t1 = time.monotonic()
    ens.restart(leader)
    other = [i for i in IDS if i not in (leader, nl)][0]
    wait_for(f"{ens.name}: old leader {leader} back as follower",
             lambda: caught_up(ens, leader, nl, or_zxid_of=other), args.timeout, args.poll, ens)
    back = time.monotonic() - t1
    r.update({"old_leader_rejoin_s": round(back, 3),
              "old_leader_rss_kb": rss_kb(ens.pids().get(leader))})
    log(f"{ens.name}: node {leader} follower again after {back:.2f} s; cluster whole")


def run_system(ens, zkbench, args, base):
    res = {"system": ens.name, "hosts": ens.hosts, "load_before": loadavg()}
    try:
        ens.start()
        leader = wait_whole(ens, args)
        res["leader"] = leader
        res["version"] = ens.status(leader).get("version")
        res["rss_empty"] = rss_all(ens, leader)
        measure_fill(ens, zkbench, args, base, leader, res)
        followers = [i for i in IDS if i != leader]
        res["restart"] = []
        for k in range(args.samples):
            res["restart"].append(measure_restart(ens, args, leader, followers[k % 2]))
        res["wipe"] = []
        for k in range(args.samples):
            res["wipe"].append(measure_wipe(ens, args, leader, followers[k % 2]))
        measure_failover(ens, args, leader, res)
    except (StepFailed, subprocess.SubprocessError, OSError) as e:
        log(f"{ens.name}: FAILED: {e}")
        res["error"] = str(e)
    finally:
        log(f"{ens.name}: stopping")
        try:
            ens.stop()
        except Exception as e:  # noqa: BLE001 - stopping must go on
            log(f"{ens.name}: stop failed: {e}")
            res.setdefault("error", f"stop failed: {e}")
        res["load_after"] = loadavg()
    return res


# ---- report

def mb(kb):
    return "?" if kb is None else f"{kb / 1024:.0f}"


def fmt_rss(rss):
    return ", ".join(f"node {i}{' (leader)' if v['leader'] else ''} {mb(v['rss_kb'])} MB"
                     for i, v in rss.items())


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def rss_split(rss):
    """(leader kB, [follower kB...]) from rss_all()'s output."""
    if not rss:
        return None, []
    lead = [v["rss_kb"] for v in rss.values() if v["leader"]]
    return (lead[0] if lead else None), [v["rss_kb"] for v in rss.values() if not v["leader"]]


def figures(r):
    """figure label -> (cell text, number used for the ratio) for one system's results."""
    f = {}

    def put(label, text, num):
        f[label] = (text, num)

    fill = r.get("fill") or {}
    if fill:
        put("fill rate (creates/s)", f"{fill['ops_s']:.0f}", fill["ops_s"])
        put("fill p99 latency (us)", f"{fill['p99_us']}", fill["p99_us"])
        put("fill errors", f"{fill['errors']}", None)
    if "node_count" in r:
        put("znodes after the fill (leader's node count)", f"{r['node_count']}", r["node_count"])
    for key, when in (("rss_empty", "empty"), ("rss_after_fill", "right after the fill"),
                      ("rss_settled", "10 s after the fill")):
        lead, fols = rss_split(r.get(key))
        if lead is not None:
            put(f"RSS leader, {when} (MB)", mb(lead), lead)
            put(f"RSS followers, {when} (MB)", " / ".join(mb(v) for v in fols), mean(fols))
    empty_lead, empty_fols = rss_split(r.get("rss_empty"))
    lead, fols = rss_split(r.get("rss_settled"))
    if r.get("node_count") and lead is not None and empty_lead is not None:
        # Normalizes for node counts that differ (zkbench's warm-up creates).
        per = [(a - b) * 1024 / r["node_count"] for a, b in zip([lead] + fols,
                                                                [empty_lead] + empty_fols)
               if a is not None and b is not None]
        put("RSS growth per znode, 10 s after the fill, leader / followers (bytes)",
            " / ".join(f"{v:.0f}" for v in per), mean(per))
    if "disk_bytes_after_fill" in r:
        d = [v // 1024 for v in r["disk_bytes_after_fill"].values()]
        put("on-disk data per server after the fill (MB)", " / ".join(mb(v) for v in d), mean(d))
    rs = r.get("restart") or []
    if rs:
        put("follower restart to serving (s)", ", ".join(f"{x['seconds']:.2f}" for x in rs),
            mean([x["seconds"] for x in rs]))
        put("RSS of the restarted follower, serving (MB)", ", ".join(mb(x["rss_kb"]) for x in rs),
            mean([x["rss_kb"] for x in rs]))
    ws = r.get("wipe") or []
    if ws:
        put("wiped follower resync to serving (s)", ", ".join(f"{x['seconds']:.2f}" for x in ws),
            mean([x["seconds"] for x in ws]))
        put("leader sync_snap before -> after",
            ", ".join(f"{x['sync_snap_before']} -> {x['sync_snap_after']}" for x in ws)
            if ws[0]["sync_snap_before"] is not None else "n/a", None)
        for key, who in (("rss_kb", "resynced follower"), ("leader_rss_kb", "leader")):
            put(f"RSS {who}, right after the resync (MB)", ", ".join(mb(x[key]) for x in ws),
                mean([x[key] for x in ws]))
            put(f"RSS {who}, 10 s after the resync (MB)",
                ", ".join(mb(x[key + "_settled"]) for x in ws),
                mean([x[key + "_settled"] for x in ws]))
    fo = r.get("failover") or {}
    if "seconds" in fo:
        put("leader failover, SIGKILL to new leader (s)", f"{fo['seconds']:.2f}", fo["seconds"])
    if "old_leader_rejoin_s" in fo:
        put("killed leader restarted, to serving follower (s)", f"{fo['old_leader_rejoin_s']:.2f}",
            fo["old_leader_rejoin_s"])
    return f


def markdown(results, meta):
    systems = [r["system"] for r in results]
    figs = {r["system"]: figures(r) for r in results}
    labels = []
    for s in systems:
        labels += [l for l in figs[s] if l not in labels]
    both = "zabkeeper" in systems and "zookeeper" in systems
    head = ["figure"] + [LABELS[s] for s in systems] + (["ratio (zab/zk)"] if both else [])
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label in labels:
        cells = [label] + [figs[s].get(label, ("n/a", None))[0] for s in systems]
        if both:
            a = figs["zabkeeper"].get(label, ("", None))[1]
            b = figs["zookeeper"].get(label, ("", None))[1]
            cells.append(f"{a / b:.2f}" if a is not None and b else "")
        out.append("| " + " | ".join(cells) + " |")
    notes = [f"\nCommand: `{meta['command']}` (HEAD {meta['git_head']}, {meta['nproc']} cores, "
             f"{meta['machine']}); load average at start {' '.join(meta['load_before'])}, "
             f"at end {' '.join(meta['load_after'])}."]
    for r in results:
        fill = (r.get("fill") or {}).get("command")
        line = f"- {LABELS[r['system']]}"
        if r.get("version"):
            line += f" ({r['version'].split(',')[0]})"
        line += f": leader node {r.get('leader')}"
        if r.get("failover", {}).get("new_leader"):
            line += f" (node {r['failover']['new_leader']} after the failover)"
        line += f"; load {' '.join(r['load_before'])} -> {' '.join(r['load_after'])}"
        if fill:
            line += f"; fill `{' '.join(shlex.quote(c) for c in fill)}`"
        if r.get("error"):
            line += f"; **FAILED: {r['error']}**"
        notes.append(line)
    notes.append("- RSS = VmRSS / 1024; the ratio column divides the means of the listed values.")
    if meta.get("raw"):
        notes.append(f"- Raw JSON: `{meta['raw']}`.")
    return "\n".join(out + notes) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--znodes", type=int, default=1_000_000,
                    help="znodes to create (zkbench --ops)")
    ap.add_argument("--samples", type=int, choices=(1, 2), default=1,
                    help="restart and wipe samples, each on another follower")
    ap.add_argument("--systems", default="zabkeeper,zookeeper", help="run in this order")
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"),
                    help="build dir with bin/zkbench and bin/zabkeeper-server")
    ap.add_argument("--dir",
                    help="data directory (must be absent or empty; default mkdtemp in /tmp)")
    ap.add_argument("--keep", action="store_true", help="leave the data directory")
    ap.add_argument("--no-save", action="store_true", help="write no JSON file")
    ap.add_argument("--timeout", type=float, default=180, help="bound of each timed wait, s")
    ap.add_argument("--fill-timeout", type=float, default=3600, help="bound of each fill, s")
    ap.add_argument("--fill-warmup", type=float,
                    help="zkbench --warmup for the fill (default zkbench's 2 s, whose creates "
                         "come on top of --znodes; 0 makes the tree hold ~N znodes)")
    ap.add_argument("--poll", type=float, default=0.05, help="poll interval, s")
    ap.add_argument("--settle", type=float, default=10, help="second RSS reading after, s")
    ap.add_argument("--zk-heap", default="1g", help="ZooKeeper -Xms/-Xmx")
    args = ap.parse_args()

    systems = [s for s in args.systems.split(",") if s]
    for s in systems:
        if s not in LABELS:
            sys.exit(f"unknown system {s}; known: {','.join(LABELS)}")
    zkbench, server = built_binaries(args.build)
    if "zookeeper" in systems and not os.path.exists(ZK_JAR):
        sys.exit("Apache ZooKeeper not installed (apt-get install zookeeper)")
    if args.dir:
        base = os.path.abspath(args.dir)
        if os.path.exists(base) and os.listdir(base):
            sys.exit(f"--dir {base} is not empty")
        os.makedirs(base, exist_ok=True)
    else:
        base = tempfile.mkdtemp(prefix="zk-bench-scale.")
    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    raw_rel = None if args.no_save else f"docs/bench-results/scale-{stamp}.json"
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    meta = {"started": stamp, "command": " ".join(shlex.quote(a) for a in sys.argv),
            "cwd": os.getcwd(), "git_head": git, "znodes": args.znodes, "samples": args.samples,
            "systems": systems, "build": args.build, "dir": base, "timeout_s": args.timeout,
            "poll_s": args.poll, "settle_s": args.settle, "zk_heap": args.zk_heap,
            "load_before": loadavg(), "raw": raw_rel, "nproc": os.cpu_count(),
            "machine": subprocess.run(["uname", "-srm"], capture_output=True,
                                      text=True).stdout.strip()}
    log(f"{meta['command']}: data under {base}, load average {' '.join(meta['load_before'])}")
    results = []
    try:
        for s in systems:
            ens = Zabkeeper(base, server) if s == "zabkeeper" else ZooKeeper(base, args.zk_heap)
            results.append(run_system(ens, zkbench, args, base))
    finally:
        if args.keep:
            log(f"data kept under {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    meta["load_after"] = loadavg()
    md = markdown(results, meta)
    raw = json.dumps({"meta": meta, "results": results}, indent=1)  # also checked with --no-save
    if raw_rel:
        os.makedirs(os.path.join(ROOT, "docs/bench-results"), exist_ok=True)
        with open(os.path.join(ROOT, raw_rel), "w") as f:
            f.write(raw + "\n")
    print()
    print(md)
    sys.exit(1 if any(r.get("error") for r in results) else 0)


if __name__ == "__main__":
    main()
