#!/usr/bin/env bash
# Runs every fuzz harness for a fixed number of executions (default 1,000,000) from the committed
# seeds and prints, per harness, the executions done, the corpus it grew and the crashes found.
# Usage: bench/fuzz.sh [runs [harness...]]   Crash inputs are left in build-fuzz/fuzz/crash-*.
# A single input slower than 30 s counts as a crash (a hang); on a machine loaded by other work,
# libFuzzer's clock runs while the fuzzer waits for a CPU, so keep the machine otherwise idle.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1000000}
shift || true
only=("$@")
build=$root/build-fuzz
"$root/scripts/build-fuzzers.sh" "$build" >/dev/null
status=0
printf '%-14s %12s %10s %8s %8s\n' harness executions seconds corpus crashes
for f in "$build"/fuzz/*_fuzzer; do
  name=$(basename "$f" _fuzzer)
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  corpus=$build/fuzz/corpus/$name
  mkdir -p "$corpus"
  log=$build/fuzz/$name.bench.log
  start=$(date +%s)
  if "$f" -runs="$runs" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz/" "$corpus" "$root/fuzz/seeds/$name" >"$log" 2>&1; then
    crashes=0
  else
    crashes=1
    status=1
  fi
  seconds=$(( $(date +%s) - start ))
  done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  printf '%-14s %12s %10s %8s %8s\n' "$name" "$done_runs" "$seconds" "$(ls "$corpus" | wc -l)" "$crashes"
  [ "$crashes" = 0 ] || grep -m3 -E 'property failed|runtime error|ERROR: ' "$log" || true
done
exit $status
