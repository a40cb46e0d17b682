#!/usr/bin/env bash
# Side-by-side benchmarks on loopback: salvo next to iperf3, iperf2, qperf and sockperf, on this
# machine, in one run. Every figure is the median of RUNS rounds (default 3), printed with its min
# and max; within a round every measurement runs once, salvo and its peers alternating. Each
# comparison ends in a ratio salvo / peer.
#
#   bench/compare.sh                 # print the table
#   bench/compare.sh --write-docs    # also write docs/benchmarks.md
#   RUNS=5 DURATION=10 bench/compare.sh
#
# Loopback only. Each tool is measured against its own server: salvo against salvo-target,
# iperf3 against iperf3 -s, iperf2 against iperf -s, qperf against its server, sockperf against
# sockperf sr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
runs=${RUNS:-3}
duration=${DURATION:-5}
write_docs=0
[ "${1:-}" = "--write-docs" ] && write_docs=1

need=()
for p in iperf3 iperf qperf sockperf jq; do command -v "$p" >/dev/null || need+=("$p"); done
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
wait_listen() {
  for _ in $(seq 1 500); do [ -n "$(ss -Htln "sport = :$1")" ] && return; sleep 0.01; done
  echo "bench: nothing listens on $1" >&2; exit 1
}

# Servers, started once.
"$build/salvo-target" --listen 127.0.0.1:0 --mode sink --quiet --port-file "$tmp/sink" >/dev/null &
pids+=($!)
"$build/salvo-target" --listen 127.0.0.1:0 --mode sink --engine epoll --quiet \
  --port-file "$tmp/sink_epoll" >/dev/null &
pids+=($!)
"$build/salvo-target" --listen 127.0.0.1:0 --mode echo --quiet --port-file "$tmp/echo" >/dev/null &
pids+=($!)
# The open loop's own echo target: one that has just served the 100-connection echo run answers
# a single connection in about 90 us instead of 12 us for as long as the next run lasts, when
# that run starts within a second (bench/findings.md).
"$build/salvo-target" --listen 127.0.0.1:0 --mode echo --quiet --port-file "$tmp/echo_ol" \
  >/dev/null &
pids+=($!)
"$build/salvo-agent" --listen 127.0.0.1:0 --port-file "$tmp/agent" >/dev/null &
pids+=($!)
sink=$(wait_port_file "$tmp/sink"); echo_port=$(wait_port_file "$tmp/echo")
echo_ol=$(wait_port_file "$tmp/echo_ol")
sink_epoll=$(wait_port_file "$tmp/sink_epoll")
agent=$(wait_port_file "$tmp/agent")
iperf_port=$(free_port)
iperf3 -s -p "$iperf_port" >/dev/null 2>&1 &
pids+=($!)
iperf2_port=$(free_port)
iperf -s -p "$iperf2_port" >/dev/null 2>&1 &
pids+=($!)
qperf_port=$(free_port)
qperf --listen_port "$qperf_port" >/dev/null 2>&1 &
pids+=($!)
sockperf_port=$(free_port)
sockperf sr --tcp -i 127.0.0.1 -p "$sockperf_port" >/dev/null 2>&1 &
pids+=($!)
wait_listen "$iperf_port"; wait_listen "$iperf2_port"; wait_listen "$qperf_port"
wait_listen "$sockperf_port"

salvo_run() {  # extra args...; prints the report JSON path
  "$build/salvo" run --agents "127.0.0.1:$agent" --duration "$duration" --warmup 1 --threads 1 \
    --no-live --json "$tmp/r.json" "$@" >/dev/null
  echo "$tmp/r.json"
}

