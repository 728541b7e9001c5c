#!/usr/bin/env bash
# Builds the unit, single-server and some ensemble integration tests with AddressSanitizer
# and UndefinedBehaviorSanitizer (-DSANITIZE=ON, into build-asan/) and runs
# them. Any sanitizer report fails the run. Assumes scripts/install-deps.sh ran.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD_DIR:-build-asan}
TARGETS=(server_unit_tests storage_unit_tests zab_consensus_unit_test zab_scenarios_test node_sim_test
         client_unit_tests server_e2e_test server_crash_test
         ensemble_ensemble_test ensemble_failover_test ensemble_sync_modes_test
         zkwire_unit_tests zkwire_c_client_test)
# The fuzz targets (tests/fuzz), replaying their seed corpora.
FUZZ_TARGETS=(zkwire_frame_fuzz client_request_fuzz peer_frame_fuzz txn_apply_fuzz
              state_snapshot_fuzz config_fuzz path_fuzz)
cmake -S . -B "$BUILD" -DSANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" --target zabkeeper-server "${TARGETS[@]}" \
  "${FUZZ_TARGETS[@]}"
# Server processes the integration tests start inherit these; their reports
# go to files under $REPORTS (a test may not notice a server that died).
REPORTS=$(mktemp -d /tmp/zk-sanitize-XXXXXX)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$REPORTS/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$REPORTS/ubsan
failed=0
for t in "${TARGETS[@]}"; do
  if "$BUILD/bin/$t" --gtest_brief=1 > "$BUILD/$t.log" 2>&1; then
    echo "sanitize: $t passed"
  else
    echo "sanitize: $t FAILED (log follows)"; tail -60 "$BUILD/$t.log"; failed=1
  fi
done
for t in "${FUZZ_TARGETS[@]}"; do
  if "$BUILD/bin/$t" "tests/fuzz/corpus/$t" > "$BUILD/$t.log" 2>&1; then
    echo "sanitize: $t corpus passed"
  else
    echo "sanitize: $t corpus FAILED (log follows)"; tail -60 "$BUILD/$t.log"; failed=1
  fi
done
if compgen -G "$REPORTS/*" > /dev/null; then
  echo "sanitize: reports from test or server processes:"; head -60 "$REPORTS"/*; failed=1
fi
rm -rf "$REPORTS"
exit $failed
