#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 (ASan + UBSan +
# coverage, -DFUZZ=ON, in build-fuzz/) and runs each for SECONDS (default 30)
# from its seed corpus. New inputs go to a scratch corpus under build-fuzz/,
# not into the repository; a crash leaves its input in build-fuzz/crashes/
# and fails the script.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# FUZZ_BUILD_DIR and FUZZ_BUILD_TYPE (RelWithDebInfo) choose the build;
# scripts/test-sanitize.sh runs its own Debug build's fuzzers this way.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${1:-30}
shift || true
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  TARGETS=(zkwire_frame_fuzz client_request_fuzz peer_frame_fuzz txn_apply_fuzz
           state_snapshot_fuzz config_fuzz path_fuzz sasl_token_fuzz)
fi
if ! command -v clang++-14 > /dev/null || [[ ! -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 libfuzzer-14-dev
fi
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="${FUZZ_BUILD_TYPE:-RelWithDebInfo}" -DFUZZ=ON \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 > /dev/null
cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]}"
mkdir -p "$BUILD/crashes"
failed=0
for t in "${TARGETS[@]}"; do
  scratch=$BUILD/corpus/$t
  mkdir -p "$scratch"
  echo "== $t: ${SECONDS_EACH}s"
  if ! "$BUILD/bin/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
      -artifact_prefix="$BUILD/crashes/$t-" "$scratch" "$ROOT/tests/fuzz/corpus/$t" \
      > "$BUILD/$t.log" 2>&1; then
    echo "FAIL $t: see $BUILD/$t.log and $BUILD/crashes/"
    grep -E "ERROR|SUMMARY|Check failed|runtime error" "$BUILD/$t.log" | head -5 || true
    failed=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$BUILD/$t.log" | tr '\n' ' '
    echo
  fi
done
exit $failed
