#!/usr/bin/env bash
# Installs every Debian 12 package zabkeeper needs to build, test and run.
# Safe to run repeatedly. Needs root (or sudo).
set -euo pipefail

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  librocksdb-dev libabsl-dev libgoogle-glog-dev libgflags-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev nlohmann-json3-dev libreadline-dev libssl-dev libzookeeper-mt-dev
  curl procps iproute2 python3 docker-compose tmux
)
# Not here: zookeeper and etcd-server, which only the benchmark scripts use
# (scripts/bench-compare.py --install); etcd-server's package also starts a
# system etcd on 127.0.0.1:2379 on a systemd host.

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
echo "install-deps: ${#PACKAGES[@]} packages present"
