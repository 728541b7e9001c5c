#!/usr/bin/python3
"""Kazoo (Debian's python3-kazoo, unchanged) against a 3-node zabkeeper
ensemble's ZooKeeper-protocol ports: its lock, election, DataWatch,
ChildrenWatch, transaction and party recipes, across a leader kill and a
session expiry. Only the connect string differs from a ZooKeeper setup.

Usage: kazoo_test.py SERVER_BIN ENSEMBLE_SH
"""
import os
import sys
import threading
import time

from kazoo.client import KazooClient, KazooState
from kazoo.recipe.watchers import ChildrenWatch, DataWatch

from zk_ensemble import TIMEOUT, Ensemble, wait

OFFSET = 3000 + 5 * (os.getpid() % 100)  # ensemble.sh ports from this offset on


def client(hosts, timeout=4.0):
    zk = KazooClient(hosts=hosts, timeout=timeout)
    zk.start(timeout=TIMEOUT)
    return zk


def main():
    ens = Ensemble(sys.argv[1], sys.argv[2], OFFSET)
    clients = []
    try:
        wait(ens.all_serving, "a leader and two followers")
        a, b = client(ens.hosts), client(ens.hosts)
        clients += [a, b]

        # Watches: DataWatch and ChildrenWatch.
        a.ensure_path("/cfg")
        data_seen, kids_seen = [], []
        DataWatch(a, "/cfg", lambda data, stat: data_seen.append(data))
        ChildrenWatch(a, "/cfg", lambda kids: kids_seen.append(sorted(kids)))
        b.set("/cfg", b"v1")
        wait(lambda: data_seen[-1:] == [b"v1"], "DataWatch to see v1")

        # Transaction: all or nothing.
        t = b.transaction()
        t.create("/cfg/a", b"1")
        t.create("/cfg/b", b"2")
        assert all(isinstance(r, str) for r in t.commit()), "transaction failed"
        wait(lambda: kids_seen[-1:] == [["a", "b"]], "ChildrenWatch to see a, b")
        t = b.transaction()
        t.create("/cfg/c")
        t.check("/cfg", 99)
        results = t.commit()
        assert not b.exists("/cfg/c"), f"failed transaction applied: {results}"

        # Lock: one holder at a time; the second gets it once the first lets go.
        la, lb = a.Lock("/lock", "a"), b.Lock("/lock", "b")
        assert la.acquire(timeout=5)
        got_b = threading.Event()
        threading.Thread(target=lambda: lb.acquire() and got_b.set(), daemon=True).start()
        time.sleep(0.3)
        assert not got_b.is_set(), "second lock holder got in while the first held it"
        la.release()
        assert got_b.wait(10), "second contender never got the lock"
        lb.release()

        # Party and election.
        pa, pb = a.Party("/party", "a"), b.Party("/party", "b")
        pa.join()
        pb.join()
        # a and b may be on different servers: a sees b's join once its
        # server has caught up, which sync waits for (ZooKeeper's rule too).
        a.sync("/party")
        assert sorted(pa) == ["a", "b"], list(pa)
        leaders = []
        ea = a.Election("/election", "a")
        threading.Thread(target=lambda: ea.run(lambda: (leaders.append("a"), time.sleep(3600))),
                         daemon=True).start()
        wait(lambda: leaders == ["a"], "a to lead")
        eb = b.Election("/election", "b")
        threading.Thread(target=lambda: eb.run(lambda: leaders.append("b")), daemon=True).start()

        # Kill the leader server: clients move on, recipes keep working.
        dead = ens.leader()
        ens.sh("kill", str(dead))
        wait(lambda: ens.leader() not in (0, dead), "a new leader")
        b.set("/cfg", b"after-kill")
        wait(lambda: data_seen[-1:] == [b"after-kill"], "DataWatch after the leader kill")
        assert leaders == ["a"], f"leadership changed without cause: {leaders}"
        assert sorted(pa) == ["a", "b"]
        ens.sh("restart", str(dead))

        # Expire a's session (a second handle with its id closes it): its
        # ephemerals go, so b leads and a leaves the party.
        lost = threading.Event()
        a.add_listener(lambda s: lost.set() if s == KazooState.LOST else None)
        sid, pw = a.client_id
        killer = KazooClient(hosts=ens.hosts, client_id=(sid, pw))
        killer.start(timeout=TIMEOUT)
        killer.stop()
        assert lost.wait(TIMEOUT), "a never saw its session expire"
        wait(lambda: leaders == ["a", "b"], "b to lead after a's session expired")
        wait(lambda: sorted(pb) == ["b"], "a to leave the party")
        wait(lambda: a.connected, "a to reconnect with a new session")
        assert a.get("/cfg")[0] == b"after-kill"
        print("ok: kazoo lock, election, DataWatch, ChildrenWatch, transaction and party "
              "across a leader kill and a session expiry")
    finally:
        ens.close(clients)


if __name__ == "__main__":
    main()
