#!/usr/bin/env python3
"""Thousands of clients on one 3-node ensemble, the way coordination services
are used: every client holds a session and a data watch on one config znode,
reads it now and then, and a writer changes the config once a second. Each
change must reach every watcher. Run against zabkeeper's ZooKeeper-protocol
port and Apache ZooKeeper 3.8 (Debian's package), both 3 nodes on 127.0.0.1,
one after the other, with the same raw-protocol clients (asyncio, jute frames:
the servers see ZooKeeper's own wire protocol).

  scripts/bench-clients.py [--clients 2000] [--seconds 30] [--read-interval 1.0]
                           [--build build-release] [--only zabkeeper|zookeeper]

Reports per system: sessions connected and how long that took, notifications
delivered / expected, the delay from a config write to each watcher's event
(p50 / p99 / max), reads done and their p50 / p99, errors, and each server's
RSS and thread count at the end. Only processes this script starts are
stopped, by PID. CI does not run it.
"""
import argparse
import asyncio
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import (built_binaries, four_letter, proc_status, rss_kb,  # noqa: E402
                          zookeeper_command, zookeeper_node)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZAB_OFFSET = 600  # ensemble.sh ports: ZooKeeper protocol 2781-2783, admin 8681-8683
ZK_BASE = 2790    # ZooKeeper: client 2791-2793, quorum 3791-3793, election 4791-4793
CFG = "/bench-clients-cfg"
NOTIFICATION_XID = -1


def s(text):
    b = text.encode()
    return struct.pack(">i", len(b)) + b


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


class Client:
    """One session over ZooKeeper's protocol: requests answered in order."""

    def __init__(self, on_event):
        self.on_event = on_event
        self.pending = []  # futures, in request order
        self.xid = 0
        self.sid = 0

    async def connect(self, host, port, timeout_ms=30000):
        self.reader, self.writer = await asyncio.open_connection(host, port)
        self.writer.write(frame(struct.pack(">iqiq", 0, 0, timeout_ms, 0) + s("\0" * 16)))
        length = struct.unpack(">i", await self.reader.readexactly(4))[0]
        body = await self.reader.readexactly(length)
        _, negotiated, self.sid = struct.unpack(">iiq", body[:16])
        if negotiated <= 0:
            raise RuntimeError("session refused")
        self.task = asyncio.ensure_future(self.read_loop())

    async def read_loop(self):
        try:
            while True:
                length = struct.unpack(">i", await self.reader.readexactly(4))[0]
                body = await self.reader.readexactly(length)
                xid, _, err = struct.unpack(">iqi", body[:16])
                if xid == NOTIFICATION_XID:
                    self.on_event(self, time.monotonic())
                elif self.pending:
                    fut = self.pending.pop(0)
                    if not fut.done():
                        fut.set_result((err, body[16:]))
        except (asyncio.IncompleteReadError, ConnectionError):
            for fut in self.pending:
                if not fut.done():
                    fut.set_exception(ConnectionError("closed"))

    def call(self, op, payload):
        self.xid += 1
        fut = asyncio.get_event_loop().create_future()
        self.pending.append(fut)
        self.writer.write(frame(struct.pack(">ii", self.xid, op) + payload))
        return fut

    def get_data(self, path, watch):
        return self.call(4, s(path) + (b"\1" if watch else b"\0"))

    def set_data(self, path, data):
        return self.call(5, s(path) + struct.pack(">i", len(data)) + data + struct.pack(">i", -1))

    def create(self, path, data):
        acl = struct.pack(">i", 1) + struct.pack(">i", 31) + s("world") + s("anyone")
        return self.call(1, s(path) + struct.pack(">i", len(data)) + data + acl + struct.pack(">i", 0))

    def close(self):
        self.writer.close()


async def run(ports, n, seconds, read_interval):
    stats = {"event_delays": [], "read_us": [], "errors": 0, "events": 0}
    last_write = {"t": None}

    def on_event(client, now):
        stats["events"] += 1
        if last_write["t"] is not None:
            stats["event_delays"].append(now - last_write["t"])
        # One-shot: re-arm with a read that watches again.
        fut = client.get_data(CFG, True)
        fut.add_done_callback(lambda f: f.exception())

    admin = Client(lambda c, t: None)
    await admin.connect("127.0.0.1", ports[0])
    err, _ = await admin.create(CFG, b"v0")
    if err not in (0, -110):  # OK or NODEEXISTS
        raise RuntimeError(f"create {CFG}: {err}")

    clients = [Client(on_event) for _ in range(n)]
    start = time.monotonic()
    sem = asyncio.Semaphore(200)  # connects in flight at once

    async def open_one(i, c):
        async with sem:
            await c.connect("127.0.0.1", ports[i % len(ports)])
            err, _ = await c.get_data(CFG, True)
            if err != 0:
                raise RuntimeError(f"getData: {err}")
    results = await asyncio.gather(*(open_one(i, c) for i, c in enumerate(clients)),
                                   return_exceptions=True)
    connected = [c for c, r in zip(clients, results) if not isinstance(r, BaseException)]
    connect_s = time.monotonic() - start
    failed = [r for r in results if isinstance(r, BaseException)]

    async def reader(c):
        while True:
            await asyncio.sleep(read_interval * (0.5 + (hash(c) % 1000) / 1000))
            t = time.monotonic()
            try:
                err, _ = await c.get_data(CFG, False)
            except ConnectionError:
                stats["errors"] += 1
                return
            if err != 0:
                stats["errors"] += 1
            stats["read_us"].append((time.monotonic() - t) * 1e6)

    readers = [asyncio.ensure_future(reader(c)) for c in connected]
    writes = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        last_write["t"] = time.monotonic()
        err, _ = await admin.set_data(CFG, f"v{writes + 1}".encode())
        if err != 0:
            stats["errors"] += 1
        writes += 1
    await asyncio.sleep(2.0)  # the last change's events
    for r in readers:
        r.cancel()
    for c in connected + [admin]:
        c.close()
    return {"clients": n, "connected": len(connected), "connect_failures": len(failed),
            "connect_s": connect_s, "writes": writes, "events": stats["events"],
            "expected_events": writes * len(connected), "event_delays": stats["event_delays"],
            "read_us": stats["read_us"], "errors": stats["errors"]}


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


