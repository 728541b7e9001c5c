#!/usr/bin/env bash
# Runs a zabkeeper ensemble on 127.0.0.1 for trying it out and for tests.
#
#   deploy/local/ensemble.sh start   [--nodes 3|5] [--dir DIR] [--tick MS] [--port-offset N]
#                                    [--cfg KEY=VALUE]...   (extra zoo.cfg lines)
#   deploy/local/ensemble.sh stop|status [--dir DIR]
#   deploy/local/ensemble.sh kill ID | restart ID | wipe ID   [--dir DIR]
#
# Node ID listens on: client (gRPC) 2280+ID, ZooKeeper protocol 2180+ID (for
# zkCli.sh, Kazoo, Curator, the C and Java clients), peer 2880+ID, admin
# 8080+ID (each plus --port-offset N, default 0, kept in DIR for later commands).
# Data, configs, logs and PIDs live under DIR (default ./zk-local).
# Only processes this script started (PID files under DIR) are ever signalled.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${ZABKEEPER_BIN:-$ROOT/build/bin/zabkeeper-server}
NODES=3
DIR=$PWD/zk-local
TICK=2000
OFFSET=""
EXTRA_CFG=()
CMD=${1:-}
shift || true
ARG=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) NODES=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --tick) TICK=$2; shift 2 ;;
    --port-offset) OFFSET=$2; shift 2 ;;
    --cfg) EXTRA_CFG+=("$2"); shift 2 ;;
    -*) echo "ensemble.sh: unknown option $1" >&2; exit 2 ;;
    *) ARG=$1; shift ;;
  esac
done
DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
if [[ -z $OFFSET ]]; then OFFSET=$(cat "$DIR/port-offset" 2>/dev/null || echo 0); fi
CLIENT_BASE=$((2280 + OFFSET)) ZK_BASE=$((2180 + OFFSET)) PEER_BASE=$((2880 + OFFSET))
ADMIN_BASE=$((8080 + OFFSET))

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

node_ids() {
  if [[ -f $DIR/nodes ]]; then seq 1 "$(cat "$DIR/nodes")"; else seq 1 "$NODES"; fi
}

pid_of() { cat "$DIR/node$1/pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }

write_config() {
  local id=$1 n=$2 d=$DIR/node$1
  mkdir -p "$d/data"
  echo "$id" > "$d/data/myid"
  {
    echo "tickTime=$TICK"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$d/data"
    echo "clientPort=$((CLIENT_BASE + id))"
    echo "zkClientPort=$((ZK_BASE + id))"
    echo "clientPortAddress=127.0.0.1"
    echo "admin.serverPort=$((ADMIN_BASE + id))"
    echo "admin.serverAddress=127.0.0.1"
    for j in $(seq 1 "$n"); do echo "server.$j=127.0.0.1:$((PEER_BASE + j))"; done
    for line in "${EXTRA_CFG[@]}"; do echo "$line"; done
  } > "$d/zoo.cfg"
}

start_node() {
  local id=$1
  if alive "$id"; then echo "node $id already running (pid $(pid_of "$id"))"; return; fi
  [[ -x $BIN ]] || { echo "ensemble.sh: $BIN not built (run scripts/build.sh)" >&2; exit 1; }
  nohup "$BIN" "$DIR/node$id/zoo.cfg" >> "$DIR/node$id/server.log" 2>&1 &
  echo $! > "$DIR/node$id/pid"
  echo "node $id started (pid $!, client 127.0.0.1:$((CLIENT_BASE + id)), ZooKeeper protocol" \
    "127.0.0.1:$((ZK_BASE + id)), admin :$((ADMIN_BASE + id)))"
}

stop_node() {
  local id=$1 sig=${2:-TERM} p
  p=$(pid_of "$id")
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
    kill -"$sig" "$p"
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    echo "node $id stopped ($sig)"
  fi
  rm -f "$DIR/node$id/pid"
}

status_node() {
  local id=$1 state
  if alive "$id"; then
    state=$(curl -s --max-time 1 "http://127.0.0.1:$((ADMIN_BASE + id))/commands/srvr" || true)
    echo "node $id pid $(pid_of "$id") ${state:-"(admin not answering)"}"
  else
    echo "node $id down"
  fi
}

case "$CMD" in
  start)
    [[ $NODES == 3 || $NODES == 5 ]] || { echo "ensemble.sh: --nodes must be 3 or 5" >&2; exit 2; }
    if [[ -f $DIR/nodes && $(cat "$DIR/nodes") != "$NODES" ]]; then
      echo "ensemble.sh: $DIR holds a $(cat "$DIR/nodes")-node ensemble; use another --dir" >&2
      exit 2
    fi
    echo "$NODES" > "$DIR/nodes"
    echo "$OFFSET" > "$DIR/port-offset"
    for id in $(node_ids); do write_config "$id" "$NODES"; done
    for id in $(node_ids); do start_node "$id"; done
    servers=$(for id in $(node_ids); do printf '127.0.0.1:%d,' $((CLIENT_BASE + id)); done)
    echo "connect: build/bin/zkcli -server ${servers%,}"
    ;;
  stop) for id in $(node_ids); do stop_node "$id" TERM; done ;;
  status) for id in $(node_ids); do status_node "$id"; done ;;
  kill) [[ -n $ARG ]] || usage; stop_node "$ARG" KILL ;;
  restart) [[ -n $ARG ]] || usage; stop_node "$ARG" TERM; start_node "$ARG" ;;
  wipe)
    [[ -n $ARG ]] || usage
    stop_node "$ARG" KILL
    rm -rf "$DIR/node$ARG/data/db"
    echo "node $ARG data wiped"
    ;;
  *) usage ;;
esac
