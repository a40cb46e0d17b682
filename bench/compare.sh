#!/usr/bin/env bash
# Side-by-side benchmarks on loopback: salvo next to iperf3 and sockperf, on this machine, in one
# run. Every figure is the median of RUNS runs (default 3), printed with its min and max, and each
# comparison ends in a ratio salvo / peer.
#
#   bench/compare.sh                 # print the table
#   bench/compare.sh --write-docs    # also write docs/benchmarks.md
#   RUNS=5 DURATION=10 bench/compare.sh
#
# Loopback only. Each tool is measured against its own server: salvo against salvo-target,
# iperf3 against iperf3 -s, sockperf against sockperf sr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
runs=${RUNS:-3}
duration=${DURATION:-5}
write_docs=0
[ "${1:-}" = "--write-docs" ] && write_docs=1

need=()
for p in iperf3 sockperf jq; do command -v "$p" >/dev/null || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -x "$build/salvo" ] || "$root/scripts/setup.sh" "$build" >/dev/null

source "$root/bench/lib.sh"

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    [ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return; }
  done
}
wait_port_file() {
  for _ in $(seq 1 500); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.01; done
  echo "bench: $1 never appeared" >&2; exit 1
}
wait_listen() {
  for _ in $(seq 1 500); do [ -n "$(ss -Htln "sport = :$1")" ] && return; sleep 0.01; done
  echo "bench: nothing listens on $1" >&2; exit 1
}

# Servers, started once.
"$build/salvo-target" --listen 127.0.0.1:0 --mode sink --quiet --port-file "$tmp/sink" >/dev/null &
pids+=($!)
"$build/salvo-target" --listen 127.0.0.1:0 --mode echo --quiet --port-file "$tmp/echo" >/dev/null &
pids+=($!)
"$build/salvo-agent" --listen 127.0.0.1:0 --port-file "$tmp/agent" >/dev/null &
pids+=($!)
sink=$(wait_port_file "$tmp/sink"); echo_port=$(wait_port_file "$tmp/echo")
agent=$(wait_port_file "$tmp/agent")
iperf_port=$(free_port)
iperf3 -s -p "$iperf_port" >/dev/null 2>&1 &
pids+=($!)
sockperf_port=$(free_port)
for _ in $(seq 1 100); do echo "T:127.0.0.1:$sockperf_port"; done >"$tmp/feed100"
sockperf sr -f "$tmp/feed100" -F e >/dev/null 2>&1 &
pids+=($!)
wait_listen "$iperf_port"; wait_listen "$sockperf_port"

salvo_run() {  # extra args...; prints the report JSON path
  "$build/salvo" run --agents "127.0.0.1:$agent" --duration "$duration" --warmup 1 --threads 1 \
    --no-live --json "$tmp/r.json" "$@" >/dev/null
  echo "$tmp/r.json"
}

# One measurement each; every function prints one number.
iperf3_mbps() {
  iperf3 -c 127.0.0.1 -p "$iperf_port" -l 128K -t "$duration" -O 1 -J |
    jq '.end.sum_received.bytes / .end.sum_received.seconds / 1e6'
}
salvo_stream_mbps() {
  jq '.totals.rates.mb_per_sec_sent' "$(salvo_run --target "127.0.0.1:$sink" --workload stream-out \
    --connections 1 --size 128k)"
}
sockperf_pp() {  # field: rate|p50|p99
  sockperf ping-pong --tcp -i 127.0.0.1 -p "$sockperf_port" -m 64 -t "$duration" --full-rtt \
    >"$tmp/pp" 2>&1
  sockperf_field "$1" "$tmp/pp" ReceivedMessages
}
sockperf_ul() {  # field: rate|p50|p99
  sockperf under-load -f "$tmp/feed100" -F e -m 64 -t "$duration" --mps=max --full-rtt \
    >"$tmp/ul" 2>&1
  sockperf_field "$1" "$tmp/ul" SentMessages
}
sockperf_field() {  # field file counter
  case "$1" in
    rate) sed -n "s/.*\[Valid Duration\] RunTime=\([0-9.]*\) sec;.*$3=\([0-9]*\).*/\2 \1/p" "$2" |
            awk '{printf "%.1f\n", $1 / $2}' ;;
    p50) sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' "$2" ;;
    p99) sed -n 's/.*percentile 99.000 = *\([0-9.]*\).*/\1/p' "$2" ;;
  esac
}
salvo_echo() {  # connections field: rate|p50|p99
  local f
  f=$(salvo_run --target "127.0.0.1:$echo_port" --workload echo --connections "$1" --size 64)
  case "$2" in
    rate) jq '.totals.rates.messages_per_sec' "$f" ;;
    p50) jq '.timings[] | select(.timing == "TIMING_ROUND_TRIP") | .summary.p50_us' "$f" ;;
    p99) jq '.timings[] | select(.timing == "TIMING_ROUND_TRIP") | .summary.p99_us' "$f" ;;
  esac
}

