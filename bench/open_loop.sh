#!/usr/bin/env bash
# The open loop's precision and cost beside the closed loop, on one worker thread, in one run:
# salvo-load echo, 64 B, against salvo-target on loopback. For each engine: the closed loop's CPU
# per message (at its capacity), then open loops at RATE msg/s with each --timer-spin, giving the
# generator's own lag (intended send time, or connection free, to hand-off: p50 and p99), the
# whole schedule lag p99 (which includes waiting for a busy connection, the target's part), and
# CPU per message with its ratio to the closed loop's. Every figure is the median of RUNS rounds.
#
#   bench/open_loop.sh                        # 20k msg/s, spins 0 10us 25us 50us, 3 rounds
#   RATE=50000 SPINS="0 50us" RUNS=5 CONNECTIONS=1 bench/open_loop.sh
#
# CPU per message is the salvo-load process's user + system time over the measured span divided
# by the round trips completed; on loopback it includes the kernel's work for the target's
# receive, which the sender's send() runs. Loopback only; keep the machine otherwise idle.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
rate=${RATE:-20000}
spins=${SPINS:-0 10us 25us 50us}
runs=${RUNS:-3}
connections=${CONNECTIONS:-10}
duration=${DURATION:-5}
command -v jq >/dev/null || { echo "bench: needs jq" >&2; exit 1; }
[ -x "$build/salvo-load" ] || "$root/scripts/setup.sh" "$build" >/dev/null
source "$root/bench/lib.sh"

"$build/salvo-target" --listen 127.0.0.1:0 --mode echo --quiet --port-file "$tmp/echo" >/dev/null &
pids+=($!)
port=$(wait_port_file "$tmp/echo")

# One run -> "cpu_us_per_message generator_lag_p50 generator_lag_p99 schedule_lag_p99 achieved"
run() {
  local json=$tmp/run.json
  "$build/salvo-load" --target "127.0.0.1:$port" --workload echo --size 64 --threads 1 \
    --connections "$connections" --duration "$duration" --warmup 1 --no-live --json "$json" \
    "$@" >/dev/null 2>&1 || true
  jq -r '
    def timing(t; q): ([.timings[] | select(.timing == t) | .summary[q]] + [0])[0];
    "\(.totals.cpu_s * 1e6 / ([.totals.counters.messages, 1] | max))
     \(timing("TIMING_GENERATOR_LAG"; "p50_us")) \(timing("TIMING_GENERATOR_LAG"; "p99_us"))
     \(timing("TIMING_SCHEDULE_LAG"; "p99_us")) \(.totals.rates.messages_per_sec)"' "$json" |
    tr -s ' \n' ' '
  echo
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# Column $2 of the rounds in file $1, as a median.
col() { awk -v c="$2" '{print $c}' "$1" | median; }

printf '%-9s %-13s %12s %9s %12s %12s %12s %10s\n' engine loop achieved 'CPU us' 'x closed' \
  'gen lag p50' 'gen lag p99' 'lag p99'
for engine in io_uring epoll; do
  : >"$tmp/closed"
  for _ in $(seq "$runs"); do run --engine "$engine" >>"$tmp/closed"; done
  closed=$(col "$tmp/closed" 1)
  printf '%-9s %-13s %12.0f %9.2f %12s %12s %12s %10s\n' "$engine" closed "$(col "$tmp/closed" 5)" \
    "$closed" 1.00 - - -
  for spin in $spins; do
    : >"$tmp/open"
    for _ in $(seq "$runs"); do
      run --engine "$engine" --rate "$rate" --timer-spin "$spin" >>"$tmp/open"
    done
    cpu=$(col "$tmp/open" 1)
    printf '%-9s %-13s %12.0f %9.2f %12.2f %10.1fus %10.1fus %8.0fus\n' "$engine" \
      "spin $spin" "$(col "$tmp/open" 5)" "$cpu" "$(awk -v a="$cpu" -v b="$closed" \
      'BEGIN {print a / b}')" "$(col "$tmp/open" 2)" "$(col "$tmp/open" 3)" "$(col "$tmp/open" 4)"
  done
done
