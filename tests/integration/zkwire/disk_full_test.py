#!/usr/bin/python3
"""A full disk, for real: one zabkeeper server whose dataDir is on a small
tmpfs this test mounts (root only; it exits 77, skipped, where it cannot
mount), next to a ballast file that leaves little room, with
storage.minFreeMB=32 (the server keeps that much free). Through Kazoo
(Debian's python3-kazoo) over the ZooKeeper protocol:

1. Session A writes 256 KB znodes until one is refused (NotReadOnly) or
   not acknowledged within a few seconds (it waits in the server).
2. Session B still reads every acknowledged znode; its writes fail at once
   with NotReadOnly (the server refuses writes while its disk is full), and
   a new session is refused (an existing one may reattach).
3. The ballast is deleted: a waiting write is acknowledged, and B's
   writes succeed again, with no restart.
4. kill -9 and a restart: every acknowledged znode is there with its value.

Usage: disk_full_test.py SERVER_BIN
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, NotReadOnlyCallError
from kazoo.handlers.threading import KazooTimeoutError

from zk_ensemble import Standalone, wait

SKIP = 77
TMPFS_MB = 96
BALLAST_MB = 40
MIN_FREE_MB = 32  # storage.minFreeMB: below it the server takes no writes
VALUE = 256 * 1024
ACK_WAIT_S = 5
MAX_WRITES = 400  # 100 MB: far more than the tmpfs holds


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def value_of(i):
    # Incompressible, as most real data: RocksDB compresses its tables, and
    # a compressible value would take far less room there than in its WAL.
    return hashlib.shake_256(str(i).encode()).digest(VALUE)


def connect(port):
    zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10.0)
    zk.start(timeout=10)
    return zk


def main():
    binary = sys.argv[1]
    d = tempfile.mkdtemp(prefix="zk-diskfull-")
    mnt = os.path.join(d, "mnt")
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", mnt],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print(f"skipped: cannot mount a tmpfs here ({r.stdout.strip()})")
        shutil.rmtree(d, ignore_errors=True)
        sys.exit(SKIP)
    server = None
    ok = False
    try:
        ballast = os.path.join(mnt, "ballast")
        with open(ballast, "wb") as f:
            f.write(b"\0" * (BALLAST_MB << 20))
        server = Standalone(binary, d, [f"storage.minFreeMB={MIN_FREE_MB}"],
                            data_dir=os.path.join(mnt, "data"))
        a, b = connect(server.plain), connect(server.plain)
        a.create("/fill")

        # 1. Fill the disk: a write is refused at once, or (if the log append
        # itself found no room) waits unacknowledged in the server.
        acked = []
        pending = None
        refused = False
        for i in range(MAX_WRITES):
            result = a.create_async(f"/fill/n{i:04d}", value_of(i))
            try:
                result.get(timeout=ACK_WAIT_S)
                acked.append(i)
            except NotReadOnlyCallError:
                refused = True
                break
            except KazooTimeoutError:
                pending = (i, result)
                break
        check(refused or pending is not None,
              f"{MAX_WRITES} writes of {VALUE} bytes all fit in {TMPFS_MB} MB")
        check(len(acked) > 0, "no write was acknowledged before the disk filled")
        print(f"disk full after {len(acked)} acknowledged writes; "
              + (f"write {pending[0]} waits" if pending else "the next write was refused"))

        # 2. Reads go on; writes and new sessions are refused, clearly.
        for i in acked:
            data, _ = b.get(f"/fill/n{i:04d}")
            check(data == value_of(i), f"read of /fill/n{i:04d} while the disk is full")
        try:
            b.create("/refused", b"x")
            check(False, "a write succeeded on a full disk")
        except NotReadOnlyCallError:
            pass
        try:
            c = connect(server.plain)
            c.stop()
            check(False, "a new session was opened on a full disk")
        except KazooTimeoutError:
            pass
        check(server.proc.poll() is None, "the server died of the full disk")

        # 3. Room again: the waiting write completes, new writes succeed.
        os.remove(ballast)
        unknown = None
        if pending:
            # Its reply may be lost with the connection (a client's read
            # timeout while the server waits for room): then, as always with
            # ConnectionLoss, it is unknown whether the write was applied.
            try:
                pending[1].get(timeout=30)
                acked.append(pending[0])
            except ConnectionLoss:
                unknown = pending[0]

        def writes_again():
            try:
                b.create("/after", b"room again")
                return True
            except NotReadOnlyCallError:
                return False
        wait(writes_again, "writes accepted again after space returned", timeout=30)
        a.stop()
        b.stop()

        # 4. Nothing acknowledged was lost.
        server.kill()
        server.start()
        zk = connect(server.plain)
        for i in acked:
            data, _ = zk.get(f"/fill/n{i:04d}")
            check(data == value_of(i), f"/fill/n{i:04d} after kill -9 and restart")
        check(zk.get("/after")[0] == b"room again", "/after after restart")
        if unknown is not None:
            got = zk.exists(f"/fill/n{unknown:04d}")
            check(got is None or zk.get(f"/fill/n{unknown:04d}")[0] == value_of(unknown),
                  "the write whose reply was lost is whole or absent")
        zk.stop()
        ok = True
        print(f"ok: disk full and back: {len(acked)} acknowledged writes survive kill -9")
    finally:
        if server is not None:
            server.stop()
            if not ok:
                server.print_log()
        subprocess.run(["umount", mnt])
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
