#!/usr/bin/env bash
# Builds the unit, single-server and some ensemble integration tests with AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs them. The build is clang-14's with
# -DFUZZ=ON (into build-asan/): every library is also instrumented for
# libFuzzer, so the same build's fuzz targets are real fuzzers. They replay
# their seed corpora, then each fuzzes for FUZZ_SECONDS (default 10; 0
# skips) through scripts/fuzz.sh. Any sanitizer report or fuzzer crash fails
# the run. Assumes scripts/install-deps.sh ran (it installs clang-14 and
# libfuzzer-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD_DIR:-build-asan}
TARGETS=(server_unit_tests storage_unit_tests zab_consensus_unit_test zab_scenarios_test node_sim_test
         client_unit_tests server_e2e_test server_crash_test
         ensemble_ensemble_test ensemble_failover_test ensemble_sync_modes_test
         zkwire_unit_tests zkwire_c_client_test)
# The fuzz targets (tests/fuzz), replaying their seed corpora.
FUZZ_TARGETS=(zkwire_frame_fuzz client_request_fuzz peer_frame_fuzz txn_apply_fuzz
              state_snapshot_fuzz config_fuzz path_fuzz sasl_token_fuzz)
# A build directory configured with another compiler (GCC's -DSANITIZE=ON,
# this script's earlier form) is started over.
if [[ -f $BUILD/CMakeCache.txt ]] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++-14' "$BUILD/CMakeCache.txt"; then
  rm -rf "$BUILD"
fi
cmake -S . -B "$BUILD" -DFUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
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
  if "$BUILD/bin/$t" -runs=0 "tests/fuzz/corpus/$t" > "$BUILD/$t.log" 2>&1; then
    echo "sanitize: $t corpus passed"
  else
    echo "sanitize: $t corpus FAILED (log follows)"; tail -60 "$BUILD/$t.log"; failed=1
  fi
done
if compgen -G "$REPORTS/*" > /dev/null; then
  echo "sanitize: reports from test or server processes:"; head -60 "$REPORTS"/*; failed=1
fi
rm -rf "$REPORTS"
if [[ ${FUZZ_SECONDS:-10} != 0 ]]; then
  # libFuzzer reports to its own log (fuzz.sh keeps it), not to $REPORTS.
  env -u ASAN_OPTIONS -u UBSAN_OPTIONS FUZZ_BUILD_DIR="$PWD/$BUILD" FUZZ_BUILD_TYPE=Debug \
    scripts/fuzz.sh "${FUZZ_SECONDS:-10}" "${FUZZ_TARGETS[@]}" || failed=1
fi
exit $failed
