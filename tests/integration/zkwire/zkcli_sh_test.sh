#!/usr/bin/env bash
# Apache ZooKeeper's own zkCli.sh (Debian's zookeeper package, unchanged)
# against zabkeeper-server's zkClientPort: a scripted session of create, get,
# set, stat, ls, getAcl, addWatch, delete, deleteall; the output must be what
# ZooKeeper prints for the same script (dates and zxids aside).
# The server is a 3-node ensemble on 127.0.0.1 (deploy/local/ensemble.sh) and
# zkCli.sh gets all three in its connect string, as a user would.
# Usage: zkcli_sh_test.sh SERVER_BIN ENSEMBLE_SH [ZKCLI_SH]
set -euo pipefail
SERVER_BIN=$1
ENSEMBLE_SH=$2
ZKCLI=${3:-/usr/share/zookeeper/bin/zkCli.sh}
[[ -x $ZKCLI ]] || { echo "FAIL: $ZKCLI not found (scripts/install-deps.sh installs zookeeper)"; exit 1; }
dir=$(mktemp -d /tmp/zkcli-sh-XXXXXX)
ens() { ZABKEEPER_BIN=$SERVER_BIN "$ENSEMBLE_SH" "$@" --dir "$dir/ens" > /dev/null; }
cleanup() {
  ens stop || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"; echo "--- zkCli output:"; cat "$dir/out" 2>/dev/null
  for i in 1 2 3; do echo "--- node $i log:"; tail -10 "$dir/ens/node$i/server.log"; done
  exit 1
}

# ensemble.sh ports from OFFSET: ZooKeeper protocol 2180+OFFSET+id, admin
# 8080+OFFSET+id; 20000.. keeps clear of the other ensemble tests' ranges.
offset=$((20000 + 5 * ($$ % 100)))
ens start --nodes 3 --tick 200 --port-offset "$offset"
hosts="127.0.0.1:$((2181 + offset)),127.0.0.1:$((2182 + offset)),127.0.0.1:$((2183 + offset))"
# Every node must serve before zkCli.sh starts: in script mode it runs the
# first command without waiting to connect, so a node still settling its
# election (it refuses clients) would turn that command into ConnectionLoss.
serving=0
for _ in $(seq 300); do
  leaders=0 followers=0
  for i in 1 2 3; do
    state=$(curl -s --max-time 1 "http://127.0.0.1:$((8080 + offset + i))/commands/srvr" || true)
    [[ $state == *'"server_state":"leader"'* ]] && leaders=$((leaders + 1))
    [[ $state == *'"server_state":"follower"'* ]] && followers=$((followers + 1))
  done
  if ((leaders == 1 && followers == 2)); then serving=1; break; fi
  sleep 0.1
done
((serving)) || fail "the ensemble never had a leader and two followers"

cat > "$dir/script" <<'CMDS'
create /app hello
get /app
set /app world
get -s /app
create -s /app/q- a
create -e /app/e x
ls /app
getAcl /app
addWatch /app
set /app again
delete /app/e
ls -s /app
create /app/c
deleteall /app
ls /
quit
CMDS
timeout 60 "$ZKCLI" -server "$hosts" < "$dir/script" > "$dir/out" 2>&1 || fail "zkCli.sh exited $?"
# Keep what a user reads; drop the JVM's logging noise and dates/zxids.
grep -vE '^\s*$|SLF4J|log4j|JLine|Welcome|Connecting|WATCHER::|state:SyncConnected type:None|state:Closed|^[cmp]time|^[cmp]Zxid|ephemeralOwner' \
  "$dir/out" > "$dir/seen" || true
# What Apache ZooKeeper 3.8.0 (Debian) printed for this script, filtered the
# same way (seen 2026-11-29).
cat > "$dir/want" <<'WANT'
Created /app
hello
world
cversion = 0
dataVersion = 1
aclVersion = 0
dataLength = 5
numChildren = 0
Created /app/q-0000000000
Created /app/e
[e, q-0000000000]
'world,'anyone
: cdrwa
WatchedEvent state:SyncConnected type:NodeDataChanged path:/app
WatchedEvent state:SyncConnected type:NodeDeleted path:/app/e
[q-0000000000]
cversion = 3
dataVersion = 2
aclVersion = 0
dataLength = 5
numChildren = 1
Created /app/c
WatchedEvent state:SyncConnected type:NodeCreated path:/app/c
WatchedEvent state:SyncConnected type:NodeDeleted path:/app/c
WatchedEvent state:SyncConnected type:NodeDeleted path:/app/q-0000000000
WatchedEvent state:SyncConnected type:NodeDeleted path:/app
[zookeeper]
WANT
# Compared as sorted lines: the order of deleteall's events follows the order
# getChildren returns (ZooKeeper's is a hash order, ours sorted), which no
# client may rely on.
if ! diff <(sort "$dir/want") <(sort "$dir/seen") > "$dir/diff"; then
  fail "zkCli.sh output differs from ZooKeeper's for the same script: $(cat "$dir/diff")"
fi
grep -q "ConnectionLoss\|Exception" "$dir/out" && fail "zkCli.sh reported an error"
echo "zkCli.sh script passed"
