#!/usr/bin/python3
"""globalOutstandingLimit=1 on one zabkeeper server: every client request
waits until the one before it, from any connection, is answered. Through
Kazoo over the ZooKeeper protocol, three sessions pipeline creates, reads
and watches at once, one of them disconnects with requests in flight and
another has its watches fire; every request is still answered and the
server keeps serving. A miscount (a reply not counted, a closed connection
whose requests are never released, a watch event counted as a reply)
leaves the bound reached for good, and this test then times out.

Usage: outstanding_limit_test.py SERVER_BIN
"""
import sys
import tempfile

from kazoo.client import KazooClient

from zk_ensemble import Standalone

OPS = 150


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def connect(port):
    zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10.0)
    zk.start(timeout=10)
    return zk


def main():
    d = tempfile.mkdtemp(prefix="zk-outstanding-")
    server = Standalone(sys.argv[1], d, ["globalOutstandingLimit=1"])
    ok = False
    try:
        a, b, c = (connect(server.plain) for _ in range(3))
        a.create("/lim")
        fired = []
        for i in range(20):
            b.exists(f"/lim/a{i}", watch=lambda e: fired.append(e.path))
        # c leaves with requests in flight.
        for i in range(50):
            c.create_async(f"/lim/c{i}", b"")
        c.stop()
        c.close()
        results = []
        for i in range(OPS):
            results.append(a.create_async(f"/lim/a{i}", str(i).encode()))
            results.append(b.get_children_async("/lim"))
            results.append(b.exists_async(f"/lim/a{i}"))
        for r in results:
            r.get(timeout=30)
        check(len(a.get_children("/lim")) >= OPS, "every create of a applied")
        for i in range(OPS):
            check(b.get(f"/lim/a{i}")[0] == str(i).encode(), f"/lim/a{i}")
        # The 20 exists watches fired (their events are not replies).
        for _ in range(100):
            if len(fired) == 20:
                break
            a.sync("/lim")
        check(sorted(fired) == sorted(f"/lim/a{i}" for i in range(20)), f"watch events: {fired}")
        a.stop()
        b.stop()
        d2 = connect(server.plain)
        check(d2.exists("/lim") is not None, "a new session after it all")
        d2.stop()
        ok = True
        print(f"ok: {3 * OPS} pipelined requests, a disconnect and 20 watch events "
              "under globalOutstandingLimit=1")
    finally:
        server.finish(ok)


if __name__ == "__main__":
    main()
