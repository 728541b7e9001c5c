#!/usr/bin/env bash
# Exercises deploy/local/ensemble.sh end to end on 127.0.0.1: start a 3-node
# ensemble, find a leader, kill and restart a node, wipe one (it resyncs),
# write through zkcli when it is built, stop. Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
export ZABKEEPER_BIN=$BUILD/bin/zabkeeper-server
DIR=$(mktemp -d /tmp/zabkeeper-ensemble-sh-XXXXXX)
OFFSET=${ZK_TEST_PORT_OFFSET:-417}
SH="$ROOT/deploy/local/ensemble.sh"
cleanup() { "$SH" stop --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT

admin() { curl -s --max-time 1 "http://127.0.0.1:$((8080 + OFFSET + $1))/commands/$2" || true; }
wait_state() {  # wait_state ID REGEX
  for _ in $(seq 1 150); do
    if admin "$1" srvr | grep -qE "\"server_state\":\"($2)\""; then return 0; fi
    sleep 0.1
  done
  echo "node $1 never reached state $2: $(admin "$1" srvr)" >&2
  return 1
}

"$SH" start --nodes 3 --dir "$DIR" --tick 100 --port-offset "$OFFSET"
for id in 1 2 3; do wait_state "$id" "leader|follower"; done
[[ $("$SH" status --dir "$DIR" | grep -c '"server_state":"leader"') == 1 ]]

"$SH" kill 2 --dir "$DIR"
status=$("$SH" status --dir "$DIR")
grep -q "node 2 down" <<< "$status"
"$SH" restart 2 --dir "$DIR"
wait_state 2 "leader|follower"

"$SH" wipe 3 --dir "$DIR"
[[ ! -d $DIR/node3/data/db ]]
"$SH" restart 3 --dir "$DIR"
wait_state 3 "leader|follower"

if [[ -x $BUILD/bin/zkcli ]]; then
  servers="127.0.0.1:$((2281 + OFFSET)),127.0.0.1:$((2282 + OFFSET)),127.0.0.1:$((2283 + OFFSET))"
  "$BUILD/bin/zkcli" -server "$servers" create /from-script hello
  out=$("$BUILD/bin/zkcli" -server "$servers" get /from-script)
  grep -q hello <<< "$out"
fi

"$SH" stop --dir "$DIR"
for id in 1 2 3; do [[ -z $(admin "$id" ruok) ]]; done
echo "ensemble.sh lifecycle: ok"
