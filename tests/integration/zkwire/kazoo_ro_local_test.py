#!/usr/bin/python3
"""Read-only mode and local sessions, as ZooKeeper 3.8 has them, seen by
Kazoo (Debian's python3-kazoo, unchanged) on a 3-node zabkeeper ensemble
started with readonlymode.enabled, localSessionsEnabled and
localSessionsUpgradingEnabled.

- A local session lives on its server only: moved to another server it is
  expired (the client gets a new one). Its writes go through the leader.
- Its first ephemeral upgrades it to a global session, which then moves
  between servers, and closing it deletes the ephemeral.
- With two of three servers down, the survivor serves read-only clients
  (Kazoo's read_only=True): CONNECTED_RO, reads work, writes fail with
  NotReadOnlyCallError, `isro` says ro, a client that does not allow
  read-only gets no session. Once the quorum is back the client finds a
  read-write server by itself (Kazoo polls isro) and writes again.

Usage: kazoo_ro_local_test.py SERVER_BIN ENSEMBLE_SH
"""
import os
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import NotReadOnlyCallError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KeeperState

from zk_ensemble import TIMEOUT, Ensemble, wait

OFFSET = 7000 + 5 * (os.getpid() % 80)  # clear of kazoo_test.py (3000..) and the Java test (10000..)
CFG = ("readonlymode.enabled=true", "localSessionsEnabled=true",
       "localSessionsUpgradingEnabled=true", "4lw.commands.whitelist=*")


def client(hosts, **kwargs):
    zk = KazooClient(hosts=hosts, timeout=4.0, **kwargs)
    zk.start(timeout=TIMEOUT)
    return zk


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def main():
    ens = Ensemble(sys.argv[1], sys.argv[2], OFFSET, CFG)
    clients = []
    try:
        wait(ens.all_serving, "a leader and two followers")
        leader = ens.leader()
        x, y = [i for i in (1, 2, 3) if i != leader]

        # A local session on follower x: its writes go through the leader.
        a = client(ens.host(x))
        clients.append(a)
        a.create("/ls")
        a.create("/ls/p", b"x")
        sid, pw = a.client_id
        # Moved to follower y it is unknown there: expired, a new session.
        moved = client(ens.host(y), client_id=(sid, pw))
        clients.append(moved)
        check(moved.client_id[0] != sid, "a local session was accepted by another server")
        check(moved.get("/ls/p")[0] == b"x", "the local session's write is not replicated")
        moved.stop()

        # The first ephemeral upgrades it: then it moves, and closing it
        # deletes the ephemeral.
        a.create("/ls/e", ephemeral=True)
        upgraded = client(ens.host(y), client_id=(sid, pw))
        check(upgraded.client_id[0] == sid, "the upgraded session did not move to another server")
        check(upgraded.exists("/ls/e").ephemeralOwner == sid, "the ephemeral's owner")
        upgraded.stop()  # closeSession: a txn now
        observer = client(ens.host(leader))
        clients.append(observer)
        wait(lambda: observer.exists("/ls/e") is None, "the ephemeral to go with its session")
        observer.stop()
        a.stop()
        print("ok: local sessions stay on their server; an ephemeral upgrades one")

        # Read-only: only x is left.
        ens.sh("kill", str(leader))
        ens.sh("kill", str(y))
        wait(lambda: ens.four_letter(x, "isro") == "ro", "the survivor to turn read-only")
        ro = KazooClient(hosts=ens.hosts, timeout=4.0, read_only=True)
        clients.append(ro)
        states = []
        ro.add_listener(lambda s: states.append((s, ro.client_state)))
        ro.start(timeout=TIMEOUT)
        check(ro.client_state == KeeperState.CONNECTED_RO, f"state {ro.client_state}")
        check(ro.get("/ls/p")[0] == b"x", "a read on the read-only server")
        try:
            ro.create("/ro-write")
            sys.exit("FAIL: a write succeeded on a read-only server")
        except NotReadOnlyCallError:
            pass
        rw = KazooClient(hosts=ens.host(x), timeout=4.0)
        clients.append(rw)
        try:
            rw.start(timeout=4)
            sys.exit("FAIL: a client that does not allow read-only got a session")
        except KazooTimeoutError:
            rw.stop()
        print("ok: the read-only server serves reads to read-only clients only")

        ens.sh("restart", str(leader))
        ens.sh("restart", str(y))
        wait(lambda: ro.client_state == KeeperState.CONNECTED, "the client to find a rw server",
             timeout=60)
        ro.create("/after-ro", b"back")
        check(ro.get("/after-ro")[0] == b"back", "a write after the quorum came back")
        check(ens.four_letter(x, "isro") == "rw", "isro after the quorum came back")
        print("ok: back to read-write once the quorum is back")
    finally:
        ens.close(clients)


if __name__ == "__main__":
    main()