# One measurement each; every function prints its numbers on one line.
salvo_stream() {  # port connections -> MB/s, sender CPU s/GB
  jq -r '"\(.totals.rates.mb_per_sec_sent) \(.totals.cpu_ns_per_byte_sent)"' \
    "$(salvo_run --target "127.0.0.1:$1" --workload stream-out --connections "$2" --size 128k)"
}
iperf3_stream() {  # connections -> MB/s, sender CPU s/GB
  iperf3 -c 127.0.0.1 -p "$iperf_port" -l 128K -P "$1" -t "$duration" -O 1 -J |
    jq -r '"\(.end.sum_received.bytes / .end.sum_received.seconds / 1e6) \(.end.cpu_utilization_percent.host_total / 100 * .end.sum_sent.seconds / (.end.sum_sent.bytes / 1e9))"'
}
salvo_small() {  # connections extra... -> messages/s
  local n=$1; shift
  jq -r '.totals.rates.messages_per_sec' \
    "$(salvo_run --target "127.0.0.1:$sink" --workload stream-out --connections "$n" --size 64 "$@")"
}
iperf2_small() {  # -> 64-byte writes/s (bytes received / 64)
  iperf -c 127.0.0.1 -p "$iperf2_port" -l 64 -t "$duration" -y C 2>/dev/null |
    awk -F, 'END {printf "%.1f\n", $9 / 8 / 64}'
}
qperf_small() {  # -> 64-byte messages/s
  qperf 127.0.0.1 -lp "$qperf_port" -m 64 -t "$duration" -v tcp_bw 2>/dev/null |
    awk '$1 == "msg_rate" {v = $3; u = $4} END {m = (u ~ /^K/) ? 1e3 : (u ~ /^M/) ? 1e6 : 1; printf "%.1f\n", v * m}'
}
salvo_echo() {  # connections -> round trips/s, p50 us, p99 us
  jq -r '"\(.totals.rates.messages_per_sec) \(.timings[] | select(.timing == "TIMING_ROUND_TRIP") | "\(.summary.p50_us) \(.summary.p99_us)")"' \
    "$(salvo_run --target "127.0.0.1:$echo_port" --workload echo --connections "$1" --size 64)"
}
sockperf_figures() {  # sockperf's output file -> replies/s, p50 us, p99 us
  local rate p50 p99
  rate=$(sed -n "s/.*\[Valid Duration\] RunTime=\([0-9.]*\) sec;.*ReceivedMessages=\([0-9]*\).*/\2 \1/p" "$1" |
    awk '{printf "%.1f", $1 / $2}')
  p50=$(sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' "$1")
  p99=$(sed -n 's/.*percentile 99.000 = *\([0-9.]*\).*/\1/p' "$1")
  echo "$rate $p50 $p99"
}
sockperf_pp() {  # -> round trips/s, p50 us, p99 us
  sockperf ping-pong --tcp -i 127.0.0.1 -p "$sockperf_port" -m 64 -t "$duration" --full-rtt \
    >"$tmp/pp" 2>&1
  sockperf_figures "$tmp/pp"
}

salvo_open() {  # rate -> achieved messages/s, round trip from the intended time p50 p99 us,
  # service time (from the actual send) p50 p99 us
  jq -r '"\(.totals.rates.messages_per_sec) \(.timings[] | select(.timing == "TIMING_ROUND_TRIP") | "\(.summary.p50_us) \(.summary.p99_us)") \(.timings[] | select(.timing == "TIMING_SERVICE_TIME") | "\(.summary.p50_us) \(.summary.p99_us)")"' \
    "$(salvo_run --target "127.0.0.1:$echo_ol" --workload echo --connections 1 --size 64 \
      --rate "$1")"
}
sockperf_ul() {  # rate -> replies/s, p50 us, p99 us (every message answered, full round trips)
  sockperf under-load --tcp -i 127.0.0.1 -p "$sockperf_port" -m 64 --mps "$1" -t "$duration" \
    --reply-every 1 --full-rtt >"$tmp/ul" 2>&1
  sockperf_figures "$tmp/ul"
}
salvo_churn() {  # close -> connects/s, p50 connect us, p99 connect us
  jq -r '"\(.totals.rates.connects_per_sec) \(.timings[] | select(.timing == "TIMING_CONNECT") | "\(.summary.p50_us) \(.summary.p99_us)")"' \
    "$(salvo_run --target "127.0.0.1:$echo_port" --workload connect-rr --connections 4 --size 64 \
      --close "$1")"
}

# Every measurement once per round, rounds repeated: salvo and its peer alternate, so that a
# slow patch of the machine hits both rather than one.
declare -A cmd
order=()
add() { order+=("$1"); cmd[$1]="${*:2}"; }
add s_stream1 salvo_stream "$sink" 1
add i_stream1 iperf3_stream 1
add s_stream1e salvo_stream "$sink_epoll" 1
add s_stream4 salvo_stream "$sink" 4
add i_stream4 iperf3_stream 4
add s_stream4e salvo_stream "$sink_epoll" 4
add s_small1 salvo_small 1
add p_iperf2 iperf2_small
add p_qperf qperf_small
add s_small100 salvo_small 100
add s_small100u salvo_small 100 --coalesce off --engine io_uring
add s_small100e salvo_small 100 --coalesce off --engine epoll
add s_echo1 salvo_echo 1
add p_pp sockperf_pp
add s_echo100 salvo_echo 100
add s_open salvo_open 10000
add p_ul sockperf_ul 10000
add s_churn_rst salvo_churn rst
for r in $(seq 1 "$runs"); do
  echo "bench: round $r of $runs" >&2
  for k in "${order[@]}"; do ${cmd[$k]} >>"$tmp/fig.$k"; done
done

# median min max of column $2 (default 1) of file $1
stats() {
  awk -v c="${2:-1}" '{print $c}' "$tmp/fig.$1" | sort -g |
    awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.6g %.6g %.6g\n", m, v[1], v[NR]}'
}
fmt() {  # median min max -> "median (min-max)", with k and M for large numbers
  awk 'function f(v) {
         if (v >= 1e6) return sprintf("%.2fM", v / 1e6)
         if (v >= 1e4) return sprintf("%.1fk", v / 1e3)
         if (v >= 100) return sprintf("%.0f", v)
         return sprintf("%.3g", v)
       }
       {printf "%s (%s-%s)", f($1), f($2), f($3)}' <<<"$1"
}
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN {printf (b > 0 ? "%.2f" : "-"), a / b}'; }

