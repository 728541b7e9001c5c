#!/usr/bin/env bash
# The README's second command: installs dependencies, builds, runs every test
# (ctest), builds the whole tree again as Release (GCC warns differently at
# -O3, and -Werror makes that a failure; its unit tests run too), runs the
# sanitizer pass (ASan + UBSan; skip with ZK_SKIP_SANITIZE=1), and boots the
# 3-node Docker Compose cluster (deploy/docker/test-compose.sh 3; where no
# Docker engine can run it prints one line saying why and is skipped; skip it
# with ZK_SKIP_COMPOSE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 900 -j "${CTEST_JOBS:-2}")

BUILD_DIR=build-release BUILD_TYPE=Release scripts/build.sh
for t in zab_consensus_unit_test storage_unit_tests server_unit_tests client_unit_tests; do
  build-release/bin/$t --gtest_brief=1 > "build-release/$t.log" 2>&1 ||
    { tail -40 "build-release/$t.log"; echo "release: $t FAILED"; exit 1; }
done
echo "release: whole tree built, unit tests passed"

if [[ ${ZK_SKIP_SANITIZE:-0} != 1 ]]; then
  scripts/test-sanitize.sh
fi

if [[ ${ZK_SKIP_COMPOSE:-0} == 1 ]]; then
  echo "test-compose: skipped: ZK_SKIP_COMPOSE=1"
else
  rc=0
  ZKCLI=$PWD/${BUILD_DIR:-build}/bin/zkcli deploy/docker/test-compose.sh 3 || rc=$?
  # 77: no Docker engine here; test-compose.sh printed the one-line reason.
  if [[ $rc != 0 && $rc != 77 ]]; then exit "$rc"; fi
fi
