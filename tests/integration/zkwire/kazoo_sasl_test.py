#!/usr/bin/python3
"""SASL DIGEST-MD5 on the ZooKeeper-protocol port, through Kazoo (with
pure-sasl, as ZooKeeper's documentation sets it up): users from a JAAS
file's Server section, zookeeper.superUser, enforce.auth.enabled with the
sasl scheme.

- bob authenticates; whoAmI names sasl:bob; a node he creates with the
  "auth" ACL is stored as sasl:bob;
- alice (also authenticated) is refused that node (NoAuth), while super
  (zookeeper.superUser) reads it and changes its ACL;
- a wrong password and an unknown user are refused: the connection is
  closed and Kazoo reports the failure; the server goes on serving
  (Apache ZooKeeper 3.8.0 was seen to let the unknown user in: see below);
- a session that skips SASL is refused (enforce.auth.enabled) and writes
  nothing.

Usage: kazoo_sasl_test.py SERVER_BIN
       kazoo_sasl_test.py --zookeeper   (the same against Apache ZooKeeper
                                         3.8, Debian's package)
"""
import os
import shutil
import subprocess
import sys
import tempfile

from kazoo.client import KazooClient
from kazoo.exceptions import AuthFailedError, NoAuthError
from kazoo.security import make_acl

from zk_ensemble import Standalone, free_port, port_open, wait

JAAS = """// users of the server (ZooKeeper's SASL documentation's example)
Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bobsecret"
       user_alice="alicesecret";
};
"""
CFG = ["zookeeper.superUser=super", "enforce.auth.enabled=true", "enforce.auth.schemes=sasl",
       "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider"]


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def connect(port, user=None, password=None, timeout=10):
    options = None
    if user is not None:
        options = {"mechanism": "DIGEST-MD5", "username": user, "password": password}
    zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10.0, sasl_options=options,
                     connection_retry={"max_tries": 5, "delay": 0.2})
    zk.start(timeout=timeout)
    return zk


def refused(port, user, password):
    """True when the exchange is refused. Kazoo reports the session
    connected before SASL; a refusal then fails start() (AUTH_FAILED) or,
    for the SESSION_CLOSED_REQUIRE_SASL_AUTH (-124) that ZooKeeper sends
    when SASL is required and that Kazoo does not know, the next request
    (ConnectionLoss)."""
    zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=5.0,
                     sasl_options={"mechanism": "DIGEST-MD5", "username": user,
                                   "password": password},
                     connection_retry={"max_tries": 0})
    try:
        zk.start(timeout=5)
        zk.get_children("/")
    except Exception as e:
        print(f"  {user}/{password!r}: refused ({type(e).__name__})")
        return True
    finally:
        zk.stop()
        zk.close()
    return False


def run(port, zookeeper):
    bob = connect(port, "bob", "bobsecret")
    who = bob.client_id
    check(who is not None, "bob connected")
    bob.create("/sasl-b", b"bob's", acl=[make_acl("auth", "", all=True)])
    acls, _ = bob.get_acls("/sasl-b")
    check([(a.id.scheme, a.id.id, a.perms) for a in acls] == [("sasl", "bob", 31)],
          f"the auth ACL became sasl:bob: {acls}")
    check(bob.get("/sasl-b")[0] == b"bob's", "bob reads his node")

    alice = connect(port, "alice", "alicesecret")
    try:
        alice.get("/sasl-b")
        check(False, "alice read bob's node")
    except NoAuthError:
        pass
    alice.create("/sasl-a", b"")  # authenticated sessions may write

    admin = connect(port, "super", "adminsecret")
    check(admin.get("/sasl-b")[0] == b"bob's", "super reads bob's node")
    admin.set_acls("/sasl-b", [make_acl("sasl", "alice", read=True)])
    check(alice.get("/sasl-b")[0] == b"bob's", "alice reads it once super allows")

    check(refused(port, "bob", "wrong"), "a wrong password is refused")
    if not zookeeper:
        # Observed: Apache ZooKeeper 3.8.0 logs "User 'mallory' not found in
        # list of DIGEST-MD5 authenticateable users" and then "Successfully
        # authenticated client: authenticationID=mallory" and adds
        # sasl:mallory to the session (Kazoo then fails on rspauth). zabkeeper
        # refuses an unknown user outright.
        check(refused(port, "mallory", "bobsecret"), "an unknown user is refused")

    anon = KazooClient(hosts=f"127.0.0.1:{port}", timeout=5.0, connection_retry={"max_tries": 0})
    anon_wrote = False
    try:
        anon.start(timeout=5)
        anon.create_async("/sasl-anon").get(timeout=5)
        anon_wrote = True
    except Exception as e:
        print(f"  no SASL: refused ({type(e).__name__})")
    finally:
        anon.stop()
        anon.close()
    check(not anon_wrote, "a session without SASL wrote")
    check(bob.exists("/sasl-anon") is None, "nothing of the session without SASL")

    check(sorted(admin.get_children("/")) == sorted(["sasl-a", "sasl-b", "zookeeper"]),
          f"the tree: {admin.get_children('/')}")
    for zk in (bob, alice, admin):
        zk.stop()
        zk.close()


class ZooKeeper38:
    """Apache ZooKeeper 3.8 (Debian's package) with the same JAAS file."""

    def __init__(self, d):
        self.dir = d
        self.port = free_port()
        with open(f"{d}/zoo.cfg", "w") as f:
            f.write("\n".join([f"dataDir={d}/data", f"clientPort={self.port}",
                               "clientPortAddress=127.0.0.1", "tickTime=500",
                               "admin.enableServer=false"] +
                              [c for c in CFG if not c.startswith("zookeeper.superUser")]) + "\n")
        flags = [f"-Djava.security.auth.login.config={d}/jaas.conf",
                 "-Dzookeeper.superUser=super"]
        flags += [f"-Dzookeeper.{c.split('=')[0]}={c.split('=')[1]}" for c in CFG[1:3]]
        self.log = open(f"{d}/zk.log", "wb")
        self.proc = subprocess.Popen(
            ["java", "-Xmx256m"] + flags + ["-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
                                            "org.apache.zookeeper.server.ZooKeeperServerMain",
                                            f"{d}/zoo.cfg"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait(lambda: port_open(self.port) and b"ContainerManager" in open(f"{d}/zk.log", "rb").read(),
             "ZooKeeper serving", timeout=60)

    def finish(self, ok):
        self.proc.kill()
        self.proc.wait()
        if not ok:
            with open(f"{self.dir}/zk.log", "rb") as f:
                sys.stdout.write(f.read().decode(errors="replace")[-4000:])
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    d = tempfile.mkdtemp(prefix="zk-sasl-")
    with open(os.path.join(d, "jaas.conf"), "w") as f:
        f.write(JAAS)
    if sys.argv[1] == "--zookeeper":
        server = ZooKeeper38(d)
        port = server.port
    else:
        server = Standalone(sys.argv[1], d, CFG + [f"java.security.auth.login.config={d}/jaas.conf"])
        port = server.plain
    ok = False
    try:
        run(port, sys.argv[1] == "--zookeeper")
        ok = True
        print("ok: SASL DIGEST-MD5 users, ACLs, super user, refusals and enforce.auth")
    finally:
        server.finish(ok)


if __name__ == "__main__":
    main()
