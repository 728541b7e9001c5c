#!/usr/bin/python3
"""A full disk in a 3-node ensemble, for real: each node's dataDir is a
small tmpfs this test mounts (root only; it exits 77, skipped, where it
cannot mount), with storage.minFreeMB=16. Through Kazoo, one node's disk
is filled with a ballast file, first the leader's, then a follower's:

1. Writes through the other nodes go on being acknowledged: the leader
   commits with its followers' ACKs while its own log waits for room, and
   a full follower's missing ACK is not needed for a quorum.
2. The full node refuses its own clients' writes at once (NotReadOnly) and
   still answers reads.
3. The ballast is deleted: the full node writes what waited, takes writes
   again with no restart, and every node lists the same znodes.
4. kill -9 of all three and a restart: every acknowledged write is on every
   node.

Usage: ensemble_disk_full_test.py SERVER_BIN ENSEMBLE_SH
"""
import os
import shutil
import subprocess
import sys
import tempfile

from kazoo.client import KazooClient
from kazoo.exceptions import NotReadOnlyCallError

from zk_ensemble import Ensemble, wait

SKIP = 77
OFFSET = 12000 + 5 * (os.getpid() % 80)  # clear of the other ensemble tests (3000.., 7000.., 10000..)
TMPFS_MB = 64
MIN_FREE_MB = 16  # storage.minFreeMB
LEFT_FREE_MB = 8  # what the ballast leaves: below the reserve
WRITES = 40


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def connect(host):
    zk = KazooClient(hosts=host, timeout=10.0)
    zk.start(timeout=15)
    return zk


def fill(data_dir):
    """A ballast file that leaves LEFT_FREE_MB free on data_dir's tmpfs."""
    st = os.statvfs(data_dir)
    free = st.f_bavail * st.f_frsize
    path = os.path.join(data_dir, "ballast")
    with open(path, "wb") as f:
        os.posix_fallocate(f.fileno(), 0, free - (LEFT_FREE_MB << 20))
    return path


def listing(ens, i):
    zk = connect(ens.host(i))
    try:
        zk.sync("/full")
        return sorted(zk.get_children("/full"))
    finally:
        zk.stop()
        zk.close()


def full_node_round(ens, full, other, acked, tag):
    """Fills node `full`'s disk; writes through `other` go on; `full`
    refuses writes and serves reads; room again; all nodes agree."""
    via_full = connect(ens.host(full))
    via_other = connect(ens.host(other))
    try:
        ballast = fill(f"{ens.dir}/node{full}/data")
        for i in range(WRITES):
            name = f"{tag}{i:03d}"
            via_other.create_async(f"/full/{name}", name.encode()).get(timeout=15)
            acked.add(name)
        print(f"  node {full} full: {WRITES} writes through node {other} acknowledged")

        def refused():
            try:
                via_full.create(f"/full/{tag}-refused", b"")
                return False
            except NotReadOnlyCallError:
                return True
        # The full node learns it is full at its first write after the fill.
        wait(refused, f"node {full} refusing writes on a full disk")
        check(via_full.get("/full")[0] == b"root", f"a read on full node {full}")

        os.remove(ballast)

        def writes_again():
            try:
                via_full.create(f"/full/{tag}-after", b"")
                acked.add(f"{tag}-after")
                return True
            except NotReadOnlyCallError:
                return False
        wait(writes_again, f"node {full} taking writes again", timeout=30)
    finally:
        for zk in (via_full, via_other):
            zk.stop()
            zk.close()
    for i in (1, 2, 3):
        got = listing(ens, i)
        check(got == sorted(acked), f"node {i} lists {len(got)} znodes, {len(acked)} acknowledged")


def main():
    d = tempfile.mkdtemp(prefix="zk-ens-full-")
    mounted = []
    for i in (1, 2, 3):
        data = f"{d}/node{i}/data"
        os.makedirs(data)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", data],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(f"skipped: cannot mount a tmpfs here ({r.stdout.strip()})")
            for m in mounted:
                subprocess.run(["umount", m])
            shutil.rmtree(d, ignore_errors=True)
            sys.exit(SKIP)
        mounted.append(data)
    ens = None
    ok = False
    try:
        ens = Ensemble(sys.argv[1], sys.argv[2], OFFSET, [f"storage.minFreeMB={MIN_FREE_MB}"], d=d)
        wait(ens.all_serving, "a leader and two followers", timeout=30)
        leader = ens.leader()
        f1, f2 = [i for i in (1, 2, 3) if i != leader]
        zk = connect(ens.hosts)
        zk.create("/full", b"root")
        zk.stop()
        zk.close()
        acked = set()
        full_node_round(ens, leader, f1, acked, "L")
        full_node_round(ens, f2, leader if ens.leader() == leader else f1, acked, "F")

        for i in (1, 2, 3):
            ens.sh("kill", str(i))
        for i in (1, 2, 3):
            ens.sh("restart", str(i))
        wait(ens.all_serving, "the ensemble back after kill -9 of all three", timeout=30)
        for i in (1, 2, 3):
            got = listing(ens, i)
            check(got == sorted(acked), f"node {i} after kill -9: {len(got)} of {len(acked)}")
        ok = True
        print(f"ok: the leader's and a follower's disk filled and freed; {len(acked)} "
              "acknowledged writes on every node after kill -9 of all three")
    finally:
        if ens is not None:
            if not ok:
                ens.print_logs()
            subprocess.run([ens.script, "stop", "--dir", ens.dir], stdout=subprocess.DEVNULL)
        for m in mounted:
            subprocess.run(["umount", m])
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
