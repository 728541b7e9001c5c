#!/usr/bin/python3
"""ZooKeeper's own Java client (Debian's zookeeper.jar, unchanged), or Apache
Curator on it (Debian's libcurator-recipes-java), against a 3-node zabkeeper
ensemble's ZooKeeper-protocol ports: JAVA_SOURCE (JavaClientTest.java or
CuratorTest.java; its class is the file's name) is compiled here with javac
and run with only the connect string changed. This
driver starts the ensemble (deploy/local/ensemble.sh, a private --dir) and
kills the leader when the Java program asks for it: the program prints a
line starting with "KILL-LEADER" and waits on stdin for "killed HOST:PORT".

Usage: java_client_test.py SERVER_BIN ENSEMBLE_SH JAVA_SOURCE
       java_client_test.py --zookeeper JAVA_SOURCE
The second form runs the same checks against a standalone Apache ZooKeeper
3.8 (Debian's zookeeper package) to show they are ZooKeeper's behaviour; a
single server has no leader to kill, so that step only checks the sessions.
Exits 77 (ctest SKIP_RETURN_CODE) when javac, java or a jar it needs is missing.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

from zk_ensemble import Ensemble, wait

ZK_JAR = "/usr/share/java/zookeeper.jar"  # its manifest's Class-Path names jute, slf4j, netty
SLF4J_SIMPLE = "/usr/share/java/slf4j-simple.jar"  # the client's warnings to stderr
# Curator and what it needs besides ZooKeeper's jar.
CURATOR_JARS = [f"/usr/share/java/{j}.jar" for j in
                ("curator-client", "curator-framework", "curator-recipes", "guava")]
SKIP = 77
JAVA_TIMEOUT = 150
# ensemble.sh --port-offset: ZooKeeper protocol 2180+OFFSET+id, client 2280+,
# peer 2880+, admin 8080+. 10000..10495 keeps clear of kazoo_test.py
# (3000..3499), ensemble_script_test.sh (417) and the bench scripts (100..400).
FIRST_OFFSET = 10000 + 5 * (os.getpid() % 100)


def jars_for(source):
    return [ZK_JAR] + (CURATOR_JARS if "Curator" in os.path.basename(source) else [])


def compile_java(source, out):
    r = subprocess.run(["javac", "-cp", ":".join(jars_for(source)), "-d", out, source],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise SystemExit(f"FAIL: javac {source}:\n{r.stdout}")


def kill_leader(ens):
    dead = ens.leader()
    if dead == 0:
        raise SystemExit("FAIL: no leader to kill")
    print(f"driver: killing leader node {dead} ({ens.host(dead)})", flush=True)
    ens.sh("kill", str(dead))
    wait(lambda: ens.leader() not in (0, dead), "a new leader after the kill")
    print(f"driver: node {ens.leader()} leads", flush=True)
    return ens.host(dead)


class ZooKeeper:
    """A standalone Apache ZooKeeper 3.8 for --zookeeper."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="zkwire-java-zk-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        with open(f"{self.dir}/zoo.cfg", "w") as f:
            f.write(f"tickTime=2000\ndataDir={self.dir}/data\nclientPort={self.port}\n"
                    "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n")
        self.log = open(f"{self.dir}/zk.log", "w")
        self.proc = subprocess.Popen(
            ["java", "-Xmx256m", "-Dzookeeper.extendedTypesEnabled=true", "-cp",
             f"/etc/zookeeper/conf:{ZK_JAR}:/usr/share/java/*",
             "org.apache.zookeeper.server.ZooKeeperServerMain", f"{self.dir}/zoo.cfg"],
            stdout=self.log, stderr=subprocess.STDOUT)

        def up():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait(up, "ZooKeeper to listen")

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_java(source, classes, hosts, leader, on_kill, on_failure):
    main_class = os.path.splitext(os.path.basename(source))[0]
    classpath = ":".join([classes] + jars_for(source)
                         + ([SLF4J_SIMPLE] if os.path.exists(SLF4J_SIMPLE) else []))
    java = subprocess.Popen(
        ["java", "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath,
         main_class, hosts, leader],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    timed_out = threading.Event()

    def on_timeout():
        timed_out.set()
        java.kill()

    watchdog = threading.Timer(JAVA_TIMEOUT, on_timeout)
    watchdog.start()
    try:
        for line in java.stdout:
            print(line, end="", flush=True)
            if line.startswith("KILL-LEADER"):
                java.stdin.write(f"killed {on_kill()}\n")
                java.stdin.flush()
        rc = java.wait()
    finally:
        watchdog.cancel()
        if java.poll() is None:
            java.kill()
            java.wait()
    if timed_out.is_set():
        rc = 1
        print(f"FAIL: {main_class} still running after {JAVA_TIMEOUT} s; killed it")
    if rc != 0:
        on_failure()
    return 0 if rc == 0 else 1


def main():
    against_zookeeper = len(sys.argv) == 3 and sys.argv[1] == "--zookeeper"
    if len(sys.argv) != 4 and not against_zookeeper:
        raise SystemExit(__doc__)
    source = sys.argv[-1]
    missing = [t for t in ("javac", "java") if shutil.which(t) is None]
    missing += [j for j in jars_for(source) if not os.path.exists(j)]
    if missing:
        print(f"SKIP: {', '.join(missing)} missing (scripts/install-deps.sh installs "
              "default-jdk-headless, zookeeper and libcurator-recipes-java)")
        return SKIP

    classes = tempfile.mkdtemp(prefix="zkwire-java-classes-")
    server = None
    try:
        compile_java(source, classes)
        if against_zookeeper:
            server = ZooKeeper()
            addr = f"127.0.0.1:{server.port}"
            return run_java(source, classes, addr, addr, lambda: "none", lambda: None)
        server = Ensemble(sys.argv[1], sys.argv[2], FIRST_OFFSET, tick=500)
        wait(server.all_serving, "a leader and two followers")
        return run_java(source, classes, server.hosts, server.host(server.leader()),
                        lambda: kill_leader(server), server.print_logs)
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(classes, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
