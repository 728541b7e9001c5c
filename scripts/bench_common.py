"""What scripts/bench-compare.py and scripts/bench-scale.py share: reading a
process's RSS and the load average, ZooKeeper's four-letter words, and one
Apache ZooKeeper 3.8 node's configuration and command line (Debian's
package, default durability: forceSync=yes)."""
import os
import socket
import sys

ZK_JAR = "/usr/share/java/zookeeper.jar"


def built_binaries(build):
    """(zkbench, zabkeeper-server) under build/bin; exits with the build command if missing."""
    zkbench = os.path.join(build, "bin", "zkbench")
    server = os.path.join(build, "bin", "zabkeeper-server")
    for f in (zkbench, server):
        if not os.access(f, os.X_OK):
            sys.exit(f"{f} not built (cmake --build {build} --target zkbench zabkeeper-server)")
    return zkbench, server


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def proc_status(pid, key):
    """The number after `key:` in /proc/pid/status; None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1])
    except (OSError, TypeError):
        pass
    return None


def rss_kb(pid):
    """VmRSS of pid in kB, None when it cannot be read (no such process)."""
    return proc_status(pid, "VmRSS")


def four_letter(port, cmd="srvr", timeout=1.0):
    """A ZooKeeper four-letter word on 127.0.0.1:port; "" when nobody answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(cmd.encode())
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.decode(errors="replace")
    except OSError:
        return ""


def zookeeper_node(d, i, client_port, servers):
    """Writes node i's myid and zoo.cfg under d (data in d/data); servers maps
    id -> (quorum port, election port). Returns the config file's path."""
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    with open(os.path.join(d, "data", "myid"), "w") as f:
        f.write(f"{i}\n")
    cfg = os.path.join(d, "zoo.cfg")
    with open(cfg, "w") as f:
        f.write("\n".join([
            "tickTime=2000", "initLimit=10", "syncLimit=5",
            f"dataDir={d}/data", f"clientPort={client_port}", "clientPortAddress=127.0.0.1",
            "forceSync=yes", "maxClientCnxns=0", "admin.enableServer=false",
            "4lw.commands.whitelist=srvr,mntr,ruok",
        ] + [f"server.{j}=127.0.0.1:{q}:{e}" for j, (q, e) in sorted(servers.items())]) + "\n")
    return cfg


def zookeeper_command(d, cfg, heap):
    """The java command line of one node (logs under d, fixed heap)."""
    return ["java", f"-Xmx{heap}", f"-Xms{heap}",
            f"-Dzookeeper.log.dir={d}", "-Dzookeeper.root.logger=WARN,CONSOLE",
            "-Dlog4j.configuration=file:/etc/zookeeper/conf/log4j.properties",
            "-cp", f"/etc/zookeeper/conf:{ZK_JAR}",
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg]