echo "bench: $runs rounds of ${duration}s runs on loopback ($(nproc) cores, $(uname -r))" >&2
rows=()
row() {  # what salvo_stats peer_name peer_stats
  rows+=("| $1 | $(fmt "$2") | ${3:--} $([ -n "${4:-}" ] && fmt "$4") | $([ -n "${4:-}" ] && ratio "$2" "$4" || echo -) |")
}
row "stream, 1 connection, 128 KiB, default (io_uring) target: MB/s" "$(stats s_stream1)" \
  iperf3 "$(stats i_stream1)"
row "stream, 1 connection, 128 KiB, epoll target: MB/s" "$(stats s_stream1e)" \
  iperf3 "$(stats i_stream1)"
row "stream, 1 connection: sender CPU s per GB" "$(stats s_stream1 2)" iperf3 "$(stats i_stream1 2)"
row "stream, 4 connections, 128 KiB, default target: MB/s" "$(stats s_stream4)" \
  "iperf3 -P 4" "$(stats i_stream4)"
row "stream, 4 connections, 128 KiB, epoll target: MB/s" "$(stats s_stream4e)" \
  "iperf3 -P 4" "$(stats i_stream4)"
row "stream, 4 connections: sender CPU s per GB" "$(stats s_stream4 2)" "iperf3 -P 4" \
  "$(stats i_stream4 2)"
row "64 B one way, 1 connection: messages/s" "$(stats s_small1)" "iperf2 -l 64" \
  "$(stats p_iperf2)"
row "64 B one way, 1 connection: messages/s (against qperf)" "$(stats s_small1)" \
  "qperf tcp_bw -m 64" "$(stats p_qperf)"
row "64 B one way, 100 connections, coalesced: messages/s" "$(stats s_small100)"
row "64 B one way, 100 connections, --coalesce off, io_uring: messages/s" "$(stats s_small100u)" \
  "salvo epoll, same" "$(stats s_small100e)"
row "echo, 1 connection, 64 B: round trips/s" "$(stats s_echo1)" "sockperf ping-pong" \
  "$(stats p_pp)"
row "echo, 1 connection, 64 B: p50 round trip (us)" "$(stats s_echo1 2)" "sockperf ping-pong" \
  "$(stats p_pp 2)"
row "echo, 100 connections, 64 B: round trips/s" "$(stats s_echo100)"
row "echo, 100 connections, 64 B: p99 round trip (us)" "$(stats s_echo100 3)"
row "open loop, 1 connection, 64 B, 10k msg/s offered: achieved msg/s" "$(stats s_open)" \
  "sockperf under-load" "$(stats p_ul)"
row "open loop, 10k msg/s: p50 service time, send to response (us)" "$(stats s_open 4)" \
  "sockperf under-load" "$(stats p_ul 2)"
row "open loop, 10k msg/s: p99 service time (us)" "$(stats s_open 5)" "sockperf under-load" \
  "$(stats p_ul 3)"