# median min max of the numbers on stdin
stats() { sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f %.1f %.1f\n", m, v[1], v[NR]}'; }
measure() {  # command...; runs it $runs times
  for _ in $(seq 1 "$runs"); do "$@"; done | stats
}
fmt() { awk '{printf "%s (%s-%s)", $1, $2, $3}' <<<"$1"; }
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN {printf (b > 0 ? "%.2f" : "-"), a / b}'; }

echo "bench: $runs runs of ${duration}s each per figure on loopback ($(nproc) cores, $(uname -r))" >&2
rows=()
row() {  # what unit salvo peer peer_name
  rows+=("| $1 | $(fmt "$3") | $4 $(fmt "$5") | $(ratio "$3" "$5") |")
  echo "  $1: salvo $(fmt "$3") $2, $4 $(fmt "$5") $2, ratio $(ratio "$3" "$5")" >&2
}
row "stream, 1 connection, 128 KiB writes: MB/s" "MB/s" "$(measure salvo_stream_mbps)" \
  "iperf3" "$(measure iperf3_mbps)"
row "echo, 1 connection, 64 B: round trips/s" "/s" "$(measure salvo_echo 1 rate)" \
  "sockperf ping-pong" "$(measure sockperf_pp rate)"
row "echo, 1 connection, 64 B: p50 round trip (us)" "us" "$(measure salvo_echo 1 p50)" \
  "sockperf ping-pong" "$(measure sockperf_pp p50)"
row "echo, 100 connections, 64 B: messages/s" "/s" "$(measure salvo_echo 100 rate)" \
  "sockperf under-load" "$(measure sockperf_ul rate)"
row "echo, 100 connections, 64 B: p99 round trip (us)" "us" "$(measure salvo_echo 100 p99)" \
  "sockperf under-load" "$(measure sockperf_ul p99)"

table=$(printf '%s\n' "| figure | salvo: median (min-max) | peer: median (min-max) | salvo / peer |" \
  "| --- | --- | --- | --- |" "${rows[@]}")
echo "$table"
if [ $write_docs -eq 1 ]; then
  echo "bench: sweeping copy against zero-copy sends (stream-out, 10 connections)" >&2
  "$build/salvo" sweep --agents "127.0.0.1:$agent" --target "127.0.0.1:$sink" \
    --sizes 1k,4k,16k,64k,256k --send-modes copy,zerocopy,uring-zc --connections 10 \
    --duration 3 --warmup 1 --svg "$root/docs/sweep-loopback.svg" >"$tmp/sweep" 2>&1 || true
  sweep_table=$(sed -n '/^workload /,/^status:/p' "$tmp/sweep")
  {
    echo "# Benchmarks"
    echo
    echo "Made by \`bench/compare.sh --write-docs\` on $(date -u +%Y-%m-%d), $(nproc) cores,"
    echo "kernel $(uname -r), loopback, ${runs} runs of ${duration} s per figure (median, min-max)."
    echo "salvo runs one agent with one worker thread against salvo-target; each peer runs"
    echo "against its own server. All of it shares this machine's cores, so the figures compare"
    echo "the tools with each other, not with a network."
    echo
    echo "$table"
    echo
    cat "$root/bench/notes.md"
    echo
    echo "## Copy against zero-copy sends, swept over message size"
    echo
    echo "Made in the same run by:"
    echo
    echo '```'
    echo "salvo sweep --agents AGENT --target SINK --sizes 1k,4k,16k,64k,256k \\"
    echo "    --send-modes copy,zerocopy,uring-zc --connections 10 --duration 3 --warmup 1 \\"
    echo "    --svg docs/sweep-loopback.svg"
    echo '```'
    echo
    echo "with a salvo-target in sink mode (copy sends) and one agent. Over loopback the kernel"
    echo "copies every zero-copy send, as the findings say; what differs is the send path."
    echo
    echo '```'
    echo "$sweep_table"
    echo '```'
    echo
    echo "![throughput and completions per second against message size](sweep-loopback.svg)"
  } >"$root/docs/benchmarks.md"
  echo "bench: wrote docs/benchmarks.md" >&2
fi