class Zabkeeper:
    def __init__(self, base, server):
        self.dir = os.path.join(base, "zab")
        self.env = dict(os.environ, ZABKEEPER_BIN=server)
        self.script = os.path.join(ROOT, "deploy/local/ensemble.sh")
        self.ports = [2180 + ZAB_OFFSET + i for i in (1, 2, 3)]

    def sh(self, *args):
        subprocess.run([self.script, *args, "--dir", self.dir], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def start(self):
        self.sh("start", "--nodes", "3", "--port-offset", str(ZAB_OFFSET),
                "--cfg", "maxClientCnxns=0", "--cfg", "4lw.commands.whitelist=*")

    def pids(self):
        return [int(open(f"{self.dir}/node{i}/pid").read()) for i in (1, 2, 3)]

    def stop(self):
        subprocess.run([self.script, "stop", "--dir", self.dir], stdout=subprocess.DEVNULL)


class ZooKeeper:
    def __init__(self, base):
        self.dir = os.path.join(base, "zk")
        self.ports = [ZK_BASE + i for i in (1, 2, 3)]
        self.procs = []

    def start(self):
        servers = {i: (ZK_BASE + 1000 + i, ZK_BASE + 2000 + i) for i in (1, 2, 3)}
        for i in (1, 2, 3):
            d = os.path.join(self.dir, f"node{i}")
            cfg = zookeeper_node(d, i, ZK_BASE + i, servers)
            with open(cfg, "a") as f:
                f.write("4lw.commands.whitelist=*\n")
            log = open(os.path.join(d, "out.log"), "w")
            self.procs.append(subprocess.Popen(zookeeper_command(d, cfg, "1g"), stdout=log,
                                               stderr=subprocess.STDOUT))

    def pids(self):
        return [p.pid for p in self.procs]

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def wait_serving(ports, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        modes = [four_letter(p, "srvr") for p in ports]
        if all("Mode: " in m for m in modes) and any("Mode: leader" in m for m in modes):
            return
        time.sleep(0.5)
    sys.exit(f"ensemble on {ports} did not come up")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--read-interval", type=float, default=1.0)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-release"))
    ap.add_argument("--only", choices=["zabkeeper", "zookeeper"])
    args = ap.parse_args()
    _, server = built_binaries(args.build)
    # A descriptor per client here, and per connection in the servers.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.clients + 200:
        sys.exit(f"open-file limit {hard} is too low for {args.clients} clients")

    base = tempfile.mkdtemp(prefix="zk-bench-clients.")
    systems = {"zabkeeper": Zabkeeper(base, server), "zookeeper": ZooKeeper(base)}
    if args.only:
        systems = {args.only: systems[args.only]}
    out = {}
    try:
        for name, system in systems.items():
            system.start()
            wait_serving(system.ports)
            print(f"{name}: {args.clients} clients for {args.seconds:.0f} s", flush=True)
            r = asyncio.run(run(system.ports, args.clients, args.seconds, args.read_interval))
            r["rss_mb"] = sum((rss_kb(p) or 0) for p in system.pids()) / 1024
            r["threads"] = [proc_status(p, "Threads") for p in system.pids()]
            system.stop()
            out[name] = r
    finally:
        for system in systems.values():
            try:
                system.stop()
            except Exception:  # noqa: BLE001 - stopping must go on
                pass
        shutil.rmtree(base, ignore_errors=True)

    print(f"\n| system | sessions | connect all | events delivered | write -> event p50 / p99 / max ms"
          f" | reads | read p50 / p99 ms | errors | RSS of 3 servers | threads per server |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in out.items():
        d = [x * 1000 for x in r["event_delays"]]
        print(f"| {name} | {r['connected']}/{r['clients']} | {r['connect_s']:.1f} s | "
              f"{r['events']}/{r['expected_events']} | {pct(d, 50):.1f} / {pct(d, 99):.1f} / "
              f"{max(d) if d else float('nan'):.1f} | {len(r['read_us'])} | "
              f"{pct(r['read_us'], 50) / 1000:.1f} / {pct(r['read_us'], 99) / 1000:.1f} | "
              f"{r['errors'] + r['connect_failures']} | {r['rss_mb']:.0f} MB | "
              f"{'/'.join(str(t) for t in r['threads'])} |")


if __name__ == "__main__":
    main()