row "open loop, 10k msg/s: p50 round trip from the intended send time (us)" "$(stats s_open 2)"
row "open loop, 10k msg/s: p99 round trip from the intended send time (us)" "$(stats s_open 3)"
row "connect-rr, 4 connections, --close rst: connects/s" "$(stats s_churn_rst)"
row "connect-rr, --close rst: p50 connect time (us)" "$(stats s_churn_rst 2)"

table=$(printf '%s\n' "| figure | salvo: median (min-max) | peer: median (min-max) | salvo / peer |" \
  "| --- | --- | --- | --- |" "${rows[@]}")
echo "$table"
if [ $write_docs -eq 1 ]; then
  echo "bench: memory per connection (bench/conn_memory.sh)" >&2
  memory=$("$root/bench/conn_memory.sh" "1000 10000 19000" 2>&1)
  echo "bench: one agent, as many connections as it may hold (bench/conn_scale.sh 100000)" >&2
  conn_scale=$("$root/bench/conn_scale.sh" 100000 2>&1)
  echo "bench: the controller at scale (bench/controller_scale.sh 100 60)" >&2
  scale=$("$root/bench/controller_scale.sh" 100 60 2>&1)
  echo "bench: the open loop beside the closed loop (bench/open_loop.sh)" >&2
  open_loop=$("$root/bench/open_loop.sh" 2>&1)
  echo "bench: sweeping copy against zero-copy sends (stream-out, 10 connections)" >&2
  "$build/salvo" sweep --agents "127.0.0.1:$agent" --target "127.0.0.1:$sink" \
    --sizes 1k,4k,16k,64k,256k --send-modes copy,zerocopy,uring-zc --connections 10 \
    --duration 3 --warmup 1 --repeat 3 --svg "$root/docs/sweep-loopback.svg" >"$tmp/sweep" 2>&1 || true
  sweep_table=$(sed -n '/^workload /,/^status:/p' "$tmp/sweep")
  {
    echo "# Benchmarks"
    echo
    echo "Made by \`bench/compare.sh --write-docs\` on $(date -u +%Y-%m-%d), $(nproc) cores,"
    echo "kernel $(uname -r), loopback, ${runs} rounds of ${duration} s runs (median, min-max); in"
    echo "each round every figure was measured once, salvo and its peers alternating."
    echo "salvo runs one agent with one worker thread against salvo-target; each peer runs"
    echo "against its own server. All of it shares this machine's cores, so the figures compare"
    echo "the tools with each other, not with a network."
    echo
    echo "$table"
    echo
    cat "$root/bench/notes.md"
    echo
    [ -f "$root/bench/findings.md" ] && { cat "$root/bench/findings.md"; echo; }
    echo "## Agent memory per connection"
    echo
    echo "\`bench/conn_memory.sh 1000 10000 19000\`: a fresh agent per count, 64 B echo on every"
    echo "connection, the agent's RSS (and its anonymous memory alone) sampled while they are open."
    echo
    echo '```'
    echo "$memory"
    echo '```'
    echo
    echo "## One agent, 100,000 connections asked, past the port range"
    echo
    echo "\`bench/conn_scale.sh 100000\`: one agent and one salvo-target in a network namespace whose"
    echo "ip_local_port_range holds a third of the connections' ports, so they need the four source"
    echo "addresses of \`--source-ips 127.0.0.1-127.0.0.4\`; 64 B echo on every connection. Memory is"
    echo "user memory (RSS loaded minus idle, per connection); the kernel's socket buffers are not"
    echo "in it. The script measures fewer than asked when the hard limit on open files is lower"
    echo "and cannot be raised, and says so on its first line."
    echo
    echo '```'
    echo "$conn_scale"
    echo '```'
    echo
    echo "## The controller at scale"
    echo
    echo "\`bench/controller_scale.sh 100 60\`: 100 agents on loopback, one echo connection each, one"
    echo "60 s run per interval; CPU as a share of one core over the run's wall time."
    echo
    echo '```'
    echo "$scale"
    echo '```'
    echo
    cat "$root/bench/open_loop.md"
    echo
    echo '```'
    echo "$open_loop"
    echo '```'
    echo
    echo "## Copy against zero-copy sends, swept over message size"
    echo
    echo "Made in the same run by:"
    echo
    echo '```'
    echo "salvo sweep --agents AGENT --target SINK --sizes 1k,4k,16k,64k,256k \\"
    echo "    --send-modes copy,zerocopy,uring-zc --connections 10 --duration 3 --warmup 1 \\"
    echo "    --repeat 3 \\"
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
