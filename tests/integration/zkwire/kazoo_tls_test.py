#!/usr/bin/python3
"""TLS on the ZooKeeper-protocol port (secureZkClientPort), seen by Kazoo
(Debian's python3-kazoo, unchanged: use_ssl=True) against one zabkeeper
server with certificates from deploy/tls/make-certs.sh.

- ssl.clientAuth=want: a client with a certificate signed by ssl.caFile gets
  the `x509` identity of its subject (CN=zkclient): a node whose ACL names
  only x509:CN=zkclient is readable by it, and NoAuth to a TLS client without
  a certificate and to a client of the plain zkClientPort.
- A client certificate from another CA gets no session.
- Certificate rotation: the server's certificate and key are replaced on
  disk while a session is open; new connections get the new certificate,
  and the open session keeps working on its connection, never disconnected.
- ssl.clientAuth=need: a client without a certificate gets no session; one
  with a good certificate does.

Usage: kazoo_tls_test.py SERVER_BIN MAKE_CERTS_SH
"""
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.security import make_acl

from zk_ensemble import Standalone, wait


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def tls_server(binary, d, certs, client_auth):
    return Standalone(binary, d, [
        f"ssl.certFile={certs}/server.pem", f"ssl.keyFile={certs}/server.key",
        f"ssl.caFile={certs}/ca.pem", f"ssl.clientAuth={client_auth}"], tls=True)


def client(port, certs=None, cert=None, use_ssl=True):
    kwargs = {}
    if use_ssl:
        kwargs = dict(use_ssl=True, verify_certs=True, ca=f"{certs}/ca.pem")
        if cert:
            kwargs.update(certfile=f"{cert}.pem", keyfile=f"{cert}.key")
    zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=5.0, **kwargs)
    zk.start(timeout=5)
    return zk


def refused(port, certs, cert=None):
    try:
        zk = client(port, certs, cert)
    except (KazooTimeoutError, ssl.SSLError, OSError):
        return True
    zk.stop()
    zk.close()
    return False


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def other_ca_client(d):
    """A client certificate signed by a CA the server does not trust."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/rogue-ca.key",
            "-out", f"{d}/rogue-ca.pem", "-days", "2", "-subj", "/CN=rogue CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/rogue.key", "-out",
            f"{d}/rogue.csr", "-subj", "/CN=zkclient")
    openssl("x509", "-req", "-in", f"{d}/rogue.csr", "-CA", f"{d}/rogue-ca.pem", "-CAkey",
            f"{d}/rogue-ca.key", "-CAcreateserial", "-out", f"{d}/rogue.pem", "-days", "2")
    return f"{d}/rogue"


def rotate_server_cert(certs):
    """A new key and certificate from the same CA, swapped in by rename."""
    with open(f"{certs}/ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{certs}/new.key", "-out",
            f"{certs}/new.csr", "-subj", "/CN=zabkeeper server rotated")
    openssl("x509", "-req", "-in", f"{certs}/new.csr", "-CA", f"{certs}/ca.pem", "-CAkey",
            f"{certs}/ca.key", "-CAcreateserial", "-out", f"{certs}/new.pem", "-days", "2",
            "-extfile", f"{certs}/ext")
    os.replace(f"{certs}/new.key", f"{certs}/server.key")
    os.replace(f"{certs}/new.pem", f"{certs}/server.pem")
    with open(f"{certs}/server.pem") as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def served_cert(port):
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port)))


def main():
    binary, make_certs = sys.argv[1], sys.argv[2]
    d = tempfile.mkdtemp(prefix="zab-tls-")
    certs = f"{d}/certs"
    subprocess.run(["bash", make_certs, certs], check=True, capture_output=True)
    rogue = other_ca_client(d)
    server = tls_server(binary, f"{d}/want", certs, "want")
    clients = []
    try:
        # x509 identity from a verified client certificate.
        a = client(server.tls, certs, f"{certs}/client")
        clients.append(a)
        acl = make_acl("x509", "CN=zkclient", all=True)
        a.create("/x509", b"secret", acl=[acl])
        check(a.get("/x509")[0] == b"secret", "the certificate's owner reads its node")
        check(a.get_acls("/x509")[0][0].id.id == "CN=zkclient", "the ACL names the subject")

        anonymous = client(server.tls, certs)  # want: no certificate is fine
        plain = client(server.plain, use_ssl=False)
        clients += [anonymous, plain]
        for zk, who in ((anonymous, "a TLS client without a certificate"),
                        (plain, "a plain client")):
            try:
                zk.get("/x509")
                sys.exit(f"FAIL: {who} read an x509-only node")
            except NoAuthError:
                pass
        check(plain.exists("/x509") is not None, "both ports serve one tree")
        check(refused(server.tls, certs, rogue), "a certificate of another CA is refused")

        # Rotation: new connections get the new certificate, the open
        # session goes on untouched.
        states = []
        a.add_listener(states.append)
        sid = a.client_id[0]
        before = served_cert(server.tls)
        time.sleep(1.1)  # file times must differ from the first load's
        rotated = rotate_server_cert(certs)
        check(rotated != before, "the rotation made a new certificate")
        wait(lambda: served_cert(server.tls) == rotated, "the rotated certificate being served")
        b = client(server.tls, certs, f"{certs}/client")
        clients.append(b)
        check(b.get("/x509")[0] == b"secret", "a new connection works after the rotation")
        a.set("/x509", b"still here")
        check(a.get("/x509")[0] == b"still here", "the old session works after the rotation")
        check(a.client_id[0] == sid and not states, f"the old session never moved: {states}")
        for zk in clients:
            zk.stop()
            zk.close()
        clients = []
        server.stop()

        # need: no certificate, no session.
        server = tls_server(binary, f"{d}/need", certs, "need")
        check(refused(server.tls, certs), "clientAuth=need refuses a client without a certificate")
        c = client(server.tls, certs, f"{certs}/client")
        clients.append(c)
        check(c.exists("/") is not None, "clientAuth=need serves a client with a certificate")
        print("OK: kazoo over TLS: x509 identity, untrusted CA refused, rotation, clientAuth")
    except BaseException:
        server.print_log()
        raise
    finally:
        for zk in clients:
            try:
                zk.stop()
                zk.close()
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
        server.stop()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
