#!/usr/bin/env bash
# deploy/docker/entrypoint.sh with a stand-in zabkeeper-server on PATH: the
# zoo.cfg and myid it writes from the environment, myid from a StatefulSet
# pod's hostname, and its refusals. Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EP=$ROOT/deploy/docker/entrypoint.sh
T=$(mktemp -d /tmp/zabkeeper-entrypoint-XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin"
# The stand-in prints its arguments and the config; `exec` makes it replace
# the entrypoint's shell, which `$$` below checks through the pid it prints.
cat > "$T/bin/zabkeeper-server" <<'SH'
#!/bin/sh
echo "args: $*"
echo "pid: $$"
cat "$1"
SH
chmod +x "$T/bin/zabkeeper-server"
run() { env -i PATH="$T/bin:/usr/bin:/bin" ZK_DATA_DIR="$T/data" "$@" sh "$EP"; }
fail() { echo "entrypoint_test: $*" >&2; exit 1; }

mkdir -p "$T/data"
out=$(run ZK_MY_ID=2 ZK_SERVERS=zk1:2888,zk2:2888,zk3:2888 ZK_TICK_TIME=500 ZK_SYNC_LIMIT=7 \
  ZK_MAX_SESSION_TIMEOUT=30000)
for line in "args: $T/data/zoo.cfg" tickTime=500 initLimit=10 syncLimit=7 maxClientCnxns=60 \
  maxSessionTimeout=30000 "dataDir=$T/data" clientPort=2281 admin.serverPort=8080 \
  server.1=zk1:2888 server.2=zk2:2888 server.3=zk3:2888; do
  grep -qxF "$line" <<< "$out" || fail "missing '$line' in: $out"
done
! grep -q minSessionTimeout <<< "$out" || fail "minSessionTimeout written though unset"
[[ $(cat "$T/data/myid") == 2 ]] || fail "myid is $(cat "$T/data/myid"), want 2"

# A StatefulSet pod zk-2 is server 3.
run HOSTNAME=zk-2 ZK_SERVERS=a:2888,b:2888,c:2888 > /dev/null
[[ $(cat "$T/data/myid") == 3 ]] || fail "pod zk-2: myid $(cat "$T/data/myid"), want 3"

# exec: the server replaces the shell (same pid), so it gets SIGTERM itself.
env -i PATH="$T/bin:/usr/bin:/bin" ZK_DATA_DIR="$T/data" ZK_MY_ID=1 sh "$EP" > "$T/exec.out" &
pid=$!
wait "$pid"
grep -qx "pid: $pid" "$T/exec.out" || fail "server is not exec'd: entrypoint pid $pid, $(grep pid: "$T/exec.out")"
# No ordinal and no ZK_MY_ID: a clear refusal, exit 2.
rc=0
err=$(run HOSTNAME=zkhost ZK_SERVERS=a:2888,b:2888,c:2888 2>&1 > /dev/null) || rc=$?
[[ $rc == 2 && $err == *"set ZK_MY_ID"* ]] || fail "no-ordinal: rc=$rc err=$err"
# Unwritable data dir: a clear refusal.
rc=0
err=$(env -i PATH="$T/bin:/usr/bin:/bin" ZK_DATA_DIR=/proc/zk sh "$EP" 2>&1) || rc=$?
[[ $rc == 1 && $err == *"not writable"* ]] || fail "unwritable: rc=$rc err=$err"
echo "entrypoint_test: passed"
