"""A 3-node zabkeeper ensemble on 127.0.0.1 (deploy/local/ensemble.sh) for
the tests that drive it with ZooKeeper's own clients."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TIMEOUT = 20


def wait(pred, what, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    sys.exit(f"FAIL: timed out waiting for {what}")


def ports_free(offset):
    for base in (2180, 2280, 2880, 8080):
        for i in (1, 2, 3):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", base + offset + i))
                except OSError:
                    return False
    return True


class Ensemble:
    """ensemble.sh ports: ZooKeeper protocol 2180+offset+id, admin 8080+offset+id."""

    def __init__(self, server_bin, script, first_offset, cfg=(), tick=200, d=None):
        """Starts on the first port offset from first_offset on (in steps of
        5, 100 tries) whose ports are all free; d: its directory (default a
        new temporary one), node i's data in d/node<i>/data."""
        self.dir = d or tempfile.mkdtemp(prefix="zk-ens-")
        self.env = dict(os.environ, ZABKEEPER_BIN=server_bin)
        self.script = script
        self.offset = next((o for o in range(first_offset, first_offset + 500, 5)
                            if ports_free(o)), None)
        if self.offset is None:
            sys.exit(f"FAIL: no free port range from offset {first_offset}")
        extra = [arg for line in cfg for arg in ("--cfg", line)]
        self.sh("start", "--nodes", "3", "--tick", str(tick), "--port-offset", str(self.offset),
                *extra)
        self.hosts = ",".join(self.host(i) for i in (1, 2, 3))

    def host(self, i):
        return f"127.0.0.1:{2180 + self.offset + i}"

    def sh(self, *args):
        subprocess.run([self.script, *args, "--dir", self.dir], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def state(self, i):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{8080 + self.offset + i}/commands/srvr", timeout=1) as r:
                return json.load(r).get("server_state")
        except OSError:
            return "down"

    def leader(self):
        for i in (1, 2, 3):
            if self.state(i) == "leader":
                return i
        return 0

    def all_serving(self):
        """One leader and two followers: no node is still settling its
        election (such a node refuses clients for a moment)."""
        states = sorted(self.state(i) for i in (1, 2, 3))
        return states == ["follower", "follower", "leader"]

    def four_letter(self, i, word):
        with socket.create_connection(("127.0.0.1", 2180 + self.offset + i), timeout=2) as s:
            s.sendall(word.encode())
            out = b""
            while chunk := s.recv(4096):
                out += chunk
        return out.decode()

    def print_logs(self):
        for i in (1, 2, 3):
            try:
                with open(f"{self.dir}/node{i}/server.log", errors="replace") as f:
                    tail = f.readlines()[-15:]
            except OSError:
                continue
            print(f"--- node {i} server.log (last lines)\n{''.join(tail)}", end="")

    def close(self, clients=()):
        """Stops the clients (best effort), then every node."""
        for c in clients:
            try:
                c.stop()
            except Exception:
                pass
        subprocess.run([self.script, "stop", "--dir", self.dir], stdout=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Standalone:
    """One zabkeeper server in directory d serving ZooKeeper's protocol on
    self.plain (and with tls=True over TLS on self.tls); cfg: more zoo.cfg
    lines; data_dir: its dataDir (default d/data). Stopped by stop(), or
    kill(), by its PID; start() starts it again on the same config."""

    def __init__(self, binary, d, cfg=(), tls=False, data_dir=None):
        self.dir = d
        self.binary = binary
        os.makedirs(d, exist_ok=True)
        self.plain, self.grpc = free_port(), free_port()
        self.tls = free_port() if tls else 0
        lines = ["tickTime=500", f"dataDir={data_dir or d + '/data'}", f"clientPort={self.grpc}",
                 "clientPortAddress=127.0.0.1", "admin.enableServer=false",
                 f"zkClientPort={self.plain}"]
        if tls:
            lines.append(f"secureZkClientPort={self.tls}")
        with open(os.path.join(d, "zoo.cfg"), "w") as f:
            f.write("\n".join(lines + list(cfg)) + "\n")
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen([self.binary, os.path.join(self.dir, "zoo.cfg")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait(lambda: port_open(self.plain) and (not self.tls or port_open(self.tls)),
             "the server's ports")

    def kill(self):
        """kill -9, as a crash."""
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def finish(self, ok):
        """Stops the server, shows its log unless the test passed, removes
        its directory."""
        self.stop()
        if not ok:
            self.print_log()
        shutil.rmtree(self.dir, ignore_errors=True)

    def print_log(self):
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            sys.stdout.write(f.read().decode(errors="replace")[-4000:])
