#!/usr/bin/env bash
# Agent memory per established connection: one fresh agent per count, echo of 64 B messages on
# N connections for a few seconds against a salvo-target echo server. Prints the agent's idle
# RSS, its RSS while the N connections are open (sampled every 100 ms, the largest kept) and
# (loaded - idle) / N; then the same for its anonymous memory alone (RssAnon: what the agent
# allocated, without the pages of its own code and libraries that the run touched for the
# first time). Loopback only; every process is stopped at the end.
# Usage: bench/conn_memory.sh [counts (1000 10000 19000)] [threads (1)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build
counts=${1:-"1000 10000 19000"}
threads=${2:-1}
source "$root/bench/lib.sh"
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }

"$bin/salvo-target" --listen 127.0.0.1:0 --port-file "$tmp/target.port" --mode echo --quiet \
  >/dev/null 2>&1 &
pids+=($!)
wait_port_file "$tmp/target.port" >/dev/null
printf '%11s %8s %12s %12s %14s %12s %12s %16s %s\n' connections threads "idle RSS" "loaded RSS" \
  "B/connection" "idle anon" "loaded anon" "anon B/conn" status
for n in $counts; do
  rm -f "$tmp/agent.port"
  "$bin/salvo-agent" --listen 127.0.0.1:0 --port-file "$tmp/agent.port" >/dev/null 2>&1 &
  agent=$!
  pids+=("$agent")
  wait_port_file "$tmp/agent.port" >/dev/null
  sleep 0.5
  idle=$(rss_kb "$agent")
  idle_anon=$(anon_kb "$agent")
  "$bin/salvo" run --agents "127.0.0.1:$(cat "$tmp/agent.port")" \
    --target "127.0.0.1:$(cat "$tmp/target.port")" --workload echo --size 64 --connections "$n" \
    --threads "$threads" --duration 4 --warmup 1 --connect-timeout 30s --no-live \
    >"$tmp/out" 2>&1 &
  run=$!
  peak=$idle peak_anon=$idle_anon
  while kill -0 "$run" 2>/dev/null; do
    r=$(rss_kb "$agent" 2>/dev/null || echo 0)
    a=$(anon_kb "$agent" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$peak" ] && peak=$r
    [ "${a:-0}" -gt "$peak_anon" ] && peak_anon=$a
    sleep 0.1
  done
  wait "$run" || true
  printf '%11s %8s %10.1fMB %10.1fMB %14s %10.1fMB %10.1fMB %16s %s\n' "$n" "$threads" \
    "$(echo "$idle/1024" | bc -l)" "$(echo "$peak/1024" | bc -l)" "$(( (peak - idle) * 1024 / n ))" \
    "$(echo "$idle_anon/1024" | bc -l)" "$(echo "$peak_anon/1024" | bc -l)" \
    "$(( (peak_anon - idle_anon) * 1024 / n ))" \
    "$(grep -E '^status' "$tmp/out" | head -1 | cut -d' ' -f2-)"
  kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null || true
done
