#!/usr/bin/env bash
# A/B of two zabkeeper-server binaries on the same machine, alternating
# (3 repeats): a 3-node ensemble from deploy/local/ensemble.sh
# (--port-offset 400) per binary and repeat, then zkbench get and set at
# 8 x 32 and seq_set (1 x 1). Prints "rep N old|new workload ops/s p50 p99".
#   scripts/bench-ab.sh OLD_BIN NEW_BIN [ZKBENCH]
# Only processes it starts are stopped (ensemble.sh stop, by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
OLD_BIN=$1
NEW_BIN=$2
ZB=${3:-build-release/bin/zkbench}
for rep in 1 2 3; do
  for v in old new; do
    if [ $v = old ]; then BIN=$OLD_BIN; else BIN=$NEW_BIN; fi
    rm -rf /tmp/ab-ens
    ZABKEEPER_BIN=$BIN deploy/local/ensemble.sh start --dir /tmp/ab-ens --port-offset 400 > /dev/null 2>&1
    sleep 4
    for w in get set; do
      r=$($ZB --connect 127.0.0.1:2681,127.0.0.1:2682,127.0.0.1:2683 --workload $w --sessions 8 --outstanding 32 --value-size 100 --duration 6 --warmup 2 2>&1 | tail -1)
      echo "rep $rep $v $w $(echo $r | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ops_s"], d["p50_us"], d["p99_us"])')"
    done
    r=$($ZB --connect 127.0.0.1:2681,127.0.0.1:2682,127.0.0.1:2683 --workload set --sessions 1 --outstanding 1 --keys 10 --value-size 100 --duration 5 --warmup 1 2>&1 | tail -1)
    echo "rep $rep $v seq_set $(echo $r | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ops_s"], d["p50_us"], d["p99_us"])')"
    deploy/local/ensemble.sh stop --dir /tmp/ab-ens > /dev/null 2>&1
  done
done
