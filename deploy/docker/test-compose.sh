#!/usr/bin/env bash
# deploy/docker/test-compose.sh 3|5: builds the image and boots
# deploy/docker/compose-N.yml for real, then checks what a user relies on:
#   - the cluster elects exactly one leader (admin /commands/srvr);
#   - build/bin/zkcli on the host writes through one published port and reads
#     the value back through another;
#   - `docker kill` of the leader's container: a new leader and an
#     acknowledged write within 20 s; the killed container restarts and
#     reaches the same /commands/hash as the others;
#   - `docker-compose stop` stops every server cleanly on SIGTERM (exit code
#     0, within the compose stop timeout); `down` then `up` (volumes kept)
#     brings back every znode;
#   - 5 nodes: with two containers stopped (the leader among them) the
#     cluster still takes writes.
# Everything it created (containers, network, volumes, and a Docker daemon it
# started) is removed at the end, also on failure; the image is kept.
#
# Docker: uses a running engine; if none answers and this is a Debian machine
# where we are root, installs docker.io and starts dockerd itself. Where that
# is impossible it prints ONE line "test-compose: skipped: REASON" and exits
# 77. Base image: the registry's debian:12 if it can be pulled, otherwise a
# local Debian 12 image made with debootstrap from the mirror apt already uses
# (tagged zabkeeper-base:debian12 and reused by later runs).
#
# Environment: ZKCLI (default build/bin/zkcli, built if missing), JOBS
# (image compile jobs, default 2), ZK_SKIP_BUILD=1 (use the existing image),
# ZK_IMAGE (default zabkeeper:latest).
set -euo pipefail

N=${1:-}
if [[ $N != 3 && $N != 5 ]]; then
  echo "usage: deploy/docker/test-compose.sh 3|5" >&2
  exit 2
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
FILE=$ROOT/deploy/docker/compose-$N.yml
export COMPOSE_PROJECT_NAME=zabkeeper-test$N
export ZK_IMAGE=${ZK_IMAGE:-zabkeeper:latest}
ZKCLI=${ZKCLI:-$ROOT/build/bin/zkcli}
LOCAL_BASE=zabkeeper-base:debian12
WORK=$(mktemp -d /tmp/zabkeeper-compose-XXXXXX)
DOCKERD_PID=""
STARTED=$(date +%s)

