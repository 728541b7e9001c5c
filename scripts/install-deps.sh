#!/usr/bin/env bash
# Installs every Debian 12 package zabkeeper needs to build, test and run.
# Safe to run repeatedly. Needs root (or sudo).
#   scripts/install-deps.sh           everything (build, tests, tools)
#   scripts/install-deps.sh --build   only what compiling needs (the Docker
#                                     image's build stage uses this)
set -euo pipefail

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

BUILD_PACKAGES=(
  build-essential cmake pkg-config ca-certificates
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  librocksdb-dev libabsl-dev libgoogle-glog-dev libgflags-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev nlohmann-json3-dev libreadline-dev libssl-dev libzookeeper-mt-dev
  libasio-dev libsasl2-dev libsasl2-modules
)
# Tests and scripts: python3-yaml for the Kubernetes manifest check
# (tests/deploy/k8s_manifest_test.py), docker-compose for the compose files;
# iproute2 and nftables for zkchaos's network namespaces and partitions,
# libfaketime for its clock-skew fault (docs/RELIABILITY.md); zookeeper for
# zkCli.sh and python3-kazoo, which test the ZooKeeper-protocol port (no
# daemon comes with either); default-jdk-headless for javac, which compiles
# the Java-client test against zookeeper's jar (zookeeper brings only a JRE);
# libcurator-recipes-java for the Curator test; openssl for
# deploy/tls/make-certs.sh (the TLS test's certificates); clang-14 and
# libfuzzer-14-dev for the sanitizer build, whose fuzz targets are real
# libFuzzer binaries (scripts/test-sanitize.sh, scripts/fuzz.sh);
# python3-pure-sasl for Kazoo's SASL DIGEST-MD5 (zkwire_kazoo_sasl_test).
TOOL_PACKAGES=(git curl procps iproute2 nftables libfaketime python3 python3-yaml docker-compose
  tmux zookeeper python3-kazoo default-jdk-headless libcurator-recipes-java openssl
  clang-14 libfuzzer-14-dev python3-pure-sasl)
# Not here: etcd-server, which only the benchmark scripts use
# (scripts/bench-compare.py --install); its package also starts a
# system etcd on 127.0.0.1:2379 on a systemd host. Nor docker.io:
# deploy/docker/test-compose.sh installs it only where no Docker engine is
# present (it would conflict with Docker's own docker-ce packages).

PACKAGES=("${BUILD_PACKAGES[@]}")
if [[ ${1:-} != --build ]]; then PACKAGES+=("${TOOL_PACKAGES[@]}"); fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
echo "install-deps: ${#PACKAGES[@]} packages present"
