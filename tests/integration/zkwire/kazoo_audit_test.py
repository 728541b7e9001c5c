#!/usr/bin/python3
"""The audit log (audit.enable=true) of one zabkeeper server, driven by Kazoo
(Debian's python3-kazoo, unchanged) over the ZooKeeper protocol: every line
of <dataDir>/zookeeper_audit.log is checked against what the client did, in
ZooKeeper's format (docs/SECURITY.md, "Audit log"):

  serverStart; create, setData, setAcl, delete with result=success; a
  create of an existing node with result=failure; a sequential ephemeral
  under its applied name; a multi as one line per change (its check left
  out); a failed multi as one multiOperation failure; the ephemeral deleted
  when the session closes; serverStop (result=invoked). Reads leave no line.

Usage: kazoo_audit_test.py SERVER_BIN
"""
import base64
import hashlib
import os
import re
import sys
import tempfile

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError
from kazoo.security import make_digest_acl

from zk_ensemble import Standalone

PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO audit\.Log4jAuditLogger: (.*)$")


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def digest(user_password):
    """ZooKeeper's digest id: base64(sha1("user:password"))."""
    return base64.b64encode(hashlib.sha1(user_password.encode()).digest()).decode()


def read_audit(path):
    entries = []
    with open(path) as f:
        for line in f:
            m = PREFIX.match(line.rstrip("\n"))
            check(m is not None, f"audit line layout: {line!r}")
            entries.append(dict(kv.split("=", 1) for kv in m.group(1).split("\t")))
    return entries


def main():
    binary = sys.argv[1]
    d = tempfile.mkdtemp(prefix="zk-audit-")
    server = Standalone(binary, d, ["audit.enable=true"])
    ok = False
    try:
        zk = KazooClient(hosts=f"127.0.0.1:{server.plain}", timeout=5.0)
        zk.start(timeout=10)
        zk.add_auth("digest", "alice:secret")
        session = f"0x{zk.client_id[0]:x}"
        zk.create("/a", b"1")
        zk.get("/a")  # reads are not audited
        zk.set("/a", b"2")
        zk.set_acls("/a", [make_digest_acl("alice", "secret", all=True)])
        try:
            zk.create("/a", b"x")
            check(False, "a second create of /a succeeded")
        except NodeExistsError:
            pass
        eph = zk.create("/a/e-", b"", ephemeral=True, sequence=True)
        tx = zk.transaction()
        tx.create("/t1", b"")
        tx.check("/a", 1)
        tx.set_data("/a", b"3")
        check(len(tx.commit()) == 3, "the multi's three results")
        tx = zk.transaction()
        tx.create("/t2", b"")
        tx.check("/a", 99)
        tx.commit()  # fails on the check; nothing applied
        check(zk.exists("/t2") is None, "the failed multi applied nothing")
        zk.delete("/t1")
        zk.stop()
        zk.close()
        server.stop()

        got = read_audit(os.path.join(d, "data", "zookeeper_audit.log"))
        user = "127.0.0.1,alice"
        client = {"session": session, "user": user, "ip": "127.0.0.1"}
        want = [
            {"operation": "serverStart", "result": "success"},
            dict(client, operation="create", znode="/a", znode_type="persistent", result="success"),
            dict(client, operation="setData", znode="/a", result="success"),
            dict(client, operation="setAcl", znode="/a",
                 acl=f"digest:alice:{digest('alice:secret')}:cdrwa", result="success"),
            dict(client, operation="create", znode="/a", znode_type="persistent", result="failure"),
            dict(client, operation="create", znode=eph, znode_type="ephemeral_sequential",
                 result="success"),
            dict(client, operation="create", znode="/t1", znode_type="persistent", result="success"),
            dict(client, operation="setData", znode="/a", result="success"),
            dict(client, operation="multiOperation", result="failure"),
            dict(client, operation="delete", znode="/t1", result="success"),
            {"session": session, "operation": "ephemeralZNodeDeleteOnSessionClose", "znode": eph,
             "result": "success"},
            {"operation": "serverStop", "result": "invoked"},
        ]
        # The server's own lines name the account it runs as.
        for entry in got:
            if entry.get("operation") in ("serverStart", "serverStop",
                                          "ephemeralZNodeDeleteOnSessionClose"):
                check(entry.pop("user", "") != "", f"server line without a user: {entry}")
        for i, (w, g) in enumerate(zip(want, got)):
            check(w == g, f"audit line {i}: want {w}, got {g}")
        check(len(got) == len(want), f"want {len(want)} audit lines, got {len(got)}: {got[len(want):]}")
        ok = True
        print(f"ok: {len(got)} audit lines, as ZooKeeper writes them")
    finally:
        server.finish(ok)


if __name__ == "__main__":
    main()