log() { echo "test-compose[$N]: $*"; }
fail() {
  echo "test-compose[$N]: FAILED: $*" >&2
  exit 1
}
skip() {
  echo "test-compose: skipped: $*"
  exit 77
}
docker_ready() { timeout 10 docker info >/dev/null 2>&1; }
dc() { docker-compose -f "$FILE" "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $DOCKERD_PID ]] || docker_ready; then
    dc down -v --remove-orphans >> "$WORK/cleanup.log" 2>&1 || true
  fi
  if [[ -n $DOCKERD_PID ]]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -rf "$WORK/rootfs"
  if [[ $rc == 0 || $rc == 77 ]]; then
    rm -rf "$WORK"
  else
    echo "test-compose[$N]: logs kept in $WORK" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- a Docker engine ----------------------------------------------------

apt_install() {  # apt_install PACKAGE...: quiet; one update and retry on failure
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get install -y -qq --no-install-recommends "$@" >> "$WORK/apt.log" 2>&1 ||
    { timeout 300 apt-get update -qq >> "$WORK/apt.log" 2>&1 &&
      timeout 300 apt-get install -y -qq --no-install-recommends "$@" >> "$WORK/apt.log" 2>&1; }
}

ensure_docker() {
  if command -v docker > /dev/null && docker_ready; then
    command -v docker-compose > /dev/null || skip "docker-compose is not installed"
    return 0
  fi
  local can_install=0
  if [[ $(id -u) == 0 ]] && command -v apt-get > /dev/null; then can_install=1; fi
  if ! command -v dockerd > /dev/null || ! command -v docker > /dev/null; then
    [[ $can_install == 1 ]] || skip "no Docker engine, and docker.io cannot be installed here (needs root and apt-get)"
    apt_install docker.io || skip "no Docker engine, and installing docker.io failed: $(tail -1 "$WORK/apt.log")"
  fi
  if ! command -v docker-compose > /dev/null; then
    if [[ $can_install != 1 ]] || ! apt_install docker-compose; then skip "docker-compose is not installed"; fi
  fi
  [[ $(id -u) == 0 ]] || skip "no Docker daemon answers, and starting dockerd needs root"
  # Our own dockerd: the default storage driver (overlay2), else vfs (slow,
  # but works where overlay mounts are refused).
  local opts
  for opts in "" "--storage-driver=vfs"; do
    # shellcheck disable=SC2086
    dockerd $opts > "$WORK/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    for _ in $(seq 1 60); do
      kill -0 "$DOCKERD_PID" 2>/dev/null || break
      if docker_ready; then
        log "started dockerd ${opts:-(overlay2)} (pid $DOCKERD_PID)"
        return 0
      fi
      sleep 0.5
    done
    kill "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=""
  done
  skip "dockerd would not start: $(grep -E 'level=(error|fatal)|^failed' "$WORK/dockerd.log" | tail -1 | cut -c1-200)"
}

# ---- the image ----------------------------------------------------------

# apt_uri SUITE: the first URI apt uses for SUITE (deb822 .sources or one-line .list).
apt_uri() {
  local suite=$1
  {
    awk -v suite="$suite" '
      /^[[:space:]]*$/ { if (uris != "" && has) print uris; uris = ""; has = 0; next }
      tolower($1) == "uris:" { uris = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
      END { if (uris != "" && has) print uris }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -e 's/#.*//' -e 's/\[[^]]*\]//' |
      awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }' || true
  } | head -1
}

build_local_base() {
  local mirror security rootfs=$WORK/rootfs
  mirror=$(apt_uri bookworm)
  mirror=${mirror:-http://deb.debian.org/debian}
  security=$(apt_uri bookworm-security)
  command -v debootstrap > /dev/null || apt_install debootstrap || fail "cannot install debootstrap"
  log "registry debian:12 not reachable; building $LOCAL_BASE with debootstrap from $mirror"
  timeout 900 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap failed"; }
  {
    echo "deb $mirror bookworm main"
    echo "deb $mirror bookworm-updates main"
    if [[ -n $security ]]; then echo "deb $security bookworm-security main"; fi
  } > "$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$LOCAL_BASE" > /dev/null
  rm -rf "$rootfs"
}

build_image() {
  local base=debian:12 runtime=debian:12-slim
  if ! { docker image inspect "$base" "$runtime" > /dev/null 2>&1 ||
         { timeout 120 docker pull -q "$base" && timeout 120 docker pull -q "$runtime"; } \
           >> "$WORK/pull.log" 2>&1; }; then
    docker image inspect "$LOCAL_BASE" > /dev/null 2>&1 || build_local_base
    base=$LOCAL_BASE runtime=$LOCAL_BASE
  fi
  local t0=$SECONDS
  log "building $ZK_IMAGE from $base / $runtime (log: $WORK/build.log)"
  docker build -f deploy/docker/Dockerfile -t "$ZK_IMAGE" --build-arg "BASE_IMAGE=$base" \
    --build-arg "RUNTIME_IMAGE=$runtime" --build-arg "JOBS=${JOBS:-2}" . > "$WORK/build.log" 2>&1 ||
    { tail -40 "$WORK/build.log" >&2; fail "docker build failed"; }
  log "image built in $((SECONDS - t0)) s: $(docker image inspect -f '{{.Size}}' "$ZK_IMAGE" |
    awk '{ printf "%.0f MB", $1 / 1e6 }'); $(grep -m1 '^runtime packages:' "$WORK/build.log" || true)"
}

# ---- the cluster --------------------------------------------------------

admin() { curl -s --max-time 2 "http://127.0.0.1:$((8080 + $1))/commands/$2" || true; }
state() { admin "$1" srvr | sed -n 's/.*"server_state":"\([a-z]*\)".*/\1/p'; }
container() { dc ps -q "zk$1"; }
servers() {  # servers "ID ...": zkcli connect string
  local s="" id
  for id in $1; do s+="127.0.0.1:$((2280 + id)),"; done
  echo "${s%,}"
}
zkcli() {  # zkcli "ID ..." CMD...: one command through the given servers
  timeout 20 "$ZKCLI" -server "$(servers "$1")" "${@:2}" < /dev/null
}
ALL=$(seq 1 "$N" | tr '\n' ' ')  # "1 2 3 ": node ids, split where used

# leader_among ID...: prints the one leader if the others follow it, else nothing.
leader_among() {
  local id st leaders=() followers=0
  for id in "$@"; do
    st=$(state "$id")
    if [[ $st == leader ]]; then leaders+=("$id"); elif [[ $st == follower ]]; then followers=$((followers + 1)); fi
  done
  if [[ ${#leaders[@]} == 1 && $((followers + 1)) == "$#" ]]; then echo "${leaders[0]}"; fi
}

wait_leader() {  # wait_leader SECONDS ID...: prints the leader's id
  local deadline=$((SECONDS + $1)) l
  shift
  while ((SECONDS < deadline)); do
    l=$(leader_among "$@")
    if [[ -n $l ]]; then echo "$l"; return 0; fi
    sleep 0.5
  done
  for l in "$@"; do echo "  zk$l: $(admin "$l" srvr)" >&2; done
  return 1
}

wait_same_hash() {  # wait_same_hash SECONDS ID...
  local deadline=$((SECONDS + $1)) id h first
  shift
  while ((SECONDS < deadline)); do
    first=$(admin "$1" hash)
    if [[ $first == *'"digest"'* ]]; then
      for id in "$@"; do
        h=$(admin "$id" hash)
        [[ $h == "$first" ]] || continue 2
      done
      return 0
    fi
    sleep 0.5
  done
  for id in "$@"; do echo "  zk$id: $(admin "$id" hash)" >&2; done
  return 1
}

# write_within SECONDS IDS PATH DATA: retries a create until it is acknowledged.
write_within() {
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    if zkcli "$2" create "$3" "$4" > /dev/null 2>> "$WORK/zkcli.log"; then return 0; fi
    # A retried create may have been applied before its reply was lost.
    if zkcli "$2" get "$3" 2>/dev/null | grep -qx "$4"; then return 0; fi
    sleep 0.2
  done
  return 1
}

# read_back ID PATH DATA: sync + get through server ID shows DATA.
read_back() {
  local out
  for _ in $(seq 1 20); do
    out=$(printf 'sync %s\nget %s\n' "$2" "$2" | timeout 20 "$ZKCLI" -server "$(servers "$1")" 2>> "$WORK/zkcli.log") &&
      grep -qx "$3" <<< "$out" && return 0
    sleep 0.5
  done
  echo "  read through zk$1: $out" >&2
  return 1
}

check_ports_free() {
  local id p
  for id in $ALL; do
    for p in $((2180 + id)) $((2280 + id)) $((8080 + id)); do
      if ss -ltn "sport = :$p" 2>/dev/null | grep -q LISTEN; then
        fail "port 127.0.0.1:$p is already in use (a local ensemble?); stop it first"
      fi
    done
  done
}

# ---- the scenario -------------------------------------------------------

ensure_docker
if [[ ! -x $ZKCLI ]]; then
  [[ -d $ROOT/build ]] || fail "$ZKCLI is not built (scripts/build.sh)"
  cmake --build "$ROOT/build" --target zkcli > "$WORK/zkcli-build.log" 2>&1 || fail "cannot build zkcli"
fi
if [[ ${ZK_SKIP_BUILD:-0} == 1 ]]; then
  docker image inspect "$ZK_IMAGE" > /dev/null 2>&1 || fail "ZK_SKIP_BUILD=1 but there is no image $ZK_IMAGE"
else
  build_image
fi
dc down -v --remove-orphans > /dev/null 2>&1 || true
check_ports_free

log "up: $N nodes"
dc up -d --no-build > "$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; fail "docker-compose up failed"; }
# shellcheck disable=SC2086
leader=$(wait_leader 90 $ALL) || fail "no single leader with $((N - 1)) followers within 90 s"
log "leader zk$leader, the others follow"

# The image's user and HEALTHCHECK, as Docker sees them.
for id in $ALL; do
  uid=$(docker exec "$(container "$id")" id -u)
  [[ $uid == 1000 ]] || fail "zk$id runs as uid $uid, want 1000 (zabkeeper)"
done
deadline=$((SECONDS + 60))
until [[ $(for id in $ALL; do docker inspect -f '{{.State.Health.Status}}' "$(container "$id")"; done |
           sort -u) == healthy ]]; do
  ((SECONDS < deadline)) || fail "containers not all healthy within 60 s"
  sleep 1
done
log "every container runs as uid 1000 and is healthy"

# Write through one published port, read through another.
other=$((leader % N + 1))
zkcli "$leader" create /compose "v1" > /dev/null || fail "create /compose through zk$leader"
read_back "$other" /compose v1 || fail "zk$other does not show /compose = v1"
log "written through 127.0.0.1:$((2280 + leader)), read back through 127.0.0.1:$((2280 + other))"
# The ZooKeeper-protocol port is published too: srvr (ZooKeeper's default
# four-letter word) answers on 127.0.0.1:2180+ID.
srvr=$(exec 3<>"/dev/tcp/127.0.0.1/$((2180 + other))" && printf srvr >&3 && timeout 5 cat <&3) ||
  fail "no answer on the ZooKeeper-protocol port 127.0.0.1:$((2180 + other))"
grep -q "^Node count: " <<< "$srvr" || fail "srvr on 127.0.0.1:$((2180 + other)) answered: $srvr"
log "ZooKeeper protocol answers on 127.0.0.1:$((2180 + other)) ($(grep '^Mode' <<< "$srvr"))"
expected=()
for i in 1 2 3 4 5; do
  zkcli "$ALL" create "/compose/k$i" "d$i" > /dev/null || fail "create /compose/k$i"
  expected+=("k$i")
done

# Kill the leader's container: a new leader and an acknowledged write within 20 s.
old=$leader
live=$(for id in $ALL; do [[ $id == "$old" ]] || echo "$id"; done | tr '\n' ' ')
docker kill "$(container "$old")" > /dev/null
t0=$(date +%s%N)
# shellcheck disable=SC2086
leader=$(wait_leader 20 $live) || fail "no new leader within 20 s of killing zk$old"
write_within 20 "$live" /compose/after-kill x || fail "no acknowledged write within 20 s of killing zk$old"
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
((elapsed_ms <= 20000)) || fail "new leader + acknowledged write took $elapsed_ms ms (> 20 s)"
expected+=(after-kill)
log "docker kill zk$old: new leader zk$leader and a write acknowledged after $elapsed_ms ms"

# The killed container comes back (docker kill counts as a manual stop, so
# restart: unless-stopped leaves it down: start it as an operator would) and
# catches up.
docker start "$(container "$old")" > /dev/null
# shellcheck disable=SC2086
wait_same_hash 60 $ALL || fail "zk$old did not reach the others' /commands/hash within 60 s"
log "zk$old restarted and caught up: $(admin "$old" hash)"

if [[ $N == 5 ]]; then
  # Two containers stopped (the leader and one follower): still writable.
  # shellcheck disable=SC2086
  leader=$(wait_leader 30 $ALL) || fail "no single leader before stopping two nodes"
  f=$((leader % N + 1))
  rest=$(for id in $ALL; do [[ $id == "$leader" || $id == "$f" ]] || echo "$id"; done | tr '\n' ' ')
  dc stop "zk$leader" "zk$f" > /dev/null 2>&1
  write_within 20 "$rest" /compose/two-down y || fail "not writable with zk$leader and zk$f stopped"
  expected+=(two-down)
  log "zk$leader (leader) and zk$f stopped: still writable"
  dc start "zk$leader" "zk$f" > /dev/null 2>&1
  # shellcheck disable=SC2086
  wait_leader 60 $ALL > /dev/null || fail "no single leader after restarting zk$leader and zk$f"
  # shellcheck disable=SC2086
  wait_same_hash 60 $ALL || fail "restarted nodes did not catch up"
fi

# Clean stop on SIGTERM, then down and up with the volumes kept.
t0=$SECONDS
dc stop > "$WORK/stop.log" 2>&1 || fail "docker-compose stop"
stop_s=$((SECONDS - t0))
for id in $ALL; do
  code=$(docker inspect -f '{{.State.ExitCode}}' "$(container "$id")")
  [[ $code == 0 ]] || fail "zk$id exited with $code on SIGTERM (want 0; 137 = killed at the stop timeout)"
done
log "docker-compose stop: all $N servers exited 0 on SIGTERM in $stop_s s"
dc down > /dev/null 2>&1 || fail "docker-compose down"
dc up -d --no-build > "$WORK/up2.log" 2>&1 || { cat "$WORK/up2.log" >&2; fail "docker-compose up (again) failed"; }
# shellcheck disable=SC2086
leader=$(wait_leader 90 $ALL) || fail "no leader after down/up"
got=$(zkcli "$ALL" ls /compose) || fail "ls /compose after down/up"
want=$(printf '%s\n' "${expected[@]}" | sort | tr '\n' ' ')
have=$(tr -d '[],' <<< "$got" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
[[ $have == "$want" ]] || fail "after down/up /compose has [$have], want [$want]"
read_back "$(( (leader % N) + 1 ))" /compose v1 || fail "/compose lost its data after down/up"
log "down + up: every znode back ($want), leader zk$leader"

log "passed in $(($(date +%s) - STARTED)) s"
