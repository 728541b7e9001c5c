#!/usr/bin/python3
"""Hostile load on the ZooKeeper-protocol port of one zabkeeper server, while
a Kazoo session keeps working:

- a connection storm: 10,000 connections opened and closed from this one
  process (half of them sending a ConnectRequest first, half nothing);
- an oversized-frame flood: 2,000 connections each announcing a frame over
  jute.maxbuffer, then garbage;

After each, the session's reads and writes still work, the server still
accepts new sessions, and its resident memory stays within a bound (it may
not keep what the storm left behind: growth under 64 MB).

Usage: storm_test.py SERVER_BIN
"""
import shutil
import socket
import struct
import sys
import tempfile

from kazoo.client import KazooClient

from zk_ensemble import Standalone

STORM = 10000
FLOOD = 2000
MAX_GROWTH_KB = 64 * 1024


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def connect_request():
    # protocolVersion, lastZxidSeen, timeOut, sessionId, passwd (16 bytes)
    body = struct.pack(">iqiq", 0, 0, 10000, 0) + struct.pack(">i", 16) + b"\0" * 16
    return struct.pack(">i", len(body)) + body


def storm(port):
    hello = connect_request()
    for i in range(STORM):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            if i % 2 == 0:
                s.sendall(hello)


def flood(port):
    for _ in range(FLOOD):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            try:
                s.sendall(struct.pack(">i", 64 << 20) + b"x" * 4096)
            except OSError:
                pass  # the server may close first: that is the point


def still_serving(server, zk, step):
    zk.set("/canary", step.encode())
    check(zk.get("/canary")[0] == step.encode(), f"the session serves after the {step}")
    fresh = KazooClient(hosts=f"127.0.0.1:{server.plain}", timeout=5.0)
    fresh.start(timeout=10)
    check(fresh.exists("/canary") is not None, f"a new session after the {step}")
    fresh.stop()
    fresh.close()


def main():
    d = tempfile.mkdtemp(prefix="zab-storm-")
    server = Standalone(sys.argv[1], d, ["maxClientCnxns=0"])
    zk = KazooClient(hosts=f"127.0.0.1:{server.plain}", timeout=10.0)
    try:
        zk.start(timeout=10)
        zk.create("/canary", b"start")
        base = server.rss_kb()
        storm(server.plain)
        still_serving(server, zk, "storm")
        flood(server.plain)
        still_serving(server, zk, "flood")
        growth = server.rss_kb() - base
        check(growth < MAX_GROWTH_KB, f"RSS grew {growth} KB over the storm and the flood")
        print(f"OK: {STORM} connections and {FLOOD} oversized frames; the session served on; "
              f"RSS growth {growth} KB")
    except BaseException:
        server.print_log()
        raise
    finally:
        zk.stop()
        zk.close()
        server.stop()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
