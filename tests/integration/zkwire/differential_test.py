#!/usr/bin/env python3
"""Differential test of the ZooKeeper-protocol port.

Runs the same raw ZooKeeper-protocol sessions (every client opcode, the error
codes, watches, failed multis, sequential, ephemeral, container and TTL
nodes, ACL denials) against Apache ZooKeeper 3.8 (Debian's `zookeeper`
package, started here on 127.0.0.1) and against zabkeeper-server's
zkClientPort, and compares every reply and every watch event field by field.
Zxids, times and session ids differ by nature and are left out; everything
else (error codes, paths, data, versions, child counts, ephemeral-ness,
event types and order) must match.

Usage: differential_test.py SERVER_BIN
"""
import base64
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ZK_JAR = "/usr/share/java/zookeeper.jar"
OPEN_ACL = [(31, "world", "anyone")]
CREATOR_ALL = [(31, "auth", "")]
# Readable by all; everything for digest user u (password p), by its hash:
# getACL shows the hash only to callers with ADMIN.
U_DIGEST = base64.b64encode(hashlib.sha1(b"u:p").digest()).decode()
READ_ALL_U_ADMIN = [(1, "world", "anyone"), (31, "digest", "u:" + U_DIGEST)]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- jute ------------------------------------------------------------------

def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)
def boolean(v): return b"\1" if v else b"\0"
def buf(b): return i32(-1) if b is None else i32(len(b)) + b
def string(s): return buf(s.encode())
def strings(xs): return i32(len(xs)) + b"".join(string(x) for x in xs)
def acls(xs): return i32(len(xs)) + b"".join(i32(p) + string(sc) + string(i) for p, sc, i in xs)


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        assert self.p + n <= len(self.d), f"short record: {n} bytes at {self.p} of {len(self.d)}"
        out = self.d[self.p:self.p + n]
        self.p += n
        return out

    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]
    def bool(self): return self.take(1) != b"\0"

    def buf(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def str(self):
        b = self.buf()
        return None if b is None else b.decode()

    def strs(self):
        n = self.i32()
        return [self.str() for _ in range(max(n, 0))]

    def stat(self):
        # czxid mzxid ctime mtime version cversion aversion owner dataLength numChildren pzxid
        _, _, _, _ = self.i64(), self.i64(), self.i64(), self.i64()
        version, cversion, aversion = self.i32(), self.i32(), self.i32()
        owner = self.i64()
        length, children = self.i32(), self.i32()
        self.i64()
        return {"version": version, "cversion": cversion, "aversion": aversion,
                "ephemeral": owner != 0, "dataLength": length, "numChildren": children}

    def acls(self):
        return [(self.i32(), self.str(), self.str()) for _ in range(self.i32())]

    def done(self): return self.p == len(self.d)


def parse_body(op, r, multi_types=None):
    """The reply body of `op`, without zxids, times or session ids."""
    if op == 1:
        return r.str()
    if op in (15, 19, 21):
        return (r.str(), r.stat())
    if op in (3, 5, 7):
        return r.stat()
    if op == 4:
        return (r.buf(), r.stat())
    if op == 6:
        return (r.acls(), r.stat())
    if op == 8:
        return sorted(r.strs())
    if op == 12:
        return (sorted(r.strs()), r.stat())
    if op == 9:
        return r.str()
    if op in (14, 22):
        out = []
        while True:
            t, done, err = r.i32(), r.bool(), r.i32()
            if done:
                return out
            if t == -1:
                out.append(("error", r.i32()))
            elif t in (2, 13):
                out.append((t, err))
            else:
                out.append((t, err, parse_body(t, r)))
    if op in (103,):
        return sorted(r.strs())
    if op in (104, 106):
        return r.i32()
    if op == 107:
        return [(r.str(), r.str()) for _ in range(r.i32())]
    return None


# ---- one session -------------------------------------------------------------

class Session:
    def __init__(self, port, timeout=10000, session_id=0, passwd=b"\0" * 16):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(10)
        self.send(i32(0) + i64(0) + i32(timeout) + i64(session_id) + buf(passwd) + boolean(False))
        r = Reader(self.recv())
        r.i32()
        self.timeout, self.session_id, self.passwd = r.i32(), r.i64(), r.buf()
        self.xid = 0
        self.events = []

    def send(self, body):
        self.sock.sendall(i32(len(body)) + body)

    def recv(self):
        n = struct.unpack(">i", self.exact(4))[0]
        return self.exact(n)

    def exact(self, n):
        out = b""
        while len(out) < n:
            c = self.sock.recv(n - len(out))
            if not c:
                raise EOFError("server closed the connection")
            out += c
        return out

    def call(self, op, body=b"", xid=None):
        """Returns (err, parsed body, events that came before the reply)."""
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send(i32(xid) + i32(op) + body)
        events = []
        while True:
            r = Reader(self.recv())
            rxid, _, err = r.i32(), r.i64(), r.i32()
            if rxid == -1:
                events.append((r.i32(), r.i32(), r.str()))
                continue
            assert rxid == xid, f"reply xid {rxid} for request {xid}"
            body = parse_body(op, r) if err == 0 or (op in (14, 22) and not r.done()) else None
            assert r.done(), f"op {op}: {len(r.d) - r.p} bytes left in the reply"
            return err, body, events

    def close(self):
        try:
            self.call(-11)
        finally:
            self.sock.close()


# ---- the script ---------------------------------------------------------------

def create(path, data=b"", acl=OPEN_ACL, flags=0):
    return string(path) + buf(data) + acls(acl) + i32(flags)


def run_script(port):
    """Runs every step on a fresh server; returns the list of observations."""
    seen = []
    a, b = Session(port), Session(port)

    def step(name, s, op, body=b"", xid=None):
        try:
            seen.append((name,) + s.call(op, body, xid))
        except (AssertionError, struct.error) as e:  # a malformed reply
            seen.append((name, "malformed reply", str(e)))

    step("create", a, 1, create("/d", b"x"))
    step("create exists", a, 1, create("/d", b"x"))
    step("create no parent", a, 1, create("/nop/child"))
    step("create relative path", a, 1, create("d"))
    step("create empty acl", a, 1, create("/noacl", acl=[]))
    step("create sequential", a, 1, create("/d/s-", b"1", flags=2))
    step("create2 ephemeral of b", b, 15, create("/d/eb", b"e", flags=1))
    step("create2 sequential ephemeral", b, 15, create("/d/es-", flags=3))
    step("create child of ephemeral", a, 1, create("/d/eb/x"))
    step("createContainer", a, 19, create("/c", flags=4))
    step("createTTL", a, 21, create("/t", b"t", flags=5) + i64(60000))
    step("createTTL seq", a, 21, create("/t/s-", flags=6) + i64(60000))
    step("createTTL zero ttl", a, 21, create("/t0", flags=5) + i64(0))
    step("getData watch", a, 4, string("/d") + boolean(True))
    step("setData v0", b, 5, string("/d") + buf(b"y") + i32(0))
    step("setData bad version", a, 5, string("/d") + buf(b"z") + i32(7))
    step("setData missing", a, 5, string("/none") + buf(b"z") + i32(-1))
    step("exists missing watch", a, 3, string("/later") + boolean(True))
    step("create watched", b, 1, create("/later"))
    step("exists present", a, 3, string("/later") + boolean(False))
    step("getChildren watch", a, 8, string("/d") + boolean(True))
    step("create child", b, 1, create("/d/k", b"k"))
    step("getChildren2", a, 12, string("/d") + boolean(False))
    step("getChildren missing", a, 8, string("/none") + boolean(False))
    step("getACL", a, 6, string("/d"))
    step("setACL bad version", a, 7, string("/d") + acls(OPEN_ACL) + i32(3))
    step("setACL", a, 7, string("/d") + acls(OPEN_ACL) + i32(0))
    step("auth digest", a, 100, i32(0) + string("digest") + buf(b"u:p"), xid=-4)
    step("create private", a, 1, create("/priv", b"secret", acl=CREATOR_ALL))
    step("getData private by a", a, 4, string("/priv") + boolean(False))
    step("getData private by b (NOAUTH)", b, 4, string("/priv") + boolean(False))
    step("setData private by b (NOAUTH)", b, 5, string("/priv") + buf(b"x") + i32(-1))
    step("getACL private", b, 6, string("/priv"))
    step("create digest-admin", a, 1, create("/dacl", b"d", acl=READ_ALL_U_ADMIN))
    step("getACL digest without ADMIN", b, 6, string("/dacl"))
    step("getACL digest with ADMIN", a, 6, string("/dacl"))
    step("delete not empty", a, 2, string("/d") + i32(-1))
    step("delete bad version", a, 2, string("/d/k") + i32(3))
    step("delete", a, 2, string("/d/k") + i32(0))
    step("delete missing", a, 2, string("/d/k") + i32(-1))
    ok_multi = (i32(1) + boolean(False) + i32(-1) + create("/m1", b"m") +
                i32(15) + boolean(False) + i32(-1) + create("/m2") +
                i32(5) + boolean(False) + i32(-1) + string("/d") + buf(b"w") + i32(1) +
                i32(13) + boolean(False) + i32(-1) + string("/d") + i32(2) +
                i32(2) + boolean(False) + i32(-1) + string("/m1") + i32(0) +
                i32(-1) + boolean(True) + i32(-1))
    step("multi ok", a, 14, ok_multi)
    typed_multi = (i32(19) + boolean(False) + i32(-1) + create("/mc", flags=4) +
                   i32(21) + boolean(False) + i32(-1) + create("/mt", flags=5) + i64(60000) +
                   i32(-1) + boolean(True) + i32(-1))
    step("multi container and ttl", a, 14, typed_multi)
    bad_multi = (i32(1) + boolean(False) + i32(-1) + create("/m3") +
                 i32(13) + boolean(False) + i32(-1) + string("/d") + i32(99) +
                 i32(1) + boolean(False) + i32(-1) + create("/m4") +
                 i32(-1) + boolean(True) + i32(-1))
    step("multi failing at op 2", a, 14, bad_multi)
    step("multi created nothing", a, 3, string("/m3") + boolean(False))
    step("multi empty", a, 14, i32(-1) + boolean(True) + i32(-1))
    read_multi = (i32(4) + boolean(False) + i32(-1) + string("/d") + boolean(False) +
                  i32(8) + boolean(False) + i32(-1) + string("/d") + boolean(False) +
                  i32(4) + boolean(False) + i32(-1) + string("/none") + boolean(False) +
                  i32(-1) + boolean(True) + i32(-1))
    step("multiRead", a, 22, read_multi)
    step("sync", a, 9, string("/d"))
    step("exists watch for checks", a, 3, string("/d") + boolean(True))
    step("checkWatches data", a, 17, string("/d") + i32(2))
    step("checkWatches children none", a, 17, string("/d") + i32(1))
    step("removeWatches data", a, 18, string("/d") + i32(2))
    step("removeWatches again", a, 18, string("/d") + i32(2))
    step("addWatch recursive", a, 106, string("/d") + i32(1))
    step("setData under recursive watch", b, 5, string("/d") + buf(b"r") + i32(-1))
    step("create under recursive watch", b, 1, create("/d/deep"))
    step("ping after events", a, 11, b"", xid=-2)
    step("getEphemerals", b, 103, string("/"))
    step("getEphemerals prefix", b, 103, string("/d/e"))
    step("getAllChildrenNumber", a, 104, string("/d"))
    step("whoAmI", a, 107)
    step("reconfig", a, 16, string("") + string("") + string("") + i64(-1))
    step("setWatches re-arm", a, 101,
         i64(0) + strings(["/d"]) + strings(["/gone"]) + strings([]), xid=-8)
    step("getData after setWatches", a, 4, string("/d") + boolean(False))
    b.close()
    step("ephemerals gone after close", a, 8, string("/d") + boolean(False))
    a.close()

    # A wrong password and an unknown session: ZooKeeper answers with
    # timeout 0 and session 0 (the client reports it as expired).
    c = Session(port)
    wrong = bytes(x ^ 0x55 for x in c.passwd)
    for name, sid, pw in (("reattach wrong password", c.session_id, wrong),
                          ("reattach unknown session", c.session_id + 12345, c.passwd)):
        s = Session(port, session_id=sid, passwd=pw)
        seen.append((name, s.timeout, s.session_id))
        s.sock.close()
    # A failed authentication: AUTH_FAILED, then ZooKeeper closes the
    # connection.
    f = Session(port)
    step("auth unknown scheme", f, 100, i32(0) + string("nosuchscheme") + buf(b"x"), xid=-4)
    try:
        f.call(3, string("/") + boolean(False))
        seen.append(("served after AUTH_FAILED", True))
    except (EOFError, OSError):
        seen.append(("served after AUTH_FAILED", False))
    f.sock.close()

    # The right password moves the session to the new connection (ZooKeeper
    # then closes the old one).
    r = Session(port, session_id=c.session_id, passwd=c.passwd)
    seen.append(("reattach right password", r.session_id == c.session_id))
    step("session works on its new connection", r, 3, string("/d") + boolean(False))
    r.close()
    c.sock.close()
    return seen


# ---- servers -----------------------------------------------------------------

def wait_port(port, proc, what):
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"FAIL: {what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"FAIL: {what} did not listen on {port}")


def wait_serving(port, what):
    """Until a session opens and answers a ping: a server may accept TCP
    before it serves (ZooKeeper closes such early connections)."""
    deadline = time.time() + 60
    while True:
        try:
            s = Session(port)
            s.call(11, xid=-2)
            s.close()
            return
        except (OSError, EOFError, AssertionError, struct.error):
            if time.time() > deadline:
                sys.exit(f"FAIL: {what} accepts connections but serves no session")
            time.sleep(0.2)


def start_zookeeper(d):
    port = free_port()
    os.makedirs(f"{d}/data")
    with open(f"{d}/zoo.cfg", "w") as f:
        f.write(f"tickTime=2000\ndataDir={d}/data\nclientPort={port}\n"
                "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                "extendedTypesEnabled=true\n")
    log = open(f"{d}/zk.log", "w")
    proc = subprocess.Popen(["java", "-Xmx256m", "-Dzookeeper.extendedTypesEnabled=true",
                             "-cp", f"/etc/zookeeper/conf:{ZK_JAR}:/usr/share/java/*",
                             "org.apache.zookeeper.server.ZooKeeperServerMain", f"{d}/zoo.cfg"],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_port(port, proc, "ZooKeeper")
    wait_serving(port, "ZooKeeper")
    return proc, port


def start_zabkeeper(d, binary):
    port, zk_port, admin = free_port(), free_port(), free_port()
    os.makedirs(f"{d}/data")
    with open(f"{d}/zoo.cfg", "w") as f:
        f.write(f"tickTime=2000\ndataDir={d}/data\nclientPort={port}\nzkClientPort={zk_port}\n"
                f"clientPortAddress=127.0.0.1\nadmin.serverPort={admin}\n"
                "admin.serverAddress=127.0.0.1\n")
    proc = subprocess.Popen([binary, f"{d}/zoo.cfg"], stdout=open(f"{d}/server.log", "w"),
                            stderr=subprocess.STDOUT)
    wait_port(zk_port, proc, "zabkeeper-server")
    wait_serving(zk_port, "zabkeeper-server")
    return proc, zk_port


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if not os.path.exists(ZK_JAR) or shutil.which("java") is None:
        sys.exit(f"FAIL: {ZK_JAR} or java missing (scripts/install-deps.sh installs zookeeper)")
    d = tempfile.mkdtemp(prefix="zkwire-diff-")
    procs = []
    try:
        zk, zk_port = start_zookeeper(f"{d}/zookeeper")
        procs.append(zk)
        zab, zab_port = start_zabkeeper(f"{d}/zabkeeper", sys.argv[1])
        procs.append(zab)
        want = run_script(zk_port)
        got = run_script(zab_port)
        diffs = [(w, g) for w, g in zip(want, got) if w != g]
        for w, g in diffs:
            print(f"DIFF {w[0]}:\n  ZooKeeper: {w[1:]}\n  zabkeeper: {g[1:]}")
        if len(want) != len(got):
            diffs.append(("length", len(want), len(got)))
        if diffs:
            sys.exit(f"FAIL: {len(diffs)} of {len(want)} steps differ from ZooKeeper 3.8")
        print(f"ok: {len(want)} steps, every reply and event as ZooKeeper 3.8's")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        if os.environ.get("ZK_KEEP_TEST_DIR") is None:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
