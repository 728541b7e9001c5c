#!/bin/sh
# The image's entrypoint: writes /data/zoo.cfg (and /data/myid) from the
# environment, then execs the server, which thus receives SIGTERM itself.
#
#   ZK_SERVERS             zk1:2888,zk2:2888,zk3:2888   (server N = N-th entry;
#                          empty: one standalone server)
#   ZK_MY_ID               this server's N; if empty and the hostname ends in
#                          -K (a StatefulSet pod: zk-0, zk-1, ...), N = K + 1
#   ZK_TICK_TIME           tickTime in ms (2000)
#   ZK_INIT_LIMIT          initLimit in ticks (10)
#   ZK_SYNC_LIMIT          syncLimit in ticks (5)
#   ZK_MAX_CLIENT_CNXNS    maxClientCnxns (60; 0 = unlimited)
#   ZK_MIN_SESSION_TIMEOUT / ZK_MAX_SESSION_TIMEOUT   ms (2 / 20 x tickTime)
#   ZK_JUTE_MAXBUFFER      largest znode data in bytes (1048576)
#   ZK_DATA_DIR            dataDir (/data, the image's volume)
# Ports inside the container are fixed: client 2281, peer 2888, admin 8080.
# tests/deploy/entrypoint_test.sh runs this with a stand-in server.
set -eu
DATA=${ZK_DATA_DIR:-/data}
CFG=$DATA/zoo.cfg
if [ ! -w "$DATA" ]; then
  echo "zabkeeper-entrypoint: $DATA is not writable by uid $(id -u); chown it to $(id -u)" >&2
  exit 1
fi
MY_ID=${ZK_MY_ID:-}
if [ -z "$MY_ID" ] && [ -n "${ZK_SERVERS:-}" ]; then
  # shellcheck disable=SC3028  # Docker and Kubernetes set HOSTNAME
  host=${HOSTNAME:-$(uname -n)}
  ordinal=${host##*-}
  case "$ordinal" in
    '' | *[!0-9]*)
      echo "zabkeeper-entrypoint: set ZK_MY_ID (hostname $host has no -ORDINAL suffix)" >&2
      exit 2
      ;;
  esac
  MY_ID=$((ordinal + 1))
fi
{
  echo "tickTime=${ZK_TICK_TIME:-2000}"
  echo "initLimit=${ZK_INIT_LIMIT:-10}"
  echo "syncLimit=${ZK_SYNC_LIMIT:-5}"
  echo "maxClientCnxns=${ZK_MAX_CLIENT_CNXNS:-60}"
  if [ -n "${ZK_MIN_SESSION_TIMEOUT:-}" ]; then echo "minSessionTimeout=$ZK_MIN_SESSION_TIMEOUT"; fi
  if [ -n "${ZK_MAX_SESSION_TIMEOUT:-}" ]; then echo "maxSessionTimeout=$ZK_MAX_SESSION_TIMEOUT"; fi
  if [ -n "${ZK_JUTE_MAXBUFFER:-}" ]; then echo "jute.maxbuffer=$ZK_JUTE_MAXBUFFER"; fi
  echo "dataDir=$DATA"
  echo "clientPort=2281"
  echo "zkClientPort=2181"
  echo "admin.serverPort=8080"
  i=1
  for s in $(echo "${ZK_SERVERS:-}" | tr ',' ' '); do
    echo "server.$i=$s"
    i=$((i + 1))
  done
} > "$CFG"
if [ -n "$MY_ID" ]; then echo "$MY_ID" > "$DATA/myid"; fi
exec zabkeeper-server "$CFG"
