#!/usr/bin/env bash
# The README's first command: installs dependencies, builds, and starts a
# 3-node ensemble on 127.0.0.1 with its data under ./zk-local (or $ZK_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
DIR=${ZK_DIR:-$PWD/zk-local}
deploy/local/ensemble.sh start --nodes "${ZK_NODES:-3}" --dir "$DIR"
echo "waiting for a leader..."
for _ in $(seq 1 100); do
  if curl -s --max-time 1 http://127.0.0.1:8081/commands/srvr http://127.0.0.1:8082/commands/srvr \
      http://127.0.0.1:8083/commands/srvr 2>/dev/null | grep -q '"server_state":"leader"'; then
    deploy/local/ensemble.sh status --dir "$DIR"
    cat <<MSG

The ensemble is up. Connect the shell:
  build/bin/zkcli -server 127.0.0.1:2281,127.0.0.1:2282,127.0.0.1:2283
or ZooKeeper's own tools and clients (ZooKeeper protocol), e.g.:
  /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
Stop it:     deploy/local/ensemble.sh stop --dir $DIR
Status:      deploy/local/ensemble.sh status --dir $DIR
MSG
    exit 0
  fi
  sleep 0.2
done
echo "no leader after 20 s; see $DIR/node*/server.log" >&2
exit 1
