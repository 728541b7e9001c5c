#!/usr/bin/env bash
# The README's second command: installs dependencies, builds, runs every test
# (ctest), then the sanitizer pass (ASan + UBSan; skip with ZK_SKIP_SANITIZE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 900 -j "${CTEST_JOBS:-2}")
if [[ ${ZK_SKIP_SANITIZE:-0} != 1 ]]; then
  scripts/test-sanitize.sh
fi
