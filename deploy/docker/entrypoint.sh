#!/bin/sh
# Writes /data/zoo.cfg and /data/myid from the environment, then runs the server.
#   ZK_MY_ID=1  ZK_SERVERS="zk1:2888,zk2:2888,zk3:2888"  (server N = N-th entry)
set -eu
mkdir -p /data
CFG=/data/zoo.cfg
{
  echo "tickTime=${ZK_TICK_TIME:-2000}"
  echo "initLimit=${ZK_INIT_LIMIT:-10}"
  echo "syncLimit=${ZK_SYNC_LIMIT:-5}"
  echo "dataDir=/data"
  echo "clientPort=2281"
  echo "admin.serverPort=8080"
  i=1
  for s in $(echo "${ZK_SERVERS:-}" | tr ',' ' '); do
    echo "server.$i=$s"
    i=$((i + 1))
  done
} > "$CFG"
if [ -n "${ZK_MY_ID:-}" ]; then echo "$ZK_MY_ID" > /data/myid; fi
exec zabkeeper-server "$CFG"
