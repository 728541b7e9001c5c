#!/usr/bin/env bash
# CI subset of the chaos harness (ctest label `chaos`):
#  1. three short randomized runs must end with "chaos runs=3 ... anomalies=0"
#     and exit 0 (netns when root, else the loopback fallback);
#  2. one run in loopback mode with partitions only (cut at relays): the
#     fallback without namespaces must also cut links and stay correct;
#  3. one kept run is re-checked from its files (zkchaos --check), then
#     tampered copies must be rejected: a node's final value changed (lost
#     write / divergent nodes), an element dropped from the final list reads
#     (list-append), an ephemeral seen long after its session ended.
# Usage: zkchaos_ci.sh ZKCHAOS_BIN SERVER_BIN
set -euo pipefail
zkchaos=$1
server=$2
out=$(mktemp -d /tmp/zkchaos-ci-XXXXXX)
trap 'rm -rf "$out"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

"$zkchaos" --nodes 3 --runs 3 --ops-per-run 300 --seed 1 --out "$out/runs" \
  --server-bin "$server" | tee "$out/runs.log" || fail "zkchaos exited $?"
last=$(tail -n 1 "$out/runs.log")
[[ $last =~ ^chaos\ runs=3\ ops=[0-9]+\ anomalies=0$ ]] || fail "last line: $last"
ops=$(sed -E 's/.* ops=([0-9]+) .*/\1/' <<<"$last")
(( ops >= 600 )) || fail "only $ops ops recorded"
[[ -z $(ls -d "$out"/runs/run-* 2>/dev/null) ]] || fail "passing runs left directories"

"$zkchaos" --nodes 3 --runs 1 --ops-per-run 300 --seed 7 --net loopback \
  --faults partition-leader,partition-majority,partition-oneway --out "$out/loopback" \
  --server-bin "$server" | tee "$out/loopback.log" || fail "loopback run exited $?"
grep -q "^run seed=7 .*partition-.*anomalies=0" "$out/loopback.log" || fail "no partition in loopback"

"$zkchaos" --nodes 3 --runs 1 --ops-per-run 300 --seed 42 --out "$out/kept" --keep \
  --server-bin "$server" > "$out/kept.log" || fail "kept run failed: $(cat "$out/kept.log")"
run="$out/kept/run-42"
"$zkchaos" --check "$run" | tee "$out/check.log" || fail "re-check of a passing run failed"
grep -q "anomalies=0" "$out/check.log" || fail "re-check disagrees"

expect_rejected() {  # name, anomaly to find, dir
  if "$zkchaos" --check "$3" > "$out/$1.log"; then fail "$1: tampered run accepted"; fi
  grep -q "$2" "$out/$1.log" || fail "$1: no $2 in $(cat "$out/$1.log")"
  echo "ok: $1 rejected with $2"
}

cp -r "$run" "$out/t1"
awk -F'\t' 'BEGIN{OFS="\t"} $1=="final" && $2=="k0" {$3=$3+1} {print}' "$run/final-2.tsv" \
  > "$out/t1/final-2.tsv"
expect_rejected final-value divergent-nodes "$out/t1"

cp -r "$run" "$out/t2"
# Drop the first element of l0 in every final list read (a lost append).
for f in "$run"/final-*.tsv; do
  sed -E 's/r:l0:[0-9]+\|?/r:l0:/' "$f" > "$out/t2/$(basename "$f")"
done
expect_rejected list-append "lost-append\|incompatible-order\|garbage" "$out/t2"

cp -r "$run" "$out/t3"
# An observation of slot 0, present, an hour after the run.
grep -q '^erec' "$run/ephemerals.tsv" || fail "the kept run created no ephemeral"
read -r _ slot _ alive _ _ < <(awk -F'\t' '$1=="erec"{print $2,$3,$4,$5,$6,$7; exit}' "$run/ephemerals.tsv")
late=$((alive + 3600000000000))
printf 'eobs\t%s\t%s\t%s\t1\n' "$slot" "$late" "$((late + 1000000))" >> "$out/t3/history-0.tsv"
expect_rejected ephemeral-late "late" "$out/t3"
echo "zkchaos CI subset passed"
