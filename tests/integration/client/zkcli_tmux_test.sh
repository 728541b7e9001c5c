#!/usr/bin/env bash
# Drives zkcli in a real terminal (a private tmux server): tab completion of
# commands and znode paths, history recall with the Up arrow, the prompt with
# server and state, and a watch event printed while the prompt waits.
# Usage: zkcli_tmux_test.sh SERVER_BIN ZKCLI_BIN
set -euo pipefail
SERVER_BIN=$1
ZKCLI=$2
dir=$(mktemp -d /tmp/zkcli-tmux-XXXXXX)
sock="zkcli-test-$$"
server_pid=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  if [[ -n "$server_pid" ]]; then kill -9 "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
admin=$(free_port)
cat > "$dir/zoo.cfg" <<CFG
tickTime=200
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.serverPort=$admin
admin.serverAddress=127.0.0.1
minSessionTimeout=400
maxSessionTimeout=30000
CFG
"$SERVER_BIN" "$dir/zoo.cfg" > "$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  if "$ZKCLI" -server "127.0.0.1:$port" -timeout 2000 ls / >/dev/null 2>&1; then break; fi
  sleep 0.1
done
"$ZKCLI" -server "127.0.0.1:$port" create /tmuxnode v1 >/dev/null
"$ZKCLI" -server "127.0.0.1:$port" create /tmuxnode/child c >/dev/null

screen() { tmux -L "$sock" capture-pane -p -t zk; }
keys() { tmux -L "$sock" send-keys -t zk "$@"; }
expect_screen() {  # waits up to 5 s for a pattern on the screen
  for _ in $(seq 50); do
    if screen | grep -q -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "FAIL: expected '$1' on screen:"; screen; exit 1
}

HOME="$dir" tmux -L "$sock" new-session -d -s zk -x 160 -y 50 \
  "$ZKCLI -server 127.0.0.1:$port"
expect_screen "\[zk: 127.0.0.1:$port(CONNECTED) 0\]"

# Command completion: "getA" + Tab -> getAcl / getAllChildrenNumber (common
# prefix "getA"), "getAl" + Tab -> getAllChildrenNumber.
keys "getAl" Tab
expect_screen "getAllChildrenNumber"
keys C-u
# Path completion: "/tmuxn" + Tab -> /tmuxnode, then "/tmuxnode/c" + Tab.
keys "get /tmuxn" Tab
expect_screen "get /tmuxnode"
keys "/c" Tab Enter
expect_screen "^c$"
# History: Up recalls the previous command.
keys Up
expect_screen "get /tmuxnode/child"
keys C-u
# A watch event arrives while the prompt waits.
keys "get -w /tmuxnode" Enter
expect_screen "^v1$"
"$ZKCLI" -server "127.0.0.1:$port" set /tmuxnode v2 >/dev/null
expect_screen "WatchedEvent state:SyncConnected type:NodeDataChanged path:/tmuxnode"
keys "history" Enter
expect_screen "0 - get /tmuxnode/child"
# The prompt follows the connection state.
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null || true
server_pid=""
keys Enter
expect_screen "(SUSPENDED)"
keys "quit" Enter
for _ in $(seq 50); do
  tmux -L "$sock" has-session -t zk 2>/dev/null || { echo PASS; exit 0; }
  sleep 0.1
done
echo "FAIL: zkcli did not quit"; exit 1
